"""tools/train.py and tools/test.py end to end on tiny folder data (CPU, seconds)."""
import json
import os
import os.path as osp
import runpy
import subprocess
import sys

import pytest
import torch

from tests.tools.conftest import CLASSES, REPO, tiny_config

TRAIN = osp.join(REPO, 'tools', 'train.py')
TEST = osp.join(REPO, 'tools', 'test.py')


def run_tool(script, *args):
    """Runs a tool's main() in this process (fast: torch is already imported)."""
    module = runpy.run_path(script, run_name='adaptcls_tool')
    module['main'](list(args))


def run_cli(script, *args):
    """Runs a tool as a user would, in a subprocess; returns the CompletedProcess."""
    return subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                          cwd=REPO, timeout=300)


@pytest.fixture(scope='module')
def trained_run(tiny_data, tmp_path_factory):
    """One 2-epoch training run shared by the tests below."""
    tmp = tmp_path_factory.mktemp('run')
    config = tmp / 'tiny.py'
    tiny_config(max_epochs=2).dump(str(config))
    work_dir = tmp / 'work'
    run_tool(TRAIN, str(config), '--data-root', tiny_data, '--work-dir', str(work_dir), '--seed', '0')
    return dict(config=str(config), work_dir=str(work_dir), data=tiny_data)


def test_train_writes_summary_history_plot_and_checkpoints(trained_run):
    work_dir = trained_run['work_dir']
    with open(osp.join(work_dir, 'summary.json')) as stream:
        summary = json.load(stream)
    assert summary['epochs_run'] == 2 and summary['max_epochs'] == 2
    assert summary['stopped_early'] is False
    assert summary['num_classes'] == 3 and summary['classes'] == list(CLASSES)
    assert summary['pretrained'] == 'none'
    assert osp.isfile(summary['best_checkpoint'])
    for key in ('top1', 'top5', 'mAP'):
        assert 0.0 <= summary['best_metrics'][key] <= 1.0
    assert summary['wall_time_s'] > 0
    with open(osp.join(work_dir, 'history.json')) as stream:
        history = json.load(stream)
    assert [record['epoch'] for record in history] == [1, 2]
    assert all('val' in record and 'train_loss' in record for record in history)
    assert os.path.getsize(osp.join(work_dir, 'training_curves.png')) > 1000
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))


def test_test_tool_reproduces_best_metrics(trained_run, tmp_path):
    with open(osp.join(trained_run['work_dir'], 'summary.json')) as stream:
        summary = json.load(stream)
    out = tmp_path / 'metrics.json'
    run_tool(TEST, trained_run['config'], summary['best_checkpoint'], '--data-root',
             trained_run['data'], '--out', str(out), '--work-dir', str(tmp_path / 'test'))
    metrics = json.loads(out.read_text())['metrics']
    for key in ('top1', 'top5', 'mAP', 'balanced_top1', 'class_AP'):
        assert metrics[key] == pytest.approx(summary['best_metrics'][key], abs=1e-6)


def test_out_dash_prints_only_the_json_on_stdout_and_the_log_on_stderr(trained_run, tmp_path):
    checkpoint = osp.join(trained_run['work_dir'], 'best.pth')  # the stable name of the best checkpoint
    process = run_cli(TEST, trained_run['config'], checkpoint, '--data-root', trained_run['data'], '--out', '-',
                      '--work-dir', str(tmp_path / 'test'))
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout)  # nothing but the JSON
    assert result['checkpoint'] == checkpoint and 0 <= result['metrics']['top1'] <= 1
    assert 'mmengine - INFO' in process.stderr


def test_without_out_the_metrics_are_one_line_for_a_person(trained_run, tmp_path, capsys):
    run_tool(TEST, trained_run['config'], osp.join(trained_run['work_dir'], 'best.pth'), '--data-root',
             trained_run['data'], '--work-dir', str(tmp_path / 'test'))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith('Test: ')]
    assert len(lines) == 1 and 'top1 ' in lines[0] and 'mAP ' in lines[0] and '{' not in lines[0]


