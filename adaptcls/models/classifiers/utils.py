"""Building a classifier's parts from configs."""
from typing import Union

from torch import nn

from adaptcls.registry import MODELS


def build_module(module: Union[dict, nn.Module]) -> nn.Module:
    """Builds a config from adaptcls's ``MODELS``; passes a ready module through."""
    return module if isinstance(module, nn.Module) else MODELS.build(module)
