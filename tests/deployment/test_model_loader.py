"""Rebuilding a classifier from config + checkpoint: strict weights, num_classes and class names."""
import pytest
import torch
from torch import nn

from adaptcls.deployment.export.model_loader import TensorModeModule, deploy_module, load_classifier
from adaptcls.registry import MODELS
from adaptcls.setup_env import register_all_modules
from tests.deployment.shared_model import tiny_config

NUM_CLASSES = 10


@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    """An untrained tiny model saved as an mmengine-style checkpoint, and its config (num_classes=None)."""
    register_all_modules()
    folder = tmp_path_factory.mktemp('loader')
    cfg = tiny_config()
    cfg.model.backbone.pretrained = 'efficientnet-lite0-pypi'  # must be switched off (wrong model for it)
    config = str(folder / 'cfg.py')
    cfg.dump(config)
    cfg.model.head.num_classes = NUM_CLASSES
    cfg.model.backbone.pretrained = False
    model = MODELS.build(cfg.model)
    classes = [f'class {index}' for index in range(NUM_CLASSES)]
    checkpoint = str(folder / 'with_meta.pth')
    meta = dict(dataset_meta=dict(classes=tuple(classes)))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), checkpoint)
    bare = str(folder / 'bare.pth')
    torch.save(dict(state_dict=model.state_dict()), bare)
    return dict(config=config, checkpoint=checkpoint, bare=bare, model=model, classes=classes)


def test_loads_weights_strictly_and_reads_classes_from_meta(saved):
    loaded = load_classifier(saved['config'], saved['checkpoint'])
    assert loaded.model.num_classes == NUM_CLASSES and loaded.classes == saved['classes']
    assert not loaded.model.training
    for key, value in saved['model'].state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key
    mean, std = loaded.mean_std
    assert mean == pytest.approx([123.675, 116.28, 103.53]) and std == pytest.approx([58.395, 57.12, 57.375])


def test_classes_from_the_training_folders_when_meta_has_none(saved, digits):
    loaded = load_classifier(saved['config'], saved['bare'], data_root=digits)
    assert loaded.classes == [str(digit) for digit in range(10)]


def test_mismatch_and_missing_files_are_clear_errors(saved, tmp_path):
    cfg = tiny_config()
    cfg.model.backbone.model_name = 'mobilenetv3_small_075'
    other = str(tmp_path / 'other.py')
    cfg.dump(other)
    with pytest.raises(ValueError, match='does not fit the model of .*other.py: weights of other shapes.*another '
                       'model'):
        load_classifier(other, saved['checkpoint'])
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_classifier(saved['config'], str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='nope.py'):
        load_classifier(str(tmp_path / 'nope.py'), saved['checkpoint'])


def test_deploy_module_uses_deploy_model_or_the_tensor_mode():
    class Classifier(nn.Module):
        def forward(self, inputs, mode='loss'):
            return inputs * 2 if mode == 'tensor' else None

    module = deploy_module(Classifier().train())
    assert isinstance(module, TensorModeModule) and not module.training
    assert torch.equal(module(torch.ones(1, 2)), torch.full((1, 2), 2.0))
    register_all_modules()
    cfg = tiny_config()
    cfg.model.head.num_classes = 3
    classifier = MODELS.build(cfg.model).eval()
    inputs = torch.randn(2, 3, 32, 32)
    assert torch.allclose(deploy_module(classifier)(inputs), classifier(inputs, mode='tensor'))
