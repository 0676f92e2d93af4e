"""Pointing a config's data sets at the splits a data folder really has.

The recipe configs read ``train/`` and ``val/`` of the data root. :func:`resolve_data_splits` adapts them to the
folder the user has (``adaptcls.datasets.data_split``): a validation split named ``valid`` or ``validation``; a
``test`` split, which ``tools/test.py`` evaluates; or no validation split at all, in which case the training run
splits the class folders (seeded, stratified, ``data_split`` settings) and records the split in its work dir, where
testing and export (``run_dir``: the folder of the checkpoint) find it again.

Building a config writes nothing: a split made for a training run is kept with the config (:func:`pending_data_split`)
and written into ``WORK_DIR/data_split`` by :func:`record_data_split`, which ``adaptcls.apis.train`` calls once it
holds the work-dir lock (``tools/lr_search.py``, which takes no lock, right after building).
"""
import os
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

from mmengine.config import Config, ConfigDict

from adaptcls.errors import UserInputError
from adaptcls.datasets.data_split import (SPLIT_DIR, TEST_SPLIT_NAMES, TRAIN_SPLIT, VAL_SPLIT_NAMES, DataSplit,
                                          StaleSplitError, check_split_current, check_val_fraction, find_split_folder,
                                          read_split, split_class_folders, split_list_paths, unsplit_image_root,
                                          write_split)
from .config_utils import iter_datasets
from .option_values import DATA_SPLIT_DEFAULTS

VAL_PREFIX = 'val'
"""The validation split's folder name in the recipe configs' data sets."""
PENDING_SPLIT_ATTRIBUTE = '_adaptcls_pending_split'
"""The attribute of a built ``Config`` object (not a config key: it is neither dumped nor merged, and it holds every
image path) that keeps a split made in the build until :func:`record_data_split` writes it."""


@dataclass(frozen=True)
class PendingSplit:
    """A split made for a training run and not yet recorded in its work dir.

    Attributes:
        split (DataSplit): the split.
        work_dir (str): the run's work dir; the config's data sets read the lists of its ``data_split/``.
        replaces_stale (bool): it replaces a recorded split that no longer describes the data (``--overwrite``:
            ``resolve_data_splits(replace_stale=True)``), which is to be set aside before the new one is written.
    """

    split: DataSplit
    work_dir: str
    replaces_stale: bool = False

    @property
    def split_dir(self) -> str:
        """Where the split is recorded: ``WORK_DIR/data_split``."""
        return os.path.join(self.work_dir, SPLIT_DIR)

    @property
    def lists(self) -> Dict[str, str]:
        """The absolute path of each part's annotation list, once written."""
        return split_list_paths(self.split_dir)


def pending_data_split(cfg: Config) -> Optional[PendingSplit]:
    """The split made in building ``cfg`` that :func:`record_data_split` has not written yet, if any."""
    return vars(cfg).get(PENDING_SPLIT_ATTRIBUTE)


def record_data_split(cfg: Config) -> Optional[str]:
    """Writes the split made in building ``cfg`` (if any) into its work dir's ``data_split/``; returns that folder,
    or None when there was nothing to write. A training run calls it once it holds the work-dir lock; a recorded split
    that it replaces (:attr:`PendingSplit.replaces_stale`) must be set aside before."""
    pending = vars(cfg).pop(PENDING_SPLIT_ATTRIBUTE, None)
    if pending is None:
        return None
    write_split(pending.split, pending.work_dir)
    return pending.split_dir


def resolve_data_splits(cfg: Config, mode: str, run_dir: Optional[str] = None, given_root: bool = True,
                        replace_stale: bool = False) -> List[str]:
    """Adapts the class-folder data sets of ``cfg`` (``data_prefix`` ``'train'`` or ``'val'``, no ``ann_file``) to
    the splits of their data root; returns notes for the user (which folder is used, or how the data was split).

    - A validation split under another name (``valid``, ``validation``) is used for ``val``; the test data set
      (``test_dataloader``) takes a ``test`` split when there is one.
    - No validation split: ``train`` and ``mode`` train or search split ``data_root/train`` (or, without it, the
      class folders of ``data_root`` itself) with ``cfg.data_split`` for the work dir's ``data_split/`` (or reuse
      the split recorded there with the same settings); a new split is kept with ``cfg`` until
      :func:`record_data_split` writes it. Test and export read the split recorded in ``run_dir/data_split/`` (the
      training run's work dir). The folder is listed once, however many data sets read it.

    Args:
        cfg (Config): a config whose data roots and work dir are set.
        mode (str): what the config is built for (``adaptcls.config.CONFIG_MODES``).
        run_dir (str, optional): test and export: the training run's work dir (the checkpoint's folder).
        given_root (bool): the user gave the data root (``--data-root``, a DATA_DIR). A config's own data root
            without a validation split is left as it is (its dataset names the missing folder): the recipes'
            placeholder ``data/`` is no data set to split. Defaults to True.
        replace_stale (bool): training: a recorded split that no longer describes the data (class folders or
            images added or removed) is replaced by a new split instead of refused (``--overwrite``).
            Defaults to False.

    Raises:
        ValueError: bad ``data_split`` settings, a work dir whose recorded split has other settings, or a
            class folder that cannot be split.
        StaleSplitError: the recorded split no longer describes the data, and not ``replace_stale``.
        FileNotFoundError: testing or exporting a data root without a validation split and no recorded split.
    """
    notes, records = [], {}
    for key, dataset_cfg in _class_folder_datasets(cfg):
        image_root = unsplit_image_root(dataset_cfg['data_root'])
        if image_root is None:
            _use_split_folder(dataset_cfg, key, mode, notes)
        elif given_root:
            if image_root not in records:
                records[image_root] = _split_record(cfg, mode, image_root, run_dir, replace_stale, notes)
            record = records[image_root]
            part = 'train' if dataset_cfg['data_prefix'] == TRAIN_SPLIT else 'val'
            dataset_cfg.update(data_prefix=os.path.relpath(image_root, os.path.abspath(dataset_cfg['data_root'])),
                               ann_file=record['lists'][part], classes=list(record['classes']))
    return list(dict.fromkeys(notes))


