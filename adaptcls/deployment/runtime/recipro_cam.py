"""Recipro-CAM inserted into an exported IR: a saliency output computed by OpenVINO, without gradients or PyTorch.

Recipro-CAM (Byun and Lee 2022, "Recipro-CAM: Fast gradient-free visual explanations for convolutional neural
networks") as openvino-xai 1.1 builds it for CNN classifiers (its default white-box method, ``ReciproCAM``): the
backbone's last feature map F (C x h x w: the input of the global pooling) is copied h * w times, copy k keeping
spatial position k (all channels) and zeroing the others; a copy of the head (the pooling and the classifier) scores
every copy, and the score of class c for copy k is class c's map at position k. Each class's h x w map is then
scaled to [0, 1] (min-max). The scores are the logits (the softmax's input), as in openvino-xai; the scaling makes
the map independent of a positive factor on the logits (a temperature).

Why not openvino-xai itself: 1.1.0, its latest release, pins ``openvino-dev==2024.4`` and ``numpy==1.*``
(installing it downgrades OpenVINO 2026.4 and numpy 2: ``pip install --dry-run openvino-xai==1.1.0``), imports
``openvino.runtime`` (removed in OpenVINO 2026.0) and compiles with an ``ov.Core()`` of its own (a second Core
crashes the process: docs/reliability.md, "One process"). The branch here is the same graph (the feature map times a
one-hot spatial mask, into a copy of the head) in opset13, compiled with the process's one Core; the mask broadcasts
over the channels and the batch, so a batch of N images gives N maps (openvino-xai's: one image).
"""
from typing import Tuple

import numpy as np

from adaptcls.errors import UserInputError
from ..dependencies import require

SALIENCY_OUTPUT_NAME = 'saliency_map'
"""Name of the added output tensor (openvino-xai's): (N, num_classes, h, w) float32 maps in [0, 1] at the feature
map's resolution."""
REDUCTIONS = ('ReduceMean', 'ReduceMax')
"""Operations that are a global pooling when they reduce the two spatial axes of an NCHW map (timm's pooling after
the ONNX export: ``ReduceMean`` over axes [-1, -2])."""
POOLINGS = ('AvgPool', 'MaxPool', 'AdaptiveAvgPool', 'AdaptiveMaxPool')
"""Operations that are a global pooling when their NCHW output is 1 x 1."""
SPATIAL_AXES = {2, 3}
"""The h and w axes of an NCHW map."""
SCALE_EPSILON = 1e-12
"""Added to max - min when scaling a map to [0, 1] (openvino-xai's): a constant map becomes 0 everywhere."""
MOSAIC_NAME = 'adaptcls_recipro_cam_mosaic'
"""Friendly name of the node that feeds the masked copies of the feature map to the copied head."""


class SaliencyUnsupportedError(UserInputError):
    """The IR is not a CNN whose head reads only its globally pooled last feature map; the message names the fix."""


def _is_global_pooling(op) -> bool:
    """Whether ``op`` pools an (N, C, h, w) map over h and w."""
    kind = op.get_type_name()
    if kind not in REDUCTIONS + POOLINGS or op.get_input_partial_shape(0).rank.get_length() != 4:
        return False
    if kind in POOLINGS:
        shape = op.get_output_partial_shape(0)
        return all(shape[axis].is_static and shape[axis].get_length() == 1 for axis in SPATIAL_AXES)
    axes = op.input_value(1).get_node()
    return axes.get_type_name() == 'Constant' and {int(axis) % 4 for axis in axes.get_data().ravel()} == SPATIAL_AXES


def feature_map(model, source: str):
    """The backbone's last feature map: of the (N, C, h, w) maps that ``model`` pools globally, the one computed last.

    Args:
        model (openvino.Model): the classifier.
        source (str): how to name the model in errors (its path).

    Returns:
        openvino.Output: an (N, C, h, w) output with static C, h, w and h * w > 1.

    Raises:
        SaliencyUnsupportedError: no global pooling of an NCHW map (not a CNN, e.g. a vision transformer), a map of
            dynamic size, or a 1 x 1 map (an input too small).
    """
    ops = model.get_ordered_ops()
    order = {op.get_friendly_name(): index for index, op in enumerate(ops)}
    poolings = [op for op in ops if _is_global_pooling(op)]
    if not poolings:
        raise SaliencyUnsupportedError(
            f'{source} has no global pooling of an (N, C, H, W) feature map: Recipro-CAM explains CNNs, not this '
            'model (e.g. a vision transformer). Explain the checkpoint it was exported from instead: '
            '`adaptcls explain CHECKPOINT.pth IMAGES...` (Grad-CAM).')
    output = max((op.input_value(0) for op in poolings), key=lambda value: order[value.get_node().get_friendly_name()])
    shape = output.get_partial_shape()
    if any(shape[axis].is_dynamic for axis in (1, 2, 3)):
        raise SaliencyUnsupportedError(f'{source}: the last feature map has the dynamic shape {shape}; export the '
                                       'IR with a fixed input size (tools/deploy.py export --input-size H W).')
    if shape[2].get_length() * shape[3].get_length() == 1:
        raise SaliencyUnsupportedError(
            f'{source}: the last feature map is 1 x 1 at the IR\'s input size, so a saliency map has one value; '
            'export again with a larger input (tools/deploy.py export --input-size H W, e.g. 128 128).')
    return output


