"""Additive-margin softmax (AM-Softmax) head: scaled cosine logits, a margin on the target in training."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample
from .utils import gather_targets, pack_predictions

AUTO_SCALE = 'auto'


def auto_scale(num_classes: int, floor: float) -> float:
    """The AdaCos fixed scale ``sqrt(2) * ln(C - 1)`` (Zhang et al., CVPR 2019), at least ``floor``.

    Args:
        num_classes (int): C, the number of classes.
        floor (float): the smallest scale returned (the recipe's 3, which matters for few classes:
            ``ln(C - 1)`` is 0 for two classes).

    Returns:
        float: the scale ``s``.
    """
    return max(math.sqrt(2) * math.log(num_classes - 1), floor)


@MODELS.register_module()
class AMSoftmaxHead(BaseModule):
    """AM-Softmax (Wang et al., "Additive Margin Softmax for Face Verification", 2018).

    ``cos = normalize(x) @ normalize(W).T`` clamped to [-1, 1] is the cosine between the feature
    and each class weight. Training minimises ``loss(s * (cos - m * target), target)``, where
    ``target`` is the one-hot label, or the soft target ``gt_score`` of MixUp/CutMix (then each
    class's cosine loses ``m`` times its target weight). Inference (:meth:`forward`) returns
    ``s * cos`` with no margin, so the softmax of the exported output is the distribution the
    training loss shapes.

    The margin term is computed afresh on every call from the float ``margin``; the head keeps
    no tensor that training could modify in place (the original code multiplied its stored
    margin tensor in place and so lost the margin after the first iteration).

    Args:
        num_classes (int): number of classes, at least 2.
        in_channels (int): size of the input feature vector (the backbone's ``out_channels``).
        margin (float): additive cosine margin ``m`` in [0, 1). Defaults to 0.35.
        scale (float | str): the scale ``s`` (> 0), or ``'auto'`` for
            ``max(sqrt(2) * ln(C - 1), auto_scale_floor)`` (AdaCos's fixed scale with the recipe's
            floor). Defaults to 'auto'.
        auto_scale_floor (float): the smallest scale ``'auto'`` gives. Defaults to 3.0.
        dropout (float): dropout probability on the feature before it is normalised, in [0, 1);
            active in training only (the paper's auxiliary AM-Softmax model used 0.2). Defaults
            to 0.0.
        loss (dict, optional): config of the loss applied to the margin logits, built from
            ``MODELS``. Defaults to None, which means ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None: PyTorch's
            ``nn.Linear`` initialisation (only the direction of each class weight matters).

    Attributes:
        scale (float): the resolved scale ``s``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 margin: float = 0.35,
                 scale: Union[float, str] = AUTO_SCALE,
                 auto_scale_floor: float = 3.0,
                 dropout: float = 0.0,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        _check_arguments(num_classes, margin, scale, dropout)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.margin = float(margin)
        self.scale = auto_scale(num_classes, auto_scale_floor) if scale == AUTO_SCALE else float(scale)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, num_classes, bias=False)
        self.loss_module = MODELS.build(loss or dict(type='CrossEntropyLoss'))

    def cosine(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Returns the (N, num_classes) cosines between ``feats[-1]`` (after dropout) and the class weights."""
        features = F.normalize(self.dropout(feats[-1]), dim=1)
        weights = F.normalize(self.fc.weight, dim=1)
        return F.linear(features, weights).clamp(-1.0, 1.0)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Returns the (N, num_classes) inference logits ``s * cos`` (no margin)."""
        return self.scale * self.cosine(feats)

    def loss(self, feats: Tuple[torch.Tensor, ...],
             data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """Returns ``{'loss': loss(s * (cos - m * target), target)}``.

        ``target`` is ``gt_score`` when every sample has it (soft targets), else ``gt_label``.
        """
        cosine = self.cosine(feats)
        targets = gather_targets(data_samples, cosine.device)
        margin_logits = self.scale * (cosine - self.margin * self._target_weights(targets, cosine))
        return {'loss': self.loss_module(margin_logits, targets)}

    def predict(self, feats: Tuple[torch.Tensor, ...],
                data_samples: Optional[Sequence[ClsDataSample]] = None) -> List[ClsDataSample]:
        """Returns the samples with ``pred_score`` = softmax of :meth:`forward`, and ``pred_label``."""
        return pack_predictions(self(feats), data_samples)

    def _target_weights(self, targets: torch.Tensor, cosine: torch.Tensor) -> torch.Tensor:
        """The (N, C) weight of the margin per class: the one-hot label or the soft target."""
        if targets.dim() == 2:
            return targets.to(cosine.dtype)
        return F.one_hot(targets, self.num_classes).to(cosine.dtype)


def _check_arguments(num_classes: int, margin: float, scale: Union[float, str], dropout: float) -> None:
    """Raises ValueError for an impossible head configuration, naming the key."""
    if num_classes < 2:
        raise UserInputError(f'AMSoftmaxHead: num_classes must be at least 2, got {num_classes}; '
                             'set model.head.num_classes to the number of classes of the dataset.')
    if not 0.0 <= margin < 1.0:
        raise UserInputError(f'AMSoftmaxHead: margin must be in [0, 1), got {margin}; the recipe uses 0.35.')
    if not 0.0 <= dropout < 1.0:
        raise UserInputError(f'AMSoftmaxHead: dropout must be in [0, 1), got {dropout}; set model.head.dropout '
                         'to 0 (off) or a probability such as 0.2.')
    if scale == AUTO_SCALE:
        return
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
        raise UserInputError(f'AMSoftmaxHead: scale must be a positive number or "{AUTO_SCALE}", got {scale!r}.')
