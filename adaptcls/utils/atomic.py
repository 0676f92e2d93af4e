"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one."""
import json
import os
import tempfile
from contextlib import contextmanager
from typing import Any, Iterator, Union

PathLike = Union[str, os.PathLike]


@contextmanager
def atomic_path(path: PathLike) -> Iterator[str]:
    """Yields a temporary path next to ``path``; on success it replaces ``path`` in one rename.

    The temporary file is in the same folder (``os.replace`` is atomic only within one file
    system) and is fsync'ed before the rename. On error it is removed and ``path`` is untouched.

    Args:
        path (str | PathLike): the final file path.

    Yields:
        str: the temporary path to write to.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = os.path.splitext(path)[1]  # keeps e.g. '.png' so writers that sniff the suffix work
    handle, tmp_path = tempfile.mkstemp(prefix='.tmp-', suffix=suffix, dir=folder)
    os.close(handle)
    try:
        yield tmp_path
        with open(tmp_path, 'rb') as stream:
            os.fsync(stream.fileno())
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def atomic_write_text(path: PathLike, text: str) -> None:
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp_path:
        with open(tmp_path, 'w', encoding='utf-8') as stream:
            stream.write(text)


def atomic_write_json(path: PathLike, data: Any) -> None:
    """Writes ``data`` as indented JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + '\n')
