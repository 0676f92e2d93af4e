"""ResolutionAwareCrop: a random-resized crop never below the input for photos larger than it, else the weak crop."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from adaptcls.config import set_input_size
from adaptcls.datasets.transforms import RandomCrop, ResolutionAwareCrop
from adaptcls.errors import UserInputError

RATIO = (3 / 4, 4 / 3)


def _image(height: int, width: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _crops(transform, img: np.ndarray, count: int, seed: int = 0) -> list:
    torch.manual_seed(seed)
    return [transform.transform(dict(img=img.copy()))['img'] for _ in range(count)]


def test_an_image_no_larger_than_the_input_gets_the_weak_crop_with_the_same_random_numbers():
    """Upscaled low-resolution data (CIFAR-10's 32 px for a 64 px input) trains exactly as with RandomCrop."""
    img = _image(32, 32)
    ours, weak = ResolutionAwareCrop(64, prob=0.3, scale=(0.9, 1.0)), RandomCrop(prob=0.3, scale=(0.9, 1.0))
    crops = _crops(ours, img, 200)
    after_ours = torch.get_rng_state()
    assert all(np.array_equal(a, b) for a, b in zip(crops, _crops(weak, img, 200)))
    assert torch.equal(after_ours, torch.get_rng_state())  # the same draws: later transforms see the same stream
    assert sum(crop.shape != img.shape for crop in crops) > 0  # some were cropped (p 0.3)


def test_a_photo_larger_than_the_input_is_cut_to_windows_never_smaller_than_the_input():
    """flowers_1k's photos are 160 x 107 px; at a 96 px input no window has fewer pixels than 96 x 96 (to the
    rounding of its sides), so no crop magnifies the photo; the windows vary in area and aspect ratio."""
    img, size = _image(107, 160), 96
    areas, aspects = [], []
    for crop in _crops(ResolutionAwareCrop(size), img, 500):
        height, width = crop.shape[:2]
        areas.append(height * width)
        aspects.append(width / height)
    assert min(areas) >= 0.99 * size * size
    assert max(areas) <= 107 * 160
    assert np.mean(areas) / (107 * 160) < 0.8  # not the weak crop (p 0.3, area >= 0.9)
    assert min(aspects) >= RATIO[0] * 0.97 and max(aspects) <= RATIO[1] * 1.03


def test_the_lowest_area_is_the_input_share_of_the_photo_down_to_min_area():
    transform = ResolutionAwareCrop(96, min_area=0.08)
    assert transform.lowest_area(160, 160) == pytest.approx(96 * 96 / (160 * 160))
    assert transform.lowest_area(1000, 1000) == 0.08  # a large photo: timm's floor
    assert transform.lowest_area(32, 32) >= 1.0  # no larger than the input: the weak crop


def test_the_crop_follows_the_input_size_option():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadImage'), dict(type='ResolutionAwareCrop', size=224), dict(type='Resize', size=224)])),
        test_dataloader=dict(dataset=dict(pipeline=[dict(type='LoadImage'), dict(type='Resize', size=224)]))))
    set_input_size(cfg, 96)
    assert [step.get('size') for step in cfg.train_dataloader.dataset.pipeline] == [None, 96, 96]


@pytest.mark.parametrize('arguments', [dict(min_area=0.0), dict(min_area=1.5), dict(ratio=(2.0, 1.0)),
                                       dict(prob=1.5), dict(scale=(0.5, 1.5))])
def test_bad_arguments_are_refused(arguments):
    with pytest.raises(UserInputError):
        ResolutionAwareCrop(96, **arguments)
