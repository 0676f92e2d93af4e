"""Split names, and a seeded, stratified train/val split of one folder of class folders.

A data set arrives as ``train/<class>/`` + ``val/<class>/`` (the validation split also named ``valid`` or
``validation``, and a ``test`` split for ``tools/test.py``), or as a single folder of class folders (``DATA/<class>/``,
or ``DATA/train/<class>/`` with no validation split), which :func:`split_class_folders` splits the way fastai's
``valid_pct`` does, stratified (scikit-learn's ``train_test_split``) so each class keeps its share in both parts. The
split is written into the run's work dir as two annotation lists and a record (:func:`write_split`), so that a
resumed run, ``tools/test.py`` and the export read the same images (:func:`read_split`).
"""
import json
import os
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from sklearn.model_selection import train_test_split

from adaptcls.errors import UserInputError
from adaptcls.utils.atomic import atomic_write_json, atomic_write_text
from .image_folder_dataset import list_class_folders, list_class_images

TRAIN_SPLIT = 'train'
"""The training split's folder name."""
VAL_SPLIT_NAMES = ('val', 'valid', 'validation')
"""Folder names of the validation split, in the order they are looked for."""
TEST_SPLIT_NAMES = ('test',) + VAL_SPLIT_NAMES
"""Folder names ``tools/test.py`` evaluates, in order: a ``test`` split, else the validation split."""
SPLIT_DIR = 'data_split'
"""The folder of a recorded split, in the run's work dir."""
SPLIT_RECORD = 'split.json'
"""The record of a split (source folder, fraction, seed, classes, counts) in :data:`SPLIT_DIR`."""
SPLIT_LISTS = {'train': 'train.txt', 'val': 'val.txt'}
"""The annotation list of each part (``relative/path <class index>`` lines, ``ImageFolderDataset``'s format)."""
MIN_IMAGES_PER_CLASS = 2
"""A class needs one training and one validation image to be split."""
MIN_CLASSES = 2
"""A folder with one class folder is no classification data set (more likely the folder above one)."""


@dataclass
class DataSplit:
    """A seeded, stratified split of the class folders of ``image_root``.

    Attributes:
        image_root (str): the absolute folder whose class folders were split.
        val_fraction (float): the share of each class's images in the validation part.
        seed (int): the random seed of the split.
        classes (list[str]): the class names, index = label.
        train (list[tuple[str, int]]): (path relative to ``image_root``, label) of the training part.
        val (list[tuple[str, int]]): the same for the validation part.
    """

    image_root: str
    val_fraction: float
    seed: int
    classes: List[str]
    train: List[Tuple[str, int]]
    val: List[Tuple[str, int]]

    def counts(self) -> Dict[str, Dict[str, int]]:
        """Images per class in each part."""
        return {part: {name: sum(1 for _, label in samples if label == index)
                       for index, name in enumerate(self.classes)}
                for part, samples in (('train', self.train), ('val', self.val))}


def find_split_folder(data_root: str, names: Sequence[str]) -> Optional[str]:
    """The first of ``names`` that is a folder in ``data_root``, or None."""
    return next((name for name in names if os.path.isdir(os.path.join(data_root, name))), None)


def unsplit_image_root(data_root: str) -> Optional[str]:
    """The folder to split when ``data_root`` has no validation split: ``data_root/train`` when it exists, else
    ``data_root`` itself (its sub-folders are the classes); None when ``data_root`` has a validation split."""
    if find_split_folder(data_root, VAL_SPLIT_NAMES):
        return None
    train = os.path.join(data_root, TRAIN_SPLIT)
    return os.path.abspath(train if os.path.isdir(train) else data_root)


