"""The few places that override or depend on mmengine or torch internals fail loudly here when the upstream code
changes (``grep -rn "_save_checkpoint_with_step\\|_decide_current_val_interval\\|_shutdown_workers" adaptcls`` finds
only them). On a failure, read the new upstream code, update our override, then the fingerprint below.
"""
import hashlib
import inspect

import pytest
from mmengine.hooks import CheckpointHook
from mmengine.logging import HistoryBuffer
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.optim.optimizer.base import BaseOptimWrapper
from mmengine.optim.scheduler import LinearLR
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader
from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter

MMENGINE_SOURCES = {
    'CheckpointHook._save_checkpoint_with_step': (
        CheckpointHook._save_checkpoint_with_step, 'cdbc1b54c7c88d95',
        'adaptcls/engine/hooks/atomic_checkpoint_hook.py (AtomicCheckpointHook copies its steps)'),
    'EpochBasedTrainLoop.run': (
        EpochBasedTrainLoop.run, '51ae20508b4d459f',
        'adaptcls/engine/runner/resumable_epoch_loop.py (ResumableEpochBasedTrainLoop.run mirrors it)'),
    'EpochBasedTrainLoop._decide_current_val_interval': (
        EpochBasedTrainLoop._decide_current_val_interval, '51b1db1aa2338c08',
        'adaptcls/engine/runner/resumable_epoch_loop.py (calls it)'),
    'HistoryBuffer': (
        HistoryBuffer, '0b351b685d552f7d',
        'adaptcls/utils/checkpoint_safety.py (replaces __getstate__ without the statistic functions, which '
        '__setstate__ must still re-register)'),
    'DefaultOptimWrapperConstructor.add_params': (
        DefaultOptimWrapperConstructor.add_params, '37d51c8511c361ea',
        'adaptcls/optim/merged_groups_constructor.py (its _collecting flag relies on add_params recursing through '
        'self.add_params for the children)'),
    'BaseOptimWrapper.__init__': (
        BaseOptimWrapper.__init__, '7a28c7631625f46a',
        'adaptcls/engine/hooks/reduce_lr_on_plateau_v2.py (_scheduled_groups: base_param_settings is the logged '
        'base_lr group when there are several parameter groups)'),
    'LinearLR': (
        LinearLR, 'abd5ff0e4f6d99b6',
        'adaptcls/engine/hooks/reduce_lr_on_plateau_v2.py (its warm-up reproduces the values of the LinearLR warm-up '
        'the configs declared before, and adaptcls/config/config_checks.py names its end and start_factor as the '
        "hook's keys)"),
    'LRSchedulerMixin': (
        LRSchedulerMixin, 'cfbe52ba6b1c4d5d',
        'adaptcls/engine/hooks/reduce_lr_on_plateau_v2.py and adaptcls/config/config_checks.py (an lr scheduler, '
        'refused beside the hook, is a subclass of it)'),
}
"""name -> (upstream function or class, first 16 hex digits of the sha256 of its source in mmengine 0.10.7, our
code that depends on it)."""


def _fingerprint(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


@pytest.mark.parametrize('name', sorted(MMENGINE_SOURCES))
def test_the_mmengine_code_we_mirror_is_unchanged(name):
    function, expected, ours = MMENGINE_SOURCES[name]
    assert _fingerprint(function) == expected, (
        f'mmengine changed {name} (this mmengine is {__import__("mmengine").__version__}; the override was written '
        f'against 0.10.7): re-check {ours} against the new code, then update the fingerprint in {__file__}.')


def test_the_torch_dataloader_internals_we_use_exist():
    """adaptcls/lr_search/runner_cleanup.py stops persistent workers through ``DataLoader._iterator`` and
    ``_MultiProcessingDataLoaderIter._shutdown_workers`` (torch has no public call for it)."""
    assert callable(getattr(_MultiProcessingDataLoaderIter, '_shutdown_workers', None)), (
        'torch removed _MultiProcessingDataLoaderIter._shutdown_workers: re-check adaptcls/lr_search/runner_cleanup.py')
    assert 'self._iterator' in inspect.getsource(DataLoader.__iter__), (
        'torch no longer keeps persistent workers in DataLoader._iterator: re-check '
        'adaptcls/lr_search/runner_cleanup.py')
