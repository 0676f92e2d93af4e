"""Applies one batch augment, chosen at random, to each batch."""
from typing import List, Optional, Sequence, Tuple

import torch

from adaptcls.errors import UserInputError
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample

PROB_SUM_TOLERANCE = 1e-6


@MODELS.register_module()
class RandomBatchAugment:
    """Chooses one of ``augments`` per batch (or none), with torch's global RNG.

    Augment ``i`` is applied with probability ``probs[i]``; with the remaining probability
    ``1 - sum(probs)`` the batch passes unchanged (its samples keep their hard ``gt_label``).
    Example: ``model.data_preprocessor.batch_augments=[dict(type='RandomBatchAugment',
    augments=[dict(type='MixUp', alpha=0.2, num_classes=10), dict(type='CutMix', alpha=1.0,
    num_classes=10)], probs=[0.4, 0.4])]``.

    Args:
        augments (Sequence[dict]): configs of batch augments, built from ``MODELS``.
        probs (Sequence[float], optional): probability of each augment, each >= 0, summing to
            at most 1. Defaults to None, which means equal probabilities summing to 1.
    """

    def __init__(self, augments: Sequence[dict], probs: Optional[Sequence[float]] = None) -> None:
        if not augments:
            raise UserInputError('RandomBatchAugment: augments is empty; give at least one augment config.')
        probs = [1.0 / len(augments)] * len(augments) if probs is None else [float(p) for p in probs]
        if len(probs) != len(augments) or min(probs) < 0 or sum(probs) > 1 + PROB_SUM_TOLERANCE:
            raise UserInputError(f'RandomBatchAugment: probs must hold one value >= 0 per augment '
                                 f'({len(augments)}) and sum to at most 1, got {probs}.')
        self.augments = [MODELS.build(cfg) for cfg in augments]
        self.probs = probs
        self.choice_weights = torch.tensor(probs + [max(0.0, 1.0 - sum(probs))])

    def __call__(self, inputs: torch.Tensor,
                 data_samples: Optional[List[ClsDataSample]]) -> Tuple[torch.Tensor, List[ClsDataSample]]:
        """Applies the augment drawn for this batch, or returns the batch unchanged."""
        choice = int(torch.multinomial(self.choice_weights, 1).item())
        if choice == len(self.augments):
            return inputs, data_samples
        return self.augments[choice](inputs, data_samples)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(augments={self.augments}, probs={self.probs})'
