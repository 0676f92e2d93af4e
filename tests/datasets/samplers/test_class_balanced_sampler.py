"""ClassBalancedSampler: every class drawn about equally often, seeded per epoch, one share per process."""
from collections import Counter

import pytest

from adaptcls.datasets.samplers import ClassBalancedSampler


class Labels:
    """A dataset stub: only labels."""

    def __init__(self, labels):
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, index):
        return dict(gt_label=self.labels[index])


IMBALANCED = Labels([0] * 900 + [1] * 90 + [2] * 10)


def test_every_class_fills_about_a_third_of_an_epoch():
    sampler = ClassBalancedSampler(IMBALANCED, seed=0)
    drawn = Counter(IMBALANCED.labels[index] for index in sampler)
    assert len(sampler) == sum(drawn.values()) == 1000
    assert all(abs(drawn[label] / 1000 - 1 / 3) < 0.05 for label in range(3)), drawn  # not 0.90 / 0.09 / 0.01


def test_the_draw_is_seeded_by_seed_and_epoch():
    first, again = ClassBalancedSampler(IMBALANCED, seed=0), ClassBalancedSampler(IMBALANCED, seed=0)
    assert list(first) == list(again)
    epoch_0 = list(first)
    first.set_epoch(1)
    assert list(first) != epoch_0


def test_processes_draw_the_same_epoch_and_take_their_own_slice():
    samplers = [ClassBalancedSampler(IMBALANCED, seed=3) for _ in range(2)]
    for rank, sampler in enumerate(samplers):
        sampler.rank, sampler.world_size = rank, 2
        sampler.num_samples, sampler.total_size = 500, 1000
    single = list(ClassBalancedSampler(IMBALANCED, seed=3))
    assert list(samplers[0]) == single[0::2] and list(samplers[1]) == single[1::2]


def test_a_dataset_without_labels_is_refused_with_the_alternative():
    with pytest.raises(ValueError, match='needs a dataset whose samples carry gt_label.*--balance loss'):
        ClassBalancedSampler(list(range(5)), seed=0)
