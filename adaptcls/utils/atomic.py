"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one."""
import json
import os
import secrets
from contextlib import contextmanager
from typing import Any, Iterator, Union

PathLike = Union[str, os.PathLike]

TMP_PREFIX = '.tmp-'
"""Name prefix of the temporary files; a process killed mid-write can leave one behind."""

NEW_FILE_MODE = 0o666
"""Permissions a new file asks for; the process umask applies, as for ``open(path, 'w')``."""


@contextmanager
def atomic_path(path: PathLike) -> Iterator[str]:
    """Yields a temporary path next to ``path``; on success it replaces ``path`` in one rename.

    The temporary file is in the same folder (``os.replace`` is atomic only within one file
    system), created with the umask's permissions like any new file, and fsync'ed before the
    rename; the folder is fsync'ed after it, so the rename survives a power cut. On error the
    temporary file is removed and ``path`` is untouched. A process killed (SIGKILL) mid-write
    leaves ``path`` untouched and a ``.tmp-*`` file that nothing reads.

    Args:
        path (str | PathLike): the final file path.

    Yields:
        str: the temporary path to write to.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = os.path.splitext(path)[1]  # keeps e.g. '.png' so writers that sniff the suffix work
    tmp_path = os.path.join(folder, f'{TMP_PREFIX}{os.path.basename(path)}-{secrets.token_hex(4)}{suffix}')
    os.close(os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE))
    try:
        try:
            yield tmp_path
            with open(tmp_path, 'rb') as stream:
                os.fsync(stream.fileno())
            os.replace(tmp_path, path)
            _fsync_folder(folder)
        except OSError as error:
            if error.errno is None or error.filename not in (None, tmp_path):
                raise
            # e.g. a full disk: name the file the user knows, not the temporary one (or none)
            raise OSError(error.errno, f'{error.strerror} (writing it failed; a previous version, if any, is '
                                       'unchanged)', path) from error
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def _fsync_folder(folder: str) -> None:
    """Flushes a folder's entries to disk (POSIX; Windows cannot open folders and skips this)."""
    if os.name != 'posix':
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def atomic_write_text(path: PathLike, text: str) -> None:
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp_path:
        with open(tmp_path, 'w', encoding='utf-8') as stream:
            stream.write(text)


def atomic_write_json(path: PathLike, data: Any) -> None:
    """Writes ``data`` as indented JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + '\n')
