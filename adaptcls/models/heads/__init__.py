"""Classification heads: ``forward`` logits, ``loss`` and ``predict``."""
from .linear_head import LinearClsHead
from .utils import gather_targets, pack_predictions

__all__ = ['LinearClsHead', 'gather_targets', 'pack_predictions']
