"""Helpers every classification head shares: training targets and prediction packing."""
from typing import List, Optional, Sequence

import torch

from adaptcls.errors import UserInputError
from adaptcls.structures import ClsDataSample


def gather_targets(data_samples: Sequence[ClsDataSample], device: torch.device) -> torch.Tensor:
    """Stacks the training targets of a batch.

    Args:
        data_samples (Sequence[ClsDataSample]): the batch's samples.
        device (torch.device): where the targets go (the logits' device).

    Returns:
        Tensor: (N, C) soft targets when every sample has ``gt_score`` (a batch augment wrote
        them), else (N,) long labels from ``gt_label``.

    Raises:
        ValueError: if a sample has neither.
    """
    if all('gt_score' in sample for sample in data_samples):
        return torch.stack([sample.gt_score for sample in data_samples]).to(device)
    missing = [index for index, sample in enumerate(data_samples) if 'gt_label' not in sample]
    if missing:
        raise UserInputError(f'Samples {missing} of the batch have no gt_label (nor gt_score), so no loss '
                             'can be computed; the dataset must provide a label for every training image.')
    return torch.stack([sample.gt_label for sample in data_samples]).to(device)


def pack_predictions(logits: torch.Tensor,
                     data_samples: Optional[Sequence[ClsDataSample]] = None) -> List[ClsDataSample]:
    """Writes ``pred_score`` = softmax(logits) (and ``pred_label``) into the samples.

    Args:
        logits (Tensor): (N, C) inference logits of the head.
        data_samples (Sequence[ClsDataSample], optional): samples to fill; new ones are created
            when None. Defaults to None.

    Returns:
        list[ClsDataSample]: one sample per row of ``logits``.
    """
    scores = logits.detach().softmax(dim=1)
    if data_samples is None:
        data_samples = [ClsDataSample() for _ in range(len(scores))]
    elif len(data_samples) != len(scores):
        raise UserInputError(f'Got {len(data_samples)} data samples for {len(scores)} predictions.')
    return [sample.set_pred_score(score) for sample, score in zip(data_samples, scores)]
