"""adaptcls's metrics equal scikit-learn's on scores without ties; they are kept for their tie rules
(tests/evaluation/metrics/test_functional.py: ties count against the true class for top-k, for it in the rank)."""
import numpy as np
import pytest
import torch
from sklearn.metrics import (average_precision_score, balanced_accuracy_score, label_ranking_average_precision_score,
                             top_k_accuracy_score)

from adaptcls.evaluation.metrics.functional import (balanced_top1, paper_map, per_class_average_precision,
                                                    topk_accuracy)

NUM_CLASSES = 7


@pytest.fixture(params=[0, 1, 2])
def scores_and_labels(request):
    generator = torch.Generator().manual_seed(request.param)
    scores = torch.rand(200, NUM_CLASSES, generator=generator, dtype=torch.float64)  # no ties
    labels = torch.randint(0, NUM_CLASSES, (200,), generator=generator)
    return scores, labels


def test_top_k_equals_sklearn(scores_and_labels):
    scores, labels = scores_and_labels
    for k in (1, 3, 5):
        expected = top_k_accuracy_score(labels.numpy(), scores.numpy(), k=k, labels=range(NUM_CLASSES))
        assert topk_accuracy(scores, labels, k) == pytest.approx(expected)


def test_balanced_top1_equals_sklearn(scores_and_labels):
    scores, labels = scores_and_labels
    expected = balanced_accuracy_score(labels.numpy(), scores.argmax(1).numpy())
    assert balanced_top1(scores, labels, NUM_CLASSES) == pytest.approx(expected)


def test_the_papers_map_is_label_ranking_average_precision(scores_and_labels):
    scores, labels = scores_and_labels
    one_hot = np.eye(NUM_CLASSES)[labels.numpy()]
    assert paper_map(scores, labels) == pytest.approx(label_ranking_average_precision_score(one_hot, scores.numpy()))


def test_class_ap_equals_sklearn_average_precision(scores_and_labels):
    scores, labels = scores_and_labels
    ours = per_class_average_precision(scores, labels, NUM_CLASSES)
    for index in range(NUM_CLASSES):
        expected = average_precision_score((labels == index).numpy(), scores[:, index].numpy())
        assert float(ours[index]) == pytest.approx(expected)
