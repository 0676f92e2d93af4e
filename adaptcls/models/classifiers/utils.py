"""Building a classifier's parts from configs."""
from typing import Union

import torch
from torch import nn

from adaptcls.registry import MODELS


def build_module(module: Union[dict, nn.Module]) -> nn.Module:
    """Builds a config from adaptcls's ``MODELS``; passes a ready module through."""
    return module if isinstance(module, nn.Module) else MODELS.build(module)


def use_channels_last(classifier: nn.Module) -> None:
    """Puts the classifier's weights and its data preprocessor's output in NHWC memory format
    (``torch.channels_last``; the classifiers' ``channels_last=True``): oneDNN on CPUs and cuDNN on GPUs have faster
    convolution kernels for it on some hardware (benchmarks/speed_variants.py measures it). Checkpoints keep the same
    keys and values; only the tensors' strides differ."""
    classifier.to(memory_format=torch.channels_last)
    classifier.data_preprocessor.channels_last = True
