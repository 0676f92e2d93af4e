"""CutMix: paste a random box of the partner image and mix targets by area."""
import math
from typing import Optional, Tuple

import torch

from adaptcls.registry import MODELS
from .base_mix_augment import BaseMixAugment


@MODELS.register_module()
class CutMix(BaseMixAugment):
    """CutMix (Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with
    Localizable Features", ICCV 2019).

    With ``lam ~ Beta(alpha, alpha)``, ``h = int(H * sqrt(1 - lam))`` and
    ``w = int(W * sqrt(1 - lam))``, the box of rows ``cy - h // 2 : cy + h // 2`` and columns
    ``cx - w // 2 : cx + w // 2`` around a uniform random pixel ``(cy, cx)`` (drawn after ``lam``
    and the permutation, from torch's global RNG), clipped to the image, is copied from the
    partner image. ``lam`` is then corrected to the unpasted area fraction,
    ``1 - box_area / (H * W)``, and mixes the targets (see :class:`BaseMixAugment`). Off by
    default in every config; enable it with
    ``model.data_preprocessor.batch_augments=[dict(type='CutMix', alpha=1.0, num_classes=10)]``.

    Args:
        alpha (float): Beta concentration. Defaults to 1.0.
        num_classes (int, optional): number of classes; required unless the samples already
            carry ``gt_score``. Defaults to None.
    """

    def __init__(self, alpha: float = 1.0, num_classes: Optional[int] = None) -> None:
        super().__init__(alpha, num_classes)

    def mix_inputs(self, inputs: torch.Tensor, lam: float,
                   permutation: torch.Tensor) -> Tuple[torch.Tensor, float]:
        """Pastes the partner's box; returns the images and the area-corrected ``lam``."""
        height, width = inputs.shape[-2:]
        top, bottom, left, right = random_box(height, width, lam)
        mixed = inputs.clone()
        mixed[..., top:bottom, left:right] = inputs[permutation][..., top:bottom, left:right]
        return mixed, 1 - (bottom - top) * (right - left) / (height * width)


def random_box(height: int, width: int, lam: float) -> Tuple[int, int, int, int]:
    """Draws the CutMix box for ``lam`` with torch's global RNG.

    Args:
        height (int): image height.
        width (int): image width.
        lam (float): mixing coefficient in [0, 1]; the box covers about ``1 - lam`` of the area.

    Returns:
        tuple[int, int, int, int]: ``(top, bottom, left, right)``, the half-open box rows
        ``top:bottom`` and columns ``left:right``, clipped to the image.
    """
    side_fraction = math.sqrt(1 - lam)
    half_height, half_width = int(height * side_fraction) // 2, int(width * side_fraction) // 2
    centre_y = int(torch.randint(height, ()).item())
    centre_x = int(torch.randint(width, ()).item())
    top, bottom = max(centre_y - half_height, 0), min(centre_y + half_height, height)
    left, right = max(centre_x - half_width, 0), min(centre_x + half_width, width)
    return top, bottom, left, right
