"""The one config builder every tool and the deployment code use: a config file, ``--cfg-options``, a data root,
an input size and what the config is for (train, search, test, export).
"""
import os.path as osp
from typing import Mapping, Optional

from mmengine.config import Config

from adaptcls.errors import UserInputError
from adaptcls.models.config_nodes import switch_off_pretraining
from adaptcls.registry import adaptcls_scope
from .class_balance import apply_class_balance, class_count_report
from .config_checks import check_config_keys, check_pretrained_weights, check_training_values
from .data_splits import resolve_data_splits
from .resume_pointer import latest_checkpoint
from .config_utils import (avoid_single_image_batch, check_input_sizes, infer_num_classes, load_config,
                           prepare_distributed, set_data_root, set_input_size, set_max_epochs, training_labels)

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
                 run_dir: Optional[str] = None) -> Config:
    """Loads a config and makes it ready for ``mode``.

    In order: the file is read (a syntax error names file and line), ``cfg_options`` are merged, the keys are checked
    (:func:`check_config_keys`; training values too when training), the work dir is set (``work_dir``, else the
    config's for training modes, else :func:`default_work_dir`), ``resume`` is checked and set, the data sets point
    at ``data_root`` and at the splits it has (:func:`resolve_data_splits`: ``valid``/``validation``/``test``
    folders, or a seeded split of a folder without a validation split, recorded in the work dir), every size of the pipelines is scaled to ``img_size``, ``max_epochs`` is set (a cosine over
    the run stretched with it), a checkpoint mode switches pretraining
    and ``load_from`` / ``resume`` off (the checkpoint holds every weight), distributed CPU runs get gloo, each
    ``num_classes=None`` is filled from the training set (not for ``export``, whose checkpoint says it), a
    training run whose last batch would hold one image drops it (a note is printed), a training run prints its
    class counts (a warning when very imbalanced: :func:`class_count_report`), and the training modes apply the
    top-level ``class_balance`` (``'sampler'`` or ``'loss'``: :func:`apply_class_balance`).

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

    Returns:
        Config: the config, ready for mmengine's Runner (or for rebuilding a trained model).

    Raises:
        ValueError: an unknown ``mode``, a config that is not valid Python, or bad keys or values.
        FileNotFoundError: the config file or the data root does not exist, or ``resume='auto'`` finds no run.
    """
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
    cfg.launcher = launcher
    cfg.work_dir = work_dir or (cfg.get('work_dir') if mode in TRAINING_MODES else None) or default_work_dir(
        config_path, mode)
    if resume:
        if mode != 'train':
            raise UserInputError(f'resume applies to training only, not to mode {mode!r}.')
        cfg.resume, cfg.load_from = True, latest_checkpoint(cfg.work_dir) if resume == 'auto' else resume
    if data_root:
        set_data_root(cfg, data_root)
    notes = resolve_data_splits(cfg, mode, run_dir, given_root=bool(data_root))
    if img_size is not None:
        set_input_size(cfg, img_size)
    check_input_sizes(cfg)
    if max_epochs is not None:
        set_max_epochs(cfg, max_epochs)
    if mode in CHECKPOINT_MODES:
        cfg.load_from, cfg.resume = None, False
        switch_off_pretraining(cfg.model)
    if mode != 'export':
        prepare_distributed(cfg)
        with adaptcls_scope():  # these scan the training set
            infer_num_classes(cfg)
            notes.append(avoid_single_image_batch(cfg) if mode == 'train' else None)
            if mode in TRAINING_MODES:
                classes, labels = training_labels(cfg)
                notes.extend(class_count_report(classes, labels) if mode == 'train' else [])
                notes.append(apply_class_balance(cfg, cfg.get('class_balance'), labels, len(classes)))
    for note in filter(None, notes):  # before any logger exists: the user sees them first
        print(note if note.startswith(('note: ', 'warning: ')) else f'note: {note}')
    return cfg
