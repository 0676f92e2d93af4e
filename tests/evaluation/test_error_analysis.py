"""Per-class table, confused pairs and the most confidently wrong images on hand-made predictions."""
import numpy as np
import pytest

from adaptcls.evaluation.error_analysis import confused_pairs, most_confidently_wrong, per_class_table

CLASSES = ('a', 'b', 'c', 'd')
CONFUSION = np.array([[4, 1, 0, 0],   # rows: true class, columns: predicted class
                      [0, 3, 2, 0],
                      [1, 0, 1, 0],
                      [0, 0, 0, 0]])  # d: no image, never predicted


def _labels_and_predictions(confusion: np.ndarray):
    pairs = [(true, predicted) for true in range(len(confusion)) for predicted in range(len(confusion))
             for _ in range(confusion[true, predicted])]
    return np.array([pair[0] for pair in pairs]), np.array([pair[1] for pair in pairs])


def test_per_class_table_matches_the_counts_worked_by_hand():
    labels, predicted = _labels_and_predictions(CONFUSION)
    table = per_class_table(labels, predicted, CLASSES)
    assert [row['class'] for row in table] == list(CLASSES)
    expected = {'a': (4 / 5, 4 / 5, 0.8, 5),            # TP 4, FP 1 (a c), FN 1
                'b': (3 / 4, 3 / 5, 2 / 3, 5),          # TP 3, FP 1 (an a), FN 2
                'c': (1 / 3, 1 / 2, 0.4, 2),            # TP 1, FP 2 (two b), FN 1
                'd': (0.0, 0.0, 0.0, 0)}                # undefined ratios score 0, not NaN
    for row in table:
        assert (row['precision'], row['recall'], row['f1'], row['support']) == pytest.approx(expected[row['class']])


def test_confused_pairs_most_frequent_first_then_the_larger_share():
    labels, predicted = _labels_and_predictions(CONFUSION)
    pairs = confused_pairs(labels, predicted, CLASSES)
    assert pairs == [dict(true='b', predicted='c', count=2, share=pytest.approx(0.4)),
                     dict(true='c', predicted='a', count=1, share=pytest.approx(0.5)),  # 1 of c's 2 images
                     dict(true='a', predicted='b', count=1, share=pytest.approx(0.2))]
    assert confused_pairs(labels, predicted, CLASSES, top=1) == pairs[:1]
    assert confused_pairs(labels, labels, CLASSES) == []


def test_most_confidently_wrong_orders_the_wrong_images_by_the_predicted_probability():
    probabilities = np.array([[0.99, 0.01],   # 0: right, most confident of all: not listed
                              [0.30, 0.70],   # 1: wrong at 0.70
                              [0.05, 0.95],   # 2: wrong at 0.95
                              [0.60, 0.40],   # 3: right
                              [0.10, 0.90],   # 4: wrong at 0.90
                              [0.30, 0.70]])  # 5: wrong at 0.70, ties with 1: the data's order
    labels = np.array([0, 0, 0, 0, 0, 0])
    assert most_confidently_wrong(probabilities, labels, 16).tolist() == [2, 4, 1, 5]
    assert most_confidently_wrong(probabilities, labels, 2).tolist() == [2, 4]
    assert most_confidently_wrong(probabilities, labels, 0).tolist() == []
    assert most_confidently_wrong(probabilities, np.ones(6, int), 16).tolist() == [0, 3]  # 0.99, 0.60 for class 0
