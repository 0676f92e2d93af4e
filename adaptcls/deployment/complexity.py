"""Model size and compute: parameters and GMACs (multiply-accumulates) for one image.

The paper's Table 5 calls multiply-adds "GFLOPs" (MobileNetV3-small 0.06, EfficientNet-B0 0.4);
we report the same quantity under its honest name, ``gmacs`` (1 MAC = one multiply + one add).
Only convolutions and fully connected layers are counted (they are > 99% of the work);
activations, normalisation, pooling and element-wise ops are not.
"""
from typing import Dict, Tuple

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from adaptcls.errors import UserInputError

TORCH_METHOD = ('PyTorch: torch.utils.flop_counter.FlopCounterMode (convolutions, matrix products) / 2, batch 1; '
                'params = all parameters')
GRAPH_METHOD = ('OpenVINO graph shapes of Convolution/GroupConvolution/MatMul, batch 1; '
                'params = their weights (biases, norm layers folded or excluded)')
MACS_PER_GMAC = 1e9
FLOPS_PER_MAC = 2
"""torch's FLOP counter counts a multiply-accumulate as two FLOPs."""


def torch_complexity(module: nn.Module, input_size: Tuple[int, int]) -> Dict[str, object]:
    """Counts the MACs of one (1, 3, H, W) forward pass with torch's FLOP counter, and all parameters.

    ``FlopCounterMode`` counts the FLOPs of convolutions and matrix products (2 per multiply-accumulate), which are
    the layers counted here.

    Args:
        module (nn.Module): the model (normalised images in).
        input_size (tuple[int, int]): (height, width).

    Returns:
        dict: ``params`` (int), ``gmacs`` (float) and ``method`` (str).
    """
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        module.eval()(torch.zeros(1, 3, *input_size))
    params = sum(parameter.numel() for parameter in module.parameters())
    macs = counter.get_total_flops() / FLOPS_PER_MAC
    return dict(params=int(params), gmacs=macs / MACS_PER_GMAC, method=TORCH_METHOD)


def _static_shape(port) -> Tuple[int, ...]:
    return tuple(dim.get_length() for dim in port.get_partial_shape())


def _op_macs_and_weights(op) -> Tuple[int, int]:
    """(MACs, weight elements) of one OpenVINO op; (0, 0) for ops that are not counted."""
    kind = op.get_type_name()
    if kind in ('Convolution', 'GroupConvolution'):
        weights = _static_shape(op.input(1))
        # Convolution: (Co, Ci, kh, kw); GroupConvolution: (G, Co/G, Ci/G, kh, kw)
        per_output = int(np.prod(weights[1:] if kind == 'Convolution' else weights[2:]))
        return int(np.prod(_static_shape(op.output(0)))) * per_output, int(np.prod(weights))
    if kind == 'MatMul':
        left = _static_shape(op.input(0))
        reduced = left[-2] if op.get_attributes().get('transpose_a') else left[-1]
        right_is_weight = op.input_value(1).get_node().get_type_name() != 'Parameter'
        weights = int(np.prod(_static_shape(op.input(1)))) if right_is_weight else 0
        return int(np.prod(_static_shape(op.output(0)))) * reduced, weights
    return 0, 0


def graph_complexity(model) -> Dict[str, object]:
    """Counts MACs and weights of an OpenVINO model (read from ``.xml`` or ``.onnx``) at batch 1.

    Args:
        model (openvino.Model): the model, with a static input shape apart from the batch axis;
            a copy is reshaped to batch 1.

    Returns:
        dict: ``params`` (int), ``gmacs`` (float) and ``method`` (str).
    """
    model = model.clone()
    shape = model.input().get_partial_shape()
    shape[0] = 1
    model.reshape({model.input().get_any_name(): shape})
    if model.input().get_partial_shape().is_dynamic:
        raise UserInputError(f'Cannot count MACs: the model input {shape} has dynamic dimensions besides '
                             'the batch; give it a fixed height and width.')
    macs = weights = 0
    for op in model.get_ordered_ops():
        op_macs, op_weights = _op_macs_and_weights(op)
        macs, weights = macs + op_macs, weights + op_weights
    return dict(params=int(weights), gmacs=macs / MACS_PER_GMAC, method=GRAPH_METHOD)
