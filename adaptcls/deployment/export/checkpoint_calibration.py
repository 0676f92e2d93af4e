"""The temperature of a calibrated checkpoint: stored in its ``meta['calibration']``, read back by the export.

``adaptcls calibrate`` (:func:`adaptcls.apis.calibration.calibrate_checkpoint`) fits the temperature T on the
validation set (Guo et al. 2017, :mod:`adaptcls.evaluation.calibration`) and stores the result here; the export puts
``softmax(logits / T)`` into the IR. The weights are not touched: the checkpoint still resumes, tests and exports as
before (a training run that resumes from it writes new checkpoints without the entry: new weights need a new T).

Names of one checkpoint: ``WORK_DIR/best.pth`` is a hard link to the run's ``best_<metric>_epoch_N.pth``
(``adaptcls.engine.hooks.atomic_checkpoint_hook.link_atomically``). Rewriting a file gives it a new inode, so
:func:`store_calibration` links every other name of the old file in the same folder to the new one: both names see
the calibration. A symbolic link is followed (the file it names is rewritten; the link stays). Where the file system
has no hard links, ``best.pth`` is a copy and only the file given is updated.
"""
import math
import os
from typing import List, Mapping, Optional

import torch

from adaptcls.engine.hooks.atomic_checkpoint_hook import link_atomically
from adaptcls.errors import UserInputError
from adaptcls.utils import atomic_path, install_checkpoint_safety, load_checkpoint_file

CALIBRATION_META_KEY = 'calibration'
"""The checkpoint's ``meta`` entry holding the calibration result (``CalibrationResult.to_dict()``)."""
TEMPERATURE_KEY = 'temperature'
"""The entry of ``meta['calibration']`` holding T."""
CALIBRATE_FIX = 'calibrate it again with `adaptcls calibrate CHECKPOINT`'
"""How a user repairs a damaged calibration entry, ending the error messages."""


def _load(path: str) -> dict:
    """The checkpoint at ``path`` (weights-only), refusing one that is no training checkpoint."""
    checkpoint = load_checkpoint_file(path)
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        raise UserInputError(f'Checkpoint "{path}" has no "state_dict"; pass a checkpoint written by adaptcls train.')
    return checkpoint


def _checked_temperature(value, path: str) -> float:
    """``value`` as a float if it is a finite positive number, else a UserInputError naming ``path`` and the key."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise UserInputError(f'Checkpoint "{path}": meta["{CALIBRATION_META_KEY}"]["{TEMPERATURE_KEY}"] must be a '
                             f'positive finite number, got {value!r}; {CALIBRATE_FIX}.')
    return float(value)


def checkpoint_temperature(path: str) -> Optional[float]:
    """The temperature stored in a checkpoint by :func:`store_calibration`, or None if it was never calibrated.

    Args:
        path (str): the checkpoint (loaded weights-only).

    Raises:
        FileNotFoundError: no such file.
        UserInputError: not a training checkpoint, or a calibration entry without a positive finite temperature.
    """
    meta = _load(path).get('meta') or {}
    if CALIBRATION_META_KEY not in meta:
        return None
    calibration = meta[CALIBRATION_META_KEY]
    if not isinstance(calibration, Mapping):
        raise UserInputError(f'Checkpoint "{path}": meta["{CALIBRATION_META_KEY}"] must be a dict, got '
                             f'{type(calibration).__name__}; {CALIBRATE_FIX}.')
    return _checked_temperature(calibration.get(TEMPERATURE_KEY), path)


def store_calibration(path: str, calibration: Mapping) -> List[str]:
    """Writes ``calibration`` into the checkpoint's ``meta['calibration']``, atomically, replacing an earlier one.

    The checkpoint is loaded weights-only, its ``meta`` gets the entry and the whole dict is saved with ``torch.save``
    to a temporary file renamed over the original (``adaptcls.utils.atomic_path``): a reader or a crash sees the old
    checkpoint or the new one. mmengine's log buffers in it are pickled the weights-only-loadable way
    (:func:`adaptcls.utils.install_checkpoint_safety`). Every other hard link to the file in its folder (the
    ``best.pth`` alias) is then pointed at the new file (see the module's docstring).

    Args:
        path (str): the checkpoint (a symbolic link is followed).
        calibration (Mapping): JSON-ready values with a positive ``temperature``, e.g. ``CalibrationResult.to_dict()``.

    Returns:
        list[str]: the paths that now hold the calibrated checkpoint (the file, then its other names).

    Raises:
        FileNotFoundError: no such file.
        UserInputError: not a training checkpoint, or no positive finite temperature in ``calibration``.
    """
    real = os.path.realpath(path)
    _checked_temperature(calibration.get(TEMPERATURE_KEY), path)
    checkpoint = _load(real)
    checkpoint['meta'] = dict(checkpoint.get('meta') or {}, **{CALIBRATION_META_KEY: dict(calibration)})
    others = _other_hard_links(real)
    install_checkpoint_safety()  # HistoryBuffers pickled without their functions, so they load weights-only
    with atomic_path(real) as tmp_path:
        torch.save(checkpoint, tmp_path)
    for other in others:
        link_atomically(real, other)
    return [real, *others]


def _other_hard_links(path: str) -> List[str]:
    """The other names of the file ``path`` in its folder (hard links to the same inode), sorted."""
    stat = os.stat(path)
    if stat.st_nlink < 2:
        return []
    return sorted(entry.path for entry in os.scandir(os.path.dirname(path))
                  if entry.path != path and entry.is_file(follow_symlinks=False)
                  and os.path.samestat(entry.stat(follow_symlinks=False), stat))
