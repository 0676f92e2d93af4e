"""Tests of CrossEntropyLoss against hand computation."""
import math

import pytest
import torch

from adaptcls.registry import MODELS

LOGITS = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.5, 0.0]])


def _log_softmax_by_hand(row):
    log_norm = math.log(sum(math.exp(v) for v in row))
    return [v - log_norm for v in row]


def _expected(targets):
    """Mean over rows of -sum_c target_c * log_softmax_c, targets as probability rows."""
    rows = LOGITS.tolist()
    return sum(-sum(t * lp for t, lp in zip(target, _log_softmax_by_hand(row)))
               for row, target in zip(rows, targets)) / len(rows)


def test_hard_labels():
    loss = MODELS.build(dict(type='CrossEntropyLoss'))(LOGITS, torch.tensor([0, 1]))
    assert loss.item() == pytest.approx(_expected([[1, 0, 0], [0, 1, 0]]), rel=1e-6)


def test_soft_targets():
    soft = torch.tensor([[0.7, 0.3, 0.0], [0.0, 0.4, 0.6]])
    loss = MODELS.build(dict(type='CrossEntropyLoss'))(LOGITS, soft)
    assert loss.item() == pytest.approx(_expected(soft.tolist()), rel=1e-6)


def test_label_smoothing_and_weight():
    eps, weight = 0.1, 2.0
    loss = MODELS.build(dict(type='CrossEntropyLoss', label_smoothing=eps, loss_weight=weight))(
        LOGITS, torch.tensor([0, 2]))
    smoothed = [[1 - eps + eps / 3, eps / 3, eps / 3], [eps / 3, eps / 3, 1 - eps + eps / 3]]
    assert loss.item() == pytest.approx(weight * _expected(smoothed), rel=1e-6)


def test_label_smoothing_on_soft_targets():
    eps = 0.2
    soft = [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    loss = MODELS.build(dict(type='CrossEntropyLoss', label_smoothing=eps))(LOGITS, torch.tensor(soft))
    smoothed = [[p * (1 - eps) + eps / 3 for p in row] for row in soft]
    assert loss.item() == pytest.approx(_expected(smoothed), rel=1e-6)


def test_bad_target_shape_is_reported():
    with pytest.raises(ValueError, match=r'\(2, 2\)'):
        MODELS.build(dict(type='CrossEntropyLoss'))(LOGITS, torch.zeros(2, 2))


def test_bad_smoothing_is_reported():
    with pytest.raises(ValueError, match='label_smoothing'):
        MODELS.build(dict(type='CrossEntropyLoss', label_smoothing=1.0))


def test_class_weights_weight_each_sample_and_the_mean_by_hand():
    loss = MODELS.build(dict(type='CrossEntropyLoss', class_weight=[1.0, 3.0, 1.0]))(LOGITS, torch.tensor([0, 1]))
    per_row = [-_log_softmax_by_hand(LOGITS[0].tolist())[0], -_log_softmax_by_hand(LOGITS[1].tolist())[1]]
    assert loss.item() == pytest.approx((1.0 * per_row[0] + 3.0 * per_row[1]) / (1.0 + 3.0), rel=1e-6)


def test_class_weights_are_not_saved_and_must_fit_the_logits():
    loss = MODELS.build(dict(type='CrossEntropyLoss', class_weight=[1.0, 2.0]))
    assert loss.state_dict() == {}  # checkpoints keep their keys with and without weights
    with pytest.raises(ValueError, match='2 class weights for logits of 3 classes'):
        loss(LOGITS, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='one positive weight per class'):
        MODELS.build(dict(type='CrossEntropyLoss', class_weight=[1.0, 0.0]))
