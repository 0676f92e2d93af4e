"""Geometric and photometric transforms on the (H, W, 3) uint8 RGB ``img``.

Randomness: every transform here draws from **torch's global RNG** (torchvision's ColorJitter
does too). mmengine seeds it with ``randomness.seed``, and PyTorch's DataLoader gives each
worker its own torch seed, so a seeded run is reproducible with any number of workers.
"""
import math
from typing import Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.transforms import BaseTransform
from PIL import Image
from torchvision import transforms as tv_transforms

from adaptcls.errors import UserInputError
from adaptcls.registry import TRANSFORMS

Size = Union[int, Sequence[int]]


def _random_uniform(low: float, high: float) -> float:
    """One draw from U[low, high) using torch's global RNG."""
    return low + (high - low) * torch.rand(()).item()


def _random_int(low: int, high: int) -> int:
    """One draw from the integers low..high (inclusive) using torch's global RNG."""
    return int(torch.randint(low, high + 1, ()).item())


def _happens(prob: float) -> bool:
    """True with probability ``prob`` (prob 0 never, prob 1 always)."""
    return torch.rand(()).item() < prob


def _check_prob(prob: float) -> float:
    if not 0.0 <= prob <= 1.0:
        raise UserInputError(f'prob must lie in [0, 1], got {prob}.')
    return float(prob)


def _as_height_width(size: Size) -> Tuple[int, int]:
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    if height <= 0 or width <= 0:
        raise UserInputError(f'size must be a positive int or (height, width), got {size!r}.')
    return int(height), int(width)


def _set_img(results: dict, img: np.ndarray) -> dict:
    results['img'] = img
    results['img_shape'] = img.shape[:2]
    return results


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resizes ``img`` to a fixed size with bilinear interpolation.

    The interpolation is ``torch.nn.functional.interpolate(mode='bilinear', align_corners=False)``
    (half-pixel centres), rounded to uint8: the same maths as ``cv2.INTER_LINEAR``, ONNX
    ``Resize`` (linear, half_pixel) and OpenVINO's PrePostProcessor ``RESIZE_LINEAR`` (they
    agree to within 1 grey level), so a deployed model that resizes in its graph sees what
    training saw. Pillow's bilinear differs: it antialiases when shrinking.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        size (int | Sequence[int]): output size; an int gives a square, a pair is
            (height, width).
        antialias (bool): low-pass filter when shrinking (like Pillow). Breaks parity with the
            deployed resize above. Defaults to False.
    """

    def __init__(self, size: Size, antialias: bool = False) -> None:
        self.size = _as_height_width(size)
        self.antialias = antialias

    def transform(self, results: dict) -> dict:
        """Resizes ``results['img']``."""
        img = results['img']
        if img.shape[:2] == self.size:
            return results
        chw = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float()
        resized = F.interpolate(chw, size=self.size, mode='bilinear', align_corners=False,
                                antialias=self.antialias)
        return _set_img(results, resized[0].permute(1, 2, 0).round().to(torch.uint8).numpy())

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size}, antialias={self.antialias})'


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """With probability ``prob``, crops a random window with the image's aspect ratio.

    The window's area is a fraction drawn uniformly from ``scale`` of the image area (so each
    side is ``sqrt(fraction)`` of the original), placed uniformly at random.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        prob (float): probability of cropping. Defaults to 0.3.
        scale (Sequence[float]): (min, max) fraction of the area kept, 0 < min <= max <= 1.
            Defaults to (0.9, 1.0).
    """

    def __init__(self, prob: float = 0.3, scale: Sequence[float] = (0.9, 1.0)) -> None:
        self.prob = _check_prob(prob)
        low, high = scale
        if not 0.0 < low <= high <= 1.0:
            raise UserInputError(f'scale must satisfy 0 < min <= max <= 1, got {tuple(scale)}.')
        self.scale = (float(low), float(high))

    def transform(self, results: dict) -> dict:
        """Crops ``results['img']`` with probability ``prob``."""
        if not _happens(self.prob):
            return results
        img = results['img']
        height, width = img.shape[:2]
        side_fraction = math.sqrt(_random_uniform(*self.scale))
        crop_height = max(1, round(height * side_fraction))
        crop_width = max(1, round(width * side_fraction))
        top = _random_int(0, height - crop_height)
        left = _random_int(0, width - crop_width)
        return _set_img(results, img[top:top + crop_height, left:left + crop_width].copy())

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, scale={self.scale})'


@TRANSFORMS.register_module()
class RandomHorizontalFlip(BaseTransform):
    """With probability ``prob``, mirrors ``img`` left-right.

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        prob (float): probability of flipping. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = _check_prob(prob)

    def transform(self, results: dict) -> dict:
        """Flips ``results['img']`` with probability ``prob``."""
        if _happens(self.prob):
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class RandomRotate(BaseTransform):
    """With probability ``prob``, rotates ``img`` about its centre by a uniform random angle.

    The angle is drawn from [-max_angle, max_angle] degrees (positive = counter-clockwise);
    Pillow's ``Image.rotate`` with bilinear resampling keeps the output size, and the corners
    that come from outside the image are filled with ``fill``.

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        prob (float): probability of rotating. Defaults to 0.3.
        max_angle (float): largest absolute angle in degrees. Defaults to 10.0.
        fill (int | Sequence[int]): grey level or RGB colour of the uncovered corners.
            Defaults to 0.
    """

    def __init__(self, prob: float = 0.3, max_angle: float = 10.0,
                 fill: Union[int, Sequence[int]] = 0) -> None:
        self.prob = _check_prob(prob)
        if max_angle < 0:
            raise UserInputError(f'max_angle must be >= 0 degrees, got {max_angle}.')
        self.max_angle = float(max_angle)
        self.fill = (fill, fill, fill) if isinstance(fill, int) else tuple(fill)

    def transform(self, results: dict) -> dict:
        """Rotates ``results['img']`` with probability ``prob``."""
        if _happens(self.prob):
            angle = _random_uniform(-self.max_angle, self.max_angle)
            rotated = Image.fromarray(results['img']).rotate(
                angle, resample=Image.Resampling.BILINEAR, fillcolor=self.fill)
            results['img'] = np.array(rotated)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, max_angle={self.max_angle}, fill={self.fill})'


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Random brightness, contrast, saturation and hue: ``torchvision.transforms.ColorJitter``
    applied to ``img`` as a PIL image (factors and order drawn from torch's global RNG).

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        brightness (float | Sequence[float]): factor drawn from [max(0, 1 - b), 1 + b], or a
            (min, max) pair. 0 disables it. Defaults to 0.
        contrast (float | Sequence[float]): as ``brightness``. Defaults to 0.
        saturation (float | Sequence[float]): as ``brightness``. Defaults to 0.
        hue (float | Sequence[float]): shift drawn from [-h, h], 0 <= h <= 0.5, or a pair.
            Defaults to 0.
    """

    def __init__(self, brightness: Union[float, Sequence[float]] = 0.,
                 contrast: Union[float, Sequence[float]] = 0.,
                 saturation: Union[float, Sequence[float]] = 0.,
                 hue: Union[float, Sequence[float]] = 0.) -> None:
        self.jitter = tv_transforms.ColorJitter(brightness, contrast, saturation, hue)

    def transform(self, results: dict) -> dict:
        """Jitters the colours of ``results['img']``."""
        results['img'] = np.array(self.jitter(Image.fromarray(results['img'])))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.jitter!r})'
