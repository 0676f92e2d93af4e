"""Where a classifier errs on a validation set: per-class precision, recall and F1, the most confused class pairs
and the most confidently wrong images, from the labels and the model's logits (numpy and scikit-learn only).

Precision, recall, F1 and support are scikit-learn's ``precision_recall_fscore_support`` (a class never predicted
has precision 0, not NaN: ``zero_division=0``); the counts behind the confused pairs are scikit-learn's
``confusion_matrix`` (rows: true class, columns: predicted class). scikit-learn is imported where it is used, so
that ``adaptcls test --help`` reads the defaults below without it.
"""
from typing import Dict, List, Sequence

import numpy as np

DEFAULT_GALLERY = 16
"""How many of the most confidently wrong images ``adaptcls test --analyze`` shows (``--gallery N``)."""
TOP_CONFUSED_PAIRS = 20
"""How many confused (true, predicted) class pairs an analysis lists, most frequent first."""


def per_class_table(labels: np.ndarray, predicted: np.ndarray, class_names: Sequence[str]) -> List[Dict]:
    """Precision, recall, F1 and support of every class, in class order.

    Args:
        labels (np.ndarray): (N,) true class indices.
        predicted (np.ndarray): (N,) predicted class indices.
        class_names (Sequence[str]): the C class names, index = label.

    Returns:
        list[dict]: one ``{'class', 'precision', 'recall', 'f1', 'support'}`` per class; a class with no image
        (support 0) or never predicted scores 0 where the ratio is undefined.
    """
    from sklearn.metrics import precision_recall_fscore_support
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=np.arange(len(class_names)), zero_division=0)
    return [{'class': str(name), 'precision': float(precision[index]), 'recall': float(recall[index]),
             'f1': float(f1[index]), 'support': int(support[index])} for index, name in enumerate(class_names)]


def confused_pairs(labels: np.ndarray, predicted: np.ndarray, class_names: Sequence[str],
                   top: int = TOP_CONFUSED_PAIRS) -> List[Dict]:
    """The ``top`` most frequent mistakes as (true class -> predicted class) pairs.

    Args:
        labels (np.ndarray): (N,) true class indices.
        predicted (np.ndarray): (N,) predicted class indices.
        class_names (Sequence[str]): the C class names, index = label.
        top (int): at most this many pairs. Defaults to TOP_CONFUSED_PAIRS (20).

    Returns:
        list[dict]: ``{'true', 'predicted', 'count', 'share'}`` (share: count / images of the true class), the
        largest count first, then the largest share, then class order; pairs with no mistake are left out.
    """
    from sklearn.metrics import confusion_matrix
    counts = confusion_matrix(labels, predicted, labels=np.arange(len(class_names)))
    totals = counts.sum(axis=1)
    np.fill_diagonal(counts, 0)
    rows, columns = np.nonzero(counts)
    pairs = sorted(zip(rows.tolist(), columns.tolist()),
                   key=lambda pair: (-counts[pair], -counts[pair] / totals[pair[0]], pair))
    return [{'true': str(class_names[row]), 'predicted': str(class_names[column]), 'count': int(counts[row, column]),
             'share': float(counts[row, column] / totals[row])} for row, column in pairs[:top]]


def most_confidently_wrong(probabilities: np.ndarray, labels: np.ndarray, count: int = DEFAULT_GALLERY) -> np.ndarray:
    """Indices of the misclassified images whose predicted class has the highest probability, highest first.

    Args:
        probabilities (np.ndarray): (N, C) class probabilities.
        labels (np.ndarray): (N,) true class indices.
        count (int): at most this many. Defaults to DEFAULT_GALLERY (16).

    Returns:
        np.ndarray: int64 indices into the N images (ties keep the images' order).
    """
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind='stable')][:max(count, 0)].astype(np.int64)
