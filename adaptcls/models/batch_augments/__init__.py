"""Batch augments: ``(inputs, data_samples) -> (inputs, data_samples)`` callables that
``ClsDataPreprocessor`` applies to normalised training batches. All are off by default."""
from .base_mix_augment import BaseMixAugment
from .cutmix import CutMix
from .mixup import MixUp
from .random_batch_augment import RandomBatchAugment

__all__ = ['BaseMixAugment', 'MixUp', 'CutMix', 'RandomBatchAugment']
