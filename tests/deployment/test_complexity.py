"""MACs and parameters: hand-computed for a tiny net, and the PyTorch and OpenVINO counts agree."""
import openvino as ov
import pytest
import torch
from torch import nn

from adaptcls.deployment.complexity import graph_complexity, torch_complexity


def _tiny_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),   # 8x8x8 outputs x (3 x 3 x 3) = 13824 MACs, 216 weights
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, groups=8),     # 8x8x8 outputs x (1 x 3 x 3) = 4608 MACs, 72 + 8 params
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(8, 4))                             # 4 outputs x 8 = 32 MACs, 32 + 4 params


def test_torch_count_is_hand_computed():
    result = torch_complexity(_tiny_net(), (8, 8))
    assert result['gmacs'] == pytest.approx((13824 + 4608 + 32) / 1e9)
    assert result['params'] == 216 + 80 + 36


def test_graph_count_matches_torch_count():
    net = _tiny_net().eval()
    model = ov.convert_model(net, example_input=torch.zeros(1, 3, 8, 8), input=[-1, 3, 8, 8])
    result = graph_complexity(model)
    assert result['gmacs'] == pytest.approx((13824 + 4608 + 32) / 1e9)
    assert result['params'] == 216 + 72 + 32  # conv/matmul weights only, no biases


def test_graph_count_needs_a_fixed_image_size():
    net = _tiny_net().eval()
    model = ov.convert_model(net, example_input=torch.zeros(1, 3, 8, 8), input=[-1, 3, -1, -1])
    with pytest.raises(ValueError, match='dynamic dimensions'):
        graph_complexity(model)
