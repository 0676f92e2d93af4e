"""Pointing a config's data sets at the splits a data folder really has.

The recipe configs read ``train/`` and ``val/`` of the data root. :func:`resolve_data_splits` adapts them to the
folder the user has (``adaptcls.datasets.data_split``): a validation split named ``valid`` or ``validation``; a
``test`` split, which ``tools/test.py`` evaluates; or no validation split at all, in which case the training run
splits the class folders (seeded, stratified, ``data_split`` settings) and records the split in its work dir, where
testing and export (``run_dir``: the folder of the checkpoint) find it again.
"""
import os
from typing import List, Optional

from mmengine.config import Config

from adaptcls.errors import UserInputError
from adaptcls.datasets.data_split import (SPLIT_DIR, TEST_SPLIT_NAMES, TRAIN_SPLIT, VAL_SPLIT_NAMES,
                                          check_split_current, check_val_fraction, find_split_folder, read_split,
                                          split_class_folders, unsplit_image_root, write_split)
from .config_utils import iter_datasets
from .option_values import DATA_SPLIT_DEFAULTS

VAL_PREFIX = 'val'
"""The validation split's folder name in the recipe configs' data sets."""


def resolve_data_splits(cfg: Config, mode: str, run_dir: Optional[str] = None, given_root: bool = True) -> List[str]:
    """Adapts the class-folder data sets of ``cfg`` (``data_prefix`` ``'train'`` or ``'val'``, no ``ann_file``) to
    the splits of their data root; returns notes for the user (which folder is used, or how the data was split).

    - A validation split under another name (``valid``, ``validation``) is used for ``val``; the test data set
      (``test_dataloader``) takes a ``test`` split when there is one.
    - No validation split: ``train`` and ``mode`` train or search split ``data_root/train`` (or, without it, the
      class folders of ``data_root`` itself) with ``cfg.data_split`` into the work dir's ``data_split/`` (or reuse
      the split recorded there with the same settings); test and export read the split recorded in
      ``run_dir/data_split/`` (the training run's work dir).

    Args:
        cfg (Config): a config whose data roots and work dir are set.
        mode (str): what the config is built for (``adaptcls.config.CONFIG_MODES``).
        run_dir (str, optional): test and export: the training run's work dir (the checkpoint's folder).
        given_root (bool): the user gave the data root (``--data-root``, a DATA_DIR). A config's own data root
            without a validation split is left as it is (its dataset names the missing folder): the recipes'
            placeholder ``data/`` is no data set to split. Defaults to True.

    Raises:
        ValueError: bad ``data_split`` settings, a work dir whose recorded split has other settings, or a
            class folder that cannot be split.
        FileNotFoundError: testing or exporting a data root without a validation split and no recorded split.
    """
    notes = []
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for dataset_cfg in iter_datasets(cfg, (key,)):
            prefix, data_root = dataset_cfg.get('data_prefix'), dataset_cfg.get('data_root')
            if dataset_cfg.get('ann_file') or prefix not in (TRAIN_SPLIT, VAL_PREFIX) or not data_root \
                    or not os.path.isdir(data_root):
                continue  # an annotation list, another layout, or a missing root (the dataset names it)
            image_root = unsplit_image_root(data_root)
            if image_root is not None and not given_root:
                continue
            if image_root is None:
                if prefix == VAL_PREFIX:
                    names = TEST_SPLIT_NAMES if key == 'test_dataloader' else VAL_SPLIT_NAMES
                    found = find_split_folder(data_root, names)
                    if found != VAL_PREFIX and (key == 'test_dataloader') == (mode == 'test'):
                        notes.append(f'{key}: the "{found}" folder of {data_root}')
                    dataset_cfg['data_prefix'] = found
                continue
            record = _split_record(cfg, mode, image_root, run_dir, notes)
            part = 'train' if prefix == TRAIN_SPLIT else 'val'
            dataset_cfg.update(data_prefix=os.path.relpath(image_root, os.path.abspath(data_root)),
                               ann_file=record['lists'][part], classes=list(record['classes']))
    return list(dict.fromkeys(notes))


def _split_record(cfg: Config, mode: str, image_root: str, run_dir: Optional[str], notes: List[str]) -> dict:
    """The split of ``image_root`` this run uses: recorded in the work dir (made there first when training), or,
    for test and export, in ``run_dir``."""
    if mode in ('train', 'search'):
        settings = dict(DATA_SPLIT_DEFAULTS, **(cfg.get('data_split') or {}))
        unknown = sorted(set(settings) - set(DATA_SPLIT_DEFAULTS))
        if unknown:
            raise UserInputError(f'data_split has unknown key(s) {unknown}; its keys are '
                                 f'{sorted(DATA_SPLIT_DEFAULTS)}.')
        fraction, seed = check_val_fraction(settings['val_fraction']), settings['seed']
        split_dir = os.path.join(cfg.work_dir, SPLIT_DIR)
        record = read_split(split_dir)
        if record is None:
            split = split_class_folders(image_root, fraction, seed)
            write_split(split, cfg.work_dir)
            counts = split.counts()
            notes.append(f'{image_root} has no validation folder ({", ".join(VAL_SPLIT_NAMES)}): split its '
                         f'{len(split.train) + len(split.val)} images into {len(split.train)} for training and '
                         f'{len(split.val)} for validation (val_fraction {fraction}, seed {seed}, stratified over '
                         f'{len(counts["val"])} classes); the split is recorded in {split_dir}')
            return read_split(split_dir)
        if (record['image_root'], record['val_fraction'], record['seed']) != (image_root, fraction, seed):
            raise UserInputError(f'the work dir {cfg.work_dir} holds a split of {record["image_root"]} with '
                                 'val_fraction '
                                 f'{record["val_fraction"]} and seed {record["seed"]} ({split_dir}), not of '
                                 f'{image_root} '
                                 f'with val_fraction {fraction} and seed {seed}; train into another --work-dir, give '
                                 f'the same split settings, or delete {split_dir} to split again.')
        check_split_current(record, split_dir)
        notes.append(f'reusing the data split recorded in {split_dir}')
        return record
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
