"""Reading backbone weights from a local file and loading them strictly into a timm model."""
import pickle
from pathlib import Path
from typing import Dict, Iterable, Mapping, Tuple, Union

import torch
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.utils.checkpoint_safety import UnsafeCheckpointError

StateDict = Dict[str, torch.Tensor]
WRAPPER_KEYS = ('state_dict', 'model')
DATA_PARALLEL_PREFIX = 'module.'
MAX_KEYS_IN_ERROR = 10


def read_weights_file(path: Union[str, Path]) -> StateDict:
    """Reads a state dict from a ``.safetensors`` file or a ``torch.save`` file (``.pth``/``.pt``).

    A dict that wraps the weights under ``'state_dict'`` or ``'model'`` is unwrapped, and the
    ``'module.'`` prefix that (Distributed)DataParallel adds is stripped. Pickled files are read with
    ``weights_only=True``: a file from a stranger cannot run code.

    Args:
        path (str | Path): the weights file.

    Returns:
        dict[str, Tensor]: the state dict.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        UnsafeCheckpointError: the file holds objects that weights-only unpickling refuses to build.
        UserInputError: the file holds something other than a tensor state dict.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'Pretrained weights file "{path}" does not exist.')
    if path.suffix == '.safetensors':
        from safetensors.torch import load_file
        content = load_file(str(path), device='cpu')
    else:
        try:
            content = torch.load(path, map_location='cpu', weights_only=True)
        except pickle.UnpicklingError as err:
            raise UnsafeCheckpointError(
                f'"{path}" is not a plain tensor state dict, so torch.load(weights_only=True) refuses '
                f'it ({_refusal(err)}); nothing in it was run. Save just the weights '
                '(torch.save(model.state_dict(), path)).') from None
    return _strip_prefix(_unwrap(content, path), DATA_PARALLEL_PREFIX)


def _refusal(error: Exception) -> str:
    """The line of torch's weights-only refusal that names what it refused (e.g. a global such as os.system)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = next((line for line in lines if 'unsupported' in line.lower()), lines[0])
    return line.split('. ')[0].rstrip('.')


def _unwrap(content: object, path: Path) -> StateDict:
    """Returns the tensor dict inside ``content`` (raw, or under one of ``WRAPPER_KEYS``)."""
    if isinstance(content, Mapping):
        for key in WRAPPER_KEYS:
            if isinstance(content.get(key), Mapping):
                content = content[key]
                break
    if not isinstance(content, Mapping) or not all(
            isinstance(value, torch.Tensor) for value in content.values()):
        raise UserInputError(
            f'"{path}" does not hold a state dict of tensors (raw, or under one of the keys '
            f'{WRAPPER_KEYS}).')
    return dict(content)


def _strip_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    """Removes ``prefix`` from every key that starts with it."""
    return {(key[len(prefix):] if key.startswith(prefix) else key): value
            for key, value in state_dict.items()}


def classifier_names(model: nn.Module) -> Tuple[str, ...]:
    """The module names of a timm model's classifier(s), from its ``pretrained_cfg['classifier']``."""
    names = model.pretrained_cfg.get('classifier') or ()
    return (names, ) if isinstance(names, str) else tuple(names)


def drop_classifier(state_dict: StateDict, names: Iterable[str]) -> StateDict:
    """Returns ``state_dict`` without the parameters of the modules called ``names``."""
    prefixes = tuple(f'{name}.' for name in names)
    return {key: value for key, value in state_dict.items() if not key.startswith(prefixes)}


def load_strict(model: nn.Module, state_dict: StateDict, origin: str) -> None:
    """Loads ``state_dict`` into ``model`` and fails on any missing, unexpected or mis-shaped key.

    Args:
        model (nn.Module): the timm model (built with ``num_classes=0``).
        state_dict (dict[str, Tensor]): its weights, classifier already dropped.
        origin (str): where the weights came from, for error messages.

    Raises:
        RuntimeError: if the weights do not fit the model's architecture.
    """
    architecture = model.pretrained_cfg.get('architecture', type(model).__name__)
    fix = f'The weights must come from timm "{architecture}" (the same model_name).'
    try:
        result = model.load_state_dict(state_dict, strict=False)
    except RuntimeError as err:
        raise RuntimeError(f'Weights from {origin} do not fit timm "{architecture}": {err}\n{fix}') from err
    if result.missing_keys or result.unexpected_keys:
        raise RuntimeError(
            f'Weights from {origin} do not fit timm "{architecture}": '
            f'{len(result.missing_keys)} missing keys {_head(result.missing_keys)}, '
            f'{len(result.unexpected_keys)} unexpected keys {_head(result.unexpected_keys)}. {fix}')


def _head(keys: list) -> list:
    """The first few keys, enough to recognise the problem in an error message."""
    return keys[:MAX_KEYS_IN_ERROR]
