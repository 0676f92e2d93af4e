"""Reading an image file into the RGB uint8 array every later transform expects (``adaptcls.image_decoding``)."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from adaptcls.errors import UserInputError
from adaptcls.image_decoding import UINT8_MAX, ImageLoadError, read_rgb_image, scale_16bit_to_8bit
from adaptcls.registry import TRANSFORMS

__all__ = ['LoadImage', 'ImageLoadError', 'scale_16bit_to_8bit']


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Reads ``img_path`` with Pillow and converts it to an (H, W, 3) uint8 RGB array.

    The decoding is :func:`adaptcls.image_decoding.read_rgb_image` (its docstring lists how each Pillow mode,
    16-bit and alpha images included, is converted), which the exported IR's reader uses too, so training and
    serving see the same pixels.

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
            raise UserInputError(f'alpha_background must be three ints in 0..255, got {alpha_background!r}.')
        self.alpha_background = tuple(int(c) for c in alpha_background)
        self.apply_exif_orientation = apply_exif_orientation

    def transform(self, results: dict) -> dict:
        """Loads ``results['img_path']``; see the class docstring for the keys."""
        img = self.read_rgb(results['img_path'])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def read_rgb(self, path: str) -> np.ndarray:
        """Decodes ``path`` to an (H, W, 3) uint8 RGB array; raises ImageLoadError naming it."""
        return read_rgb_image(path, self.alpha_background, self.apply_exif_orientation)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha_background={self.alpha_background}, '
                f'apply_exif_orientation={self.apply_exif_orientation})')
