"""Walking model configs: key paths of nested dicts and switching off pretrained weights everywhere."""
from mmengine.config import Config

from adaptcls.models.backbones import TimmBackbone
from adaptcls.models.config_nodes import is_timm_backbone, iter_config_dicts, switch_off_pretraining
from tests.tools.conftest import REPO


def test_iter_config_dicts_yields_every_dict_with_its_path():
    model = dict(type='X', fast=dict(backbone=dict(type='TimmBackbone')), items=[dict(a=1), 3])
    paths = [path for path, _ in iter_config_dicts(model)]
    assert paths == [(), ('fast', ), ('fast', 'backbone'), ('items', '0')]


def test_is_timm_backbone_accepts_names_scoped_names_and_the_class():
    assert is_timm_backbone(dict(type='TimmBackbone'))
    assert is_timm_backbone(dict(type='adaptcls.TimmBackbone'))
    assert is_timm_backbone(dict(type=TimmBackbone))
    assert not is_timm_backbone(dict(type='LinearClsHead'))
    assert not is_timm_backbone(dict(pretrained=True))


def test_switch_off_pretraining_reaches_both_mutual_learning_students():
    cfg = Config.fromfile(f'{REPO}/configs/mnv3_small_adaptive.py')
    assert cfg.model.fast.backbone.pretrained is True and cfg.model.slow.backbone.pretrained is True
    assert switch_off_pretraining(cfg.model) is cfg.model
    assert cfg.model.fast.backbone.pretrained is False and cfg.model.slow.backbone.pretrained is False
    assert cfg.model.fast.backbone.pretrained_tag == 'lamb_in1k'  # nothing else changes


def test_switch_off_pretraining_of_a_single_backbone_and_only_of_backbones():
    model = dict(type='ImageClassifier', backbone=dict(type='TimmBackbone', pretrained='weights.pth'),
                 head=dict(type='SomeHead', pretrained=True))
    switch_off_pretraining(model)
    assert model['backbone']['pretrained'] is False and model['head']['pretrained'] is True
