"""Hand-computed checks of the pure metric functions."""
import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from adaptcls.evaluation.metrics.functional import (balanced_top1, class_average_precision,
                                                    confusion_matrix, paper_map,
                                                    per_class_average_precision,
                                                    rank_of_true_class, topk_accuracy)

# Five samples, three classes. Ranks of the true class (1 + classes scoring strictly higher):
#   s0 label 0: 0.7 is the highest                  -> rank 1
#   s1 label 1: 0.6 is the highest                  -> rank 1
#   s2 label 2: 0.5 is the highest                  -> rank 1
#   s3 label 1: 0.4 < 0.5 (class 0)                 -> rank 2
#   s4 label 2: 0.1 < 0.3 (class 0), < 0.6 (class 1) -> rank 3
SCORES = torch.tensor([[0.7, 0.2, 0.1],
                       [0.1, 0.6, 0.3],
                       [0.2, 0.3, 0.5],
                       [0.5, 0.4, 0.1],
                       [0.3, 0.6, 0.1]])
LABELS = torch.tensor([0, 1, 2, 1, 2])


def test_ranks_of_the_five_sample_example():
    assert rank_of_true_class(SCORES, LABELS).tolist() == [1, 1, 1, 2, 3]


def test_topk_accuracy_of_the_five_sample_example():
    # top1: ranks <= 1 are s0, s1, s2 -> 3/5; top2 adds s3 -> 4/5; top3 adds s4 -> 5/5.
    assert topk_accuracy(SCORES, LABELS, k=1) == pytest.approx(0.6)
    assert topk_accuracy(SCORES, LABELS, k=2) == pytest.approx(0.8)
    assert topk_accuracy(SCORES, LABELS, k=3) == pytest.approx(1.0)


def test_k_larger_than_num_classes_counts_every_sample():
    assert topk_accuracy(SCORES, LABELS, k=5) == pytest.approx(1.0)
    assert topk_accuracy(SCORES, LABELS, k=100) == pytest.approx(1.0)


def test_k_below_one_is_rejected():
    with pytest.raises(ValueError, match='k must be >= 1'):
        topk_accuracy(SCORES, LABELS, k=0)


def test_paper_map_is_mean_reciprocal_rank():
    # (1/1 + 1/1 + 1/1 + 1/2 + 1/3) / 5 = (23/6) / 5 = 23/30 = 0.76667
    assert paper_map(SCORES, LABELS) == pytest.approx(23 / 30)


def test_balanced_top1_differs_from_top1_on_the_example():
    # Per-class recall: class 0 1/1 (s0); class 1 1/2 (s1 hit, s3 miss); class 2 1/2 (s2 hit,
    # s4 miss). Mean = (1 + 0.5 + 0.5) / 3 = 2/3, while plain top1 = 0.6.
    assert balanced_top1(SCORES, LABELS, num_classes=3) == pytest.approx(2 / 3)


def test_balanced_top1_on_an_imbalanced_set():
    # Four samples of class 0, all right; one of class 1, wrong. Plain top1 = 4/5 = 0.8,
    # balanced = (4/4 + 0/1) / 2 = 0.5. Class 2 has no samples and is left out of the mean
    # (counting it as 0 would give 1/3, as 1 would give 2/3).
    scores = torch.tensor([[0.9, 0.1, 0.0]] * 4 + [[0.8, 0.1, 0.1]])
    labels = torch.tensor([0, 0, 0, 0, 1])
    assert topk_accuracy(scores, labels, k=1) == pytest.approx(0.8)
    assert balanced_top1(scores, labels, num_classes=3) == pytest.approx(0.5)


def test_rank_ties_count_only_strictly_greater_scores():
    # [0.4, 0.4, 0.2]: true class 0 or 1 -> no class strictly higher -> rank 1;
    # true class 2 -> two classes strictly higher -> rank 3.
    scores = torch.tensor([[0.4, 0.4, 0.2]] * 3)
    labels = torch.tensor([0, 1, 2])
    assert rank_of_true_class(scores, labels).tolist() == [1, 1, 3]
    # mAP = (1 + 1 + 1/3) / 3 = 7/9
    assert paper_map(scores, labels) == pytest.approx(7 / 9)


def test_topk_ties_count_against_the_true_class():
    # [0.4, 0.4, 0.2] with true class 0: two classes score >= 0.4, so it is not top-1 but top-2.
    scores = torch.tensor([[0.4, 0.4, 0.2]])
    labels = torch.tensor([0])
    assert topk_accuracy(scores, labels, k=1) == 0.0
    assert topk_accuracy(scores, labels, k=2) == 1.0


def test_constant_predictor_gets_zero_top1_but_rank_one():
    # All four classes tie: top-1 needs fewer than 1 other class >= the true score -> never;
    # top-4 = top-C -> always. The rank rule puts every true class at rank 1 (mAP = 1).
    scores = torch.full((6, 4), 0.25)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    assert topk_accuracy(scores, labels, k=1) == 0.0
    assert balanced_top1(scores, labels, num_classes=4) == 0.0
    assert topk_accuracy(scores, labels, k=4) == 1.0
    assert paper_map(scores, labels) == 1.0


