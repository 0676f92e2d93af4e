"""The last step of every pipeline: pack the image and its annotation for the model."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from adaptcls.errors import UserInputError
from adaptcls.registry import TRANSFORMS
from adaptcls.structures import ClsDataSample


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """Turns the results dict into the model's input and a :class:`ClsDataSample`.

    Required keys: ``img`` ((H, W, 3) uint8 RGB).
    Optional keys: ``gt_label`` (int), and the ``meta_keys`` present in the results.
    Output: ``{'inputs': torch.uint8 tensor (3, H, W), contiguous,
    'data_samples': ClsDataSample}``; the sample carries ``gt_label`` (0-d long tensor) when the
    results have one, and the present ``meta_keys`` as metainfo.

    Args:
        meta_keys (Sequence[str]): results keys copied into the sample's metainfo.
            Defaults to ('img_path', 'ori_shape', 'img_shape').
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'ori_shape', 'img_shape')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Packs ``results``; see the class docstring."""
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise UserInputError(
                'PackClsInputs needs results["img"] as an (H, W, 3) uint8 RGB array, got shape '
                f'{img.shape} and dtype {img.dtype} for "{results.get("img_path")}"; put LoadImage '
                'first in the pipeline and keep later transforms on uint8 RGB.')
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = ClsDataSample(metainfo={key: results[key] for key in self.meta_keys if key in results})
        if results.get('gt_label') is not None:
            sample.set_gt_label(results['gt_label'])
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
