"""Classification metrics: the registered ``ClsMetric`` and ``ConfusionMatrixPlot``, and pure functions."""
from .cls_metric import ClsMetric
from .confusion_matrix_plot import ConfusionMatrixPlot
from .functional import (balanced_top1, class_average_precision, confusion_matrix, paper_map,
                         per_class_average_precision, rank_of_true_class, topk_accuracy)

__all__ = [
    'ClsMetric', 'ConfusionMatrixPlot', 'topk_accuracy', 'balanced_top1', 'rank_of_true_class', 'paper_map',
    'per_class_average_precision', 'class_average_precision', 'confusion_matrix',
]
