"""benchmarks/stopping_replay.py: the real ReduceLROnPlateauV2 replayed on a logged run's history."""
import json

import pytest

from benchmarks.stopping_replay import replay_run

HOOK = dict(type='ReduceLROnPlateauV2', monitor='top1', factor=0.1, patience=2, threshold=2e-4, min_lr_ratio=1 / 100,
            forced_drop_ratio=0.75, early_stop_metric='top1', early_stop_patience=2)
CONFIG = f"""custom_hooks = [{HOOK!r}]
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2)]
train_cfg = dict(max_epochs=50)
"""
# Warmup 1-2; bad epochs 5-7 -> drop after 7; best 0.70 at 8, bad 9-11 -> drop onto the floor after 11 (its own
# evaluation not counted); new best 0.72 at 12, then 13 and 14 without one: early stop after 14 (patience 2).
TOP1 = [0.10, 0.20, 0.50, 0.60, 0.60, 0.60, 0.60, 0.70, 0.70, 0.70, 0.70, 0.72, 0.71, 0.70]
SEARCH_EPOCHS = 5.0


def _run_dir(tmp_path, drops=(7, 11)):
    history = [dict(epoch=epoch, train_loss=1.0, val=dict(top1=top1, mAP=top1 + 0.1))
               for epoch, top1 in enumerate(TOP1, start=1)]
    summary = dict(best_metrics=dict(top1=0.72, mAP=0.82), epochs_run=len(TOP1), stopped_early=True,
                   lr_drops=[dict(epoch=epoch) for epoch in drops], lr_search=dict(total_trained_epochs=SEARCH_EPOCHS))
    (tmp_path / 'adaptive_benchmark_config.py').write_text(CONFIG)
    (tmp_path / 'summary.json').write_text(json.dumps(summary))
    return str(tmp_path), summary, history


def test_own_settings_reproduce_the_log_and_an_earlier_stop_is_measured(tmp_path):
    run_dir, summary, history = _run_dir(tmp_path)
    result = replay_run(run_dir, dict(early_stop_patience=1), summary, history)
    assert 'error' not in result
    assert result['logged'] == dict(top1=0.72, mAP=0.82, epochs=14 + SEARCH_EPOCHS, drops=[7, 11])
    assert result['replayed'] == dict(top1=0.72, mAP=pytest.approx(0.82), best_epoch=12,
                                      epochs=13 + SEARCH_EPOCHS, stop_epoch=13)


def test_a_stop_before_the_best_epoch_loses_it(tmp_path):
    run_dir, summary, history = _run_dir(tmp_path)
    result = replay_run(run_dir, dict(min_lr_ratio=1 / 10), summary, history)
    # floor after the first drop (7): 8 is a new best, 9 and 10 are not -> stop after 10, before the 0.72 of 12
    assert result['replayed']['stop_epoch'] == 10 and result['replayed']['top1'] == 0.70


def test_a_setting_that_moves_the_drops_needs_real_runs(tmp_path):
    run_dir, summary, history = _run_dir(tmp_path)
    result = replay_run(run_dir, dict(patience=1), summary, history)
    assert 'replayed' not in result and 'needs a real run' in result['error']


def test_a_log_the_replay_cannot_reproduce_is_skipped(tmp_path):
    run_dir, summary, history = _run_dir(tmp_path, drops=(6, 11))
    result = replay_run(run_dir, dict(early_stop_patience=1), summary, history)
    assert 'replayed' not in result and "own settings differs from the log" in result['error']
