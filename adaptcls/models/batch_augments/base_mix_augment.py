"""What MixUp and CutMix share: a mixing coefficient, a permuted partner, and soft targets."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch.distributions import Beta

from adaptcls.errors import UserInputError
from adaptcls.structures import ClsDataSample

ENABLE_HINT = ("set it in the config, e.g. model.data_preprocessor.batch_augments="
               "[dict(type='MixUp', alpha=0.2, num_classes=10)]")


class BaseMixAugment:
    """Mixes every sample of a batch with a partner from a random permutation of the batch.

    A call draws, from **torch's global RNG** and in this order, ``lam ~ Beta(alpha, alpha)``
    and the permutation (``torch.randperm`` on the CPU, so a seed gives the same draws on any
    device); a subclass's :meth:`mix_inputs` mixes the images and may correct ``lam`` (and draw
    more). Every sample then gets ``gt_score = lam * target + (1 - lam) * target[partner]``,
    where ``target`` is the sample's ``gt_score`` if every sample has one (so augments chain),
    else the one-hot of its ``gt_label``.

    Args:
        alpha (float): concentration of the Beta distribution of ``lam``, > 0.
        num_classes (int, optional): length of the one-hot targets; needed unless every sample
            already has a ``gt_score``. Defaults to None.
    """

    def __init__(self, alpha: float, num_classes: Optional[int] = None) -> None:
        name = type(self).__name__
        if not alpha > 0:
            raise UserInputError(f'{name}: alpha must be > 0, got {alpha!r}.')
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
            raise UserInputError(f'{name}: num_classes must be an int >= 2 (the number of classes of the '
                                 f'dataset), got {num_classes!r}.')
        self.alpha = float(alpha)
        self.num_classes = num_classes

    def __call__(self, inputs: torch.Tensor,
                 data_samples: Optional[List[ClsDataSample]]) -> Tuple[torch.Tensor, List[ClsDataSample]]:
        """Mixes the batch and writes ``gt_score`` into every sample.

        Args:
            inputs (Tensor): normalised (N, C, H, W) float images.
            data_samples (list[ClsDataSample]): the N samples, with ``gt_label`` or ``gt_score``.

        Returns:
            tuple[Tensor, list[ClsDataSample]]: the mixed images (a new tensor) and the samples.
        """
        if data_samples is None or len(data_samples) != len(inputs):
            raise UserInputError(f'{type(self).__name__} needs one labelled data sample per image, got '
                                 f'{None if data_samples is None else len(data_samples)} samples for '
                                 f'{len(inputs)} images.')
        targets = self.targets(data_samples).to(inputs.device)
        lam = Beta(self.alpha, self.alpha).sample().item()
        permutation = torch.randperm(len(inputs)).to(inputs.device)
        mixed, lam = self.mix_inputs(inputs, lam, permutation)
        for sample, score in zip(data_samples, lam * targets + (1 - lam) * targets[permutation]):
            sample.gt_score = score
        return mixed, data_samples

    def mix_inputs(self, inputs: torch.Tensor, lam: float,
                   permutation: torch.Tensor) -> Tuple[torch.Tensor, float]:
        """Returns the mixed images and the weight of the unpermuted images' targets."""
        raise NotImplementedError

    def targets(self, data_samples: Sequence[ClsDataSample]) -> torch.Tensor:
        """Returns the (N, num_classes) float32 targets to mix: the samples' ``gt_score`` if all
        have one, else the one-hot ``gt_label``."""
        name = type(self).__name__
        if all('gt_score' in sample for sample in data_samples):
            scores = torch.stack([sample.gt_score for sample in data_samples]).float()
            if self.num_classes is not None and scores.shape[1] != self.num_classes:
                raise UserInputError(f'{name}: the samples have gt_score of length {scores.shape[1]}, but '
                                     f'num_classes is {self.num_classes}; make them agree.')
            return scores
        if self.num_classes is None:
            raise UserInputError(f'{name}: num_classes is None and the samples carry no gt_score, so the '
                                 f'one-hot targets have no length; {ENABLE_HINT}.')
        if not all('gt_label' in sample for sample in data_samples):
            raise UserInputError(f'{name}: every training sample needs a gt_label to mix its target.')
        labels = torch.stack([sample.gt_label for sample in data_samples]).long()
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise UserInputError(f'{name}: labels must lie in 0..{self.num_classes - 1} (num_classes='
                                 f'{self.num_classes}), got {labels.tolist()}; set num_classes to the '
                                 'number of classes of the dataset.')
        return F.one_hot(labels, self.num_classes).float()

    def __repr__(self) -> str:
        return f'{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})'
