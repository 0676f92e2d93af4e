"""Small helpers used across adaptcls."""
from .atomic import atomic_path, atomic_write_json, atomic_write_text
from .atomic_file_backend import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend
from .checkpoint_safety import (CorruptCheckpointError, UnsafeCheckpointError, install_checkpoint_safety,
                                load_checkpoint_file)
from .random_state import capture_random_state, restore_random_state

__all__ = [
    'atomic_path', 'atomic_write_json', 'atomic_write_text', 'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend',
    'CorruptCheckpointError', 'UnsafeCheckpointError', 'install_checkpoint_safety', 'load_checkpoint_file',
    'capture_random_state', 'restore_random_state'
]
