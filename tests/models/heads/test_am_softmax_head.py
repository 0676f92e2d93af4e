"""Tests of AMSoftmaxHead: cosine logits, scale rule, margin in every training step, no margin at inference."""
import math

import pytest
import torch
import torch.nn.functional as F

from adaptcls.models.heads import AMSoftmaxHead
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample

MARGIN = 0.35
# Three classes along +x, +y and -x, with different norms (only their direction may matter).
CLASS_WEIGHTS = torch.tensor([[2.0, 0.0], [0.0, 0.5], [-3.0, 0.0]])
# Unit directions (0.6, 0.8) and (0, -1): cosines [0.6, 0.8, -0.6] and [0, -1, 0].
FEATURES = torch.tensor([[3.0, 4.0], [0.0, -2.0]])
LABELS = [0, 2]


def _samples(labels):
    return [ClsDataSample().set_gt_label(label) for label in labels]


def _fixed_head(**kwargs):
    head = MODELS.build(dict(type='AMSoftmaxHead', num_classes=3, in_channels=2, **kwargs))
    with torch.no_grad():
        head.fc.weight.copy_(CLASS_WEIGHTS)
    return head


def _cross_entropy(logits, label):
    """-log softmax(logits)[label] of one sample, by hand."""
    return -logits[label] + math.log(sum(math.exp(value) for value in logits))


def test_cosine_of_fixed_features_and_weights():
    cosine = _fixed_head().cosine((FEATURES, ))
    assert torch.allclose(cosine, torch.tensor([[0.6, 0.8, -0.6], [0.0, -1.0, 0.0]]), atol=1e-6)


def test_cosine_is_clamped_to_minus_one_one():
    torch.manual_seed(0)
    head = AMSoftmaxHead(num_classes=4, in_channels=16)
    weights = head.fc.weight.detach()
    feats = (torch.cat([7.0 * weights, -1e3 * weights, torch.randn(32, 16)]), )
    cosine = head.cosine(feats)
    assert cosine.max().item() <= 1.0 and cosine.min().item() >= -1.0
    assert torch.allclose(cosine[:4].diagonal(), torch.ones(4), atol=1e-6)


def test_dropout_drops_feature_entries_in_training_only():
    torch.manual_seed(0)
    head = AMSoftmaxHead(num_classes=4, in_channels=64, dropout=0.5)
    feats = (torch.rand(8, 64) + 0.5, )
    undropped = F.linear(F.normalize(feats[0]), F.normalize(head.fc.weight)).clamp(-1, 1)
    assert torch.allclose(head.eval().cosine(feats), undropped, atol=1e-6)
    head.train()
    torch.manual_seed(1)
    dropped = head.cosine(feats)
    torch.manual_seed(1)
    mask = F.dropout(torch.ones(8, 64), p=0.5, training=True) > 0
    expected = F.linear(F.normalize(feats[0] * mask), F.normalize(head.fc.weight)).clamp(-1, 1)
    assert torch.allclose(dropped, expected, atol=1e-6)
    assert not torch.allclose(dropped, undropped, atol=1e-3)


@pytest.mark.parametrize('num_classes, expected', [
    (10, 3.1073448),     # sqrt(2) * ln 9 = 1.4142136 * 2.1972246, above the floor
    (3, 3.0),            # sqrt(2) * ln 2 = 0.98 < 3: the floor
    (2, 3.0),            # ln 1 = 0: the floor
    (1000, 9.7676263),   # sqrt(2) * ln 999 = 1.4142136 * 6.9067548
])
def test_auto_scale(num_classes, expected):
    head = AMSoftmaxHead(num_classes=num_classes, in_channels=2)
    assert head.scale == pytest.approx(expected, rel=1e-6)
    assert head.scale == pytest.approx(max(math.sqrt(2) * math.log(num_classes - 1), 3.0))


def test_explicit_scale_and_floor():
    assert AMSoftmaxHead(num_classes=10, in_channels=2, scale=30).scale == 30.0
    assert AMSoftmaxHead(num_classes=10, in_channels=2, auto_scale_floor=5.0).scale == 5.0


def test_loss_with_hard_labels_by_hand():
    head = _fixed_head()  # 3 classes: scale 3 (the floor)
    loss = head.loss((FEATURES, ), _samples(LABELS))['loss'].item()
    sample_0 = _cross_entropy([3 * (0.6 - MARGIN), 3 * 0.8, 3 * -0.6], 0)
    sample_1 = _cross_entropy([3 * 0.0, 3 * -1.0, 3 * (0.0 - MARGIN)], 2)
    assert loss == pytest.approx((sample_0 + sample_1) / 2, rel=1e-5)


