"""A work dir someone sent you does not run code: predict, test and export of its checkpoint read the run's config as
data (run_config.json), never the Python config beside it; a data config that would read other files is refused."""
import json
import os
import shutil

import pytest

from adaptcls.apis import Classifier
from adaptcls.config import build_config
from tests.tools.conftest import tiny_config, tiny_data  # noqa: F401
from tests.tools.test_train_and_test import TRAIN, run_tool

PAYLOAD = "_x = __import__('pathlib').Path({marker!r}).write_text('ran')\n"
"""A line that proves execution: it writes the marker file when the config is executed."""


@pytest.fixture(scope='module')
def received(tiny_data, tmp_path_factory):  # noqa: F811
    """A trained work dir, 'sent' to us: its Python configs carry a payload line."""
    tmp = tmp_path_factory.mktemp('received')
    config = tmp / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(config))
    work = tmp / 'work'
    run_tool(TRAIN, str(config), '--data-root', tiny_data, '--work-dir', str(work))
    marker = tmp / 'marker'
    for name in os.listdir(work):
        if name.endswith('.py'):  # mmengine's copy of the config
            with open(work / name, 'a') as stream:
                stream.write(PAYLOAD.format(marker=str(marker)))
    return dict(work=work, marker=marker, data=tiny_data)


def test_the_run_writes_its_resolved_config_as_data(received, tmp_path, monkeypatch):
    data = json.loads((received['work'] / 'run_config.json').read_text())
    assert data['train_cfg']['max_epochs'] == 1 and data['model']['head']['num_classes'] == 3
    assert '_base_' not in data
    assert os.path.isabs(data['val_dataloader']['dataset']['data_root'])  # read later from any working directory
    monkeypatch.chdir(tmp_path)
    cfg = build_config(str(received['work'] / 'run_config.json'), 'test')
    assert cfg.test_dataloader.dataset.data_root == data['val_dataloader']['dataset']['data_root']


def test_predict_from_a_received_checkpoint_runs_no_code(received):
    images = sorted(os.path.join(root, name) for root, _, names in os.walk(received['data']) for name in names)[:2]
    classifier = Classifier.from_checkpoint(str(received['work'] / 'best.pth'))
    assert len(classifier.predict(images, topk=1)) == 2
    assert not received['marker'].exists()


def test_a_data_config_that_reads_other_files_is_refused(tmp_path):
    config = tmp_path / 'run_config.json'
    config.write_text(json.dumps({'_base_': ['evil.py'], 'model': {}}))
    with pytest.raises(ValueError, match="holds \\['_base_'\\], which would read other files"):
        build_config(str(config), 'export')
    config.write_text('[1, 2]')
    with pytest.raises(ValueError, match='not an object of config keys'):
        build_config(str(config), 'export')


def test_without_run_config_json_the_config_must_be_given(received, tmp_path):
    copy = tmp_path / 'old_run'
    shutil.copytree(received['work'], copy)
    os.remove(copy / 'run_config.json')
    with pytest.raises(FileNotFoundError, match='pass the config it was trained with.*runs code'):
        Classifier.from_checkpoint(str(copy / 'best.pth'))
    assert not received['marker'].exists()


def test_predict_refuses_a_checkpoint_with_nan_weights(received, tmp_path):
    import torch
    checkpoint = torch.load(received['work'] / 'best.pth', weights_only=True)
    name = next(key for key, value in checkpoint['state_dict'].items() if value.is_floating_point())
    checkpoint['state_dict'][name] = torch.full_like(checkpoint['state_dict'][name], float('nan'))
    torch.save(checkpoint, tmp_path / 'diverged.pth')
    shutil.copy(received['work'] / 'run_config.json', tmp_path / 'run_config.json')
    with pytest.raises(ValueError, match='NaN or infinite weights.*the run diverged'):
        Classifier.from_checkpoint(str(tmp_path / 'diverged.pth'))
