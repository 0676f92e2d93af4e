"""The data the saliency tests explain: images whose class is decided by a white patch in the top-left corner (the
other class has none), so a map of that class must peak there (fixtures in conftest.py)."""
import pathlib

import numpy as np
from PIL import Image

SIZE = 128
"""Image and input size: the last feature map is 4 x 4 (at 64 px, 2 x 2, the maps did not localise)."""
PATCH = 32
"""Side of the white patch of the 'corner' class."""
TRAIN, VAL = 40, 10
"""Images per class and split."""


def _image(rng, with_patch: bool) -> np.ndarray:
    image = rng.integers(0, 120, (SIZE, SIZE, 3), dtype=np.uint8)
    if with_patch:
        image[:PATCH, :PATCH] = 255
    return image


def quarter_means(saliency: np.ndarray) -> list:
    """Mean of each quarter of a map: top left, top right, bottom left, bottom right."""
    half = saliency.shape[0] // 2
    return [saliency[:half, :half].mean(), saliency[:half, half:].mean(), saliency[half:, :half].mean(),
            saliency[half:, half:].mean()]


def write_corner_data(root: pathlib.Path) -> None:
    """Writes root/train and root/val, each with 'corner' and 'plain' class folders of PNGs."""
    rng = np.random.default_rng(0)
    for split, count in (('train', TRAIN), ('val', VAL)):
        for name, with_patch in (('corner', True), ('plain', False)):
            (root / split / name).mkdir(parents=True)
            for index in range(count):
                Image.fromarray(_image(rng, with_patch)).save(root / split / name / f'{index}.png')
