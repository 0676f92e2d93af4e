"""A dataset of seeded random uint8 images held in memory, for measuring framework overhead.

``benchmarks/train_throughput.py`` feeds the same tensors to mmengine's Runner (through this
dataset) and to a hand-written PyTorch loop, so that reading and decoding files is out of both.
"""
from typing import Optional, Sequence, Tuple

import torch
from torch.utils.data import Dataset

from adaptcls.registry import DATASETS
from adaptcls.structures import ClsDataSample


def random_images(num_samples: int, image_size: int, num_classes: int,
                  seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Seeded random images and labels.

    Args:
        num_samples (int): number of images.
        image_size (int): height and width of each image.
        num_classes (int): labels are drawn from ``0 .. num_classes - 1``.
        seed (int): seed of the generator. Defaults to 0.

    Returns:
        tuple[Tensor, Tensor]: uint8 images (N, 3, image_size, image_size) and long labels (N,).
    """
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (num_samples, 3, image_size, image_size), dtype=torch.uint8,
                           generator=generator)
    labels = torch.randint(0, num_classes, (num_samples, ), generator=generator)
    return images, labels


@DATASETS.register_module()
class InMemoryClsDataset(Dataset):
    """Seeded random images (see :func:`random_images`), returned as ``PackClsInputs`` would.

    Each item is ``{'inputs': uint8 (3, H, W) tensor, 'data_samples': ClsDataSample}`` with
    ``gt_label`` set, so mmengine's default collate and ``ClsDataPreprocessor`` take it as they
    take a real pipeline's output.

    Args:
        num_samples (int): number of images.
        image_size (int): height and width of each image.
        num_classes (int): number of classes (class names are '0', '1', ...).
        seed (int): seed of the images and labels. Defaults to 0.
        pipeline (Sequence[dict], optional): must be empty: the items are packed already. It is accepted because
            tools/train.py's config checks build every training set with ``pipeline=[]`` (to count its images per
            class). Defaults to None.
    """

    def __init__(self, num_samples: int, image_size: int, num_classes: int, seed: int = 0,
                 pipeline: Optional[Sequence[dict]] = None) -> None:
        if pipeline:
            raise ValueError(f'InMemoryClsDataset holds packed items and takes no pipeline; got {pipeline}')
        self.images, self.labels = random_images(num_samples, image_size, num_classes, seed)
        self.metainfo = dict(classes=tuple(str(index) for index in range(num_classes)))

    def __len__(self) -> int:
        return len(self.labels)

    def get_data_info(self, index: int) -> dict:
        """The label of item ``index`` (``{'gt_label': int}``), as mmengine's ``BaseDataset`` gives it (the config
        checks read it to count the images of each class)."""
        return dict(gt_label=int(self.labels[index]))

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.images[index], data_samples=ClsDataSample().set_gt_label(self.labels[index]))
