"""Data transforms: loading, geometric/photometric processing, AugMix and packing."""
from .augmix import AugMix
from .crops import CenterCrop, RandomResizedCrop, ResolutionAwareCrop
from .formatting import PackClsInputs
from .loading import ImageLoadError, LoadImage
from .processing import ColorJitter, RandomCrop, RandomHorizontalFlip, RandomRotate, Resize

__all__ = [
    'ImageLoadError', 'LoadImage', 'Resize', 'RandomCrop', 'RandomHorizontalFlip', 'RandomRotate',
    'ColorJitter', 'RandomResizedCrop', 'ResolutionAwareCrop', 'CenterCrop', 'AugMix', 'PackClsInputs',
]
