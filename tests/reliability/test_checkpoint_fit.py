"""tools/test.py refuses a checkpoint that does not fit: another class count, renamed classes (silent wrong figures
before: a randomly initialised head, or a head whose outputs mean other classes)."""
import os.path as osp
import runpy
import shutil

import pytest
import torch

from adaptcls.config.checkpoint_checks import CheckpointMismatchError
from adaptcls.registry import MODELS
from adaptcls.setup_env import register_all_modules
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


def test_a_bare_state_dict_is_evaluated_with_a_warning_naming_the_assumed_classes(config, tiny_data,  # noqa: F811
                                                                                    tmp_path):
    """A state_dict without meta cannot be checked against renamed classes: test.py says which classes it assumes
    (it said nothing, issue 31)."""
    register_all_modules()
    cfg = tiny_config()
    cfg.model.head.num_classes = len(CLASSES)
    path = tmp_path / 'bare.pth'
    torch.save(MODELS.build(cfg.model).state_dict(), path)
    with pytest.warns(UserWarning, match=r"records no class names .* the data's 3 classes in folder order "
                                         r"\['circle', 'square', 'stripes'\]"):
        _test_tool(config, str(path), '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))


def test_a_checkpoint_of_another_model_is_refused(config, tiny_data, tmp_path):  # noqa: F811
    path = tmp_path / 'other_model.pth'
    torch.save(dict(meta=dict(dataset_meta=dict(classes=CLASSES)), state_dict=dict(weight=torch.zeros(2))), path)
    with pytest.raises(CheckpointMismatchError, match='does not fit the model of .*tiny.py'):
        _test_tool(config, str(path), '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))


def test_a_fitting_checkpoint_is_evaluated(config, tiny_data, tmp_path, capsys):  # noqa: F811
    checkpoint = _checkpoint(tmp_path / 'fits.pth', CLASSES)
    _test_tool(config, checkpoint, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))
    assert 'Test: top1 ' in capsys.readouterr().out  # tools/test.py's line of metrics


def test_a_checkpoint_of_another_model_config_is_refused_by_its_fingerprint(tiny_data, tmp_path):  # noqa: F811
    """Same weights layout, other preprocessing: the strict load passes, the fingerprint does not."""
    from adaptcls.models.config_nodes import FINGERPRINT_KEY, model_fingerprint
    trained = tiny_config()
    trained.model.head.num_classes = len(CLASSES)
    checkpoint = _checkpoint(tmp_path / 'trained.pth', CLASSES)
    saved = torch.load(checkpoint, weights_only=True)
    saved['meta'][FINGERPRINT_KEY] = model_fingerprint(trained.model)
    torch.save(saved, checkpoint)
    other = tiny_config()
    other.model.data_preprocessor.mean = [0.0, 0.0, 0.0]  # another normalisation: silently wrong figures
    config = tmp_path / 'other.py'
    other.dump(str(config))
    with pytest.raises(CheckpointMismatchError, match='trained with another model config .*other.py'):
        _test_tool(str(config), checkpoint, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test'))
    same = tmp_path / 'same.py'
    trained.model.head.num_classes = None  # as a config file has it: tools infer it
    trained.dump(str(same))
    _test_tool(str(same), checkpoint, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'test2'))


def test_fingerprint_ignores_weight_sources_only():
    from adaptcls.models.config_nodes import model_fingerprint
    base = tiny_config().model
    fingerprint = model_fingerprint(base)
    from_imagenet = tiny_config().model
    from_imagenet.backbone.pretrained = True
    assert model_fingerprint(from_imagenet) == fingerprint
    other_head = tiny_config().model
    other_head.head.dropout = 0.5
    assert model_fingerprint(other_head) != fingerprint


def test_resume_refuses_a_checkpoint_of_another_model_config_or_other_classes(tiny_data, tmp_path):  # noqa: F811
    import json
    import subprocess
    import sys
    cfg = tiny_config(max_epochs=1)
    config = tmp_path / 'tiny.py'
    cfg.dump(str(config))
    work = tmp_path / 'work'
    command = [sys.executable, 'tools/train.py', str(config), '--data-root', tiny_data, '--work-dir', str(work)]
    assert subprocess.run(command, cwd=REPO, capture_output=True).returncode == 0
    assert json.loads((work / 'summary.json').read_text())['epochs_run'] == 1
    other = tiny_config(max_epochs=2)
    other.model.head.dropout = 0.5
    other_config = tmp_path / 'other.py'
    other.dump(str(other_config))
    resumed = subprocess.run([*command[:2], str(other_config), *command[3:], '--resume'], cwd=REPO,
                             capture_output=True, text=True)
    assert resumed.returncode == 2 and 'trained with another model config' in resumed.stderr
    renamed = tmp_path / 'renamed'
    shutil.copytree(tiny_data, renamed)
    for split in ('train', 'val'):
        (renamed / split / 'circle').rename(renamed / split / 'ring')
    longer = tiny_config(max_epochs=2)
    longer_config = tmp_path / 'longer.py'
    longer.dump(str(longer_config))
    resumed = subprocess.run([sys.executable, 'tools/train.py', str(longer_config), '--data-root', str(renamed),
                              '--work-dir', str(work), '--resume'], cwd=REPO, capture_output=True, text=True)
    assert resumed.returncode == 2 and 'cannot resume from' in resumed.stderr and "'ring'" in resumed.stderr
