"""Evaluation: metrics that mmengine's Evaluator runs on the model's predictions."""
from .metrics import *  # noqa: F401,F403
from .metrics import __all__  # noqa: F401
