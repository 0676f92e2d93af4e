"""Evaluation: metrics that mmengine's Evaluator runs on the model's predictions.

Names are imported on first use (PEP 562); importing ``adaptcls.evaluation.metrics`` registers the metrics.
"""
import importlib

_METRICS = ('ClsMetric', 'ConfusionMatrixPlot', 'topk_accuracy', 'balanced_top1', 'rank_of_true_class', 'paper_map',
            'per_class_average_precision', 'class_average_precision', 'confusion_matrix')
__all__ = list(_METRICS)


def __getattr__(name: str):
    if name not in _METRICS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'{__name__}.metrics'), name)
