"""tools/test.py refuses a checkpoint that does not fit: another class count, renamed classes (silent wrong figures
before: a randomly initialised head, or a head whose outputs mean other classes)."""
import os.path as osp
import runpy
import shutil

import pytest
import torch

from adaptcls.apis.checkpoint_checks import CheckpointMismatchError
from adaptcls.registry import MODELS
from adaptcls.utils import register_all_modules
from tests.tools.conftest import CLASSES, REPO, tiny_config, tiny_data  # noqa: F401 (fixture)


def _test_tool(*args):
    runpy.run_path(osp.join(REPO, 'tools', 'test.py'), run_name='adaptcls_tool')['main'](list(args))


def _checkpoint(path, classes):
    """A checkpoint of the tiny config's model for ``classes``, as mmengine writes it (meta.dataset_meta)."""
    register_all_modules()
    cfg = tiny_config()
    cfg.model.head.num_classes = len(classes)
    model = MODELS.build(cfg.model)
    torch.save(dict(meta=dict(epoch=1, dataset_meta=dict(classes=tuple(classes))), state_dict=model.state_dict()),
               path)
    return str(path)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / 'tiny.py'
    tiny_config().dump(str(path))
    return str(path)


def test_a_checkpoint_of_another_class_count_is_refused(config, tiny_data, tmp_path):  # noqa: F811
    checkpoint = _checkpoint(tmp_path / 'four.pth', [*CLASSES, 'triangle'])
    with pytest.raises(CheckpointMismatchError, match=r'trained on 4 classes .* the data holds 3 classes'):
        _test_tool(config, checkpoint, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))


def test_renamed_classes_are_refused(config, tiny_data, tmp_path):  # noqa: F811
    checkpoint = _checkpoint(tmp_path / 'renamed.pth', ['ring', 'box', 'lines'])
    with pytest.raises(CheckpointMismatchError, match=r"\['ring', 'box', 'lines'\].*\['circle', 'square', 'stripes'\]"):
        _test_tool(config, checkpoint, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))


def test_a_checkpoint_of_another_model_is_refused(config, tiny_data, tmp_path):  # noqa: F811
    path = tmp_path / 'other_model.pth'
    torch.save(dict(meta=dict(dataset_meta=dict(classes=CLASSES)), state_dict=dict(weight=torch.zeros(2))), path)
    with pytest.raises(CheckpointMismatchError, match='does not fit the model of .*tiny.py'):
        _test_tool(config, str(path), '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))


def test_a_fitting_checkpoint_is_evaluated(config, tiny_data, tmp_path, capsys):  # noqa: F811
    checkpoint = _checkpoint(tmp_path / 'fits.pth', CLASSES)
    _test_tool(config, checkpoint, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))
    assert '"top1"' in capsys.readouterr().out
