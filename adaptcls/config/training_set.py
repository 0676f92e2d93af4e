"""The training set of a config, listed once (no image decoded), and the config edits that read it.

``build_config`` needs the training set for four things: each ``num_classes=None`` (:func:`infer_num_classes`), a
last batch of one image (:func:`avoid_single_image_batch`), the class counts it prints and the class balance. It lists
the set once (:func:`scan_training_set`) and hands the :class:`TrainingSet` to each of them.
"""
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.config import Config

from .config_utils import iter_datasets
from .data_splits import pending_data_split


@dataclass(frozen=True)
class TrainingSet:
    """The images a config trains on, as its training dataset lists them.

    Attributes:
        classes (tuple[str, ...]): the class names, index = label.
        labels (tuple[int, ...]): the class index of each image, in the dataset's order.
    """

    classes: Tuple[str, ...]
    labels: Tuple[int, ...]

    def __len__(self) -> int:
        return len(self.labels)


def scan_training_set(cfg: Config) -> TrainingSet:
    """Lists the training set of ``cfg`` once.

    A split that ``build_config`` made for this config and has not recorded yet (its lists are written when the run
    holds its work dir: :func:`adaptcls.config.data_splits.record_data_split`) is read from memory; any other
    training set is built with no pipeline, which reads its class folders or annotation list and decodes no image.
    Call it inside ``adaptcls.registry.adaptcls_scope()``.
    """
    dataset_cfg = next(iter_datasets(cfg, ('train_dataloader',)))
    pending = pending_data_split(cfg)
    if pending is not None and dataset_cfg.get('ann_file') == pending.lists['train']:
        labels = [label for _, label in pending.split.train]
        return TrainingSet(tuple(pending.split.classes), tuple(_subset(labels, dataset_cfg.get('indices'))))
    dataset = _file_list_dataset(dataset_cfg)
    return TrainingSet(tuple(dataset.metainfo['classes']),
                       tuple(dataset.get_data_info(index)['gt_label'] for index in range(len(dataset))))


def _file_list_dataset(dataset_cfg: dict):
    """The training dataset with no pipeline: its file list and classes, no image decoded."""
    from adaptcls.registry import DATASETS
    dataset_cfg = dataset_cfg.copy()
    dataset_cfg['pipeline'] = []
    if 'bad_images' in dataset_cfg:  # only the file list is needed: no image is decoded here
        dataset_cfg['bad_images'] = 'error'
    return DATASETS.build(dataset_cfg)


def _subset(labels: List[int], indices: Optional[Union[int, Sequence[int]]]) -> List[int]:
    """``labels`` cut as mmengine's ``BaseDataset(indices=...)`` cuts its data list: an int keeps the first (or, when
    negative, the last) ones, a sequence keeps those positions."""
    if indices is None:
        return labels
    if isinstance(indices, int):
        return labels[:indices] if indices >= 0 else labels[indices:]
    return [labels[index] for index in indices]


def infer_num_classes(cfg: Config, training_set: Optional[TrainingSet] = None) -> Optional[int]:
    """Fills every ``num_classes=None`` in ``cfg.model`` from the training set's class list.

    Args:
        cfg (Config): the config.
        training_set (TrainingSet, optional): the listed training set; None: listed here when a ``num_classes``
            needs it. Defaults to None.

    Returns:
        int | None: the number of classes filled in, or None when nothing needed it.
    """
    from adaptcls.models.config_nodes import iter_config_dicts  # lazy: adaptcls.models imports torch and timm
    holders = [node for _, node in iter_config_dicts(cfg.model)
               if 'num_classes' in node and node['num_classes'] is None]
    if not holders:
        return None
    num_classes = len((training_set if training_set is not None else scan_training_set(cfg)).classes)
    for holder in holders:
        holder['num_classes'] = num_classes
    return num_classes


def avoid_single_image_batch(cfg: Config, training_set: Optional[TrainingSet] = None) -> Optional[str]:
    """Sets ``train_dataloader.drop_last=True`` when each process's last training batch would hold one image.

    BatchNorm cannot normalise a batch of one image in training ("Expected more than 1 value per channel"), so a
    data set whose size is 1 modulo the batch size used to fail at the end of the first epoch. Dropping that one
    image per epoch (a different one each epoch: the sampler shuffles) is what a user would do by hand.
    Counts the files of the training set without decoding any (with ``bad_images='skip'`` the count after
    skipping unreadable files can differ).

    Args:
        cfg (Config): the training config.
        training_set (TrainingSet, optional): the listed training set; None: listed here when needed.
            Defaults to None.

    Returns:
        str | None: a note saying what was changed and why, or None when nothing was.
    """
    loader = cfg.train_dataloader
    if loader.get('drop_last'):
        return None
    images = len(training_set if training_set is not None else scan_training_set(cfg))
    processes = int(os.environ.get('WORLD_SIZE', '1'))
    per_process = -(-images // processes)  # mmengine's DefaultSampler pads every process to the same count
    if per_process % loader.batch_size != 1:
        return None
    loader['drop_last'] = True
    return (f'note: {images} training images at batch {loader.batch_size} per process leave a last batch of 1 '
            'image, which BatchNorm cannot train on; train_dataloader.drop_last=True drops it (a different one each '
            'epoch).')

