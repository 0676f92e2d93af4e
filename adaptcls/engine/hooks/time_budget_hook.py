"""A wall-clock budget for a training run (``tools/train.py --time-limit 30m``)."""
import time
from typing import Optional

from mmengine.hooks import Hook

from adaptcls.errors import UserInputError
from adaptcls.registry import HOOKS

TIME_SHARE_INFO = 'time_budget/share_used'
"""Message-hub runtime-info key: the share of the training's time budget used by the end of the current epoch, read
by ``ReduceLROnPlateauV2`` to force its drop by time when the time, not the epochs, binds."""
STOP_REASON_INFO = 'summary/stop_reason'
"""Message-hub key of the run's stop reason (``RunSummaryHook`` copies it into summary.json)."""
SUMMARY_INFO = 'summary/time_budget'
"""Message-hub key of the budget's record in summary.json (``time_budget``)."""


@HOOKS.register_module()
class TimeBudgetHook(Hook):
    """Ends training before a deadline, with the best checkpoint of the epochs that fit.

    After each training epoch it projects the end of the next one: now + this epoch's validation + one more epoch
    (training and validation), each the longest measured so far times ``epoch_time_margin``. When that end lies past
    the training's deadline it lets the current epoch validate (so its checkpoint can be the best) and stops the
    loop; the best checkpoint so far is the run's result, as after early stopping. It also publishes the share of the
    budget used (:data:`TIME_SHARE_INFO`), so that ``ReduceLROnPlateauV2`` forces its drop at ``forced_drop_ratio``
    of the time when the time binds before the epochs do.

    The budget is AutoGluon's ``time_limit`` idea (its users report overshoots: autogluon #1217); the projection by
    the longest epoch is ours. Everything before training (the LR estimate) spends from the same budget: the deadline
    is absolute.

    Args:
        started_at (float): ``time.time()`` when the budget began (the command's start).
        limit_s (float): the whole budget in seconds (``--time-limit``).
        reserve_s (float): seconds of the budget kept for what follows training (``--export``). Defaults to 0.
        epoch_time_margin (float): factor on the longest epoch (and validation) measured so far when projecting the
            next one; epoch times vary with the load of a shared machine. Defaults to 1.1.
    """

    priority = 70  # after_train_epoch before ReduceLROnPlateauV2 (80), which reads the share of time used

    def __init__(self, started_at: float, limit_s: float, reserve_s: float = 0.0,
                 epoch_time_margin: float = 1.1) -> None:
        if not limit_s > 0:
            raise UserInputError(f'TimeBudgetHook: limit_s must be > 0, got {limit_s}.')
        if not 0 <= reserve_s < limit_s:
            raise UserInputError(f'TimeBudgetHook: reserve_s must lie in [0, limit_s), got {reserve_s} for '
                                 f'limit_s {limit_s}.')
        if epoch_time_margin < 1:
            raise UserInputError(f'TimeBudgetHook: epoch_time_margin must be >= 1, got {epoch_time_margin}.')
        self.started_at = started_at
        self.limit_s = limit_s
        self.reserve_s = reserve_s
        self.epoch_time_margin = epoch_time_margin
        self.deadline = started_at + limit_s - reserve_s
        self._train_start = 0.0
        self._epoch_start = 0.0
        self._val_start = 0.0
        self._longest_train_s = 0.0
        self._longest_val_s = 0.0
        self._stopped_at_epoch: Optional[int] = None

    def before_train(self, runner) -> None:
        self._train_start = time.time()
        self._publish(runner)

    def before_train_epoch(self, runner) -> None:
        self._epoch_start = time.time()

    def after_train_epoch(self, runner) -> None:
        now = time.time()
        self._longest_train_s = max(self._longest_train_s, now - self._epoch_start)
        training_budget = max(self.deadline - self._train_start, 1e-9)
        runner.message_hub.update_info(TIME_SHARE_INFO, (now - self._train_start) / training_budget)
        epoch = runner.epoch + 1  # the loop increments runner.epoch after this hook
        if epoch >= runner.max_epochs:
            return
        loop = runner.train_loop
        validates = (runner.val_loop is not None and epoch >= getattr(loop, 'val_begin', 1)
                     and epoch % getattr(loop, 'val_interval', 1) == 0)
        val_s = self._longest_val_s * self.epoch_time_margin if validates else 0.0
        next_epoch_s = (self._longest_train_s + self._longest_val_s) * self.epoch_time_margin
        if now + val_s + next_epoch_s > self.deadline:
            runner.train_loop.stop_training = True
            self._stopped_at_epoch = epoch
            reason = (f'time limit: epoch {epoch + 1} would end after the deadline ({self.limit_s:.0f} s budget'
                      + (f', {self.reserve_s:.0f} s of it kept for the export' if self.reserve_s else '')
                      + f'; an epoch takes up to {next_epoch_s:.0f} s, {max(self.deadline - now, 0):.0f} s left)')
            runner.message_hub.update_info(STOP_REASON_INFO, reason)
            runner.logger.info(f'TimeBudgetHook: {reason}')
        self._publish(runner)

    def before_val_epoch(self, runner) -> None:
        self._val_start = time.time()

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._val_start:
            self._longest_val_s = max(self._longest_val_s, time.time() - self._val_start)

    def after_train(self, runner) -> None:
        self._publish(runner)

    def _publish(self, runner) -> None:
        now = time.time()
        runner.message_hub.update_info(SUMMARY_INFO, dict(
            limit_s=self.limit_s, reserve_s=self.reserve_s,
            training_deadline_s=round(self.deadline - self.started_at, 1),
            used_s=round(now - self.started_at, 1), before_training_s=round(self._train_start - self.started_at, 1),
            stopped_by_time=self._stopped_at_epoch is not None,
            epochs_cut=(runner.max_epochs - self._stopped_at_epoch) if self._stopped_at_epoch is not None else 0,
            longest_epoch_s=round(self._longest_train_s + self._longest_val_s, 1)))
