"""ResumableEpochBasedTrainLoop: mmengine's schedule of validations, plus the validation a resume would miss."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from adaptcls.engine.runner import VALIDATED_EPOCH_KEY, ResumableEpochBasedTrainLoop
from adaptcls.registry import LOOPS
from adaptcls.utils import load_checkpoint_file
from tests.engine.toy_runner import ValidationRecorder, build_toy_runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
# Epochs 1 and 3 set a new best (epoch_1.pth and epoch_3.pth are written again after their validation);
# epoch 2 does not (epoch_2.pth holds the state before epoch 2's validation).
TOP1 = {1: 0.5, 2: 0.4, 3: 0.6, 4: 0.6, 5: 0.6}


def _train(work_dir, max_epochs, **kwargs) -> ValidationRecorder:
    recorder = ValidationRecorder(kwargs.pop('stop_after', None))
    build_toy_runner(work_dir, TOP1, max_epochs, custom_hooks=[recorder], **kwargs).train()
    return recorder


@pytest.fixture(scope='module')
def first_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('loop') / 'first'
    recorder = _train(work_dir, max_epochs=3)
    return dict(work_dir=work_dir, validated=recorder.epochs)


@pytest.mark.parametrize('max_epochs,val_interval', [(3, 1), (5, 2)])
def test_a_fresh_run_validates_where_mmengines_loop_does(tmp_path, max_epochs, val_interval):
    ours = _train(tmp_path / 'ours', max_epochs, val_interval=val_interval)
    mmengine = _train(tmp_path / 'mmengine', max_epochs, val_interval=val_interval, loop='mmengine')
    assert ours.epochs == mmengine.epochs == list(range(val_interval, max_epochs + 1, val_interval)) + (
        [max_epochs] if max_epochs % val_interval else [])


def test_checkpoints_record_whether_they_include_their_validation(first_run):
    validated = {epoch: load_checkpoint_file(first_run['work_dir'] / f'epoch_{epoch}.pth')
                 ['message_hub']['runtime_info'][VALIDATED_EPOCH_KEY] for epoch in (1, 2, 3)}
    assert validated == {1: 1, 2: 1, 3: 3}  # epoch_2.pth was written before epoch 2's validation
    best = load_checkpoint_file(first_run['work_dir'] / 'best_top1_epoch_3.pth')
    assert best['message_hub']['runtime_info'][VALIDATED_EPOCH_KEY] == 3


def test_resume_runs_the_validation_the_checkpoint_lacks(first_run, tmp_path):
    recorder = _train(tmp_path, max_epochs=3, resume=True, load_from=str(first_run['work_dir'] / 'epoch_2.pth'))
    assert recorder.epochs == [2, 3]


def test_mmengines_loop_skips_that_validation(first_run, tmp_path):
    """Why the loop exists."""
    recorder = _train(tmp_path, max_epochs=3, loop='mmengine', resume=True,
                      load_from=str(first_run['work_dir'] / 'epoch_2.pth'))
    assert recorder.epochs == [3]


@pytest.mark.parametrize('checkpoint', ['epoch_1.pth', 'best_top1_epoch_3.pth'])
def test_resume_does_not_repeat_a_validation_the_checkpoint_includes(first_run, tmp_path, checkpoint):
    start = 1 if checkpoint == 'epoch_1.pth' else 3
    recorder = _train(tmp_path, max_epochs=4, resume=True, load_from=str(first_run['work_dir'] / checkpoint))
    assert recorder.epochs == list(range(start + 1, 5))


def test_a_missed_validation_at_the_last_epoch_runs(first_run, tmp_path):
    recorder = _train(tmp_path, max_epochs=2, resume=True, load_from=str(first_run['work_dir'] / 'epoch_2.pth'))
    assert recorder.epochs == [2]


def test_a_missed_validation_that_stops_training_ends_the_run(first_run, tmp_path):
    recorder = _train(tmp_path, max_epochs=5, stop_after=2, resume=True,
                      load_from=str(first_run['work_dir'] / 'epoch_2.pth'))
    assert recorder.epochs == [2]
    assert not (tmp_path / 'epoch_3.pth').exists()


CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '*.py')))


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(path) for path in CONFIGS])
def test_every_config_trains_with_the_loop(path):
    train_cfg = Config.fromfile(path).train_cfg
    assert 'by_epoch' not in train_cfg  # mmengine refuses `type` together with `by_epoch`
    with DefaultScope.overwrite_default_scope('adaptcls'):
        assert LOOPS.get(train_cfg.type) is ResumableEpochBasedTrainLoop
