"""The deployed input size comes from the test pipeline, and transforms the IR cannot honour are refused."""
import pytest
from mmengine.config import Config

from adaptcls.deployment.input_size import input_size_from_config


def _config(pipeline) -> Config:
    dataset = dict(type='ImageFolderDataset', data_root='x', pipeline=pipeline)
    return Config(dict(test_dataloader=dict(dataset=dataset), val_dataloader=dict(dataset=dataset)))


def test_size_from_resize_and_override():
    cfg = _config([dict(type='LoadImage'), dict(type='Resize', size=48), dict(type='PackClsInputs')])
    assert input_size_from_config(cfg) == (48, 48)
    assert input_size_from_config(_config([dict(type='Resize', size=(40, 56))])) == (40, 56)
    assert input_size_from_config(cfg, [64, 96]) == (64, 96)


def test_unreproducible_pipelines_are_refused():
    with pytest.raises(ValueError, match='RandomRotate'):
        input_size_from_config(_config([dict(type='Resize', size=32), dict(type='RandomRotate')]))
    with pytest.raises(ValueError, match='antialias'):
        input_size_from_config(_config([dict(type='Resize', size=32, antialias=True)]))
    with pytest.raises(ValueError, match='--input-size'):
        input_size_from_config(_config([dict(type='LoadImage')]))
