"""Decoding an image file into the (H, W, 3) uint8 RGB array adaptcls trains and serves on.

One decoder for both sides: the training pipeline's ``LoadImage`` and the exported IR's reader
(``adaptcls.deployment.runtime.ir_classifier``) call :func:`read_rgb_image`, so a 16-bit, palette, alpha or EXIF-rotated
file gives the same pixels at training and at serving time. It imports only numpy and Pillow (an application running
an IR needs nothing else).

Pillow modes are converted as follows:

- ``RGB``: as is. ``L``, ``1``, ``CMYK``, ``YCbCr`` and palette (``P``) images without transparency: Pillow's
  ``convert('RGB')``.
- Anything with transparency (``RGBA``, ``LA``, ``PA``, ``P``/``L``/``RGB`` with a transparency key):
  alpha-composited onto ``alpha_background`` (white by default, so dark strokes drawn on a transparent canvas stay
  visible), then RGB.
- 16-bit grey (``I;16*``) and 32-bit integer grey (``I``, which is how older Pillow versions open 16-bit PNGs):
  values 0..65535 scaled linearly to 0..255 (no clipping); ``I`` values outside 0..65535 raise
  :class:`ImageLoadError`.
- 16-bit colour (48-bit RGB, 64-bit RGBA PNGs): Pillow opens them as ``RGB``/``RGBA`` with each channel's high byte
  (value // 256, at most one level below the rounded scaling of 16-bit grey), then as above.
- 32-bit float grey (``F``): read on Pillow's 0..255 scale and rounded; values outside 0..255 raise
  :class:`ImageLoadError`.

Multi-frame files (GIF, TIFF) give their first frame. The whole file is decoded (``Image.load()``), so a truncated
file fails here rather than later.
"""
import struct
from typing import Sequence

import numpy as np
from PIL import Image, ImageOps

from adaptcls.errors import UserInputError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif', '.tiff', '.webp', '.gif')
"""File extensions read as images (any case), by the data sets and by prediction."""
UINT16_MAX = 65535
UINT8_MAX = 255
WHITE = (255, 255, 255)
"""The default background of transparent pixels."""
# What Pillow raises for a missing, empty, truncated, corrupt or non-image file.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)


class ImageLoadError(UserInputError):
    """An image file that cannot be read: missing, empty, truncated, corrupt, not an image, or with
    pixel values that have no defined 8-bit meaning. The message names the file."""


def scale_16bit_to_8bit(values: np.ndarray) -> np.ndarray:
    """Maps 0..65535 linearly onto 0..255, rounding half up (65535 -> 255, 32768 -> 128).

    Args:
        values (np.ndarray): integer array with values in [0, 65535].

    Returns:
        np.ndarray: uint8 array of the same shape.
    """
    wide = values.astype(np.uint32)
    return ((wide * UINT8_MAX + UINT16_MAX // 2) // UINT16_MAX).astype(np.uint8)


def read_rgb_image(path: str, alpha_background: Sequence[int] = WHITE,
                   apply_exif_orientation: bool = True) -> np.ndarray:
    """Decodes ``path`` to an (H, W, 3) uint8 RGB array (the conversions of the module docstring).

    Args:
        path (str): the image file.
        alpha_background (Sequence[int]): RGB colour that transparent pixels are composited onto.
            Defaults to white.
        apply_exif_orientation (bool): rotate/flip the image as its EXIF ``Orientation`` tag says, as image viewers
            and ``cv2.imread`` do. Defaults to True.

    Raises:
        ImageLoadError: the file cannot be decoded; the message names it.
    """
    try:
        with Image.open(path) as image:
            image.load()
            if apply_exif_orientation:
                image = ImageOps.exif_transpose(image)
            return _to_rgb_array(image, path, tuple(alpha_background))
    except ImageLoadError:
        raise
    except DECODE_ERRORS as error:
        raise ImageLoadError(
            f'Cannot read image "{path}" ({type(error).__name__}: {error}). The file is missing, '
            'empty, truncated or not an image: replace or delete it, or fix its entry in the '
            "annotation file; or let the dataset leave unreadable images out with its bad_images='skip' "
            'option (e.g. --cfg-options train_dataloader.dataset.bad_images=skip '
            'val_dataloader.dataset.bad_images=skip).') from error


def pil_to_rgb(image: Image.Image, alpha_background: Sequence[int] = WHITE) -> np.ndarray:
    """An already opened Pillow image as the (H, W, 3) uint8 RGB array :func:`read_rgb_image` gives for its file
    (the same conversions; no EXIF rotation: an image in memory is taken as it is)."""
    return _to_rgb_array(image, '<Pillow image>', tuple(alpha_background))


def _to_rgb_array(image: Image.Image, path: str, alpha_background: tuple) -> np.ndarray:
    mode = image.mode
    if mode == 'RGB' and 'transparency' not in image.info:
        return np.array(image)
    if mode.startswith('I;16') or mode == 'I':
        return _grey_to_rgb(scale_16bit_to_8bit(_checked_range(image, UINT16_MAX, path)))
    if mode == 'F':
        return _grey_to_rgb(np.rint(_checked_range(image, UINT8_MAX, path)).astype(np.uint8))
    if image.has_transparency_data:
        background = Image.new('RGBA', image.size, alpha_background + (UINT8_MAX,))
        return np.array(Image.alpha_composite(background, image.convert('RGBA')).convert('RGB'))
    return np.array(image.convert('RGB'))


def _checked_range(image: Image.Image, max_value: float, path: str) -> np.ndarray:
    """Returns the single-channel pixel array, refusing values outside [0, max_value]."""
    values = np.array(image)
    if values.size and not (np.isfinite(values).all() and values.min() >= 0 and values.max() <= max_value):
        raise ImageLoadError(
            f'Image "{path}" (Pillow mode {image.mode}) has pixel values in '
            f'[{values.min()}, {values.max()}], outside the 0..{max_value} this loader can map to '
            '8 bits; save it as an 8-bit or 16-bit image.')
    return values


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
