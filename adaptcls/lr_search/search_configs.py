"""The configs of one LR-search trial and of the range test, derived from the training config."""
import copy
import os
import time

from mmengine.config import Config

from adaptcls.config.config_checks import type_name
from adaptcls.errors import UserInputError
from .lr_search_settings import LRSearchSettings

VAL_KEYS = ('val_dataloader', 'val_cfg', 'val_evaluator')


def trial_config(cfg: Config, lr: float, epochs: int, work_dir: str, seed: int,
                 settings: LRSearchSettings) -> Config:
    """A copy of ``cfg`` that trains ``epochs`` epochs at the constant learning rate ``lr``.

    Every trial starts from what the config builds (same pretrained weights) with the same seed
    (same head initialisation and data order), validates after every epoch, drops the LR
    schedule and the hooks in ``settings.removed_trial_hooks`` (plateau drops, early stopping,
    run summaries), and saves no checkpoints.

    Args:
        cfg (Config): the training config (data root and num_classes already filled in).
        lr (float): the learning rate (``optim_wrapper.optimizer.lr``).
        epochs (int): training epochs.
        work_dir (str): the trial's work dir (logs and scalars).
        seed (int): the seed of every trial.
        settings (LRSearchSettings): which hooks to drop and the Runner's log level.

    Raises:
        ValueError: the config has no validation set.
    """
    if not cfg.get('val_dataloader'):
        raise UserInputError(f'The config {cfg.filename} has no val_dataloader: the LR search ranks learning '
                             'rates by validation accuracy, so it needs a validation set (data_root/val/).')
    trial = _search_run_config(cfg, work_dir, seed, settings)
    trial.optim_wrapper.optimizer.lr = lr
    trial.train_cfg.update(max_epochs=epochs, val_begin=1, val_interval=1)
    return trial


def sweep_batch_size(train_batch: int, train_images: int, settings: LRSearchSettings) -> int:
    """The batch size of the range test: the training batch, or the largest smaller one whose
    ``settings.range_test_min_iterations`` sweep iterations cost at most ``settings.range_test_max_sweep_epochs``
    epochs of ``train_images`` images (never below ``settings.range_test_min_sweep_batch``).

    Example: 500 images, batch 64, 100 iterations, at most 2 epochs: batch 10 (100 x 10 = 1,000 images).
    """
    affordable = int(settings.range_test_max_sweep_epochs * train_images // settings.range_test_min_iterations)
    return min(train_batch, max(affordable, settings.range_test_min_sweep_batch))


def range_test_config(cfg: Config, work_dir: str, seed: int, settings: LRSearchSettings,
                      train_images: int) -> Config:
    """A copy of ``cfg`` whose ``runner.train()`` runs the LR range test (``LRRangeTestLoop``).

    The range test runs at :func:`sweep_batch_size`; at a batch smaller than the training's, mmengine's
    ``auto_scale_lr`` scales its learning rates with the batch (enabled for the test when the config
    leaves it off, with the training batch as the base), so the curve stays in the config's lr units.

    Args:
        cfg (Config): the training config (data root and num_classes already filled in).
        work_dir (str): the range test's work dir (logs).
        seed (int): the seed of the run.
        settings (LRSearchSettings): range, ``range_test_*`` settings, dropped hooks, log level.
        train_images (int): images in the training set.
    """
    low, high = settings.lr_range
    run = _search_run_config(cfg, work_dir, seed, settings)
    train_batch = run.train_dataloader.batch_size
    batch = sweep_batch_size(train_batch, train_images, settings)
    if batch < train_batch:
        scaling = run.get('auto_scale_lr') or {}
        if not (scaling.get('enable') and scaling.get('base_batch_size')):
            scaling = dict(enable=True, base_batch_size=train_batch)
        run.auto_scale_lr = dict(scaling)
        run.train_dataloader.batch_size = batch
    run.optim_wrapper.optimizer.lr = low
    run.train_cfg = dict(type='LRRangeTestLoop', start_lr=low, end_lr=high * settings.range_test_end_lr_mult,
                         warmup_epochs=settings.range_test_warmup_epochs, smooth_beta=settings.range_test_smooth_beta,
                         diverge_factor=settings.range_test_diverge_factor,
                         min_iterations=settings.range_test_min_iterations, max_seconds=settings.range_test_max_seconds)
    for key in VAL_KEYS:
        run[key] = None
    return run


def _search_run_config(cfg: Config, work_dir: str, seed: int, settings: LRSearchSettings) -> Config:
    """What trials and the range test share: constant lr, no checkpoints, fixed seed, and none of the
    default or custom hooks whose type is in ``settings.removed_trial_hooks``."""
    run = copy.deepcopy(cfg)
    run.work_dir = work_dir
    # A name of its own: mmengine keys its logger, message hub and visualizer instances by it.
    run.experiment_name = f'{os.path.basename(work_dir)}_{os.getpid()}_{time.time_ns()}'
    run.param_scheduler = None
    removed = settings.removed_trial_hooks
    run.default_hooks = {name: hook for name, hook in run.get('default_hooks', {}).items()
                         if hook is not None and type_name(hook) not in removed}
    run.default_hooks['checkpoint'] = None  # None stops mmengine from adding its default CheckpointHook
    run.custom_hooks = [hook for hook in run.get('custom_hooks', []) if type_name(hook) not in removed]
    run.randomness = dict(run.get('randomness', {}), seed=seed)
    run.load_from, run.resume = None, False
    run.launcher = 'none'
    run.log_level = settings.trial_log_level
    return run