def check_val_fraction(val_fraction: float) -> float:
    """Refuses a validation fraction outside (0, 1).

    Raises:
        ValueError: naming the value and the valid range.
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise UserInputError(f'data_split.val_fraction (--val-fraction) must be a number between 0 and 1, e.g. 0.2, '
                             f'got {val_fraction!r}.')
    return float(val_fraction)


def split_class_folders(image_root: str, val_fraction: float, seed: int) -> DataSplit:
    """Splits the images of each class folder of ``image_root`` into a training and a validation part.

    Stratified: each class contributes about ``val_fraction`` of its images to the validation part (at least one
    image to each part). The same folder, fraction and seed give the same split.

    Raises:
        ValueError: a bad fraction, no class folders, a class with fewer than :data:`MIN_IMAGES_PER_CLASS` images,
            or a validation part too small to hold every class (the message says which fraction would).
    """
    val_fraction = check_val_fraction(val_fraction)
    image_root = os.path.abspath(image_root)
    classes = list(list_class_folders(image_root))
    if len(classes) < MIN_CLASSES:
        raise UserInputError(f'{image_root} has {len(classes)} class folder ({classes[0]}); a classifier needs at '
                             f'least {MIN_CLASSES}. Give the folder that holds one sub-folder per class (or train/ and '
                             f'val/).')
    paths, labels = [], []
    for label, name in enumerate(classes):
        images = list_class_images(os.path.join(image_root, name))
        if len(images) < MIN_IMAGES_PER_CLASS:
            raise UserInputError(f'class folder {os.path.join(image_root, name)} holds {len(images)} image(s); '
                                 'splitting '
                                 f'off a validation set needs at least {MIN_IMAGES_PER_CLASS} per class. Add images, '
                                 'remove the class, or give train/ and val/ folders.')
        unlistable = [path for path in images if '\n' in path or '\r' in path]
        if unlistable:
            raise UserInputError(f'the image file {unlistable[0]!r} has a line break in its name, which the split list '
                                 '(one "<path> <label>" per line) cannot hold; rename it.')
        paths.extend(os.path.relpath(path, image_root) for path in images)
        labels.extend([label] * len(images))
    low, high = len(classes), len(paths) - len(classes)  # both parts must hold every class
    val_size = max(round(val_fraction * len(paths)), 1)
    if not low <= val_size <= high:
        raise UserInputError(f'--val-fraction {val_fraction} puts {val_size} of the {len(paths)} images of '
                             f'{image_root} '
                             f'in the validation set, but a stratified split of {len(classes)} classes needs between '
                             f'{low} and {high}: use a fraction between {low / len(paths):.3f} and '
                             f'{high / len(paths):.3f}.')
    train_paths, val_paths, train_labels, val_labels = train_test_split(
        paths, labels, test_size=val_size, stratify=labels, random_state=seed)
    return DataSplit(image_root, val_fraction, int(seed), classes, sorted(zip(train_paths, train_labels)),
                     sorted(zip(val_paths, val_labels)))


class StaleSplitError(UserInputError):
    """A recorded split no longer describes its folder: class folders or images were added or removed since.

    Attributes:
        split_dir (str): the recorded split's folder.
    """

    def __init__(self, message: str, split_dir: str) -> None:
        super().__init__(message)
        self.split_dir = split_dir


def check_split_current(record: dict, split_dir: str) -> None:
    """Checks that the class folders of the split's ``image_root`` and their image counts are still those recorded:
    a split made before a class folder (or images) was added would train on the old data, silently.

    Raises:
        StaleSplitError: naming what changed and the fix.
    """
    image_root = record['image_root']
    classes = list(list_class_folders(image_root))
    if classes != list(record['classes']):
        added = sorted(set(classes) - set(record['classes']))
        removed = sorted(set(record['classes']) - set(classes))
        raise StaleSplitError(f'{image_root} has changed since its split was recorded in {split_dir}: class folders '
                              f'added {added}, removed {removed}; train into a new --work-dir, or use --overwrite '
                              'to set the old run aside and split the data again.', split_dir)
    counts = record.get('counts') or {}
    for name in classes:
        recorded = sum((counts.get(part) or {}).get(name, 0) for part in ('train', 'val'))
        found = len(list_class_images(os.path.join(image_root, name)))
        if recorded and found != recorded:
            raise StaleSplitError(f'{image_root} has changed since its split was recorded in {split_dir}: class '
                                  f'"{name}" holds {found} images, the split {recorded}; train into a new --work-dir, '
                                  'or use --overwrite to set the old run aside and split the data again.', split_dir)


def listed_path(path: str) -> str:
    """``path`` as a split list writes it: with ``./`` in front when it starts with '#' (a class folder named
    ``#tag``), which the list reader would take for a comment line."""
    return os.path.join('.', path) if path.startswith('#') else path


def write_split(split: DataSplit, work_dir: str) -> str:
    """Writes the two annotation lists and the record into ``work_dir/data_split`` (each atomically); returns the
    record's path."""
    split_dir = os.path.join(work_dir, SPLIT_DIR)
    for part, file_name in SPLIT_LISTS.items():
        lines = [f'# {part} part of {split.image_root} (val_fraction {split.val_fraction}, seed {split.seed}); '
                 'labels are indices into classes in split.json']
        lines.extend(f'{listed_path(path)} {label}' for path, label in getattr(split, part))
        atomic_write_text(os.path.join(split_dir, file_name), '\n'.join(lines) + '\n')
    record = dict(asdict(split), counts=split.counts())
    del record['train'], record['val']  # the lists hold them
    record_path = os.path.join(split_dir, SPLIT_RECORD)
    atomic_write_json(record_path, record)
    return record_path


def split_list_paths(split_dir: str) -> Dict[str, str]:
    """The absolute path of each part's annotation list in ``split_dir`` (a work dir's ``data_split``): a dataset reads
    a relative ``ann_file`` from its data root, not from the current folder or the work dir."""
    return {part: os.path.abspath(os.path.join(split_dir, name)) for part, name in SPLIT_LISTS.items()}


def read_split(split_dir: str) -> Optional[dict]:
    """The record of the split in ``split_dir`` (a work dir's ``data_split``), with the list paths under
    ``lists``; None when there is none.

    Raises:
        ValueError: the record or a list is missing or unreadable (the message names the file).
    """
    record_path = os.path.join(split_dir, SPLIT_RECORD)
    if not os.path.isfile(record_path):
        return None
    try:
        with open(record_path, encoding='utf-8') as stream:
            record = json.load(stream)
        record['lists'] = split_list_paths(split_dir)
        missing = [path for path in record['lists'].values() if not os.path.isfile(path)]
        if missing or not {'image_root', 'val_fraction', 'seed', 'classes'} <= set(record):
            raise UserInputError(f'missing {missing or "keys"}')
    except (OSError, ValueError) as error:
        raise UserInputError(f'the recorded data split {record_path} is damaged ({error}); delete {split_dir} to split '
                             'the data again (a new run), or restore it.') from error
    return record
