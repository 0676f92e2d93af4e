"""Every config under configs/ loads and builds its model, pipelines, optimizer and schedulers on CPU."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from adaptcls.registry import MODELS, PARAM_SCHEDULERS
from adaptcls.setup_env import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '*.py')))
NUM_CLASSES = 3


def _offline(node):
    """Recursively disables hub downloads (no network in tests) and fills num_classes."""
    if isinstance(node, dict):
        if node.get('type') == 'TimmBackbone' and node.get('pretrained') is True:
            node['pretrained'] = False
        if 'num_classes' in node and node['num_classes'] is None:
            node['num_classes'] = NUM_CLASSES
        for value in node.values():
            _offline(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _offline(value)


def test_there_are_configs():
    names = {osp.basename(path) for path in CONFIGS}
    for model in ('mnv3_small', 'mnv3_large_075', 'mnv3_large', 'effnet_b0', 'effnet_lite0'):
        assert f'{model}_baseline.py' in names and f'{model}_adaptive.py' in names


ADAPTIVE = sorted(glob.glob(osp.join(REPO, 'configs', '*_adaptive.py')))


@pytest.mark.parametrize('path', ADAPTIVE, ids=[osp.basename(p) for p in ADAPTIVE])
def test_adaptive_configs_follow_the_recipe(path):
    cfg = Config.fromfile(path)
    assert cfg.optim_wrapper.type == 'SAMOptimWrapper' and cfg.optim_wrapper.rho == 0.05
    am_head_weight = 'slow.head.fc.weight' if osp.basename(path).startswith('mnv3') else 'head.fc.weight'
    assert cfg.optim_wrapper.paramwise_cfg == dict(
        custom_keys={'.bias': dict(lr_mult=2.0, decay_mult=0.0), am_head_weight: dict(decay_mult=0.0)},
        norm_decay_mult=0.0)
    assert [hook.type for hook in cfg.custom_hooks] == ['ReduceLROnPlateauV2']
    assert not cfg.get('param_scheduler')  # the hook owns the lr, warm-up included
    hook = cfg.custom_hooks[0]
    assert (hook.warmup_epochs, hook.warmup_start_factor, hook.monitor) == (2, 0.1, 'top1')
    assert cfg.lr_search.auto_lr == 'range_test'
    assert cfg.train_cfg.max_epochs == 200
    assert 'AugMix' in [step['type'] for step in cfg.train_dataloader.dataset.pipeline]
    if osp.basename(path).startswith('mnv3'):
        assert cfg.model.type == 'MutualLearningClassifier' and cfg.optim_wrapper.optimizer.lr == 0.013
        assert cfg.model.fast.head.type == 'LinearClsHead' and cfg.model.slow.head.type == 'AMSoftmaxHead'
        assert cfg.model.fast.backbone.model_name == cfg.model.slow.backbone.model_name
        assert cfg.model.slow.head.dropout == 0.2
    else:
        assert cfg.model.type == 'ImageClassifier' and cfg.optim_wrapper.optimizer.lr == 0.010
        assert cfg.model.head.type == 'AMSoftmaxHead' and cfg.model.head.margin == 0.35
        assert cfg.model.head.scale == 30.0 and cfg.model.head.dropout == 0.2


@pytest.mark.parametrize('path', ADAPTIVE, ids=[osp.basename(p) for p in ADAPTIVE])
def test_only_the_am_softmax_class_weights_of_the_heads_escape_weight_decay(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    _offline(cfg.model)
    with DefaultScope.overwrite_default_scope('adaptcls'):
        model = MODELS.build(cfg.model)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    decay_of_param = {id(param): group['weight_decay'] for group in optim_wrapper.optimizer.param_groups
                      for param in group['params']}
    decay = {name: decay_of_param[id(param)] for name, param in model.named_parameters()}
    weight_decay = cfg.optim_wrapper.optimizer.weight_decay
    head_weights = {name: value for name, value in decay.items() if name.endswith('head.fc.weight')}
    if cfg.model.type == 'MutualLearningClassifier':
        assert head_weights == {'fast.head.fc.weight': weight_decay, 'slow.head.fc.weight': 0.0}
    else:
        assert head_weights == {'head.fc.weight': 0.0}
    conv_weights = [name for name, param in model.named_parameters() if param.ndim == 4]
    assert conv_weights and {decay[name] for name in conv_weights} == {weight_decay}


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'adaptcls'
    _offline(cfg.model)
    with DefaultScope.overwrite_default_scope('adaptcls'):
        model = MODELS.build(cfg.model)
        model.eval()
        size = _input_size(cfg)
        with torch.no_grad():
            logits = model(torch.zeros(1, 3, size, size), mode='tensor')
        assert logits.shape == (1, NUM_CLASSES)

        for key, pipeline_key in (('train_dataloader', 'train_pipeline'),
                                  ('val_dataloader', 'test_pipeline'),
                                  ('test_dataloader', 'test_pipeline')):
            pipeline = cfg[key]['dataset']['pipeline']
            Compose(pipeline)
            if pipeline_key in cfg:  # a redefined top-level pipeline must be re-bound
                assert pipeline == cfg[pipeline_key], f'{key}.dataset.pipeline != {pipeline_key}'

        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        schedulers = cfg.get('param_scheduler') or []
        schedulers = schedulers if isinstance(schedulers, list) else [schedulers]
        for scheduler in schedulers:
            PARAM_SCHEDULERS.build(dict(scheduler), default_args=dict(
                optimizer=optim_wrapper, epoch_length=10))
    assert cfg.train_cfg.max_epochs >= 1


def _input_size(cfg) -> int:
    """The Resize size of the test pipeline (square)."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            size = step['size']
            return size if isinstance(size, int) else size[0]
    raise AssertionError('the test pipeline has no Resize step')
