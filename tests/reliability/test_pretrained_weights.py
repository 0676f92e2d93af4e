"""A config whose backbones want hub weights that cannot be had is refused before anything runs, with the config keys
that fix it; the ``--cfg-options`` the message suggests are accepted by the config checker (the message used to
suggest ``model.backbone.pretrained`` for a mutual-learning model, which has no ``model.backbone``).

The command-line routes (exit 2, one line) are in test_error_routes.py.
"""
import os.path as osp
import re

import huggingface_hub.constants
import pytest
import timm
import torch
from safetensors.torch import save_file

from adaptcls.cli.train import config_arguments, parse_args
from adaptcls.config import ConfigKeyError, build_config
from adaptcls.models.backbones import PretrainedWeightsUnavailableError
from tests.tools.conftest import REPO, tiny_data  # noqa: F401 (fixture)

MUTUAL = osp.join(REPO, 'configs', 'mnv3_small_adaptive.py')
SINGLE = osp.join(REPO, 'configs', 'mnv3_small_baseline.py')
HUB_MODEL, HUB_REPO = 'mobilenetv3_small_100', 'timm/mobilenetv3_small_100.lamb_in1k'
SUGGESTED_OPTIONS = re.compile(r'--cfg-options ((?:\S+=\S+(?: |;|$))+)')


@pytest.fixture
def offline_hub(monkeypatch, tmp_path):
    """No hub (as without network, minus a minute of retries) and an empty Hugging Face cache."""
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tmp_path / 'hf_cache'))
    return tmp_path / 'hf_cache'


def _train_config(config, data_root, work_dir, options=()):
    """What tools/train.py builds from this command line, before it trains."""
    argv = [config, '--data-root', data_root, '--work-dir', str(work_dir)]
    return build_config(**config_arguments(parse_args(argv + (['--cfg-options', *options] if options else []))))


def _node(cfg, key):
    for part in key.split('.'):
        cfg = cfg[part]
    return cfg


def _suggested_options(message):
    """The ``--cfg-options`` items of each fix the message suggests."""
    return [match.group(1).rstrip(' ;').split(' ') for match in SUGGESTED_OPTIONS.finditer(message)]


@pytest.mark.parametrize('config, keys', [
    (MUTUAL, ['model.fast.backbone', 'model.slow.backbone']),
    (SINGLE, ['model.backbone']),
])
def test_the_suggested_options_are_the_config_keys_and_the_checker_accepts_them(
        config, keys, offline_hub, tiny_data, tmp_path):  # noqa: F811
    with pytest.raises(PretrainedWeightsUnavailableError) as error:
        _train_config(config, tiny_data, tmp_path / 'w')
    message = str(error.value)
    assert '\n' not in message and HUB_REPO in message and str(offline_hub) in message
    file_fix, off_fix = _suggested_options(message)
    assert file_fix == [f'{key}.pretrained=/path/to/weights.pth' for key in keys]
    assert off_fix == [f'{key}.pretrained=False' for key in keys]
    weights = tmp_path / 'weights.pth'
    torch.save(timm.create_model(HUB_MODEL).state_dict(), weights)
    from_file = _train_config(config, tiny_data, tmp_path / 'w', [item.replace('/path/to/weights.pth', str(weights))
                                                                   for item in file_fix])
    from_scratch = _train_config(config, tiny_data, tmp_path / 'w', off_fix)
    for key in keys:
        assert _node(from_file, key).pretrained == str(weights) and _node(from_scratch, key).pretrained is False


def test_the_students_keys_not_the_one_the_checker_refuses(offline_hub, tiny_data, tmp_path):  # noqa: F811
    """The message used to suggest ``model.backbone.pretrained``, which a mutual-learning model does not have."""
    with pytest.raises(PretrainedWeightsUnavailableError) as error:
        _train_config(MUTUAL, tiny_data, tmp_path / 'w')
    assert 'model.backbone.pretrained' not in str(error.value)
    with pytest.raises(ConfigKeyError, match=r"model \(MutualLearningClassifier\): unknown argument 'backbone'"):
        _train_config(MUTUAL, tiny_data, tmp_path / 'w', ['model.backbone.pretrained=False'])


def test_refused_without_the_weights_and_accepted_once_in_the_cache(offline_hub, tiny_data, tmp_path):  # noqa: F811
    """The cache fix of the message: the same config passes once the weights are in the Hugging Face cache."""
    with pytest.raises(PretrainedWeightsUnavailableError, match='HF_HUB_OFFLINE is set'):
        _train_config(MUTUAL, tiny_data, tmp_path / 'w')
    revision = '0' * 40
    repo = offline_hub / ('models--' + HUB_REPO.replace('/', '--'))
    (repo / 'refs').mkdir(parents=True)
    (repo / 'refs' / 'main').write_text(revision)
    (repo / 'snapshots' / revision).mkdir(parents=True)
    state_dict = timm.create_model(HUB_MODEL).state_dict()
    save_file({key: value.contiguous() for key, value in state_dict.items()},
              str(repo / 'snapshots' / revision / 'model.safetensors'))
    cfg = _train_config(MUTUAL, tiny_data, tmp_path / 'w')
    assert cfg.model.fast.backbone.pretrained is True and cfg.model.slow.backbone.pretrained is True
