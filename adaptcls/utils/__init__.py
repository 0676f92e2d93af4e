"""Small helpers used across adaptcls."""
from .setup_env import register_all_modules

__all__ = ['register_all_modules']
