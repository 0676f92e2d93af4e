"""``adaptcls train ... --vis tensorboard`` (and ``mlflow``): a tiny real run logs loss, lr and top1 to the tracker;
a missing package is one ``error:`` line before anything trains."""
import glob
import os.path as osp
import sys

import pytest

from adaptcls.cli.cli_errors import run_cli
from adaptcls.cli.train import main as train_main
from adaptcls.cli.train import parse_args
from tests.tools.conftest import tiny_config, tiny_data  # noqa: F401

EPOCHS = 2
LOGGED_TAGS = ('loss', 'lr', 'top1')
"""What LoggerHook sends every backend: the training loss and lr each iteration, the val metrics each epoch."""


def _train(tmp_path, data_root, *options):
    config = tmp_path / 'tiny.py'
    tiny_config(max_epochs=EPOCHS).dump(str(config))
    work_dir = tmp_path / 'work'
    train_main([str(config), '--data-root', data_root, '--work-dir', str(work_dir), *options])
    return str(work_dir)


def test_tensorboard_event_files_hold_loss_lr_and_top1(tiny_data, tmp_path):  # noqa: F811
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    work_dir = _train(tmp_path, tiny_data, '--vis', 'tensorboard')
    events = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(events) == 1, events
    accumulator = EventAccumulator(events[0])
    accumulator.Reload()
    tags = accumulator.Tags()['scalars']
    assert set(LOGGED_TAGS) <= set(tags), tags
    assert len(accumulator.Scalars('top1')) == EPOCHS  # one validation per epoch
    assert len(accumulator.Scalars('loss')) > EPOCHS  # the logger interval of tiny_config is 1 iteration
    assert all(0.0 <= event.value <= 1.0 for event in accumulator.Scalars('top1'))
    assert glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))  # the local backend still writes


def test_mlflow_run_holds_loss_lr_and_top1(tiny_data, tmp_path):  # noqa: F811
    mlflow = pytest.importorskip('mlflow', reason="MLflow is not in the 'all' extra: pip install -e '.[mlflow]'")
    work_dir = _train(tmp_path, tiny_data, '--vis', 'mlflow')
    client = mlflow.MlflowClient(f'sqlite:///{osp.abspath(work_dir)}/mlflow.db')
    experiment = client.get_experiment_by_name(osp.basename(work_dir))
    (run,) = client.search_runs([experiment.experiment_id])
    assert set(LOGGED_TAGS) <= set(run.data.metrics), run.data.metrics
    assert len(client.get_metric_history(run.info.run_id, 'top1')) == EPOCHS


def test_an_unknown_tracker_is_refused_with_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(['configs/effnet_lite0_baseline.py', '--vis', 'wandb'])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()[-1]  # argparse quotes the choices on some Python versions only
    assert "--vis: invalid choice: 'wandb'" in err and 'tensorboard' in err and 'mlflow' in err


def test_missing_tensorboard_is_one_error_line_before_training(tiny_data, tmp_path, monkeypatch,  # noqa: F811
                                                                capsys):
    for module in ('tensorboardX', 'torch.utils.tensorboard'):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(SystemExit) as exit_info:
        run_cli(lambda: _train(tmp_path, tiny_data, '--vis', 'tensorboard'))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --vis tensorboard needs the tensorboard package: pip install -e '.[tensorboard]'")
    assert not (tmp_path / 'work').exists()  # nothing trained, not even the work dir was made
