"""Datasets and their transforms."""
from .image_cache import CacheSettings, ImageCache
from .image_folder_dataset import IMAGE_EXTENSIONS, ImageFolderDataset, check_same_classes
from .samplers import ClassBalancedSampler
from .transforms import (ColorJitter, ImageLoadError, LoadImage, PackClsInputs, RandomCrop,
                         RandomHorizontalFlip, RandomRotate, Resize)

__all__ = [
    'CacheSettings', 'ImageCache',
    'IMAGE_EXTENSIONS', 'ImageFolderDataset', 'check_same_classes', 'ClassBalancedSampler', 'ImageLoadError', 'LoadImage',
    'Resize', 'RandomCrop', 'RandomHorizontalFlip', 'RandomRotate', 'ColorJitter', 'PackClsInputs',
]
