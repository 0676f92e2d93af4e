"""Crops of timm's ImageNet recipe: random-resized crop (train) and centre crop (eval)."""
from typing import Sequence

import torch
from mmcv.transforms import BaseTransform
from torchvision.transforms import RandomResizedCrop as TorchvisionRandomResizedCrop

from adaptcls.errors import UserInputError
from adaptcls.registry import TRANSFORMS
from .processing import Resize, Size, _as_height_width, _set_img


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crops a random window of random area and aspect ratio, then resizes it to ``size``.

    The Inception-style crop of timm's and torchvision's ImageNet training (Szegedy et al. 2015):
    the window's area fraction is drawn from ``scale`` and its aspect ratio log-uniformly from
    ``ratio`` by ``torchvision.transforms.RandomResizedCrop.get_params`` (torch's global RNG, so
    a seeded run is reproducible); the window is resized with :class:`Resize` (bilinear, the
    deployed graph's maths).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        size (int | Sequence[int]): output size; an int gives a square, a pair is (height, width).
        scale (Sequence[float]): (min, max) fraction of the image area. Defaults to (0.08, 1.0),
            timm's and torchvision's.
        ratio (Sequence[float]): (min, max) aspect ratio (width / height) of the window.
            Defaults to (3/4, 4/3).
    """

    def __init__(self, size: Size, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3)) -> None:
        low, high = scale
        if not 0.0 < low <= high <= 1.0:
            raise UserInputError(f'RandomResizedCrop: scale must satisfy 0 < min <= max <= 1, got {tuple(scale)}.')
        if not 0.0 < ratio[0] <= ratio[1]:
            raise UserInputError(f'RandomResizedCrop: ratio must satisfy 0 < min <= max, got {tuple(ratio)}.')
        self.scale = (float(low), float(high))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        self.resize = Resize(size)

    def transform(self, results: dict) -> dict:
        """Crops ``results['img']`` at random and resizes the window to ``size``."""
        img = results['img']
        shape_only = torch.empty((1, *img.shape[:2]), dtype=torch.uint8)  # get_params reads the size only
        top, left, height, width = TorchvisionRandomResizedCrop.get_params(shape_only, list(self.scale),
                                                                          list(self.ratio))
        _set_img(results, img[top:top + height, left:left + width].copy())
        return self.resize.transform(results)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.resize.size}, scale={self.scale}, ratio={self.ratio})'


@TRANSFORMS.register_module()
class CenterCrop(BaseTransform):
    """Cuts the central ``size`` window out of ``img`` (timm's evaluation crop after a resize to
    ``size / crop_pct``).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        size (int | Sequence[int]): window size; an int gives a square, a pair is (height, width).
            It must not exceed the image.
    """

    def __init__(self, size: Size) -> None:
        self.size = _as_height_width(size)

    def transform(self, results: dict) -> dict:
        """Crops the centre of ``results['img']``."""
        img = results['img']
        height, width = img.shape[:2]
        crop_height, crop_width = self.size
        if crop_height > height or crop_width > width:
            raise UserInputError(f'CenterCrop: the window {self.size} is larger than the image '
                                 f'({height}, {width}); resize to at least the window size first.')
        top, left = (height - crop_height) // 2, (width - crop_width) // 2
        return _set_img(results, img[top:top + crop_height, left:left + crop_width].copy())

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size})'