def test_resume_continues_from_the_checkpoint(trained_run, tmp_path, write_config):
    config = write_config(tiny_config(max_epochs=3), 'three_epochs.py')
    work_dir = tmp_path / 'resumed'
    checkpoint = osp.join(trained_run['work_dir'], 'epoch_2.pth')
    saved = torch.load(checkpoint, weights_only=True)  # mmengine checkpoints load weights-only
    run_tool(TRAIN, config, '--data-root', trained_run['data'], '--work-dir', str(work_dir),
             '--resume', checkpoint)
    summary = json.loads((work_dir / 'summary.json').read_text())
    history = json.loads((work_dir / 'history.json').read_text())
    assert summary['epochs_run'] == 3
    assert [record['epoch'] for record in history] == [1, 2, 3]  # epochs 1-2 come from the checkpoint
    assert saved['meta']['epoch'] == 2 and 'optimizer' in saved


def test_a_renamed_summary_file_is_read_back_and_reported(trained_run, tmp_path, write_config, capsys):
    """RunSummaryHook's summary_file is configurable: train() returns that file's summary and the report names it
    (the literal 'summary.json' used to make train() return None)."""
    config = write_config(tiny_config(max_epochs=1), 'one_epoch.py')
    work_dir = tmp_path / 'renamed'
    run_tool(TRAIN, config, '--data-root', trained_run['data'], '--work-dir', str(work_dir), '--no-auto-lr',
             '--cfg-options', 'default_hooks.run_summary.summary_file=run_summary.json')
    assert (work_dir / 'run_summary.json').is_file() and not (work_dir / 'summary.json').exists()
    assert str(work_dir / 'run_summary.json') in capsys.readouterr().out


def test_a_time_limit_is_recorded_in_the_summary_and_printed(trained_run, tmp_path, write_config, capsys):
    config = write_config(tiny_config(max_epochs=1), 'one_epoch_timed.py')
    work_dir = tmp_path / 'timed'
    run_tool(TRAIN, config, '--data-root', trained_run['data'], '--work-dir', str(work_dir), '--no-auto-lr',
             '--time-limit', '1h')
    budget = json.loads((work_dir / 'summary.json').read_text())['time_budget']
    assert budget['limit_s'] == 3600 and budget['reserve_s'] == 0 and not budget['stopped_by_time']
    assert 0 < budget['before_training_s'] <= budget['used_s'] < 3600
    assert f'Time: {budget["used_s"]:.0f} s of the 3600 s limit' in capsys.readouterr().out


def test_missing_data_root_is_one_clear_error(tmp_path):
    result = run_cli(TRAIN, 'configs/effnet_lite0_demo.py', '--data-root', str(tmp_path / 'nope'))
    assert result.returncode == 2
    assert 'nope' in result.stderr and 'make_demo_data' in result.stderr
    assert 'Traceback' not in result.stderr


def test_unknown_registry_type_suggests_close_names(tiny_data, write_config):
    cfg = tiny_config()
    cfg.model.head.type = 'LinearClsHaed'
    result = run_cli(TRAIN, write_config(cfg), '--data-root', tiny_data)
    assert result.returncode == 2
    assert 'LinearClsHaed' in result.stderr and 'LinearClsHead' in result.stderr


def test_mismatched_classes_are_refused(tiny_data, tmp_path, write_config):
    data = tmp_path / 'data'
    os.symlink(osp.join(tiny_data, 'train'), data / 'train') if data.mkdir() is None else None
    (data / 'val' / 'circle').mkdir(parents=True)
    (data / 'val' / 'triangle').mkdir(parents=True)
    for name in ('circle', 'triangle'):
        src = next(iter(sorted(os.listdir(osp.join(tiny_data, 'val', 'circle')))))
        os.symlink(osp.join(tiny_data, 'val', 'circle', src), data / 'val' / name / src)
    result = run_cli(TRAIN, write_config(tiny_config()), '--data-root', str(data),
                     '--work-dir', str(tmp_path / 'work'))
    assert result.returncode == 2
    assert 'triangle' in result.stderr
