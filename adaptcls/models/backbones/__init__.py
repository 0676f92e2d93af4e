"""Backbones: ``forward(x) -> (pooled features,)`` with an ``out_channels`` attribute."""
from .hub_weights import HubWeights, PretrainedWeightsUnavailableError
from .timm_backbone import TimmBackbone
from .weight_sources import (WEIGHT_SOURCES, WeightSource, map_state_dict_by_order,
                             register_weight_source)

__all__ = [
    'TimmBackbone', 'HubWeights', 'PretrainedWeightsUnavailableError', 'WEIGHT_SOURCES', 'WeightSource',
    'map_state_dict_by_order', 'register_weight_source',
]
