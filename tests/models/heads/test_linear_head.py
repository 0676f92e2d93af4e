"""Tests of LinearClsHead and the shared head helpers."""
import pytest
import torch
import torch.nn.functional as F

from adaptcls.models.heads import LinearClsHead, gather_targets
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample

NUM_CLASSES, IN_CHANNELS = 3, 4


def _head(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=IN_CHANNELS, **kwargs))


def _samples(labels):
    return [ClsDataSample().set_gt_label(label) for label in labels]


def test_forward_is_the_linear_layer_of_the_last_feature():
    head = _head().eval()
    feats = (torch.randn(2, 7), torch.randn(2, IN_CHANNELS))
    expected = feats[-1] @ head.fc.weight.T + head.fc.bias
    assert torch.allclose(head(feats), expected)


def test_loss_with_hard_labels():
    head = _head()
    feats = (torch.randn(4, IN_CHANNELS), )
    losses = head.loss(feats, _samples([0, 1, 2, 1]))
    assert set(losses) == {'loss'}
    expected = F.cross_entropy(head(feats), torch.tensor([0, 1, 2, 1]))
    assert losses['loss'].item() == pytest.approx(expected.item(), rel=1e-6)


def test_loss_uses_gt_score_when_every_sample_has_it():
    head = _head()
    feats = (torch.randn(2, IN_CHANNELS), )
    samples = _samples([0, 1])
    soft = torch.tensor([[0.2, 0.8, 0.0], [0.5, 0.0, 0.5]])
    for sample, score in zip(samples, soft):
        sample.gt_score = score
    expected = -(soft * head(feats).log_softmax(dim=1)).sum(dim=1).mean()
    assert head.loss(feats, samples)['loss'].item() == pytest.approx(expected.item(), rel=1e-6)


def test_partial_gt_score_falls_back_to_labels():
    samples = _samples([2, 0])
    samples[0].gt_score = torch.tensor([0.0, 0.0, 1.0])
    assert gather_targets(samples, torch.device('cpu')).tolist() == [2, 0]


def test_missing_labels_are_reported():
    with pytest.raises(ValueError, match=r'Samples \[1\]'):
        gather_targets([ClsDataSample().set_gt_label(0), ClsDataSample()], torch.device('cpu'))


def test_predict_creates_samples_with_softmax_scores():
    head = _head().eval()
    feats = (torch.randn(3, IN_CHANNELS), )
    predictions = head.predict(feats)
    assert len(predictions) == 3
    logits = head(feats)
    for row, sample in zip(logits, predictions):
        assert sample.pred_score.shape == (NUM_CLASSES, )
        assert sample.pred_score.sum().item() == pytest.approx(1.0, abs=1e-6)
        assert torch.allclose(sample.pred_score, row.softmax(dim=0))
        assert sample.pred_label.item() == row.argmax().item()


def test_predict_fills_given_samples():
    samples = _samples([0, 2])
    predictions = _head().predict((torch.randn(2, IN_CHANNELS), ), samples)
    assert predictions[1] is samples[1] and 'pred_score' in samples[1]


def test_dropout_is_active_in_training_only():
    head = _head(dropout=0.5)
    feats = (torch.ones(8, IN_CHANNELS), )
    head.train()
    assert not torch.allclose(head(feats), head(feats))
    head.eval()
    assert torch.allclose(head(feats), head(feats))


def test_init_weights_draws_fc_from_normal_std_001():
    head = LinearClsHead(num_classes=200, in_channels=300)
    head.init_weights()
    assert head.fc.weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.count_nonzero(head.fc.bias) == 0


def test_label_smoothing_loss_config_is_used():
    head = _head(loss=dict(type='CrossEntropyLoss', label_smoothing=0.1))
    feats = (torch.randn(2, IN_CHANNELS), )
    expected = F.cross_entropy(head(feats), torch.tensor([0, 1]), label_smoothing=0.1)
    assert head.loss(feats, _samples([0, 1]))['loss'].item() == pytest.approx(expected.item(), rel=1e-6)


def test_one_class_is_refused():
    with pytest.raises(ValueError, match='num_classes must be at least 2'):
        LinearClsHead(num_classes=1, in_channels=IN_CHANNELS)
