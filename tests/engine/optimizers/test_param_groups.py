"""The recipe's "no bias decay" param groups, built by mmengine's DefaultOptimWrapperConstructor.

Recipe: weight decay 5e-4 on conv/linear weights only; biases and norm-layer parameters get no
decay; biases get 2x the learning rate. mmengine's ``bias_lr_mult`` skips the biases of norm layers
(``DefaultOptimWrapperConstructor.add_params``:
``name == 'bias' and not (is_norm or is_dcn_module)``), so a BatchNorm bias keeps the base lr.
"""
import pytest
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from timm.layers import BatchNormAct2d
from torch import nn

LR = 0.1
WEIGHT_DECAY = 5e-4
RECIPE_OPTIM_WRAPPER = dict(
    type='SAMOptimWrapper',
    optimizer=dict(type='SGD', lr=LR, momentum=0.9, weight_decay=WEIGHT_DECAY),
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0., norm_decay_mult=0.))


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
        optim_wrapper = build_optim_wrapper(model, RECIPE_OPTIM_WRAPPER)
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
        'bn.bias': (LR, 0.),  # mmengine leaves norm biases at the base lr
        'linear.weight': (LR, WEIGHT_DECAY),
        'linear.bias': (2 * LR, 0.),
    }


def test_every_parameter_is_optimised_once():
    model = ConvBnLinear()
    optimised = [param for param, _ in optimised_params_and_groups(model)]
    assert len(optimised) == len(list(model.parameters()))
    assert {id(param) for param in optimised} == {id(param) for param in model.parameters()}
