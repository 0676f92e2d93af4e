"""Models: backbones, heads, losses, data preprocessors, batch augments and classifiers (all in ``MODELS``)."""
from . import backbones, batch_augments, classifiers, data_preprocessors, heads, losses
from .backbones import *  # noqa: F401,F403
from .batch_augments import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403

__all__ = (backbones.__all__ + batch_augments.__all__ + classifiers.__all__ + data_preprocessors.__all__
           + heads.__all__ + losses.__all__)
