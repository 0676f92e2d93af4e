"""Tests of the target handling MixUp and CutMix share (BaseMixAugment)."""
import pytest
import torch
from torch.distributions import Beta

from adaptcls.models.batch_augments import CutMix, MixUp
from .helpers import labelled_samples


@pytest.mark.parametrize('augment_type', [MixUp, CutMix])
def test_gt_score_is_a_distribution_over_num_classes(augment_type):
    torch.manual_seed(0)
    inputs = torch.randn(6, 3, 8, 8)
    _, samples = augment_type(num_classes=5)(inputs, labelled_samples([0, 1, 2, 3, 4, 0]))
    for sample in samples:
        assert sample.gt_score.shape == (5,) and sample.gt_score.dtype == torch.float32
        assert sample.gt_score.sum().item() == pytest.approx(1.0)
        assert sample.gt_score.min() >= 0


def test_existing_gt_scores_are_mixed_so_augments_chain():
    scores = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.2, 0.0, 0.8]])
    samples = labelled_samples([0, 1, 2])
    for sample, score in zip(samples, scores):
        sample.gt_score = score
    torch.manual_seed(2)
    lam = Beta(1.0, 1.0).sample().item()
    permutation = torch.randperm(3)
    assert 0.01 < lam < 0.99 and permutation.tolist() != [0, 1, 2]

    torch.manual_seed(2)
    _, samples = MixUp(alpha=1.0)(torch.zeros(3, 3, 2, 2), samples)  # no num_classes needed

    mixed = torch.stack([sample.gt_score for sample in samples])
    assert torch.allclose(mixed, lam * scores + (1 - lam) * scores[permutation])


def test_missing_num_classes_gives_a_clear_error():
    with pytest.raises(ValueError, match=r"num_classes is None.*batch_augments=\[dict\(type='MixUp'"):
        MixUp()(torch.zeros(2, 3, 2, 2), labelled_samples([0, 1]))


@pytest.mark.parametrize('kwargs, message', [
    (dict(alpha=0), 'alpha'), (dict(num_classes=1), 'num_classes'), (dict(num_classes=2.0), 'num_classes')])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MixUp(**kwargs)


def test_rejects_out_of_range_labels_and_missing_samples():
    with pytest.raises(ValueError, match=r'labels must lie in 0..1'):
        MixUp(num_classes=2)(torch.zeros(2, 3, 2, 2), labelled_samples([0, 2]))
    with pytest.raises(ValueError, match='one labelled data sample per image'):
        MixUp(num_classes=2)(torch.zeros(2, 3, 2, 2), None)
    with pytest.raises(ValueError, match='gt_score of length 3'):
        samples = labelled_samples([0])
        samples[0].gt_score = torch.tensor([1.0, 0.0, 0.0])
        MixUp(num_classes=2)(torch.zeros(1, 3, 2, 2), samples)
