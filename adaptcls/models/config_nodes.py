"""Walking a model config: every nested dict with its key path, the backbones that download pretrained weights
(and switching them off), and the model config's fingerprint that checkpoints carry."""
import copy
import hashlib
import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple

from adaptcls.errors import UserInputError

if TYPE_CHECKING:
    from .weight_mismatch import WeightMismatch

TIMM_BACKBONE = 'TimmBackbone'
"""The registered name of ``adaptcls.models.backbones.TimmBackbone``."""
WEIGHT_SOURCE_KEYS = frozenset({'pretrained', 'pretrained_tag', 'pretrained_cfg_overlay', 'init_cfg'})
"""Keys that say where initial weights come from, not what the model is: left out of the fingerprint (a
checkpoint trained from ImageNet weights is evaluated with ``pretrained=False``)."""
FINGERPRINT_KEY = 'model_fingerprint'
"""The key of the fingerprint in a checkpoint's ``meta``."""
MODEL_KEY = 'model'
"""The top-level config key of the model config."""


class CheckpointMismatchError(UserInputError):
    """A checkpoint does not fit the config, the model or the data it is used with."""


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


def hub_backbone_groups(model_cfg: dict) -> List[List[Tuple[str, dict]]]:
    """The TimmBackbone configs with ``pretrained=True`` (timm downloads their weights), grouped by the weights they
    need: the two students of a mutual-learning model share one group.

    Args:
        model_cfg (dict): the model config (``cfg.model``).

    Returns:
        list[list[tuple[str, dict]]]: per group, ``(dotted config key, backbone config)`` pairs, e.g.
        ``[[('model.fast.backbone', {...}), ('model.slow.backbone', {...})]]``.
    """
    groups: Dict[str, List[Tuple[str, dict]]] = {}
    for path, node in iter_config_dicts(model_cfg):
        if is_timm_backbone(node) and node.get('pretrained') is True:
            weights = json.dumps([node.get(key) for key in ('model_name', 'pretrained_tag', 'pretrained_cfg_overlay')],
                                 sort_keys=True, default=str)
            groups.setdefault(weights, []).append(('.'.join((MODEL_KEY, *path)), node))
    return list(groups.values())


def model_fingerprint(model_cfg: Mapping) -> str:
    """A short hash of what a model config builds (architecture, heads, losses, preprocessing, class count),
    without the keys that only say where initial weights come from (``WEIGHT_SOURCE_KEYS``).

    Args:
        model_cfg (Mapping): ``cfg.model`` with ``num_classes`` filled in.

    Returns:
        str: 16 hex digits of the SHA-256 of the config's canonical JSON.
    """
    text = json.dumps(_without_weight_sources(model_cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_model_fingerprint(checkpoint: Mapping, model_cfg: Mapping, checkpoint_path: str, config: str) -> None:
    """Raises ``CheckpointMismatchError`` when ``checkpoint`` records the fingerprint of another model config.

    Checkpoints without a fingerprint (written before adaptcls recorded it) pass: their weights are still
    checked by a strict load. The message names the first weights whose shapes differ, when some do.
    """
    recorded: Optional[str] = (checkpoint.get('meta') or {}).get(FINGERPRINT_KEY)
    current = model_fingerprint(model_cfg)
    if recorded is not None and recorded != current:
        mismatch = _weight_mismatch(checkpoint, model_cfg)
        weights = f' ({mismatch.describe()})' if mismatch else ''
        raise CheckpointMismatchError(
            f'checkpoint "{checkpoint_path}" was trained with another model config (fingerprint {recorded}) than '
            f'the model of {config} (fingerprint {current}): architecture, head, loss, preprocessing or class count '
            f'differ{weights}. Use the config the checkpoint was trained with (its run\'s work dir holds a copy).')


def _weight_mismatch(checkpoint: Mapping, model_cfg: Mapping) -> 'WeightMismatch':
    """How the checkpoint's weights differ from those of the model ``model_cfg`` builds (without pretrained
    weights); empty when the model cannot be built, as the fingerprint error stands either way."""
    from adaptcls.registry import MODELS, adaptcls_scope
    from .weight_mismatch import WeightMismatch, compare_weights
    state_dict = checkpoint.get('state_dict')
    if not isinstance(state_dict, Mapping):
        return WeightMismatch()
    try:
        with adaptcls_scope():
            model = MODELS.build(switch_off_pretraining(copy.deepcopy(dict(model_cfg))))
    except Exception:  # noqa: BLE001 -- only the detail of an error that is raised anyway
        return WeightMismatch()
    return compare_weights(model.state_dict(), state_dict)


def _without_weight_sources(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(key): _without_weight_sources(value) for key, value in node.items()
                if key not in WEIGHT_SOURCE_KEYS}
    if isinstance(node, (list, tuple)):
        return [_without_weight_sources(value) for value in node]
    return node
