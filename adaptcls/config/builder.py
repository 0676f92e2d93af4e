"""The one config builder every tool and the deployment code use: a config file, ``--cfg-options``, a data root,
an input size and what the config is for (train, search, test, export). It reads the training set once and writes
nothing.
"""
import os.path as osp
from typing import List, Mapping, Optional

from mmengine.config import Config

from adaptcls.errors import UserInputError
from adaptcls.models.config_nodes import switch_off_pretraining
from adaptcls.registry import adaptcls_scope
from .class_balance import apply_class_balance, class_count_report
from .config_checks import check_config_keys, check_pretrained_weights, check_training_values
from .config_utils import (check_input_sizes, load_config, prepare_distributed, set_data_root, set_input_size,
                           set_max_epochs)
from .data_splits import resolve_data_splits
from .resume_pointer import latest_checkpoint
from .training_set import avoid_single_image_batch, infer_num_classes, scan_training_set

CONFIG_MODES = ('train', 'search', 'test', 'export')
"""What a config is built for: ``train`` (tools/train.py), ``search`` (tools/lr_search.py), ``test``
(tools/test.py) and ``export`` (tools/deploy.py: a trained model is rebuilt, its data set may be absent)."""
TRAINING_MODES = ('train', 'search')
"""Modes that train, so the config must hold everything training reads."""
CHECKPOINT_MODES = ('test', 'export')
"""Modes that load a trained checkpoint, so nothing else is loaded and no backbone is pretrained."""


def default_work_dir(config_path: str, mode: str) -> str:
    """``work_dirs/<config name>`` (with a ``test`` subfolder for ``test``)."""
    work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    return osp.join(work_dir, 'test') if mode == 'test' else work_dir


def build_config(config_path: str, mode: str, cfg_options: Optional[Mapping] = None,
                 data_root: Optional[str] = None, work_dir: Optional[str] = None, img_size: Optional[int] = None,
                 launcher: str = 'none', resume: Optional[str] = None, max_epochs: Optional[int] = None,
                 run_dir: Optional[str] = None, replace_stale_split: bool = False) -> Config:
    """Loads a config and makes it ready for ``mode``. Writes nothing: a data split made for a training run is
    written by :func:`adaptcls.config.data_splits.record_data_split` (``adaptcls.apis.train`` calls it once it holds
    the work-dir lock).

    In order: the file is read (a syntax error names file and line), ``cfg_options`` are merged, the keys are checked
    (:func:`check_config_keys`; training values too when training); the work dir is set (``work_dir``, else the
    config's for training modes, else :func:`default_work_dir`) and ``resume`` is checked and set; the data sets point
    at ``data_root`` and at the splits it has (:func:`resolve_data_splits`: ``valid``/``validation``/``test``
    folders, or a seeded split of a folder without a validation split, recorded in the work dir); every size of the
    pipelines is scaled to ``img_size`` and ``max_epochs`` is set (a cosine over the run stretched with it); a
    checkpoint mode switches pretraining and ``load_from`` / ``resume`` off (the checkpoint holds every weight);
    distributed CPU runs get gloo; then, from one listing of the training set (:func:`scan_training_set`, no image
    decoded): each ``num_classes=None`` is filled (not for ``export``, whose checkpoint says it), a training run whose
    last batch would hold one image drops it (a note is printed), a training run prints its class counts (a warning
    when very imbalanced: :func:`class_count_report`), and the training modes apply the top-level ``class_balance``
    (``'sampler'`` or ``'loss'``: :func:`apply_class_balance`).

    Args:
        config_path (str): the config file.
        mode (str): one of :data:`CONFIG_MODES`.
        cfg_options (Mapping, optional): ``--cfg-options`` key=value overrides (dotted keys).
        data_root (str, optional): a class-folder data set (train/<class>/, val/<class>/).
        work_dir (str, optional): where the run writes.
        img_size (int, optional): the input size in px; every ``size`` of the pipelines is scaled by
            ``img_size`` / the config's test input size.
        launcher (str): mmengine's launcher ('none', 'pytorch', ...). Defaults to 'none'.
        max_epochs (int, optional): ``train_cfg.max_epochs`` (:func:`set_max_epochs`).
        resume (str, optional): ``train`` only: a checkpoint to resume from, or ``'auto'`` for the work dir's
            latest (refused, before any data is read, when the work dir holds no run to resume).
        run_dir (str, optional): ``test`` and ``export``: the training run's work dir (the checkpoint's folder),
            whose recorded data split is reused when the data root has no validation split.
        replace_stale_split (bool): training: a split recorded in the work dir that no longer describes the data
            is replaced by a new one (set aside when the new one is recorded) instead of refused: ``--overwrite``.
            Defaults to False.

    Returns:
        Config: the config, ready for mmengine's Runner (or for rebuilding a trained model).

    Raises:
        ValueError: an unknown ``mode``, a config that is not valid Python, or bad keys or values.
        FileNotFoundError: the config file or the data root does not exist, or ``resume='auto'`` finds no run.
    """
    cfg = _read_checked_config(config_path, mode, cfg_options)
    _set_run_folders(cfg, config_path, mode, launcher, work_dir, resume)
    if data_root:
        set_data_root(cfg, data_root)
    notes = resolve_data_splits(cfg, mode, run_dir, given_root=bool(data_root), replace_stale=replace_stale_split)
    _set_input_size_and_epochs(cfg, img_size, max_epochs)
    if mode in CHECKPOINT_MODES:
        _load_the_checkpoint_only(cfg)
    if mode != 'export':
        prepare_distributed(cfg)
        notes += _fit_to_training_set(cfg, mode)
    _print_notes(notes)
    return cfg


