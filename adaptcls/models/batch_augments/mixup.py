"""MixUp: convex combinations of image pairs and of their targets."""
from typing import Optional, Tuple

import torch

from adaptcls.registry import MODELS
from .base_mix_augment import BaseMixAugment


@MODELS.register_module()
class MixUp(BaseMixAugment):
    """MixUp (Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018).

    ``inputs = lam * inputs + (1 - lam) * inputs[partner]`` with ``lam ~ Beta(alpha, alpha)``,
    and the same mix of the targets (see :class:`BaseMixAugment` for the random draws and the
    ``gt_score`` it writes). Off by default in every config; enable it with
    ``model.data_preprocessor.batch_augments=[dict(type='MixUp', alpha=0.2, num_classes=10)]``.

    Args:
        alpha (float): Beta concentration. Defaults to 0.2.
        num_classes (int, optional): number of classes; required unless the samples already
            carry ``gt_score``. Defaults to None.
    """

    def __init__(self, alpha: float = 0.2, num_classes: Optional[int] = None) -> None:
        super().__init__(alpha, num_classes)

    def mix_inputs(self, inputs: torch.Tensor, lam: float,
                   permutation: torch.Tensor) -> Tuple[torch.Tensor, float]:
        """Returns ``lam * inputs + (1 - lam) * inputs[permutation]`` and ``lam``."""
        return lam * inputs + (1 - lam) * inputs[permutation], lam
