"""Tests of MixUp, alone, with a head's loss, and inside ClsDataPreprocessor."""
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Beta

from adaptcls.models.batch_augments import MixUp
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample
from .helpers import labelled_samples

SEED = 2


def hand_drawn(seed, alpha, batch_size):
    """lam then the permutation, drawn as MixUp draws them."""
    torch.manual_seed(seed)
    lam = Beta(alpha, alpha).sample().item()
    return lam, torch.randperm(batch_size)


def test_builds_from_the_registry_with_recipe_defaults():
    mixup = MODELS.build(dict(type='MixUp', num_classes=4))
    assert isinstance(mixup, MixUp) and (mixup.alpha, mixup.num_classes) == (0.2, 4)


def test_mixes_images_and_targets_with_the_drawn_lam_and_permutation():
    inputs = torch.randn(4, 3, 5, 5)
    labels = [0, 1, 2, 1]
    lam, permutation = hand_drawn(SEED, 0.2, 4)
    assert 0.01 < lam < 0.99 and permutation.tolist() != [0, 1, 2, 3]  # the check is meaningful

    torch.manual_seed(SEED)
    mixed, samples = MixUp(alpha=0.2, num_classes=3)(inputs.clone(), labelled_samples(labels))

    assert torch.allclose(mixed, lam * inputs + (1 - lam) * inputs[permutation])
    for index, sample in enumerate(samples):
        expected = torch.zeros(3)
        expected[labels[index]] += lam
        expected[labels[permutation[index]]] += 1 - lam
        assert torch.allclose(sample.gt_score, expected)


def test_head_loss_uses_the_soft_targets():
    head = MODELS.build(dict(type='LinearClsHead', num_classes=3, in_channels=4))
    torch.manual_seed(SEED)
    _, samples = MixUp(alpha=0.2, num_classes=3)(torch.randn(4, 3, 2, 2), labelled_samples([0, 1, 2, 1]))
    feats = (torch.randn(4, 4),)

    loss = head.loss(feats, samples)['loss']
    targets = torch.stack([sample.gt_score for sample in samples])
    soft_ce = -(targets * F.log_softmax(head(feats), dim=1)).sum(dim=1).mean()
    hard_ce = F.cross_entropy(head(feats), torch.tensor([0, 1, 2, 1]))
    assert loss.item() == pytest.approx(soft_ce.item(), rel=1e-6)
    assert loss.item() != pytest.approx(hard_ce.item(), rel=1e-3)


def test_data_preprocessor_applies_mixup_in_training_only():
    preprocessor = MODELS.build(dict(type='ClsDataPreprocessor', mean=(10, 20, 30), std=(2, 4, 5),
                                     batch_augments=[dict(type='MixUp', alpha=0.2, num_classes=3)]))

    def batch():
        images = [torch.full((3, 2, 2), value, dtype=torch.uint8) for value in (0, 60, 120, 240)]
        return dict(inputs=images, data_samples=labelled_samples([0, 1, 2, 1]))

    evaluated = preprocessor(batch(), training=False)
    assert all('gt_score' not in sample for sample in evaluated['data_samples'])

    lam, permutation = hand_drawn(SEED, 0.2, 4)
    torch.manual_seed(SEED)
    trained = preprocessor(batch(), training=True)
    normalised = evaluated['inputs']
    assert torch.allclose(trained['inputs'], lam * normalised + (1 - lam) * normalised[permutation])
    assert all(isinstance(s, ClsDataSample) and s.gt_score.shape == (3,) for s in trained['data_samples'])
