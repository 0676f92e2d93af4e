"""The configs of a trial and of the range test: constant lr, no lr/stop/summary hooks, no checkpoints."""
import pytest

from adaptcls.lr_search import LRSearchSettings, range_test_config, trial_config
from adaptcls.lr_search.search_configs import sweep_batch_size
from tests.tools.conftest import tiny_config

SETTINGS = LRSearchSettings(lr_range=(0.001, 0.01))


def adaptive_like_config():
    cfg = tiny_config(max_epochs=50)
    cfg.custom_hooks = [dict(type='ReduceLROnPlateauV2', patience=5), dict(type='adaptcls.EarlyStoppingHook'),
                        dict(type='EMAHook')]
    cfg.randomness = dict(seed=3, deterministic=False)
    cfg.resume, cfg.load_from = True, 'some.pth'
    return cfg


def test_trial_config_trains_at_a_constant_lr_without_lr_or_stop_hooks():
    cfg = adaptive_like_config()
    trial = trial_config(cfg, 0.004, 2, '/tmp/search/trial_7', seed=11, settings=SETTINGS)
    assert trial.optim_wrapper.optimizer.lr == 0.004 and trial.param_scheduler is None
    assert trial.train_cfg.max_epochs == 2 and trial.train_cfg.val_interval == 1
    assert [hook['type'] for hook in trial.custom_hooks] == ['EMAHook']
    assert 'run_summary' not in trial.default_hooks and trial.default_hooks['checkpoint'] is None
    assert trial.default_hooks['data_check'] == cfg.default_hooks['data_check']
    assert trial.randomness.seed == 11 and trial.work_dir == '/tmp/search/trial_7'
    assert trial.resume is False and trial.load_from is None and trial.log_level == 'WARNING'
    # the training config itself is untouched
    assert cfg.optim_wrapper.optimizer.lr == 0.01 and len(cfg.custom_hooks) == 3 and cfg.param_scheduler


def test_trial_experiment_names_differ():
    cfg = tiny_config()
    names = {trial_config(cfg, 0.01, 1, '/tmp/t', 0, SETTINGS).experiment_name for _ in range(3)}
    assert len(names) == 3  # mmengine keys its logger/message hub by this name


def test_range_test_config_runs_the_range_test_loop_without_validation():
    run = range_test_config(adaptive_like_config(), '/tmp/search/range_test', seed=0, settings=SETTINGS,
                            train_images=10_000)
    assert run.train_cfg == dict(type='LRRangeTestLoop', start_lr=0.001, end_lr=0.1, warmup_epochs=0.5,
                                 smooth_beta=0.98, diverge_factor=4.0, min_iterations=100,
                                 max_seconds=None)
    assert run.val_dataloader is None and run.val_evaluator is None and run.val_cfg is None
    assert run.optim_wrapper.optimizer.lr == 0.001 and run.param_scheduler is None


@pytest.mark.parametrize('images, batch, expected', [
    (1000, 64, 10),     # 100 iterations x 10 = 1,000 images = 1 epoch (at batch 64: 6.4 epochs)
    (2000, 64, 20),
    (500, 64, 8),       # the floor: 100 x 8 = 800 images = 1.6 epochs of a 500-image set
    (10_000, 64, 64),   # the training batch fits: unchanged
    (100, 64, 8),       # never below range_test_min_sweep_batch ...
    (100, 4, 4),        # ... nor above the training batch
])
def test_the_sweep_batch_fits_the_sweep_into_its_epoch_cap(images, batch, expected):
    assert sweep_batch_size(batch, images, SETTINGS) == expected


def test_a_small_set_sweeps_at_a_smaller_batch_with_the_lr_scaled_by_auto_scale_lr():
    cfg = adaptive_like_config()
    cfg.train_dataloader.batch_size = 64
    cfg.auto_scale_lr = dict(enable=True, base_batch_size=32)
    run = range_test_config(cfg, '/tmp/search/range_test', seed=0, settings=SETTINGS, train_images=1000)
    assert run.train_dataloader.batch_size == 10 and run.auto_scale_lr == dict(enable=True, base_batch_size=32)
    cfg.auto_scale_lr = dict(enable=False, base_batch_size=32)  # off in training: the training batch is the base
    run = range_test_config(cfg, '/tmp/search/range_test', seed=0, settings=SETTINGS, train_images=1000)
    assert run.auto_scale_lr == dict(enable=True, base_batch_size=64)
    assert cfg.train_dataloader.batch_size == 64 and cfg.auto_scale_lr.enable is False  # training config untouched
