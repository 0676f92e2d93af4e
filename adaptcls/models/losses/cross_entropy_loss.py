"""Cross-entropy with optional label smoothing and class weights, for hard labels and soft (mixed) targets."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Mean cross-entropy, ``loss_weight * F.cross_entropy(logits, target, label_smoothing=...)``.

    Label smoothing follows "Bag of Tricks for Image Classification" (He et al., 2019), eps = 0.1
    there; torch applies it as ``target * (1 - eps) + eps / C`` to hard and soft targets alike.

    Class weights (``class_weight``, torch's ``weight``): each sample's loss is multiplied by its class's weight, and
    for hard labels the mean is taken over the weights (torch's rule). ``--balance loss`` sets scikit-learn's
    "balanced" weights, ``n / (C * count_c)``, computed from the training set. They are a buffer that is not saved,
    so checkpoints keep the same keys with and without them.

    Args:
        label_smoothing (float): smoothing ``eps`` in [0, 1). Defaults to 0.0.
        loss_weight (float): factor applied to the loss. Defaults to 1.0.
        class_weight (Sequence[float], optional): one positive weight per class, index = label. Defaults to None
            (every class 1).
    """

    def __init__(self, label_smoothing: float = 0.0, loss_weight: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise UserInputError(f'CrossEntropyLoss: label_smoothing must be in [0, 1), got {label_smoothing}.')
        if class_weight is not None and (len(class_weight) < 2 or min(class_weight) <= 0):
            raise UserInputError(f'CrossEntropyLoss: class_weight must hold one positive weight per class, got '
                                 f'{list(class_weight)}.')
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight
        weight = None if class_weight is None else torch.tensor(list(class_weight), dtype=torch.float32)
        self.register_buffer('class_weight', weight, persistent=False)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Computes the loss.

        Args:
            logits (Tensor): (N, C) unnormalised class scores.
            target (Tensor): (N,) long class indices, or (N, C) class probabilities (soft targets
                from MixUp/CutMix).

        Returns:
            Tensor: the scalar loss.
        """
        if target.dim() == 2:
            if target.shape != logits.shape:
                raise UserInputError(f'Soft targets of shape {tuple(target.shape)} do not match logits of '
                                     f'shape {tuple(logits.shape)}.')
            target = target.to(logits.dtype)
        elif target.dim() != 1 or target.shape[0] != logits.shape[0]:
            raise UserInputError(f'Targets must be (N,) labels or (N, C) probabilities for logits of shape '
                                 f'{tuple(logits.shape)}, got shape {tuple(target.shape)}.')
        weight = self.class_weight
        if weight is not None:
            if weight.numel() != logits.shape[1]:
                raise UserInputError(f'CrossEntropyLoss: {weight.numel()} class weights for logits of '
                                     f'{logits.shape[1]} classes; give one weight per class.')
            weight = weight.to(logits.dtype)
        return self.loss_weight * F.cross_entropy(logits, target, weight=weight,
                                                  label_smoothing=self.label_smoothing)
