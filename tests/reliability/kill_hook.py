"""Test-only hook that kills its own process with SIGKILL at a chosen point of training."""
import os
import signal

from mmengine.hooks import Hook

from adaptcls.registry import HOOKS

POINTS = ('mid_epoch', 'after_save', 'during_val')


@HOOKS.register_module()
class KillHook(Hook):
    """SIGKILLs the training process (no cleanup, no ``finally``: like a crash or an OOM kill).

    Args:
        point (str): 'mid_epoch' (after the first iteration of the epoch), 'after_save' (after the
            epoch's checkpoint and ``last_checkpoint`` are written, before validation) or
            'during_val' (after the first validation iteration).
        epoch (int): the 1-based epoch to kill in.
    """

    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW), so 'after_save' follows the save

    def __init__(self, point: str, epoch: int) -> None:
        if point not in POINTS:
            raise ValueError(f'KillHook: point="{point}" must be one of {POINTS}.')
        self.point = point
        self.epoch = epoch

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._kill_if(runner, 'mid_epoch', runner.epoch + 1)

    def after_train_epoch(self, runner) -> None:
        self._kill_if(runner, 'after_save', runner.epoch + 1)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._kill_if(runner, 'during_val', runner.epoch)

    def _kill_if(self, runner, point: str, epoch: int) -> None:
        if self.point == point and self.epoch == epoch:
            os.kill(os.getpid(), signal.SIGKILL)
