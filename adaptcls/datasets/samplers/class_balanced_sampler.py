"""A sampler that draws every class equally often, for imbalanced training sets."""
from collections import Counter
from typing import Iterator, List, Sized

import torch
from mmengine.dataset import DefaultSampler

from adaptcls.errors import UserInputError
from adaptcls.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(DefaultSampler):
    """Each epoch draws ``len(dataset)`` indices with replacement, an image of class ``c`` with probability
    ``1 / (C * count_c)``, so that every class fills about ``1 / C`` of each epoch (class-balanced sampling, as torch's
    ``WeightedRandomSampler`` with inverse class frequencies does).

    ``WeightedRandomSampler`` itself is not used because it has neither an epoch seed nor a share per process: this is
    mmengine's ``DefaultSampler`` (seed, ``set_epoch``, the per-rank slice and its round-up; the loops and exact
    resume rely on them) with the shuffle replaced by that weighted draw, seeded by ``seed + epoch`` and identical on
    every process before the slice. Rare classes are repeated within an epoch and frequent ones left out in part; the
    epoch length and the learning-rate schedule stay those of the data set.

    Args:
        dataset (Sized): a dataset whose ``get_data_info(i)['gt_label']`` is the class index (``ImageFolderDataset``).
        seed (int, optional): the random seed; the same on every process (None: one synchronised seed).
            Defaults to None.
        round_up (bool): ``DefaultSampler``'s round-up to a multiple of the world size. Defaults to True.

    Raises:
        ValueError: the dataset has no class labels to balance.
    """

    def __init__(self, dataset: Sized, seed=None, round_up: bool = True) -> None:
        super().__init__(dataset, shuffle=True, seed=seed, round_up=round_up)
        labels = dataset_labels(dataset)
        counts = Counter(labels)
        self.weights = torch.tensor([1.0 / counts[label] for label in labels], dtype=torch.float64)

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        indices = torch.multinomial(self.weights, len(self.dataset), replacement=True, generator=generator).tolist()
        if self.round_up:
            indices = (indices * (self.total_size // len(indices) + 1))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])


def dataset_labels(dataset: Sized) -> List[int]:
    """The class index of every sample of ``dataset``, read from its data list (no image is decoded).

    Raises:
        ValueError: a sample has no ``gt_label`` (e.g. a dataset wrapper), naming the dataset type.
    """
    get_info = getattr(dataset, 'get_data_info', None)
    labels = [get_info(index).get('gt_label') for index in range(len(dataset))] if callable(get_info) else [None]
    if any(label is None for label in labels):
        raise UserInputError(f'ClassBalancedSampler needs a dataset whose samples carry gt_label (ImageFolderDataset); '
                             f'{type(dataset).__name__} has none. Use DefaultSampler, or --balance loss.')
    return [int(label) for label in labels]
