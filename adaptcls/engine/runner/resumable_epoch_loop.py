"""mmengine's epoch-based train loop, made to resume exactly after a kill at any point."""
from mmengine.runner import EpochBasedTrainLoop
from torch import nn

from adaptcls.registry import LOOPS

VALIDATED_EPOCH_KEY = 'adaptcls/validated_epoch'
"""Message-hub runtime-info key: the last epoch whose validation has run in this run state.

The message hub is saved in every checkpoint and restored by ``Runner.resume``, so a checkpoint
tells whether the state it holds already includes its epoch's validation."""


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that re-runs a validation a kill made the resumed run miss.

    mmengine's ``CheckpointHook`` writes ``epoch_<k>.pth`` in ``after_train_epoch``, that is before
    epoch k's validation, and writes it again after the validation only when the best metric
    improved. A run killed after the first write and before (or during) validation resumes from a
    state without epoch k's validation, and mmengine's loop goes straight to epoch k + 1: the
    validation's effects (best checkpoint, ``ReduceLROnPlateauV2``'s early-stopping counter, the
    history in ``RunSummaryHook``) are lost, and the resumed run diverges from the uninterrupted
    one.

    This loop records the epoch in the message hub (``VALIDATED_EPOCH_KEY``) when it starts a
    validation, so every checkpoint written during that validation (the best checkpoint and the
    re-written epoch checkpoint, both saved by ``CheckpointHook`` at the end of
    ``after_val_epoch``) says its state includes it, and one written in ``after_train_epoch`` says
    it does not. On resume, if the resumed epoch is a validation epoch whose validation the
    checkpoint does not include, the loop runs it before the next train epoch; if that validation
    stops training (early stopping), no further epoch runs. Everything else is mmengine's loop.

    Upstream: :meth:`run` mirrors mmengine 0.10.7's ``EpochBasedTrainLoop.run`` (and calls its
    ``_decide_current_val_interval``, which has no public equivalent) with the resumed validation added;
    tests/test_upstream_overrides.py fails when either upstream function changes.

    Contract for hooks (``docs/contributing.md``): state that a validation changes must be updated
    in ``after_val_epoch`` by a hook that runs before ``CheckpointHook`` (priority above VERY_LOW).

    Args:
        runner (Runner): the runner.
        dataloader (DataLoader | dict): the training dataloader or its config.
        max_epochs (int): total training epochs.
        val_begin (int): the first epoch that is validated. Defaults to 1.
        val_interval (int): validate every ``val_interval`` epochs (and after the last one).
            Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): ``(milestone, interval)`` pairs that
            change ``val_interval`` from a milestone epoch on. Defaults to None.
    """

    def run(self) -> nn.Module:
        """Trains to ``max_epochs`` or until a hook stops training; returns the model."""
        self.runner.call_hook('before_train')
        self._decide_current_val_interval()
        if self.epoch > 0 and self._is_validation_epoch() and not self._validated():
            self.runner.logger.info(
                f'Running the validation of epoch {self.epoch}, which the resumed checkpoint '
                'does not include.')
            self._validate()

        while self.epoch < self.max_epochs and not self.stop_training:
            self.run_epoch()
            self._decide_current_val_interval()
            if self._is_validation_epoch():
                self._validate()

        self.runner.call_hook('after_train')
        return self.runner.model

    def _is_validation_epoch(self) -> bool:
        """Epoch ``self.epoch`` (completed epochs) is validated, by mmengine's rule."""
        return (self.runner.val_loop is not None and self.epoch >= self.val_begin
                and (self.epoch % self.val_interval == 0 or self.epoch == self.max_epochs))

    def _validated(self) -> bool:
        """The run state already includes the validation of epoch ``self.epoch``."""
        return self.runner.message_hub.get_info(VALIDATED_EPOCH_KEY, 0) >= self.epoch

    def _validate(self) -> None:
        self.runner.message_hub.update_info(VALIDATED_EPOCH_KEY, self.epoch)
        self.runner.val_loop.run()
