"""Small helpers used across adaptcls.

Names are imported on first use (PEP 562), so a light helper does not import torch with the others.
"""
from .lazy_exports import lazy_getattr

_MODULE_OF = {
    'ATOMIC_LOCAL_BACKEND': 'atomic_file_backend',
    'AtomicLocalBackend': 'atomic_file_backend',
    'CorruptCheckpointError': 'checkpoint_safety',
    'UnsafeCheckpointError': 'checkpoint_safety',
    'atomic_path': 'atomic',
    'atomic_write_json': 'atomic',
    'atomic_write_text': 'atomic',
    'capture_random_state': 'random_state',
    'install_checkpoint_safety': 'checkpoint_safety',
    'load_checkpoint_file': 'checkpoint_safety',
    'restore_random_state': 'random_state',
}

__all__ = sorted(_MODULE_OF)

__getattr__ = lazy_getattr(__name__, _MODULE_OF)
