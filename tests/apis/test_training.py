"""train(): the data split that building a config made is written into the work dir only once the run holds the
work-dir lock; with --overwrite, a recorded split that no longer describes the data is set aside then, not before."""
import json
import os

import pytest

import adaptcls.apis.training as training
from adaptcls.apis import WorkDirInUseError, claim_work_dir, train
from adaptcls.config import build_config, record_data_split
from adaptcls.datasets.data_split import StaleSplitError
from tests.datasets.test_data_split import make_class_folders
from tests.tools.conftest import REPO

ADAPTIVE = os.path.join(REPO, 'configs', 'effnet_lite0_adaptive.py')


class RunnerBuilt(Exception):
    """Raised where the Runner would be built: these tests end before any training."""


@pytest.fixture
def no_runner(monkeypatch):
    def build_runner(cfg, verbose=False):
        raise RunnerBuilt(f'split recorded: {os.path.isfile(os.path.join(cfg.work_dir, "data_split", "split.json"))}')
    monkeypatch.setattr(training, 'build_runner', build_runner)


def test_the_split_is_not_written_while_another_run_holds_the_work_dir(tmp_path, no_runner):
    work_dir = tmp_path / 'run'
    cfg = build_config(ADAPTIVE, 'train', data_root=str(make_class_folders(tmp_path / 'data')),
                       work_dir=str(work_dir))
    holder = claim_work_dir(str(work_dir), resume=False, overwrite=False)
    try:
        with pytest.raises(WorkDirInUseError, match='in use by another training'):
            train(cfg, no_auto_lr=True)
    finally:
        holder.close()
    assert not (work_dir / 'data_split').exists()
    with pytest.raises(RunnerBuilt, match='split recorded: True'):  # the lock is free: written before the Runner
        train(cfg, no_auto_lr=True)


def test_overwrite_sets_a_stale_split_aside_once_the_work_dir_is_held(tmp_path, no_runner, capsys):
    data, work_dir = make_class_folders(tmp_path / 'data'), tmp_path / 'run'
    record_data_split(build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(work_dir)))
    recorded = (work_dir / 'data_split' / 'split.json').read_text()
    make_class_folders(data, {'dog': 4})  # a class folder added since the split
    with pytest.raises(StaleSplitError, match=r"added \['dog'\]"):
        build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(work_dir))
    cfg = build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(work_dir), replace_stale_split=True)
    assert cfg.model.head.num_classes == 4 and (work_dir / 'data_split' / 'split.json').read_text() == recorded
    with pytest.raises(RunnerBuilt, match='split recorded: True'):
        train(cfg, overwrite=True, no_auto_lr=True)
    (moved,) = work_dir.glob('replaced_*')
    assert (moved / 'data_split' / 'split.json').read_text() == recorded
    assert json.loads((work_dir / 'data_split' / 'split.json').read_text())['classes'][-1] == 'dog'
    assert f'the data changed since the recorded split; it is moved to {moved}' in capsys.readouterr().out
