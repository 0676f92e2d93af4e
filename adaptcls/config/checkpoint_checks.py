"""A checkpoint must fit what it is evaluated on: the same classes and every weight of the model's shape.

mmengine's ``load_from`` loads with ``strict=False``: a checkpoint of another class count leaves a randomly
initialised head with only a "size mismatch" log line, and renamed classes load silently, so ``tools/test.py``
reported figures of a model that was never trained on those classes. :func:`load_checked_checkpoint` refuses both
with a message naming the two sides.
"""
from typing import Optional, Sequence

from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from torch import nn

from adaptcls.models.config_nodes import CheckpointMismatchError, check_model_fingerprint


def checkpoint_classes(checkpoint: dict) -> Optional[Sequence[str]]:
    """The class names a checkpoint was trained on (mmengine's ``meta.dataset_meta.classes``), if recorded."""
    classes = (checkpoint.get('meta') or {}).get('dataset_meta', {}).get('classes')
    return tuple(classes) if classes is not None else None


def load_checked_checkpoint(model: nn.Module, path: str, classes: Sequence[str], config: str,
                            model_cfg: Optional[dict] = None) -> dict:
    """Loads ``path`` (local or http(s), weights-only) into ``model`` after checking it fits.

    Args:
        model (nn.Module): the model built from ``config`` (a wrapper is fine).
        path (str): the checkpoint.
        classes (Sequence[str]): the classes of the data the model is evaluated on.
        config (str): the config file, for the messages.
        model_cfg (dict, optional): the model config ``model`` was built from; its fingerprint must equal the
            checkpoint's. Defaults to None (no fingerprint check).

    Returns:
        dict: the loaded checkpoint.

    Raises:
        CheckpointMismatchError: the checkpoint's classes differ from ``classes``, it records another model
            config's fingerprint, or its weights do not fit the model (missing, unexpected or differently shaped
            tensors).
    """
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    trained_on = checkpoint_classes(checkpoint)
    if trained_on is not None and tuple(trained_on) != tuple(classes):
        raise CheckpointMismatchError(
            f'checkpoint "{path}" was trained on {len(trained_on)} classes {list(trained_on)[:10]}, but the data '
            f'holds {len(classes)} classes {list(classes)[:10]}; evaluate it on the data it was trained for (same '
            'class folders, same names), or train a model for this data.')
    if model_cfg is not None:
        check_model_fingerprint(checkpoint, model_cfg, path, config)
    try:
        load_state_dict(model, checkpoint.get('state_dict', checkpoint), strict=True)
    except RuntimeError as error:
        details = ' '.join(line.strip() for line in str(error).splitlines()[1:4] if line.strip())
        raise CheckpointMismatchError(
            f'checkpoint "{path}" does not fit the model of {config}: {details[:600]}. Use the config the '
            'checkpoint was trained with.') from None
    return checkpoint
