"""RunSummaryHook on a real toy Runner: per-epoch history, summary.json, and a history that survives resume."""
import json
import os
from types import SimpleNamespace

import pytest
from mmengine.hooks import Hook

from adaptcls.engine.hooks import run_summary_hook as module
from adaptcls.engine.hooks.run_summary_hook import RunSummaryHook
from adaptcls.utils import load_checkpoint_file
from tests.engine.toy_runner import CLASSES, ValidationRecorder, build_toy_runner

TOP1 = {1: 0.5, 2: 0.7, 3: 0.7}  # epochs 2 and 3 tie: the best is the first
LRS = [0.1, 0.05, 0.025]  # MultiStepLR halving after epochs 1 and 2; history records the lr an epoch starts with
SCHEDULER = dict(type='MultiStepLR', milestones=[1, 2], gamma=0.5, by_epoch=True)


class LossRecorder(Hook):
    """Records every iteration's loss by epoch, and publishes one summary item."""

    def __init__(self) -> None:
        self.losses = {}

    def before_train(self, runner) -> None:
        runner.message_hub.update_info('summary/note', 'from another hook')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.losses.setdefault(runner.epoch + 1, []).append(outputs['loss'].item())


def _train(work_dir, max_epochs=3, stop_after=None, **kwargs):
    losses = LossRecorder()
    runner = build_toy_runner(work_dir, TOP1, max_epochs, param_scheduler=SCHEDULER, custom_hooks=[
        dict(type='RunSummaryHook'), losses, ValidationRecorder(stop_after)], **kwargs)
    runner.train()
    history = json.loads((work_dir / 'history.json').read_text())
    summary = json.loads((work_dir / 'summary.json').read_text())
    return history, summary, losses.losses


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('summary')
    return (work_dir, *_train(work_dir))


def test_history_has_loss_lr_and_metrics_per_epoch(run):
    work_dir, history, _, losses = run
    assert [record['epoch'] for record in history] == [1, 2, 3]
    for record, lr in zip(history, LRS):
        epoch = record['epoch']
        assert record['train_loss'] == pytest.approx(sum(losses[epoch]) / len(losses[epoch]))
        assert record['lr'] == pytest.approx(lr)
        assert record['val']['top1'] == pytest.approx(TOP1[epoch])
    assert os.path.getsize(work_dir / 'training_curves.png') > 1000


def test_summary_names_the_first_best_epoch_and_the_run(run):
    work_dir, _, summary, _ = run
    assert summary['best_epoch'] == 2 and summary['best_metrics'] == dict(top1=pytest.approx(0.7))
    assert os.path.basename(summary['best_checkpoint']) == 'best_top1_epoch_2.pth'
    assert (summary['epochs_run'], summary['max_epochs'], summary['stopped_early']) == (3, 3, False)
    assert summary['stop_reason'] == 'max_epochs reached'
    assert summary['classes'] == list(CLASSES) and summary['num_classes'] == len(CLASSES)
    assert summary['seed'] == 0 and summary['note'] == 'from another hook'
    assert summary['work_dir'] == os.path.abspath(work_dir) and summary['wall_time_s'] > 0


def test_an_early_stop_is_reported(tmp_path):
    history, summary, _ = _train(tmp_path, max_epochs=3, stop_after=2)
    assert [record['epoch'] for record in history] == [1, 2]
    assert (summary['epochs_run'], summary['stopped_early']) == (2, True)


def test_checkpoints_carry_the_history_so_a_resumed_run_reports_the_whole_run(run, tmp_path):
    work_dir, history, summary, _ = run
    state = load_checkpoint_file(work_dir / 'epoch_2.pth')['adaptcls_hooks']['RunSummaryHook']
    assert [record['epoch'] for record in state['history']] == [1, 2] and state['elapsed_s'] > 0

    resumed_history, resumed_summary, _ = _train(tmp_path, resume=True, load_from=str(work_dir / 'epoch_2.pth'))
    assert resumed_history == history
    assert resumed_summary['best_epoch'] == summary['best_epoch']
    assert resumed_summary['wall_time_s'] >= state['elapsed_s']


def test_only_the_main_process_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(module, 'is_main_process', lambda: False)
    hook = RunSummaryHook()
    hook.history = [dict(epoch=1, train_loss=1.0, lr=0.1)]
    hook.after_train(SimpleNamespace(work_dir=str(tmp_path)))
    assert os.listdir(tmp_path) == []


def test_summary_file_name_follows_the_configs_hook():
    from mmengine.config import Config

    from adaptcls.engine.hooks.run_summary_hook import SUMMARY_FILE, summary_file_name
    assert summary_file_name(Config(dict(default_hooks=dict(run_summary=dict(type='RunSummaryHook'))))) == SUMMARY_FILE
    renamed = Config(dict(custom_hooks=[dict(type='adaptcls.RunSummaryHook', summary_file='run.json')]))
    assert summary_file_name(renamed) == 'run.json'
    assert summary_file_name(Config(dict(default_hooks=dict(run_summary=None)))) is None
