"""Tests of RandomBatchAugment: one augment (or none) per batch, with the given probabilities."""
import pytest
import torch

from adaptcls.models.batch_augments import MixUp, RandomBatchAugment
from adaptcls.registry import MODELS
from .helpers import labelled_samples


@MODELS.register_module(force=True)
class _AddAugment:
    """A dummy batch augment that adds ``value`` to the inputs."""

    def __init__(self, value):
        self.value = value

    def __call__(self, inputs, data_samples):
        return inputs + self.value, data_samples


def _build(probs=None):
    return MODELS.build(dict(type='RandomBatchAugment', probs=probs, augments=[
        dict(type='_AddAugment', value=1), dict(type='_AddAugment', value=2)]))


def test_choice_follows_torch_multinomial_over_probs_and_the_rest():
    augment = _build(probs=[0.2, 0.5])
    for seed in range(5):
        torch.manual_seed(seed)
        choice = torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), 1).item()
        torch.manual_seed(seed)
        out, _ = augment(torch.zeros(1), None)
        assert out.item() == [1, 2, 0][choice]


def test_frequencies_match_probs():
    augment = _build(probs=[0.2, 0.5])
    torch.manual_seed(0)
    added = torch.tensor([augment(torch.zeros(1), None)[0].item() for _ in range(3000)])
    frequencies = [(added == value).float().mean().item() for value in (1, 2, 0)]
    assert frequencies == pytest.approx([0.2, 0.5, 0.3], abs=0.03)


def test_default_probs_always_apply_one_augment_with_equal_chance():
    augment = _build()
    torch.manual_seed(0)
    added = torch.tensor([augment(torch.zeros(1), None)[0].item() for _ in range(2000)])
    assert set(added.tolist()) == {1.0, 2.0}
    assert (added == 1).float().mean().item() == pytest.approx(0.5, abs=0.04)


def test_zero_probs_leave_the_batch_unchanged():
    inputs = torch.randn(2, 3, 2, 2)
    samples = labelled_samples([0, 1])
    out, out_samples = _build(probs=[0.0, 0.0])(inputs, samples)
    assert out is inputs and all('gt_score' not in sample for sample in out_samples)


def test_builds_real_mix_augments():
    augment = RandomBatchAugment(augments=[dict(type='MixUp', alpha=0.2, num_classes=3),
                                           dict(type='CutMix', alpha=1.0, num_classes=3)])
    assert [type(a).__name__ for a in augment.augments] == ['MixUp', 'CutMix']
    assert isinstance(augment.augments[0], MixUp) and augment.probs == [0.5, 0.5]
    _, samples = augment(torch.randn(2, 3, 4, 4), labelled_samples([0, 2]))
    assert all(sample.gt_score.shape == (3,) for sample in samples)


@pytest.mark.parametrize('kwargs', [dict(augments=[]), dict(probs=[0.5]), dict(probs=[0.7, 0.6]),
                                    dict(probs=[-0.1, 0.5])])
def test_rejects_bad_arguments(kwargs):
    config = dict(augments=[dict(type='_AddAugment', value=1), dict(type='_AddAugment', value=2)])
    config.update(kwargs)
    with pytest.raises(ValueError, match='RandomBatchAugment'):
        RandomBatchAugment(**config)