def _read_checked_config(config_path: str, mode: str, cfg_options: Optional[Mapping]) -> Config:
    """The config file with ``cfg_options`` merged, its keys checked (and, for ``mode``, its values or weights)."""
    if mode not in CONFIG_MODES:
        raise UserInputError(f'mode must be one of {CONFIG_MODES}, got {mode!r}.')
    if not osp.isfile(config_path):
        raise FileNotFoundError(f'Config file "{config_path}" does not exist (see configs/ for the recipes).')
    cfg = load_config(config_path)
    if cfg_options:
        cfg.merge_from_dict(dict(cfg_options))
    check_config_keys(cfg, for_training=mode in TRAINING_MODES)
    if mode == 'train':
        check_training_values(cfg)  # and the pretrained weights
    elif mode == 'search':
        check_pretrained_weights(cfg)
    return cfg


def _set_run_folders(cfg: Config, config_path: str, mode: str, launcher: str, work_dir: Optional[str],
                     resume: Optional[str]) -> None:
    """The launcher, the work dir and what to resume from."""
    cfg.launcher = launcher
    cfg.work_dir = work_dir or (cfg.get('work_dir') if mode in TRAINING_MODES else None) or default_work_dir(
        config_path, mode)
    if resume:
        if mode != 'train':
            raise UserInputError(f'resume applies to training only, not to mode {mode!r}.')
        cfg.resume, cfg.load_from = True, latest_checkpoint(cfg.work_dir) if resume == 'auto' else resume


def _set_input_size_and_epochs(cfg: Config, img_size: Optional[int], max_epochs: Optional[int]) -> None:
    """``--img-size`` scales every pipeline (val and test must then end at one size); ``--epochs`` sets the run's
    length."""
    if img_size is not None:
        set_input_size(cfg, img_size)
    check_input_sizes(cfg)
    if max_epochs is not None:
        set_max_epochs(cfg, max_epochs)


def _load_the_checkpoint_only(cfg: Config) -> None:
    """A trained checkpoint holds every weight: nothing else is loaded, no backbone is pretrained."""
    cfg.load_from, cfg.resume = None, False
    switch_off_pretraining(cfg.model)


def _fit_to_training_set(cfg: Config, mode: str) -> List[Optional[str]]:
    """Fills each ``num_classes=None``; for training also drops a last batch of one image, counts the classes and
    applies ``class_balance``: all from one listing of the training set. Returns the notes for the user."""
    with adaptcls_scope():  # the dataset is built from the registry
        if mode not in TRAINING_MODES:
            infer_num_classes(cfg)  # lists the training set only when a num_classes needs it
            return []
        training_set = scan_training_set(cfg)
    infer_num_classes(cfg, training_set)
    notes = []
    if mode == 'train':
        notes.append(avoid_single_image_batch(cfg, training_set))
        notes.extend(class_count_report(training_set.classes, training_set.labels))
    notes.append(apply_class_balance(cfg, cfg.get('class_balance'), training_set.labels, len(training_set.classes)))
    return notes


def _print_notes(notes: List[Optional[str]]) -> None:
    """Before any logger exists: the user sees them first."""
    for note in filter(None, notes):
        print(note if note.startswith(('note: ', 'warning: ')) else f'note: {note}')
