"""Model wrappers for distributed training."""
from .distributed import AdaptclsDistributedDataParallel

__all__ = ['AdaptclsDistributedDataParallel']
