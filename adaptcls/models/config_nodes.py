"""Walking a model config: every nested dict with its key path, and switching off pretrained downloads."""
from typing import Any, Iterator, Tuple

TIMM_BACKBONE = 'TimmBackbone'
"""The registered name of ``adaptcls.models.backbones.TimmBackbone``."""


def iter_config_dicts(node: Any, path: Tuple[str, ...] = ()) -> Iterator[Tuple[Tuple[str, ...], dict]]:
    """Yields ``(key path, dict)`` for ``node`` and every dict nested in it (through dicts and lists).

    Args:
        node (Any): a config node, e.g. ``cfg.model``.
        path (tuple[str, ...]): the key path of ``node``. Defaults to ().

    Yields:
        tuple[tuple[str, ...], dict]: e.g. ``(('fast', 'backbone'), {...})``; list items are named by
        their index.
    """
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from iter_config_dicts(value, path + (str(key), ))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from iter_config_dicts(value, path + (str(index), ))


def is_timm_backbone(node: dict) -> bool:
    """Whether a config dict builds a TimmBackbone (``type`` as a name, a scoped name or the class)."""
    type_ = node.get('type', '')
    name = type_ if isinstance(type_, str) else getattr(type_, '__name__', '')
    return name.split('.')[-1] == TIMM_BACKBONE


def switch_off_pretraining(model_cfg: dict) -> dict:
    """Sets ``pretrained=False`` in every TimmBackbone config nested in ``model_cfg`` (in place).

    For loading a checkpoint, which holds every weight: the backbones must not download (or read)
    pretrained weights first. Covers a single ``model.backbone`` as well as nested ones, e.g. a
    ``MutualLearningClassifier``'s ``model.fast.backbone`` and ``model.slow.backbone``.

    Args:
        model_cfg (dict): the model config.

    Returns:
        dict: ``model_cfg`` itself.
    """
    for _, node in iter_config_dicts(model_cfg):
        if is_timm_backbone(node):
            node['pretrained'] = False
    return model_cfg
