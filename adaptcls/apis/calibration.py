"""Calibrating a trained checkpoint: temperature scaling fitted on its validation set, stored in the checkpoint.

Example::

    from adaptcls.apis.calibration import calibrate_checkpoint

    result = calibrate_checkpoint('work_dirs/run/run_config.json', 'work_dirs/run/best.pth')
    print(result.temperature, result.ece_before, result.ece_after)

Temperature scaling follows Guo et al. 2017 (:mod:`adaptcls.evaluation.calibration`). The validation logits are
computed the way the export checks its models (the test pipeline's ``LoadImage`` + ``Resize``, the model's data
preprocessor, ``deploy_module``), so T is fitted on the logits the exported IR computes. The export then puts
``softmax(logits / T)`` into the IR (:mod:`adaptcls.deployment.export.checkpoint_calibration`).
"""
import os
from typing import List, Optional, Tuple

import numpy as np
from scipy.special import softmax

from adaptcls.datasets.image_folder_dataset import check_same_classes
from adaptcls.deployment.dataset_images import config_split, load_images
from adaptcls.deployment.export.checkpoint_calibration import store_calibration
from adaptcls.deployment.export.model_loader import LoadedClassifier, deploy_module, load_classifier
from adaptcls.deployment.export.verification import normalise, torch_logits
from adaptcls.deployment.input_size import input_size_from_config
from adaptcls.errors import UserInputError
from adaptcls.evaluation.calibration import (DEFAULT_BINS, CalibrationResult, reliability_diagram,
                                             temperature_scaling)
from adaptcls.utils import atomic_write_json
from adaptcls.utils.progress import track_batches
from adaptcls.version import __version__

CALIBRATION_DIR = 'calibration'
"""The default output folder, inside the checkpoint's folder (the run's work dir: ``WORK_DIR/calibration/``)."""
CALIBRATION_JSON = 'calibration.json'
"""The result's file name (``CalibrationResult.to_dict()`` plus the files involved), in the output folder."""
RELIABILITY_PNG = 'reliability_diagram.png'
"""The reliability diagram's file name (before and after temperature scaling), in the output folder."""
IMAGES_PER_CHUNK = 256
"""Validation images loaded and run at a time (memory stays bounded on large validation sets)."""


def default_out_dir(checkpoint: str) -> str:
    """Where :func:`calibrate_checkpoint` writes without an ``out_dir``: :data:`CALIBRATION_DIR` beside the
    checkpoint."""
    return os.path.join(os.path.dirname(os.path.abspath(checkpoint)), CALIBRATION_DIR)


def calibration_files(out_dir: str) -> Tuple[str, str]:
    """The (calibration.json, reliability_diagram.png) paths that :func:`calibrate_checkpoint` writes into ``out_dir``.
    """
    return os.path.join(out_dir, CALIBRATION_JSON), os.path.join(out_dir, RELIABILITY_PNG)


def validation_logits(loaded: LoadedClassifier) -> Tuple[np.ndarray, np.ndarray]:
    """PyTorch's logits on the whole validation set of a loaded checkpoint, and the labels.

    The images are those the export checks its models on (``adaptcls.deployment.dataset_images.config_split``:
    the test pipeline's resize at the deployed input size), normalised by the model's data preprocessor and run
    through ``deploy_module`` (eval mode, no grad), :data:`IMAGES_PER_CHUNK` at a time.

    Args:
        loaded (LoadedClassifier): from ``load_classifier`` (its config points at the data).

    Returns:
        tuple[np.ndarray, np.ndarray]: logits (N, C) float32 and labels (N,) int64.

    Raises:
        UserInputError: the validation set's classes differ from the checkpoint's, or it is empty.
    """
    val_set = config_split(loaded.cfg, 'val_dataloader', input_size_from_config(loaded.cfg))
    check_same_classes(loaded.classes, val_set.metainfo['classes'], f'checkpoint "{loaded.checkpoint_path}"',
                       'the validation set')
    if len(val_set) == 0:
        raise UserInputError(f'The validation set of {loaded.config_path} is empty: calibration fits on it; pass '
                             '--data-root with val/<class>/ image folders.')
    module, indices = deploy_module(loaded.model), np.arange(len(val_set))
    logits, labels = [], []
    for chunk in track_batches(len(val_set), IMAGES_PER_CHUNK, 'validation images through PyTorch'):
        images, chunk_labels = load_images(val_set, indices[chunk], 'validation images')
        logits.append(torch_logits(module, normalise(loaded.model.data_preprocessor, images)))
        labels.append(chunk_labels)
    return np.concatenate(logits), np.concatenate(labels)


def calibrate_checkpoint(config_path: str, checkpoint: str, data_root: Optional[str] = None,
                         out_dir: Optional[str] = None, bins: int = DEFAULT_BINS) -> CalibrationResult:
    """Fits the temperature of ``checkpoint`` on its validation set and stores it in the checkpoint.

    Writes ``meta['calibration']`` into the checkpoint (atomically; its weights are untouched; the ``best.pth`` alias
    follows: ``store_calibration``), and :data:`CALIBRATION_JSON` and :data:`RELIABILITY_PNG` into ``out_dir``. T is
    always fitted on the raw logits, so calibrating a calibrated checkpoint again gives the same T.

    Args:
        config_path (str): the config the checkpoint was trained with (e.g. the run's run_config.json).
        checkpoint (str): the checkpoint to calibrate (loaded weights-only).
        data_root (str, optional): the data set folder instead of the config's. Defaults to None.
        out_dir (str, optional): folder for the JSON and the PNG. Defaults to None: :func:`default_out_dir`
            (``calibration/`` beside the checkpoint, where ``adaptcls report`` looks).
        bins (int): confidence bins of the ECE and the diagram. Defaults to :data:`DEFAULT_BINS` (15).

    Returns:
        CalibrationResult: T, ECE and NLL before and after, images, bins.

    Raises:
        FileNotFoundError: the config or checkpoint does not exist.
        UserInputError: the checkpoint's folder is not writable, or the checkpoint does not fit the config or data.
    """
    folder = os.path.dirname(os.path.realpath(checkpoint))
    if os.path.isfile(checkpoint) and not os.access(folder, os.W_OK):
        raise UserInputError(f'Cannot calibrate "{checkpoint}": its folder {folder} is not writable and the '
                             'temperature is stored in the checkpoint; copy the checkpoint somewhere writable.')
    out_dir = out_dir or default_out_dir(checkpoint)
    json_path, png_path = calibration_files(out_dir)
    loaded = load_classifier(config_path, checkpoint, data_root)
    logits, labels = validation_logits(loaded)
    result = temperature_scaling(logits, labels, bins)
    updated = store_calibration(checkpoint, result.to_dict())
    reliability_diagram(softmax(logits, axis=1), labels, png_path, softmax(logits / result.temperature, axis=1),
                        bins, result.temperature)
    atomic_write_json(json_path, dict(result.to_dict(), **_sources(config_path, updated)))
    return result


def _sources(config_path: str, updated: List[str]) -> dict:
    """The calibration.json entries that name the files: config, checkpoint(s) updated, the diagram (a file name in
    the same folder), version."""
    return dict(config=os.path.abspath(config_path), checkpoints=updated, reliability_png=RELIABILITY_PNG,
                adaptcls_version=__version__)
