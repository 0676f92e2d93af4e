"""Weights-only checkpoint loading for mmengine 0.10.7 under torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine's checkpoints hold a few
non-tensor objects (``HistoryBuffer`` log buffers with numpy arrays), so ``resume``/``load_from``
fail with ``Unsupported global``. We keep weights-only unpickling and allow-list exactly those
classes. We never pass ``weights_only=False``: a checkpoint from a stranger must not run code.

mmengine's ``HistoryBuffer.__getstate__`` also pickles its statistic *functions*
(``HistoryBuffer.min`` ...), which unpickles through ``builtins.getattr``; allowing ``getattr``
would open the unpickler to arbitrary attribute access. Those functions live on the class and
``HistoryBuffer.__setstate__`` re-registers them, so we pickle buffers without them instead.

mmengine reads local checkpoint files with a bare ``torch.load``, which unpickles anything under
torch < 2.6, and fetches ``http(s)://`` checkpoints with ``torch.hub.load_state_dict_from_url``, whose
default is ``weights_only=False`` on every torch (a URL checkpoint, or a ``last_checkpoint`` file that
names one, ran its payload). :func:`install_checkpoint_safety` replaces the loader of every scheme
mmengine's ``CheckpointLoader`` knows: local paths and ``http(s)://`` URLs load through
:func:`load_checkpoint_file` (a URL is downloaded first), and mmengine's other schemes (``pavi://``,
``s3://``, ``petrel://``, ``modelzoo://``, ``torchvision://``, ``open-mmlab://``, ``mmcls://``), which
adaptcls does not use, are refused with a message saying to download the file. So ``load_from``,
``resume`` (and ``last_checkpoint``) and ``tools/test.py`` refuse a checkpoint that would run code with
:class:`UnsafeCheckpointError` on every supported torch, wherever it comes from.
"""
import hashlib
from typing import Any, Union
from urllib.error import URLError
from urllib.parse import urlparse
import os

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from adaptcls.errors import UserInputError

_installed = False

URL_HASH_CHARS = 16
"""Hex digits of the URL's SHA-256 in front of a downloaded checkpoint's cached name."""
URL_SCHEMES = ('http://', 'https://')
"""mmengine's URL prefixes: loaded (after a download) through :func:`load_checkpoint_file`."""
REFUSED_SCHEMES = ('pavi://', r'(\S+\:)?s3://', r'(\S+\:)?petrel://', 'modelzoo://', 'torchvision://',
                   'open-mmlab://', 'openmmlab://', 'mmcls://')
"""mmengine's other checkpoint prefixes (mmengine 0.10.7's ``CheckpointLoader``): refused."""


def _numpy_globals() -> list:
    """The numpy callables and classes needed to rebuild arrays and scalars in a checkpoint."""
    core = getattr(np, '_core', None) or np.core
    dtype_classes = [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDG']
    return [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray, np.dtype] + dtype_classes


def _history_buffer_getstate(self: HistoryBuffer) -> dict:
    """``HistoryBuffer`` state without its statistic functions (they are rebuilt on load)."""
    return {key: value for key, value in self.__dict__.items() if key != 'statistics_methods'}


def install_checkpoint_safety() -> None:
    """Lets ``torch.load(weights_only=True)`` read mmengine checkpoints, and makes mmengine load
    local checkpoint files (``load_from``, ``resume``, ``tools/test.py``) with
    :func:`load_checkpoint_file`, whatever torch's default (``weights_only`` became the default
    only in torch 2.6). Idempotent."""
    global _installed
    if _installed:
        return
    from mmengine.runner.checkpoint import CheckpointLoader  # heavy: imported only when installing

    HistoryBuffer.__getstate__ = _history_buffer_getstate
    _allow_checkpoint_objects()
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_weights_only, force=True)
    CheckpointLoader.register_scheme(prefixes=URL_SCHEMES, loader=load_from_url_weights_only, force=True)
    CheckpointLoader.register_scheme(prefixes=REFUSED_SCHEMES, loader=refuse_checkpoint_scheme, force=True)
    _installed = True


def _allow_checkpoint_objects() -> None:
    """Adds the few non-tensor classes of mmengine checkpoints to torch's weights-only allow-list (idempotent:
    torch keeps a set). Changes nothing of mmengine's."""
    torch.serialization.add_safe_globals([HistoryBuffer] + _numpy_globals())


def load_from_local_weights_only(filename: str, map_location: Any = None) -> Any:
    """mmengine's checkpoint loader for local paths (its ``load_from_local``), weights-only.

    Args:
        filename (str): the checkpoint file; ``~`` is expanded.
        map_location (Any): as in ``torch.load``. Defaults to None.

    Returns:
        Any: the unpickled checkpoint.
    """
    return load_checkpoint_file(os.path.expanduser(filename), map_location=map_location)


