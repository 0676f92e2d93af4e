"""TimeBudgetHook (``tools/train.py --time-limit``): training stops before an epoch that would end past the deadline,
on a scripted clock (epochs of 10 s, validations of 2 s), so the test does not depend on this machine's speed."""
from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub, MMLogger

from adaptcls.engine.hooks import time_budget_hook
from adaptcls.engine.hooks.time_budget_hook import SUMMARY_INFO, TIME_SHARE_INFO, TimeBudgetHook
from adaptcls.errors import UserInputError


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def run(hook, clock, max_epochs=20, train_s=10.0, val_s=2.0):
    """Drives the hook as mmengine's EpochBasedTrainLoop does; returns the runner and the epochs trained."""
    runner = SimpleNamespace(epoch=0, max_epochs=max_epochs, val_loop=object(),
                             train_loop=SimpleNamespace(stop_training=False, val_interval=1, val_begin=1),
                             message_hub=MessageHub.get_instance(f'time_budget_{id(hook)}'),
                             logger=MMLogger.get_instance(f'time_budget_{id(hook)}', log_level='WARNING'))
    hook.before_train(runner)
    while runner.epoch < max_epochs and not runner.train_loop.stop_training:
        hook.before_train_epoch(runner)
        clock.now += train_s
        hook.after_train_epoch(runner)
        runner.epoch += 1
        hook.before_val_epoch(runner)
        clock.now += val_s
        hook.after_val_epoch(runner, {})
    hook.after_train(runner)
    return runner, runner.epoch


def test_training_ends_before_the_epoch_that_would_cross_the_deadline(monkeypatch):
    clock = Clock(1000.0)
    monkeypatch.setattr(time_budget_hook, 'time', clock)
    hook = TimeBudgetHook(started_at=1000.0, limit_s=60.0)
    runner, epochs = run(hook, clock)
    # epochs end at 12, 24, 36, 48 s; a fifth would end at 60 s + the margin: not started
    assert epochs == 4 and clock.now - 1000.0 == 48.0 <= 60.0
    budget = runner.message_hub.get_info(SUMMARY_INFO)
    assert budget['stopped_by_time'] and budget['epochs_cut'] == 16 and budget['used_s'] == 48.0
    assert runner.message_hub.get_info('summary/stop_reason').startswith('time limit: epoch 5 would end after')
    assert runner.message_hub.get_info(TIME_SHARE_INFO) == pytest.approx(46 / 60)  # at the end of epoch 4's training


def test_time_spent_before_training_and_the_export_reserve_count(monkeypatch):
    clock = Clock(1030.0)  # the LR estimate took the first 30 s of the budget
    monkeypatch.setattr(time_budget_hook, 'time', clock)
    hook = TimeBudgetHook(started_at=1000.0, limit_s=100.0, reserve_s=10.0)  # training must end by 90 s
    runner, epochs = run(hook, clock)
    assert epochs == 4 and clock.now - 1000.0 == 78.0  # a fifth epoch would end at 90 s + the margin
    assert runner.message_hub.get_info(SUMMARY_INFO)['before_training_s'] == 30.0


def test_a_budget_that_is_not_binding_cuts_nothing(monkeypatch):
    clock = Clock(0.0)
    monkeypatch.setattr(time_budget_hook, 'time', clock)
    runner, epochs = run(TimeBudgetHook(started_at=0.0, limit_s=3600.0), clock, max_epochs=5)
    budget = runner.message_hub.get_info(SUMMARY_INFO)
    assert epochs == 5 and not budget['stopped_by_time'] and budget['epochs_cut'] == 0


@pytest.mark.parametrize('kwargs, message', [(dict(limit_s=0), 'limit_s must be > 0'),
                                             (dict(limit_s=10, reserve_s=10), 'reserve_s must lie in'),
                                             (dict(limit_s=10, epoch_time_margin=0.5), 'epoch_time_margin')])
def test_impossible_budgets_are_refused(kwargs, message):
    with pytest.raises(UserInputError, match=message):
        TimeBudgetHook(started_at=0.0, **kwargs)


def test_the_time_limit_option_adds_the_hook_and_bounds_the_lr_estimate():
    from mmengine.config import Config

    from adaptcls.cli.train import add_time_budget
    from adaptcls.config.option_values import EXPORT_RESERVE_SHARE, LR_ESTIMATE_SHARE
    cfg = Config(dict(custom_hooks=[dict(type='ReduceLROnPlateauV2')], lr_search=dict(auto_lr='range_test')))
    add_time_budget(cfg, started_at=5.0, limit_s=600.0, export=True)
    assert cfg.custom_hooks[-1] == dict(type='TimeBudgetHook', started_at=5.0, limit_s=600.0,
                                        reserve_s=EXPORT_RESERVE_SHARE * 600.0)
    assert cfg.lr_search == dict(auto_lr='range_test', range_test_max_seconds=LR_ESTIMATE_SHARE * 600.0)