def _scores(model):
    """The class scores behind ``model``'s first output: the softmax's input, or the output itself."""
    producer = model.output(0).get_node().input_value(0)
    return producer.get_node().input_value(0) if producer.get_node().get_type_name() == 'Softmax' else producer


def _check_head_reads_only(scores, source: str) -> None:
    """Raises :class:`SaliencyUnsupportedError` when the copied head reaches the model's input other than through the
    mosaic (it reads an earlier feature map too, so the masked copies would not explain it)."""
    stack, seen = [scores.get_node()], set()
    while stack:
        node = stack.pop()
        name = node.get_friendly_name()
        if name in seen or name == MOSAIC_NAME or node.get_type_name() == 'Constant':
            continue
        if node.get_type_name() == 'Parameter':
            raise SaliencyUnsupportedError(
                f'{source}: the classifier head reads more than the last feature map (a skip from an earlier layer), '
                'which Recipro-CAM cannot mask; explain the checkpoint instead: `adaptcls explain CHECKPOINT.pth '
                'IMAGES...` (Grad-CAM).')
        seen.add(name)
        stack.extend(value.get_node() for value in node.input_values())


def add_saliency_output(model, source: str = 'the model') -> Tuple[int, int]:
    """Adds the Recipro-CAM output :data:`SALIENCY_OUTPUT_NAME` to a classifier IR (see the module docstring); its
    first output (the probabilities) is unchanged.

    Args:
        model (openvino.Model): an IR read from its files (changed in place; the files are not).
        source (str): how to name the model in errors (its path). Defaults to 'the model'.

    Returns:
        tuple[int, int]: (h, w) of the feature map, the maps' resolution.

    Raises:
        SaliencyUnsupportedError: see :func:`feature_map`, :func:`_check_head_reads_only`; or the class count is
            dynamic.
    """
    opset = require('openvino').opset13
    features = feature_map(model, source)
    channels, height, width = (features.get_partial_shape()[axis].get_length() for axis in (1, 2, 3))
    positions = height * width
    mask = np.zeros((1, positions, 1, height, width), np.float32)  # copy k keeps position k = (k // w, k % w)
    mask[0, np.arange(positions), 0, np.arange(positions) // width, np.arange(positions) % width] = 1
    mosaic = opset.multiply(opset.unsqueeze(features, np.int64(1)), opset.constant(mask))  # (N, h*w, C, h, w)
    mosaic = opset.reshape(mosaic, np.array([-1, channels, height, width], np.int64), special_zero=False)
    mosaic.set_friendly_name(MOSAIC_NAME)
    head = model.clone()  # its head, fed with the N * h * w copies; the rest of the clone is dropped
    for target in list(feature_map(head, source).get_target_inputs()):
        target.replace_source_output(mosaic.output(0))
    scores = _scores(head)
    _check_head_reads_only(scores, source)
    classes = scores.get_partial_shape()[-1]
    if classes.is_dynamic:
        raise SaliencyUnsupportedError(f'{source}: the number of classes is dynamic; export the IR again.')
    maps = opset.transpose(opset.reshape(scores, np.array([-1, positions, classes.get_length()], np.int64), False),
                           np.array([0, 2, 1], np.int64))  # (N, classes, h*w)
    low = opset.reduce_min(maps, np.int64(2), keep_dims=True)
    spread = opset.add(opset.subtract(opset.reduce_max(maps, np.int64(2), keep_dims=True), low),
                       np.float32(SCALE_EPSILON))
    maps = opset.reshape(opset.divide(opset.subtract(maps, low), spread),
                         np.array([-1, classes.get_length(), height, width], np.int64), False)
    maps.output(0).get_tensor().set_names({SALIENCY_OUTPUT_NAME})
    model.add_outputs([maps.output(0)])
    return height, width
