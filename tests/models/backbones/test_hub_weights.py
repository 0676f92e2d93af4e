"""The error of pretrained weights timm cannot get: which weights, where they were looked for, and the fixes."""
import pickle

import huggingface_hub.constants
import pytest
import timm
import torch.hub
from huggingface_hub.errors import LocalEntryNotFoundError

from adaptcls.models.backbones import HubWeights, PretrainedWeightsUnavailableError, TimmBackbone
from adaptcls.models.backbones.hub_weights import MAX_REASON_CHARS, download_error_reason

TINY, TAG = 'mobilenetv3_small_050', 'lamb_in1k'


def _refused_connection(*args, **kwargs):
    """What timm raises without network: huggingface_hub's error around the refused connection."""
    try:
        raise ConnectionRefusedError(111, 'Connection refused')
    except ConnectionRefusedError as error:
        raise LocalEntryNotFoundError('An error happened while trying to locate the file on the Hub ...') from error


def test_an_unreachable_hub_names_the_address_the_cause_and_the_offline_switch(monkeypatch, tmp_path):
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', False)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tmp_path))
    monkeypatch.setattr(timm, 'create_model', _refused_connection)
    with pytest.raises(PretrainedWeightsUnavailableError) as info:
        TimmBackbone(TINY, pretrained=True, pretrained_tag=TAG)
    message = str(info.value)
    assert (f'could not be downloaded from {huggingface_hub.constants.ENDPOINT}/timm/{TINY}.{TAG} '
            '(LocalEntryNotFoundError caused by ConnectionRefusedError: [Errno 111] Connection refused)') in message
    assert f'Hugging Face cache {tmp_path} (folder models--timm--{TINY}.{TAG})' in message
    assert f'`hf download timm/{TINY}.{TAG}`' in message and 'set HF_HOME' in message
    assert message.endswith('HF_HUB_OFFLINE=1 skips the network retries when offline.')
    assert isinstance(info.value.__cause__, LocalEntryNotFoundError)  # ADAPTCLS_DEBUG=1 shows the original


def test_url_weights_name_the_url_and_the_torch_hub_cache(monkeypatch, tmp_path):
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    try:
        monkeypatch.setattr(timm, 'create_model', _refused_connection)
        url = 'http://127.0.0.1:9/weights/mnv3.pth'
        with pytest.raises(PretrainedWeightsUnavailableError) as info:
            TimmBackbone(TINY, pretrained=True, pretrained_cfg_overlay=dict(hf_hub_id=None, url=url))
    finally:
        torch.hub.set_dir(previous)
    message = str(info.value)
    assert f'are not in the torch hub cache {tmp_path}/checkpoints and could not be downloaded from {url}' in message
    assert f'put mnv3.pth (downloaded from {url}) into {tmp_path}/checkpoints' in message and 'TORCH_HOME' in message


def test_the_config_keys_become_cfg_options():
    weights = HubWeights.of(TINY, f'{TINY}.{TAG}')
    error = PretrainedWeightsUnavailableError(weights, 'OSError: down').for_config(
        ['model.fast.backbone', 'model.slow.backbone'], 'configs/x.py')
    message = str(error)
    assert message.startswith('config configs/x.py: the pretrained weights of model.fast.backbone and '
                              f'model.slow.backbone (timm "{TINY}.{TAG}", pretrained=True)')
    assert ('--cfg-options model.fast.backbone.pretrained=False model.slow.backbone.pretrained=False'
            in message)
    assert error.config_keys == ('model.fast.backbone', 'model.slow.backbone') and error.weights == weights
    assert str(pickle.loads(pickle.dumps(error))) == message  # e.g. from a DataLoader worker


def test_hub_weights_follow_the_overlay():
    assert HubWeights.of(TINY, f'{TINY}.{TAG}').origin == f'hub:timm/{TINY}.{TAG}'
    overlaid = HubWeights.of(TINY, TINY, dict(hf_hub_id=None, url='http://x/w.pth'))
    assert overlaid.hf_hub_id is None and overlaid.origin == 'hub:http://x/w.pth'


def test_a_long_reason_is_shortened_to_its_first_line():
    reason = download_error_reason(OSError('x' * (2 * MAX_REASON_CHARS) + '\nsecond line'))
    assert len(reason) == MAX_REASON_CHARS and reason.endswith('...') and 'second' not in reason
