"""Real images for export checks, calibration and IR evaluation, prepared as at test time.

Every image goes through ``LoadImage`` and ``Resize`` (the test pipeline), giving the (H, W, 3)
uint8 RGB pixels that the IR takes and that the data preprocessor normalises for PyTorch.
"""
from typing import List, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from adaptcls.errors import UserInputError
from adaptcls.config import iter_datasets
from adaptcls.registry import DATASETS, adaptcls_scope
from adaptcls.utils.progress import track


def _dataset_cfg(cfg: Config, dataloader_key: str) -> dict:
    found = next(iter_datasets(cfg, (dataloader_key, )), None)
    if found is None:
        raise UserInputError(f'The config has no {dataloader_key} dataset; add one or pass --data-root.')
    return dict(found)


def _build_dataset(dataset_cfg: dict):
    """Builds a dataset in the adaptcls scope (its pipeline's transforms are adaptcls's)."""
    with adaptcls_scope():
        return DATASETS.build(dataset_cfg)


def build_image_dataset(dataset_cfg: dict, input_size: Tuple[int, int]):
    """Builds a dataset config with the test-time pipeline ``LoadImage`` + ``Resize(input_size)``.

    Args:
        dataset_cfg (dict): a ``DATASETS`` config (its own pipeline is replaced).
        input_size (tuple[int, int]): (height, width) to resize to.
    """
    pipeline = [dict(type='LoadImage'), dict(type='Resize', size=tuple(input_size))]
    dataset_cfg = {key: value for key, value in dataset_cfg.items() if key != 'cache'}  # images read once here
    return _build_dataset(dict(dataset_cfg, pipeline=pipeline, test_mode=True))


def config_split(cfg: Config, dataloader_key: str, input_size: Tuple[int, int]):
    """The dataset of ``cfg[dataloader_key]`` with the test-time pipeline (see build_image_dataset)."""
    return build_image_dataset(_dataset_cfg(cfg, dataloader_key), input_size)


def dataset_classes(cfg: Config, dataloader_key: str) -> List[str]:
    """Class names of ``cfg[dataloader_key]``'s dataset (read without loading images)."""
    dataset = _build_dataset(dict(_dataset_cfg(cfg, dataloader_key), pipeline=[]))
    return [str(name) for name in dataset.metainfo['classes']]


def evenly_spaced(total: int, count: int) -> np.ndarray:
    """``min(count, total)`` indices spread evenly over range(total) (class folders are contiguous)."""
    return np.unique(np.linspace(0, total - 1, num=min(count, total)).round().astype(np.int64))


def seeded_subset(total: int, count: int, seed: int) -> np.ndarray:
    """``min(count, total)`` distinct indices of range(total) drawn with numpy's seeded generator."""
    return np.sort(np.random.default_rng(seed).choice(total, size=min(count, total), replace=False))


def load_images(dataset, indices: Sequence[int], what: str = 'images') -> Tuple[np.ndarray, np.ndarray]:
    """Loads samples of ``dataset`` as a uint8 (N, H, W, 3) batch and their labels.

    Args:
        dataset: a dataset from :func:`build_image_dataset`.
        indices (Sequence[int]): the samples to load.
        what (str): how to name them in the progress lines (with an ETA, every few seconds while
            loading takes long). Defaults to 'images'.

    Returns:
        tuple[np.ndarray, np.ndarray]: images (N, H, W, 3) uint8 and labels (N,) int64.
    """
    if len(indices) == 0:
        raise UserInputError(f'No {what} to load: the dataset is empty.')
    images, labels = [], []
    for index in track(indices, len(indices), f'loaded {what}'):
        sample = dataset[int(index)]
        images.append(sample['img'])
        labels.append(sample['gt_label'])
    return np.stack(images), np.asarray(labels, dtype=np.int64)
