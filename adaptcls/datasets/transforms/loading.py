"""Reading an image file into the RGB uint8 array every later transform expects."""
import struct
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageOps

from adaptcls.registry import TRANSFORMS

UINT16_MAX = 65535
UINT8_MAX = 255
# What Pillow raises for a missing, empty, truncated, corrupt or non-image file.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)


class ImageLoadError(ValueError):
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


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Reads ``img_path`` with Pillow and converts it to an (H, W, 3) uint8 RGB array.

    Pillow modes are converted as follows:

    - ``RGB``: as is. ``L``, ``1``, ``CMYK``, ``YCbCr`` and palette (``P``) images without
      transparency: Pillow's ``convert('RGB')``.
    - Anything with transparency (``RGBA``, ``LA``, ``PA``, ``P``/``L``/``RGB`` with a
      transparency key): alpha-composited onto ``alpha_background`` (white by default, so dark
      strokes drawn on a transparent canvas stay visible), then RGB.
    - 16-bit grey (``I;16*``) and 32-bit integer grey (``I``, which is how older Pillow versions
      open 16-bit PNGs): values 0..65535 scaled linearly to 0..255 (no clipping); ``I`` values
      outside 0..65535 raise :class:`ImageLoadError`.
    - 16-bit colour (48-bit RGB, 64-bit RGBA PNGs): Pillow opens them as ``RGB``/``RGBA`` with
      each channel's high byte (value // 256, at most one level below the rounded scaling of
      16-bit grey), then as above.
    - 32-bit float grey (``F``): read on Pillow's 0..255 scale and rounded; values outside
      0..255 raise :class:`ImageLoadError`.

    Multi-frame files (GIF, TIFF) give their first frame. The whole file is decoded
    (``Image.load()``), so a truncated file fails here rather than later.

    Required keys: ``img_path``.
    Added keys: ``img`` (np.uint8, (H, W, 3), RGB), ``img_shape`` and ``ori_shape`` ((H, W)).

    Args:
        alpha_background (Sequence[int]): RGB colour that transparent pixels are composited
            onto. Defaults to (255, 255, 255).
        apply_exif_orientation (bool): rotate/flip the image as its EXIF ``Orientation`` tag
            says, as image viewers and ``cv2.imread`` do. Defaults to True.

    Raises:
        ImageLoadError: the file cannot be decoded; the message names it.
    """

    def __init__(self, alpha_background: Sequence[int] = (255, 255, 255),
                 apply_exif_orientation: bool = True) -> None:
        if len(alpha_background) != 3 or not all(0 <= c <= UINT8_MAX for c in alpha_background):
            raise ValueError(f'alpha_background must be three ints in 0..255, got {alpha_background!r}.')
        self.alpha_background = tuple(int(c) for c in alpha_background)
        self.apply_exif_orientation = apply_exif_orientation

    def transform(self, results: dict) -> dict:
        """Loads ``results['img_path']``; see the class docstring for the keys."""
        path = results['img_path']
        img = self.read_rgb(path)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def read_rgb(self, path: str) -> np.ndarray:
        """Decodes ``path`` to an (H, W, 3) uint8 RGB array; raises ImageLoadError naming it."""
        try:
            with Image.open(path) as image:
                image.load()
                if self.apply_exif_orientation:
                    image = ImageOps.exif_transpose(image)
                return self._to_rgb_array(image, path)
        except ImageLoadError:
            raise
        except DECODE_ERRORS as error:
            raise ImageLoadError(
                f'Cannot read image "{path}" ({type(error).__name__}: {error}). The file is missing, '
                'empty, truncated or not an image: replace or delete it, or fix its entry in the '
                "annotation file; or let the dataset leave unreadable images out with its bad_images='skip' "
                'option (e.g. --cfg-options train_dataloader.dataset.bad_images=skip '
                'val_dataloader.dataset.bad_images=skip).') from error

    def _to_rgb_array(self, image: Image.Image, path: str) -> np.ndarray:
        mode = image.mode
        if mode == 'RGB' and 'transparency' not in image.info:
            return np.array(image)
        if mode.startswith('I;16') or mode == 'I':
            return _grey_to_rgb(scale_16bit_to_8bit(_checked_range(image, UINT16_MAX, path)))
        if mode == 'F':
            return _grey_to_rgb(np.rint(_checked_range(image, UINT8_MAX, path)).astype(np.uint8))
        if image.has_transparency_data:
            return self._composite_on_background(image)
        return np.array(image.convert('RGB'))

    def _composite_on_background(self, image: Image.Image) -> np.ndarray:
        background = Image.new('RGBA', image.size, self.alpha_background + (UINT8_MAX,))
        return np.array(Image.alpha_composite(background, image.convert('RGBA')).convert('RGB'))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha_background={self.alpha_background}, '
                f'apply_exif_orientation={self.apply_exif_orientation})')


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