def load_from_url_weights_only(url: str, map_location: Any = None) -> Any:
    """mmengine's checkpoint loader for ``http(s)://`` URLs (its ``load_from_http``), weights-only.

    The file is downloaded into torch's hub cache (``torch.hub.get_dir()/checkpoints``, as mmengine
    and torch do; torch writes a temporary file and renames it, so an interrupted download leaves
    nothing behind) unless it is there already, then loaded by :func:`load_checkpoint_file`. The cached name
    starts with a hash of the whole URL (two URLs ending in the same file name are two files; mmengine keys by the
    name only, so the second evaluated the first one's weights), and a file that is refused (unsafe or corrupt) is
    removed from the cache, so the next attempt downloads it again.

    Args:
        url (str): the checkpoint URL.
        map_location (Any): as in ``torch.load``. Defaults to None.

    Raises:
        FileNotFoundError: the download failed (the message names the URL and the reason).
        UnsafeCheckpointError: the file holds objects outside the allow-list; it is not loaded.
    """
    import torch.hub
    name = os.path.basename(urlparse(url).path) or 'checkpoint.pth'
    name = f'{hashlib.sha256(url.encode()).hexdigest()[:URL_HASH_CHARS]}-{name}'
    folder = os.path.join(torch.hub.get_dir(), 'checkpoints')
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        os.makedirs(folder, exist_ok=True)
        try:
            torch.hub.download_url_to_file(url, path, progress=False)
        except (URLError, OSError, ValueError) as error:
            raise FileNotFoundError(f'Could not download the checkpoint "{url}": {error}. Check the URL, or '
                                    'download the file and give its local path.') from None
    try:
        return load_checkpoint_file(path, map_location=map_location)
    except (UnsafeCheckpointError, CorruptCheckpointError):
        os.remove(path)  # not kept: a fixed file at the same URL is downloaded next time
        raise


def refuse_checkpoint_scheme(filename: str, map_location: Any = None) -> Any:
    """The loader of mmengine's checkpoint schemes that adaptcls does not support: refuses them.

    Raises:
        ValueError: always, naming the path and the fix.
    """
    raise UserInputError(f'Checkpoint "{filename}": adaptcls loads checkpoints from local files and http(s):// URLs '
                         'only, always weights-only. Download the file and give its local path.')


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint holds objects that weights-only unpickling refuses to build."""


class CorruptCheckpointError(UserInputError):
    """A checkpoint file is truncated, empty or not a checkpoint at all."""


def load_checkpoint_file(path: Union[str, os.PathLike], map_location: Any = 'cpu') -> Any:
    """Loads a checkpoint with weights-only unpickling and adaptcls's allow-list.

    Args:
        path (str | PathLike): the checkpoint file.
        map_location (Any): as in ``torch.load``. Defaults to 'cpu'.

    Returns:
        Any: the unpickled checkpoint (usually a dict).

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeCheckpointError: the file holds objects outside the allow-list (for example a
            pickled function); it is not loaded.
    """
    _allow_checkpoint_objects()
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Checkpoint file "{path}" does not exist; check the path.')
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises UnpicklingError or RuntimeError
        if 'unsupported global' not in str(error).lower():  # not a refused object: the bytes are no checkpoint
            raise CorruptCheckpointError(
                f'Checkpoint "{path}" cannot be read: it is truncated, empty or not a checkpoint '
                f'({type(error).__name__}: {str(error).splitlines()[0] if str(error) else "no detail"}). '
                f'{_other_checkpoints_hint(path)}') from None
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint "{path}": it contains objects that weights-only loading does '
            f'not allow ({_first_line_with(str(error), "Unsupported global")}). adaptcls never unpickles '
            'arbitrary objects, because a checkpoint can then run code. If you trust the file, re-save '
            'only its tensors (a plain state_dict) and load that.') from None


def _other_checkpoints_hint(path: Union[str, os.PathLike]) -> str:
    """Names the other checkpoints beside ``path`` that a user can resume from instead."""
    folder = os.path.dirname(os.path.abspath(path))
    names = [name for name in os.listdir(folder) if name.endswith('.pth') and name != os.path.basename(path)]
    others = sorted(names, key=lambda name: os.path.getmtime(os.path.join(folder, name)))  # newest last
    if not others:
        return 'Use another copy of the file.'
    return (f'Other checkpoints in {folder}: {", ".join(others[-4:])}; resume from one of them with '
            f'--resume {os.path.join(folder, others[-1])}.')


def _first_line_with(text: str, needle: str) -> str:
    """The first line of ``text`` containing ``needle`` (ignoring case: torch words it "unsupported
    GLOBAL"), or the first line of ``text``."""
    for line in text.splitlines():
        if needle.lower() in line.lower():
            return line.strip()
    return text.splitlines()[0] if text else ''