# Per-class AP of the five-sample example (operating points = distinct scores, tied samples enter
# together; AP = sum of recall step * precision):
#   class 0, positives {s0}: s0 (0.7) is first -> precision 1 at recall 1 -> AP 1.
#   class 1, positives {s1, s3}: 0.6 admits {s1, s4} -> P 1/2, R 1/2; 0.4 admits s3 -> P 2/3, R 1.
#       AP = 0.5 * 1/2 + 0.5 * 2/3 = 7/12.
#   class 2, positives {s2, s4}: 0.5 admits s2 -> P 1, R 1/2; 0.3 admits s1 -> P 1/2, R 1/2;
#       0.1 admits {s0, s3, s4} -> P 2/5, R 1. AP = 0.5 * 1 + 0.5 * 2/5 = 7/10.
EXPECTED_CLASS_AP = [1.0, 7 / 12, 7 / 10]


def test_per_class_average_precision_by_hand():
    per_class = per_class_average_precision(SCORES, LABELS, num_classes=3)
    assert per_class.tolist() == pytest.approx(EXPECTED_CLASS_AP)
    # (1 + 7/12 + 7/10) / 3 = 137/180 = 0.76111
    assert class_average_precision(SCORES, LABELS, num_classes=3) == pytest.approx(137 / 180)


def test_per_class_average_precision_matches_sklearn():
    for class_index, expected in enumerate(EXPECTED_CLASS_AP):
        sklearn_ap = average_precision_score((LABELS == class_index).numpy(),
                                             SCORES[:, class_index].numpy())
        assert sklearn_ap == pytest.approx(expected)


def test_per_class_average_precision_matches_sklearn_on_random_scores():
    generator = torch.Generator().manual_seed(0)
    scores = torch.rand(40, 6, generator=generator)
    labels = torch.randint(0, 6, (40, ), generator=generator)
    per_class = per_class_average_precision(scores, labels, num_classes=6)
    sklearn_aps = [average_precision_score((labels == c).numpy(), scores[:, c].numpy())
                   for c in range(6)]
    np.testing.assert_allclose(per_class.numpy(), sklearn_aps, rtol=1e-6)


def test_interpolated_class_ap_uses_the_voc2010_envelope():
    # Class 1 operating points: (R 1/2, P 1/2), (R 1, P 2/3), then s2 and s0 at R 1 with P 2/4, 2/5.
    # Envelope = best precision at any recall >= r: 2/3 at R 1/2 and at R 1 -> AP = 2/3.
    # Class 0 stays 1; class 2 points (1/2, 1), (1/2, 1/2), (1, 2/5): envelope 1, 1/2, 2/5 -> 7/10.
    per_class = per_class_average_precision(SCORES, LABELS, num_classes=3, interpolated=True)
    assert per_class.tolist() == pytest.approx([1.0, 2 / 3, 7 / 10])
    # (1 + 2/3 + 7/10) / 3 = 71/90
    assert class_average_precision(SCORES, LABELS, 3, interpolated=True) == pytest.approx(71 / 90)


def test_classes_without_positives_are_left_out_of_class_ap():
    # Only classes 0 and 1 occur. Class 0, positives {s0, s1}: column 0 = [0.9, 0.2, 0.6] ->
    # s0 P 1 R 1/2; s2 P 1/2; s1 P 2/3 R 1 -> AP = 0.5 + 0.5 * 2/3 = 5/6.
    # Class 1, positive {s2}: column 1 = [0.05, 0.7, 0.3] -> s1 first (negative), s2 second ->
    # AP = 1/2. Class 2 -> NaN. Mean over classes 0 and 1 = (5/6 + 1/2) / 2 = 2/3.
    scores = torch.tensor([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    labels = torch.tensor([0, 0, 1])
    per_class = per_class_average_precision(scores, labels, num_classes=3)
    assert per_class[:2].tolist() == pytest.approx([5 / 6, 1 / 2])
    assert torch.isnan(per_class[2])
    assert class_average_precision(scores, labels, num_classes=3) == pytest.approx(2 / 3)


def test_confusion_matrix_rows_are_true_classes():
    # (true, pred) pairs: (0,0) (1,1) (2,2) (1,0) (2,1)
    pred_labels = SCORES.argmax(dim=1)
    assert pred_labels.tolist() == [0, 1, 2, 0, 1]
    expected = [[1, 0, 0],
                [1, 1, 0],
                [0, 1, 1]]
    assert confusion_matrix(pred_labels, LABELS, num_classes=3).tolist() == expected


def test_non_finite_scores_are_rejected():
    scores = SCORES.clone()
    scores[2, 1] = float('nan')
    with pytest.raises(ValueError, match='NaN or infinite'):
        topk_accuracy(scores, LABELS, k=1)


@pytest.mark.parametrize('scores, labels, message', [
    (SCORES[0], LABELS, 'scores must be a 2-D tensor'),
    (SCORES, LABELS[:4], 'scores has 5 rows but labels has 4'),
    (SCORES, torch.tensor([0, 1, 2, 3, 0]), r'labels must lie in \[0, 2\]'),
    (SCORES, LABELS.float(), 'integer class indices'),
])
def test_invalid_inputs_name_the_problem(scores, labels, message):
    with pytest.raises(ValueError, match=message):
        rank_of_true_class(scores, labels)


def test_num_classes_must_match_the_scores():
    with pytest.raises(ValueError, match='num_classes is 4 but scores have 3 columns'):
        balanced_top1(SCORES, LABELS, num_classes=4)
