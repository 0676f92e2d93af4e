"""Classification heads: ``forward`` logits, ``loss`` and ``predict``."""
from .am_softmax_head import AMSoftmaxHead
from .linear_head import LinearClsHead
from .utils import gather_targets, pack_predictions

__all__ = ['AMSoftmaxHead', 'LinearClsHead', 'gather_targets', 'pack_predictions']
