"""A checkpoint must fit what it is evaluated on: the same classes and every weight of the model's shape.

mmengine's ``load_from`` loads with ``strict=False``: a checkpoint of another class count leaves a randomly
initialised head with only a "size mismatch" log line, and renamed classes load silently, so ``tools/test.py``
reported figures of a model that was never trained on those classes. :func:`load_checked_checkpoint` refuses both
with a message naming the two sides; weights that do not fit are named with both shapes and the likely cause
(:func:`check_weights_fit`).
"""
import warnings
from typing import Mapping, Optional, Sequence

from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from torch import nn

from adaptcls.models.config_nodes import CheckpointMismatchError, check_model_fingerprint
from .config_utils import INPUT_SIZE_META_KEY, config_input_size
from adaptcls.models.weight_mismatch import compare_weights, parse_load_error

MAX_CLASSES_IN_ERROR = 10
"""How many class names a message lists."""


def checkpoint_classes(checkpoint: dict) -> Optional[Sequence[str]]:
    """The class names a checkpoint was trained on (mmengine's ``meta.dataset_meta.classes``), if recorded."""
    classes = (checkpoint.get('meta') or {}).get('dataset_meta', {}).get('classes')
    return tuple(classes) if classes is not None else None


def check_input_size(checkpoint: dict, cfg, path: str, config: str) -> None:
    """Refuses to evaluate or export a checkpoint at another input size than the one it was validated at (recorded in
    ``meta['input_size']`` by ``DataConsistencyHook``; older checkpoints record none and are not checked).

    A model trained at 64 px and evaluated at the recipe's 224 px loses tens of points, silently.

    Raises:
        CheckpointMismatchError: naming both sizes and the fix.
    """
    trained = (checkpoint.get('meta') or {}).get(INPUT_SIZE_META_KEY)
    current = config_input_size(cfg)
    if trained is not None and int(trained) != current:
        raise CheckpointMismatchError(
            f'checkpoint "{path}" was trained and validated at {trained} px, but {config} evaluates at {current} px; '
            f'pass --img-size {trained}, or the config its run wrote into its work dir (it holds that size).')


def check_weights_fit(model: nn.Module, state_dict: Mapping, path: str, config: str) -> None:
    """Raises ``CheckpointMismatchError`` unless ``state_dict`` holds exactly the model's weights, in its shapes.

    Args:
        model (nn.Module): the model (a wrapper is fine).
        state_dict (Mapping): the checkpoint's weights.
        path (str): the checkpoint, for the message.
        config (str): the config the model was built from, for the message.

    Raises:
        CheckpointMismatchError: naming the checkpoint, the first weights of other shapes (both shapes), missing
            or unexpected ones, and the likely cause: a head for another class count (the data), or another model
            (the config).
    """
    module = model.module if is_model_wrapper(model) else model
    mismatch = compare_weights(module.state_dict(), state_dict)
    if mismatch:
        raise CheckpointMismatchError(f'checkpoint "{path}" does not fit the model of {config}: {mismatch.describe()}; '
                                      f'{mismatch.likely_cause(config)}.')


def condense_load_error(message: str) -> str:
    """``message`` with the text of a failed strict ``load_state_dict`` in it (one line per tensor, often hundreds)
    replaced by the first differences of each kind and the likely cause; other messages unchanged.

    Args:
        message (str): an error message.

    Returns:
        str: the message, in one line when it held such a text.
    """
    parsed = parse_load_error(message)
    if parsed is None:
        return message
    mismatch, start, end = parsed
    before, after = message[:start].rstrip(), message[end:].lstrip('. \t\n')
    counts = mismatch.head_class_counts()
    cause = (f'; only the classifier head differs ({counts[0]} classes in the checkpoint, {counts[1]} in the model)'
             if counts else '')
    return ' '.join(part for part in (before, f'{mismatch.describe()}{cause}.', after) if part)


def load_checked_checkpoint(model: nn.Module, path: str, classes: Sequence[str], config: str,
                            model_cfg: Optional[dict] = None, cfg=None) -> dict:
    """Loads ``path`` (local or http(s), weights-only) into ``model`` after checking it fits.

    Args:
        model (nn.Module): the model built from ``config`` (a wrapper is fine).
        path (str): the checkpoint.
        classes (Sequence[str]): the classes of the data the model is evaluated on.
        config (str): the config file, for the messages.
        model_cfg (dict, optional): the model config ``model`` was built from; its fingerprint must equal the
            checkpoint's. Defaults to None (no fingerprint check).
        cfg (Config, optional): the whole config; its input size must be the checkpoint's
            (:func:`check_input_size`). Defaults to None (no size check).

    Returns:
        dict: the loaded checkpoint.

    Raises:
        CheckpointMismatchError: the checkpoint's classes differ from ``classes``, its weights do not fit the model
            (missing, unexpected or differently shaped tensors: :func:`check_weights_fit`), or it records another
            model config's fingerprint, or another input size.
    """
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    if cfg is not None:
        check_input_size(checkpoint, cfg, path, config)
    trained_on = checkpoint_classes(checkpoint)
    if trained_on is None:  # e.g. a bare state_dict: nothing to compare the data's classes with
        warnings.warn(f'checkpoint "{path}" records no class names (meta.dataset_meta.classes; a bare state_dict?): '
                      f'its outputs are taken to be the data\'s {len(classes)} classes in folder order '
                      f'{list(classes)[:MAX_CLASSES_IN_ERROR]}. If it was trained on renamed or reordered classes, its '
                      'figures are wrong; evaluate a checkpoint written by adaptcls training.', stacklevel=2)
    if trained_on is not None and tuple(trained_on) != tuple(classes):
        raise CheckpointMismatchError(
            f'checkpoint "{path}" was trained on {len(trained_on)} classes {list(trained_on)[:MAX_CLASSES_IN_ERROR]}, '
            f'but the data holds {len(classes)} classes {list(classes)[:MAX_CLASSES_IN_ERROR]}; evaluate it on the '
            'data it was trained for (same class folders, same names), or train a model for this data.')
    state_dict = checkpoint.get('state_dict', checkpoint)
    check_weights_fit(model, state_dict, path, config)
    if model_cfg is not None:
        check_model_fingerprint(checkpoint, model_cfg, path, config)
    try:
        load_state_dict(model, state_dict, strict=True)
    except RuntimeError as error:  # e.g. a value that is no tensor
        message = condense_load_error(f'checkpoint "{path}" does not fit the model of {config}: {error}. Use the '
                                      'config the checkpoint was trained with.')
        raise CheckpointMismatchError(' '.join(message.split())) from None
    return checkpoint
