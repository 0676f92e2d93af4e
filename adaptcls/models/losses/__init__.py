"""Classification losses."""
from .cross_entropy_loss import CrossEntropyLoss
from .kl_divergence_loss import KLDivergenceLoss

__all__ = ['CrossEntropyLoss', 'KLDivergenceLoss']
