"""Tests of KLDivergenceLoss against a hand computation."""
import math

import pytest
import torch

from adaptcls.registry import MODELS


def test_value_by_hand():
    # softmax([0, ln 3]) = [0.25, 0.75]; softmax([0, 0]) = [0.5, 0.5].
    target_logits = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]])
    logits = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    first = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    loss = MODELS.build(dict(type='KLDivergenceLoss', loss_weight=2.0))(logits, target_logits)
    assert loss.item() == pytest.approx(2.0 * (first + 0.0) / 2, rel=1e-6)


def test_is_zero_for_equal_distributions_and_the_gradient_reaches_both_sides():
    logits = torch.randn(3, 5, requires_grad=True)
    target_logits = (logits.detach() + 1.0).requires_grad_()  # a shift keeps the softmax
    loss = MODELS.build(dict(type='KLDivergenceLoss'))(logits, target_logits)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    MODELS.build(dict(type='KLDivergenceLoss'))(logits, target_logits * 2).backward()
    assert logits.grad.abs().sum() > 0 and target_logits.grad.abs().sum() > 0


def test_bad_shapes_and_weight_are_reported():
    loss = MODELS.build(dict(type='KLDivergenceLoss'))
    with pytest.raises(ValueError, match=r'\(2, 3\).*\(2, 4\) must match'):
        loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match='loss_weight must be at least 0'):
        MODELS.build(dict(type='KLDivergenceLoss', loss_weight=-1.0))
