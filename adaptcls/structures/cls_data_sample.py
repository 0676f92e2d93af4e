"""The per-image record that flows from the dataset through the model to the metric."""
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

from adaptcls.errors import UserInputError

LabelLike = Union[int, np.integer, torch.Tensor, Sequence[int]]


def to_label_tensor(value: LabelLike) -> torch.Tensor:
    """Converts an int (or 1-element tensor/sequence/array) class index to a 0-d long tensor.

    Args:
        value (int | np.integer | torch.Tensor | Sequence[int]): the class index.

    Returns:
        torch.Tensor: a 0-dimensional ``torch.long`` tensor.

    Raises:
        TypeError: if ``value`` is not an integer-like label.
    """
    if isinstance(value, torch.Tensor):
        tensor = value.detach().to(torch.long)
    elif isinstance(value, (int, np.integer)):
        tensor = torch.tensor(int(value), dtype=torch.long)
    elif isinstance(value, (list, tuple, np.ndarray)):
        tensor = torch.as_tensor(np.asarray(value), dtype=torch.long)
    else:
        raise TypeError(f'A class label must be an int or a tensor, got {type(value).__name__}.')
    if tensor.numel() != 1:
        raise TypeError(f'A class label must hold exactly one index, got shape {tuple(tensor.shape)}.')
    return tensor.reshape(())


class ClsDataSample(BaseDataElement):
    """Annotation and prediction of one image.

    Fields (all optional):
        gt_label (torch.Tensor): 0-d long tensor, the true class index.
        pred_score (torch.Tensor): (num_classes,) float tensor of class probabilities.
        pred_label (torch.Tensor): 0-d long tensor, the arg-max of ``pred_score``.

    Meta information (``metainfo``) carries ``img_path``, ``ori_shape`` and ``img_shape``.
    """

    def set_gt_label(self, value: LabelLike) -> 'ClsDataSample':
        """Sets ``gt_label`` from an int-like value. Returns self for chaining."""
        self.gt_label = to_label_tensor(value)
        return self

    def set_pred_score(self, value: torch.Tensor) -> 'ClsDataSample':
        """Sets ``pred_score`` (1-D probabilities) and the matching ``pred_label``. Returns self."""
        if value.dim() != 1:
            raise UserInputError(f'pred_score must be 1-D (num_classes,), got shape {tuple(value.shape)}.')
        self.pred_score = value
        self.pred_label = value.argmax().reshape(())
        return self