def test_loss_with_soft_targets_subtracts_the_weighted_margin():
    head = _fixed_head(scale=10.0)
    samples = _samples(LABELS)
    soft = [[0.7, 0.3, 0.0], [0.0, 0.5, 0.5]]
    for sample, score in zip(samples, soft):
        sample.gt_score = torch.tensor(score)
    cosines = [[0.6, 0.8, -0.6], [0.0, -1.0, 0.0]]
    expected = 0.0
    for cosine, target in zip(cosines, soft):
        logits = [10.0 * (c - MARGIN * t) for c, t in zip(cosine, target)]
        expected += sum(t * _cross_entropy(logits, index) for index, t in enumerate(target)) / 2
    assert head.loss((FEATURES, ), samples)['loss'].item() == pytest.approx(expected, rel=1e-5)


def test_forward_and_predict_have_no_margin():
    head = _fixed_head(scale=10.0)
    logits = head((FEATURES, ))
    assert torch.allclose(logits, torch.tensor([[6.0, 8.0, -6.0], [0.0, -10.0, 0.0]]), atol=1e-5)
    predictions = head.predict((FEATURES, ), _samples(LABELS))
    for row, sample in zip(logits, predictions):
        assert torch.allclose(sample.pred_score, row.softmax(dim=0))
        assert sample.pred_label.item() == row.argmax().item()


def test_margin_is_applied_at_steps_1_2_and_100():
    """The original code lost the margin after the first iteration; this head must keep it."""
    torch.manual_seed(0)
    num_classes = 5
    head = AMSoftmaxHead(num_classes=num_classes, in_channels=8)
    feats = torch.randn(16, 8)
    labels = torch.arange(16) % num_classes
    samples = _samples(labels.tolist())
    optimizer = torch.optim.SGD(head.parameters(), lr=0.5)
    scale, margin = head.scale, head.margin
    losses = {}
    for step in range(1, 101):
        loss = head.loss((feats, ), samples)['loss']
        if step in (1, 2, 100):
            cosine = ((feats / feats.norm(dim=1, keepdim=True))
                      @ (head.fc.weight / head.fc.weight.norm(dim=1, keepdim=True)).T).detach()
            rows = range(len(labels))
            target_cosine = cosine[rows, labels]
            without_margin = (-scale * target_cosine + torch.logsumexp(scale * cosine, dim=1)).mean()
            margin_logits = scale * cosine
            margin_logits[rows, labels] -= scale * MARGIN
            with_margin = (-scale * (target_cosine - MARGIN) + torch.logsumexp(margin_logits, dim=1)).mean()
            assert with_margin - without_margin > 0.05
            assert F.cross_entropy(head((feats, )), labels).item() == pytest.approx(without_margin.item(),
                                                                                    rel=1e-5)
            assert (loss - without_margin).item() == pytest.approx((with_margin - without_margin).item(),
                                                                    rel=1e-4)
            losses[step] = loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[100] < losses[2] < losses[1]  # training moved the weights
    assert head.margin == margin == MARGIN and head.scale == scale
    assert list(head.buffers()) == []  # no stored tensor besides the trained weight
    assert [name for name, _ in head.named_parameters()] == ['fc.weight']


def test_label_smoothing_loss_config_is_used():
    head = _fixed_head(loss=dict(type='CrossEntropyLoss', label_smoothing=0.1))
    cosine = head.cosine((FEATURES, ))
    margin_logits = 3.0 * (cosine - MARGIN * F.one_hot(torch.tensor(LABELS), 3))
    expected = F.cross_entropy(margin_logits, torch.tensor(LABELS), label_smoothing=0.1)
    assert head.loss((FEATURES, ), _samples(LABELS))['loss'].item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_classes=1), 'num_classes must be at least 2'),
    (dict(margin=1.0), r'margin must be in \[0, 1\)'),
    (dict(margin=-0.1), r'margin must be in \[0, 1\)'),
    (dict(scale=0), 'scale must be a positive number'),
    (dict(scale='large'), 'scale must be a positive number'),
    (dict(dropout=1.0), r'dropout must be in \[0, 1\)'),
    (dict(dropout=-0.2), r'dropout must be in \[0, 1\)'),
])
def test_bad_arguments_are_reported(kwargs, message):
    arguments = dict(num_classes=3, in_channels=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        AMSoftmaxHead(**arguments)