def _class_folder_datasets(cfg: Config) -> Iterator[Tuple[str, ConfigDict]]:
    """``(dataloader key, dataset config)`` of each data set that reads the ``train`` or ``val`` class folders of an
    existing data root; not one with an annotation list, another layout, or a missing root (the dataset names it)."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for dataset_cfg in iter_datasets(cfg, (key,)):
            data_root = dataset_cfg.get('data_root')
            if not dataset_cfg.get('ann_file') and dataset_cfg.get('data_prefix') in (TRAIN_SPLIT, VAL_PREFIX) \
                    and data_root and os.path.isdir(data_root):
                yield key, dataset_cfg


def _use_split_folder(dataset_cfg: ConfigDict, key: str, mode: str, notes: List[str]) -> None:
    """A data root with a validation split: ``val`` reads it under the name it has (``valid``, ``validation``), and
    the test data set a ``test`` split when there is one."""
    if dataset_cfg['data_prefix'] != VAL_PREFIX:
        return
    data_root = dataset_cfg['data_root']
    found = find_split_folder(data_root, TEST_SPLIT_NAMES if key == 'test_dataloader' else VAL_SPLIT_NAMES)
    if found != VAL_PREFIX and (key == 'test_dataloader') == (mode == 'test'):
        notes.append(f'{key}: the "{found}" folder of {data_root}')
    dataset_cfg['data_prefix'] = found


def _split_record(cfg: Config, mode: str, image_root: str, run_dir: Optional[str], replace_stale: bool,
                  notes: List[str]) -> dict:
    """The split of ``image_root`` this run uses (its ``classes`` and ``lists``): for training, the one recorded in the
    work dir or a new one; for test and export, the one recorded in ``run_dir``."""
    if mode in ('train', 'search'):
        return _training_split(cfg, image_root, replace_stale, notes)
    record = read_split(os.path.join(run_dir, SPLIT_DIR)) if run_dir else None
    if record is None:
        where = f' and no split is recorded in {os.path.join(run_dir, SPLIT_DIR)}' if run_dir else ''
        raise FileNotFoundError(f'{image_root} has no validation folder ({", ".join(VAL_SPLIT_NAMES)}){where}; '
                                'give the data root with its train/ and val/ folders, or the checkpoint of the run '
                                'that split this data (its work dir holds data_split/).')
    if record['image_root'] != image_root:
        raise UserInputError(f'the split recorded in {os.path.join(run_dir, SPLIT_DIR)} is of {record["image_root"]}, '
                             f'not of {image_root}; give the data root the model was trained on.')
    notes.append(f'the validation part of the split recorded in {os.path.join(run_dir, SPLIT_DIR)}')
    return record


def _training_split(cfg: Config, image_root: str, replace_stale: bool, notes: List[str]) -> dict:
    """The split recorded in the work dir when it has the same settings and still describes the data; else a new
    split, kept with ``cfg`` (:func:`pending_data_split`) for :func:`record_data_split` to write."""
    fraction, seed = _split_settings(cfg)
    split_dir = os.path.join(cfg.work_dir, SPLIT_DIR)
    record = read_split(split_dir)
    if record is not None:
        if (record['image_root'], record['val_fraction'], record['seed']) != (image_root, fraction, seed):
            raise UserInputError(f'the work dir {cfg.work_dir} holds a split of {record["image_root"]} with '
                                 'val_fraction '
                                 f'{record["val_fraction"]} and seed {record["seed"]} ({split_dir}), not of '
                                 f'{image_root} '
                                 f'with val_fraction {fraction} and seed {seed}; train into another --work-dir, give '
                                 f'the same split settings, or delete {split_dir} to split again.')
        try:
            check_split_current(record, split_dir)
            notes.append(f'reusing the data split recorded in {split_dir}')
            return record
        except StaleSplitError:
            if not replace_stale:
                raise
    split = split_class_folders(image_root, fraction, seed)
    pending = PendingSplit(split, cfg.work_dir, replaces_stale=record is not None)
    object.__setattr__(cfg, PENDING_SPLIT_ATTRIBUTE, pending)  # Config's own __setattr__ would add a config key
    counts = split.counts()
    notes.append(f'{image_root} has no validation folder ({", ".join(VAL_SPLIT_NAMES)}): split its '
                 f'{len(split.train) + len(split.val)} images into {len(split.train)} for training and '
                 f'{len(split.val)} for validation (val_fraction {fraction}, seed {seed}, stratified over '
                 f'{len(counts["val"])} classes); the split is recorded in {split_dir}')
    return dict(classes=split.classes, lists=pending.lists)


def _split_settings(cfg: Config) -> tuple:
    """``(val_fraction, seed)`` of the config's ``data_split`` (the defaults where unset).

    Raises:
        ValueError: an unknown key or a fraction outside (0, 1).
    """
    settings = dict(DATA_SPLIT_DEFAULTS, **(cfg.get('data_split') or {}))
    unknown = sorted(set(settings) - set(DATA_SPLIT_DEFAULTS))
    if unknown:
        raise UserInputError(f'data_split has unknown key(s) {unknown}; its keys are {sorted(DATA_SPLIT_DEFAULTS)}.')
    return check_val_fraction(settings['val_fraction']), settings['seed']
