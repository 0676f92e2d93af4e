"""Kullback-Leibler divergence between the class distributions of two sets of logits."""
import torch
import torch.nn.functional as F
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.registry import MODELS


@MODELS.register_module()
class KLDivergenceLoss(nn.Module):
    """``loss_weight * KL(softmax(target_logits) || softmax(logits))``, summed over classes and
    averaged over the batch: the mimicry term of Deep Mutual Learning (Zhang et al., CVPR 2018).

    The gradient flows into both arguments; detach ``target_logits`` to treat the other
    distribution as a fixed target, as Deep Mutual Learning does.

    Args:
        loss_weight (float): factor applied to the loss, at least 0. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        if loss_weight < 0:
            raise UserInputError(f'KLDivergenceLoss: loss_weight must be at least 0, got {loss_weight}.')
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, target_logits: torch.Tensor) -> torch.Tensor:
        """Computes the loss.

        Args:
            logits (Tensor): (N, C) logits of the distribution being fitted.
            target_logits (Tensor): (N, C) logits of the target distribution.

        Returns:
            Tensor: the scalar loss.
        """
        if logits.shape != target_logits.shape:
            raise UserInputError(f'KLDivergenceLoss: logits of shape {tuple(logits.shape)} and target logits '
                                 f'of shape {tuple(target_logits.shape)} must match.')
        divergence = F.kl_div(logits.log_softmax(dim=1), target_logits.log_softmax(dim=1),
                              reduction='batchmean', log_target=True)
        return self.loss_weight * divergence
