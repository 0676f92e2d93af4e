"""The training resize in plain numpy, for applications that run an IR without PyTorch.

It reproduces ``adaptcls.datasets.transforms.Resize`` (``torch.nn.functional.interpolate``,
bilinear, ``align_corners=False``, no antialias, then rounding to uint8): source coordinate
``(dst + 0.5) * in / out - 0.5`` clamped at 0, the two neighbours ``floor`` and ``floor + 1``
(clamped to the last pixel), float32 arithmetic in torch's order.
"""
from typing import Tuple

import numpy as np


def _source_taps(in_size: int, out_size: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per output index: the two source indices and their weights (float32, as torch computes them)."""
    scale = np.float32(in_size) / np.float32(out_size)
    source = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    source = np.maximum(source, np.float32(0))
    index0 = np.minimum(source.astype(np.int64), in_size - 1)
    index1 = np.minimum(index0 + 1, in_size - 1)
    weight1 = (source - index0.astype(np.float32)).astype(np.float32)
    weight0 = (np.float32(1) - weight1).astype(np.float32)
    return index0, index1, weight0, weight1


def resize_bilinear(image: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resizes an (H, W, C) uint8 image to ``size`` = (height, width) like adaptcls's ``Resize``.

    Args:
        image (np.ndarray): (H, W, C) uint8 image.
        size (tuple[int, int]): (height, width) of the result.

    Returns:
        np.ndarray: (height, width, C) uint8 image (``image`` itself when it has that size).
    """
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    rows0, rows1, row_w0, row_w1 = _source_taps(image.shape[0], height)
    cols0, cols1, col_w0, col_w1 = _source_taps(image.shape[1], width)
    pixels = image.astype(np.float32)
    col_w0, col_w1 = col_w0[None, :, None], col_w1[None, :, None]
    top = col_w0 * pixels[rows0][:, cols0] + col_w1 * pixels[rows0][:, cols1]
    bottom = col_w0 * pixels[rows1][:, cols0] + col_w1 * pixels[rows1][:, cols1]
    blended = row_w0[:, None, None] * top + row_w1[:, None, None] * bottom
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
