"""Evaluation: metrics that mmengine's Evaluator runs on the model's predictions.

Names are imported on first use (PEP 562); importing ``adaptcls.evaluation.metrics`` registers the metrics.
"""
from adaptcls.utils.lazy_exports import lazy_getattr

_METRICS = ('ClsMetric', 'ConfusionMatrixPlot', 'topk_accuracy', 'balanced_top1', 'rank_of_true_class', 'paper_map',
            'per_class_average_precision', 'class_average_precision', 'confusion_matrix')
__all__ = list(_METRICS)
__getattr__ = lazy_getattr(__name__, {name: 'metrics' for name in _METRICS})
