"""Small helpers used across adaptcls."""
from .atomic import atomic_path, atomic_write_json, atomic_write_text
from .checkpoint_safety import UnsafeCheckpointError, install_checkpoint_safety, load_checkpoint_file
from .setup_env import register_all_modules

__all__ = [
    'atomic_path', 'atomic_write_json', 'atomic_write_text', 'UnsafeCheckpointError',
    'install_checkpoint_safety', 'load_checkpoint_file', 'register_all_modules'
]
