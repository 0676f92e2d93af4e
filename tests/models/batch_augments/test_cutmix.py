"""Tests of CutMix: the box, the partner's pixels inside it and the area-corrected lam."""
import math

import pytest
import torch
from torch.distributions import Beta

from adaptcls.models.batch_augments import CutMix
from adaptcls.models.batch_augments.cutmix import random_box
from adaptcls.registry import MODELS
from .helpers import labelled_samples

HEIGHT, WIDTH = 8, 10


def test_builds_from_the_registry_with_recipe_defaults():
    cutmix = MODELS.build(dict(type='CutMix', num_classes=4))
    assert isinstance(cutmix, CutMix) and (cutmix.alpha, cutmix.num_classes) == (1.0, 4)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_box_holds_the_partner_pixels_and_lam_is_the_kept_area(seed):
    # image n is filled with the value n, so every pixel tells which image it came from
    batch_size = 5
    inputs = torch.arange(batch_size, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 3, HEIGHT, WIDTH)

    torch.manual_seed(seed)
    drawn_lam = Beta(1.0, 1.0).sample().item()
    permutation = torch.randperm(batch_size)
    centre_y, centre_x = torch.randint(HEIGHT, ()).item(), torch.randint(WIDTH, ()).item()
    half_h = int(HEIGHT * math.sqrt(1 - drawn_lam)) // 2
    half_w = int(WIDTH * math.sqrt(1 - drawn_lam)) // 2
    top, bottom = max(centre_y - half_h, 0), min(centre_y + half_h, HEIGHT)
    left, right = max(centre_x - half_w, 0), min(centre_x + half_w, WIDTH)
    in_box = torch.zeros(HEIGHT, WIDTH, dtype=torch.bool)
    in_box[top:bottom, left:right] = True
    assert 0 < in_box.sum() < HEIGHT * WIDTH  # the check is meaningful

    torch.manual_seed(seed)
    mixed, samples = CutMix(alpha=1.0, num_classes=batch_size)(inputs, labelled_samples(range(batch_size)))

    kept = 1 - in_box.sum().item() / (HEIGHT * WIDTH)
    for index, sample in enumerate(samples):
        partner = permutation[index].item()
        assert torch.all(mixed[index][:, in_box] == partner)
        assert torch.all(mixed[index][:, ~in_box] == index)
        if partner != index:
            assert sample.gt_score[index].item() == pytest.approx(kept)
            assert sample.gt_score[partner].item() == pytest.approx(1 - kept)
        assert sample.gt_score.sum().item() == pytest.approx(1.0)
    assert torch.equal(inputs, torch.arange(batch_size, dtype=torch.float32).view(-1, 1, 1, 1).expand_as(inputs))


def test_random_box_covers_about_one_minus_lam_of_the_area():
    torch.manual_seed(0)
    top, bottom, left, right = random_box(HEIGHT, WIDTH, 1.0)
    assert (bottom - top) * (right - left) == 0
    areas = []
    for _ in range(200):
        top, bottom, left, right = random_box(100, 100, 0.75)
        assert 0 <= top <= bottom <= 100 and 0 <= left <= right <= 100
        areas.append((bottom - top) * (right - left))
    # unclipped box: 50 x 50 = 25% of the area; clipping only removes area
    assert max(areas) == 2500 and min(areas) >= 25 * 25
