"""Crops: timm's random-resized crop (train) and centre crop (eval), and the adaptive recipe's resolution-aware crop."""
from typing import Sequence

import torch
from mmcv.transforms import BaseTransform
from torchvision.transforms import RandomResizedCrop as TorchvisionRandomResizedCrop

from adaptcls.errors import UserInputError
from adaptcls.registry import TRANSFORMS
from .processing import RandomCrop, Resize, Size, _as_height_width, _set_img


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


@TRANSFORMS.register_module()
class ResolutionAwareCrop(BaseTransform):
    """A training crop whose strength follows each image's resolution (docs/recipe.md "Augmentation": measured on
    real photos, a tie with the paper's crop, so not the adaptive recipe's default).

    - An image with more pixels than the model's input (a photo larger than ``size``): an Inception-style random-resized
      crop (timm's, window drawn by ``torchvision.transforms.RandomResizedCrop.get_params``) whose area fraction
      starts at ``max(min_area, input pixels / image pixels)``: the window never has fewer pixels than the input, so
      no crop magnifies the photo (timm's floor of 0.08 magnifies a 160 px photo cut for a 96 px input 2x per side).
    - Any other image (low-resolution data upscaled to the input, e.g. CIFAR-10's 32 px at 64 px): the paper's weak
      crop, :class:`~adaptcls.datasets.transforms.processing.RandomCrop` with ``prob`` and ``scale``, drawing the same
      random numbers, so such a data set trains exactly as with ``RandomCrop``.

    The window is not resized here: the pipeline's next ``Resize(size)`` does it (``size`` is the input size that
    Resize makes, scaled with it by ``--img-size``).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        size (int | Sequence[int]): the model's input size (the next Resize's); an int gives a square.
        prob (float): the weak crop's probability. Defaults to 0.3 (the paper's).
        scale (Sequence[float]): the weak crop's (min, max) area fraction. Defaults to (0.9, 1.0) (the paper's).
        min_area (float): the random-resized crop's lowest area fraction for a very large photo. Defaults to 0.08
            (timm's and torchvision's).
        ratio (Sequence[float]): the random-resized crop's (min, max) window aspect ratio. Defaults to (3/4, 4/3).
    """

    def __init__(self, size: Size, prob: float = 0.3, scale: Sequence[float] = (0.9, 1.0), min_area: float = 0.08,
                 ratio: Sequence[float] = (3 / 4, 4 / 3)) -> None:
        self.size = _as_height_width(size)
        self.weak_crop = RandomCrop(prob=prob, scale=scale)
        if not 0.0 < min_area <= 1.0:
            raise UserInputError(f'ResolutionAwareCrop: min_area must lie in (0, 1], got {min_area}.')
        if not 0.0 < ratio[0] <= ratio[1]:
            raise UserInputError(f'ResolutionAwareCrop: ratio must satisfy 0 < min <= max, got {tuple(ratio)}.')
        self.min_area = float(min_area)
        self.ratio = (float(ratio[0]), float(ratio[1]))

    def lowest_area(self, height: int, width: int) -> float:
        """The random-resized crop's lowest area fraction for an image of ``height`` x ``width`` (>= 1: weak crop)."""
        return max(self.min_area, self.size[0] * self.size[1] / (height * width))

    def transform(self, results: dict) -> dict:
        """Crops ``results['img']``: a random-resized window for a photo larger than the input, else the weak crop."""
        img = results['img']
        lowest = self.lowest_area(*img.shape[:2])
        if lowest >= 1.0:
            return self.weak_crop.transform(results)
        shape_only = torch.empty((1, *img.shape[:2]), dtype=torch.uint8)  # get_params reads the size only
        top, left, height, width = TorchvisionRandomResizedCrop.get_params(shape_only, [lowest, 1.0],
                                                                          list(self.ratio))
        return _set_img(results, img[top:top + height, left:left + width].copy())

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, prob={self.weak_crop.prob}, scale={self.weak_crop.scale}, '
                f'min_area={self.min_area}, ratio={self.ratio})')
