"""The recipe's "no bias decay" + 2x bias LR param groups, built by mmengine's DefaultOptimWrapperConstructor
from the adaptive schedule's ``paramwise_cfg`` (configs/_base_/schedules/sam_plateau_v2.py).

Recipe (paper, Table 9, and its code): weight decay 5e-4 on conv/linear weights only; biases and norm-layer
parameters get no decay; every bias, BatchNorm's included, gets 2x the learning rate. mmengine's ``bias_lr_mult``
skips the biases of norm layers (``add_params``: ``name == 'bias' and not (is_norm or is_dcn_module)``), which left
EfficientNet-Lite0 (no conv/linear biases) without any 2x parameter, so the config uses a ``custom_keys`` entry.
"""
import os.path as osp

import pytest
import timm
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from timm.layers import BatchNormAct2d
from torch import nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCHEDULE = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'schedules', 'sam_plateau_v2.py'))
LR = SCHEDULE.optim_wrapper.optimizer.lr
WEIGHT_DECAY = SCHEDULE.optim_wrapper.optimizer.weight_decay


class ConvBnLinear(nn.Module):

    def __init__(self, norm_layer: type = nn.BatchNorm2d):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = norm_layer(4)
        self.linear = nn.Linear(4, 2)

    def forward(self, x):
        return self.linear(self.bn(self.conv(x)).mean((2, 3)))


def optimised_params_and_groups(model: nn.Module) -> list:
    with DefaultScope.overwrite_default_scope('adaptcls'):
        optim_wrapper = build_optim_wrapper(model, SCHEDULE.optim_wrapper.to_dict())
    return [(param, group) for group in optim_wrapper.optimizer.param_groups
            for param in group['params']]


def group_settings_by_name(model: nn.Module) -> dict:
    group_of_param = {id(param): group for param, group in optimised_params_and_groups(model)}
    return {
        name: (group_of_param[id(param)]['lr'], group_of_param[id(param)]['weight_decay'])
        for name, param in model.named_parameters()
    }


# timm's models (MobileNetV3, EfficientNet) use BatchNormAct2d, a BatchNorm2d subclass.
@pytest.mark.parametrize('norm_layer', [nn.BatchNorm2d, BatchNormAct2d])
def test_recipe_param_groups(norm_layer):
    settings = group_settings_by_name(ConvBnLinear(norm_layer))

    assert settings == {
        'conv.weight': (LR, WEIGHT_DECAY),
        'conv.bias': (2 * LR, 0.),
        'bn.weight': (LR, 0.),
        'bn.bias': (2 * LR, 0.),  # norm biases get 2x too (mmengine's bias_lr_mult alone would leave them at 1x)
        'linear.weight': (LR, WEIGHT_DECAY),
        'linear.bias': (2 * LR, 0.),
    }


def test_efficientnet_lite0_biases_get_twice_the_lr():
    model = timm.create_model('efficientnet_lite0', pretrained=False, num_classes=0)
    settings = group_settings_by_name(model)
    biases = {name: value for name, value in settings.items() if name.endswith('.bias')}
    assert len(biases) > 40  # every BatchNorm of the network
    assert set(biases.values()) == {(2 * LR, 0.)}
    conv_weights = [name for name, param in model.named_parameters() if param.ndim == 4]
    assert {settings[name] for name in conv_weights} == {(LR, WEIGHT_DECAY)}


def test_every_parameter_is_optimised_once():
    model = ConvBnLinear()
    optimised = [param for param, _ in optimised_params_and_groups(model)]
    assert len(optimised) == len(list(model.parameters()))
    assert {id(param) for param in optimised} == {id(param) for param in model.parameters()}
