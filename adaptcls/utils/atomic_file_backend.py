"""An mmengine file backend for local files whose writes are atomic (used for checkpoints)."""
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend

from .atomic import atomic_path

ATOMIC_LOCAL_BACKEND = 'adaptcls_atomic_local'
"""The backend's name for ``backend_args=dict(backend=...)``."""


class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put``/``put_text`` write a temporary file next to the
    target and rename it over the target (:func:`adaptcls.utils.atomic.atomic_path`).

    mmengine's ``save_checkpoint`` writes a checkpoint with ``backend.put``; with the plain local
    backend a process killed mid-write leaves a truncated ``.pth`` under the final name. With this
    one the file under the final name is always a complete checkpoint (the old one or the new one);
    a kill can leave only a ``.tmp-*`` file, which nothing reads.

    Select it with ``backend_args=dict(backend='adaptcls_atomic_local')`` (``CheckpointHook`` in
    ``configs/_base_/default_runtime.py`` does). Reading, listing and removing are ``LocalBackend``'s.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Writes ``obj`` to ``filepath`` atomically, creating its folder if needed."""
        with atomic_path(filepath) as tmp_path:
            with open(tmp_path, 'wb') as stream:
                stream.write(obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Writes the text ``obj`` to ``filepath`` atomically, creating its folder if needed."""
        self.put(obj.encode(encoding), filepath)


register_backend(ATOMIC_LOCAL_BACKEND, AtomicLocalBackend)
