"""ONNX export of the evaluated model and its check against PyTorch with ONNX Runtime."""
import contextlib
import io
from typing import Tuple

import numpy as np
import torch
from torch import nn

from adaptcls.errors import UserInputError
from ..dependencies import require

INPUT_NAME = 'input'
"""The ONNX input: (batch, 3, H, W) float32 images normalised with the training mean/std."""
OUTPUT_NAME = 'logits'
"""The ONNX output: (batch, num_classes) float32 logits (no softmax)."""
DEFAULT_OPSET = 18
"""ONNX opset of the export (torch's ``torch.export``-based exporter targets 18)."""
EXAMPLE_BATCH = 2
"""Batch size of the tracing example; 1 would let torch.export specialise the batch axis."""


def export_onnx(module: nn.Module, input_size: Tuple[int, int], path: str,
                opset: int = DEFAULT_OPSET) -> None:
    """Exports ``module`` (eval mode) to ``path`` with a dynamic batch axis and weights inside.

    Uses PyTorch's ``torch.export``-based exporter (``torch.onnx.export(dynamo=True)``), whose
    graph matches eager PyTorch to float rounding.

    Args:
        module (nn.Module): maps (N, 3, H, W) normalised images to (N, C) logits.
        input_size (tuple[int, int]): (height, width) of the input.
        path (str): the ``.onnx`` file to write.
        opset (int): ONNX opset, at least 13. Defaults to :data:`DEFAULT_OPSET`.
    """
    require('onnx')
    require('onnxscript')
    if opset < 13:
        raise UserInputError(f'ONNX opset must be at least 13, got {opset}.')
    example = torch.zeros(EXAMPLE_BATCH, 3, *input_size)
    batch = torch.export.Dim('batch')
    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):  # the exporter's chatter
        torch.onnx.export(module.eval(), (example, ), path, dynamo=True, external_data=False,
                          opset_version=opset, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_shapes=({0: batch}, ))


def onnx_session(path: str, threads: int = 0):
    """An ONNX Runtime CPU session; ``threads`` > 0 sets intra-op threads (0: ORT's default).

    Args:
        path (str): the ``.onnx`` file.
        threads (int): intra-op threads. Defaults to 0.
    """
    onnxruntime = require('onnxruntime')
    options = onnxruntime.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(path, options, providers=['CPUExecutionProvider'])


def onnx_logits(path: str, inputs: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Runs the ONNX file with ONNX Runtime on (N, 3, H, W) normalised float32 images, in batches.

    Args:
        path (str): the ``.onnx`` file.
        inputs (np.ndarray): (N, 3, H, W) float32 normalised images.
        batch_size (int): images per run. Defaults to 64.

    Returns:
        np.ndarray: (N, num_classes) logits.
    """
    session = onnx_session(path)
    return np.concatenate([session.run([OUTPUT_NAME], {INPUT_NAME: inputs[start:start + batch_size]})[0]
                           for start in range(0, len(inputs), batch_size)])
