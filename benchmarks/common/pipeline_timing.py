"""Per-image timing of a data pipeline and of timm's AugMix alone, single process, for
benchmarks/data_pipeline.py."""
import random
import time
from typing import Callable, Dict, List, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from PIL import Image


def seed_global_rngs(seed: int) -> None:
    """Seeds Python's and numpy's global generators, which timm's AugMix and adaptcls's transforms draw from."""
    random.seed(seed)
    np.random.seed(seed)


def time_dataset_items(dataset: BaseDataset, indices: Sequence[int]) -> Dict:
    """Reads ``dataset[i]`` for every index, as one DataLoader worker does, and times it.

    Args:
        dataset (BaseDataset): a dataset with its training pipeline.
        indices (Sequence[int]): the items to read.

    Returns:
        dict: ``images_per_s`` (wall clock) and ``items`` (the pipeline outputs, for a model batch).
    """
    started = time.perf_counter()
    items = [dataset[index] for index in indices]
    return dict(images_per_s=len(indices) / (time.perf_counter() - started), items=items)


def time_transforms(dataset: BaseDataset, indices: Sequence[int]) -> Dict[str, float]:
    """Runs the dataset's pipeline transform by transform and returns each one's mean milliseconds per image.

    Keys are ``'<position>:<transform class>'`` so that a transform used twice stays apart.
    """
    transforms: List[Callable] = list(dataset.pipeline.transforms)
    totals = np.zeros(len(transforms))
    for index in indices:
        results = dataset.get_data_info(index)
        for position, transform in enumerate(transforms):
            started = time.perf_counter()
            results = transform(results)
            totals[position] += time.perf_counter() - started
    names = [f'{position}:{type(transform).__name__}' for position, transform in enumerate(transforms)]
    return {name: 1e3 * total / len(indices) for name, total in zip(names, totals)}


def time_pil_transform(transform: Callable[[Image.Image], Image.Image], images: Sequence[Image.Image]) -> float:
    """Images per second of ``transform`` applied to each (already decoded) PIL image."""
    started = time.perf_counter()
    for image in images:
        transform(image)
    return len(images) / (time.perf_counter() - started)
