"""One image's saliency map and the files ``adaptcls explain`` writes from it (numpy, Pillow and matplotlib only).

Shared by the checkpoint's Grad-CAM (``adaptcls.apis.saliency``) and the IR's Recipro-CAM
(:mod:`~adaptcls.deployment.runtime.ir_saliency`), so both write the same files.
"""
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

OVERLAY_ALPHA = 0.5
"""Weight of the colour-mapped saliency over the image in the overlays."""
COLORMAP = 'jet'
"""Matplotlib colour map of the overlays (red: most salient)."""


@dataclass
class Explanation:
    """One image's saliency map.

    Attributes:
        path (str): the image file.
        label (str): the class explained (the prediction, or the one asked for).
        probability (float): the model's probability of that class.
        predicted (str): the predicted class.
        saliency (np.ndarray): (H, W) float32 map in [0, 1] at the model's input size.
        image (np.ndarray): (H, W, 3) uint8 image the model saw (resized to its input size).
    """

    path: str
    label: str
    probability: float
    predicted: str
    saliency: np.ndarray
    image: np.ndarray


def overlay(image: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """The (H, W, 3) uint8 image with the colour-mapped saliency blended over it."""
    from matplotlib import colormaps
    heat = colormaps[COLORMAP](saliency)[..., :3] * 255.0
    return np.clip((1 - OVERLAY_ALPHA) * image + OVERLAY_ALPHA * heat, 0, 255).astype(np.uint8)


def save_explanation(explanation: Explanation, out_dir: str) -> Sequence[str]:
    """Writes ``<image name>_saliency.png`` (the overlay) and ``<image name>_saliency.npy`` (the raw map) into
    ``out_dir``; returns both paths."""
    from PIL import Image

    from adaptcls.utils.atomic import atomic_path
    stem = os.path.splitext(os.path.basename(explanation.path))[0]
    png, npy = (os.path.join(out_dir, f'{stem}_saliency{suffix}') for suffix in ('.png', '.npy'))
    with atomic_path(png) as tmp:
        Image.fromarray(overlay(explanation.image, explanation.saliency)).save(tmp, format='PNG')
    with atomic_path(npy) as tmp:
        with open(tmp, 'wb') as stream:
            np.save(stream, explanation.saliency)
    return png, npy
