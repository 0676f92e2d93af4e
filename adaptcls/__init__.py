"""adaptcls: adaptive, data-agnostic image classification training for embedded targets.

Importing the package is cheap: registries import their modules lazily (see ``adaptcls.registry``).
"""
from .version import __version__

__all__ = ['__version__']
