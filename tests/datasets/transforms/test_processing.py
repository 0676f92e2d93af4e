import math

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from adaptcls.datasets.transforms import (ColorJitter, RandomCrop, RandomHorizontalFlip, RandomRotate,
                                          Resize, processing)
from adaptcls.registry import TRANSFORMS


def position_image(height=40, width=30):
    """Red channel = row, green = column: every pixel tells where it came from."""
    rows, cols = np.mgrid[:height, :width]
    return np.stack([rows, cols, np.full_like(rows, 99)], axis=2).astype(np.uint8)


def run(transform, img):
    return transform(dict(img=img, img_shape=img.shape[:2]))


def test_transforms_build_from_the_registry():
    with DefaultScope.overwrite_default_scope('adaptcls'):
        built = [TRANSFORMS.build(dict(type=name)) for name in (
            'RandomCrop', 'RandomHorizontalFlip', 'RandomRotate', 'ColorJitter')]
        built.append(TRANSFORMS.build(dict(type='Resize', size=(2, 3))))

    assert [type(t) for t in built] == [RandomCrop, RandomHorizontalFlip, RandomRotate, ColorJitter, Resize]
    assert (built[0].prob, built[0].scale) == (0.3, (0.9, 1.0))
    assert (built[2].prob, built[2].max_angle, built[2].fill) == (0.3, 10.0, (0, 0, 0))


@pytest.mark.parametrize('size, shape', [(8, (8, 8)), ((6, 10), (6, 10))])
def test_resize_output_shape_and_dtype(size, shape):
    results = run(Resize(size), position_image())

    assert results['img'].shape == shape + (3,) and results['img'].dtype == np.uint8
    assert results['img_shape'] == shape


def test_resize_is_bilinear_with_half_pixel_centres():
    img = np.zeros((1, 2, 3), dtype=np.uint8)
    img[0, :, 0] = [0, 100]
    # source x of output x = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 (clamped to the edges)
    np.testing.assert_array_equal(run(Resize((1, 4)), img)['img'][0, :, 0], [0, 25, 75, 100])

    wide = np.zeros((1, 4, 3), dtype=np.uint8)
    wide[0, :, 0] = [0, 100, 200, 250]
    # shrinking samples at source x = 0.5 and 2.5 (no antialiasing)
    np.testing.assert_array_equal(run(Resize((1, 2)), wide)['img'][0, :, 0], [50, 225])


def test_resize_matches_openvino_preprocessing():
    ov = pytest.importorskip('openvino')
    from openvino import opset13 as ops
    from openvino.preprocess import PrePostProcessor, ResizeAlgorithm

    from adaptcls.deployment.runtime.ov_core import shared_core

    img = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    param = ops.parameter([1, 16, 20, 3], np.float32)
    ppp = PrePostProcessor(ov.Model([ops.result(param)], [param]))
    ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout('NHWC')) \
        .set_spatial_dynamic_shape()
    ppp.input().preprocess().resize(ResizeAlgorithm.RESIZE_LINEAR)
    ppp.input().model().set_layout(ov.Layout('NHWC'))
    expected = shared_core().compile_model(ppp.build(), 'CPU')(img[None])[0][0]  # one Core per process (ov_core.py)

    resized = run(Resize((16, 20)), img)['img'].astype(np.float32)

    assert np.abs(resized - expected).max() <= 1.0


def test_resize_refuses_non_positive_size():
    with pytest.raises(ValueError, match='size'):
        Resize((0, 4))


def test_random_transforms_with_prob_zero_are_identity():
    img = position_image()
    for transform in (RandomCrop(prob=0), RandomHorizontalFlip(prob=0), RandomRotate(prob=0)):
        np.testing.assert_array_equal(run(transform, img.copy())['img'], img)


def test_colour_jitter_with_zero_factors_is_identity():
    img = position_image()
    np.testing.assert_array_equal(run(ColorJitter(), img.copy())['img'], img)


def test_flip_with_prob_one_mirrors_exactly():
    img = position_image()

    flipped = run(RandomHorizontalFlip(prob=1), img.copy())['img']

    np.testing.assert_array_equal(flipped, img[:, ::-1])
    assert flipped.flags.c_contiguous


@pytest.mark.parametrize('seed', range(20))
def test_crop_keeps_area_within_scale_and_the_aspect_ratio(seed):
    torch.manual_seed(seed)
    img = position_image(40, 30)

    results = run(RandomCrop(prob=1, scale=(0.5, 0.8)), img)

    crop = results['img']
    height, width = crop.shape[:2]
    assert results['img_shape'] == (height, width)
    side = height / 40
    assert math.sqrt(0.5) - 0.02 <= side <= math.sqrt(0.8) + 0.02
    assert abs(width - 30 * side) <= 1
    top, left = crop[0, 0, 0], crop[0, 0, 1]
    np.testing.assert_array_equal(crop, img[top:top + height, left:left + width])


def test_crop_positions_vary_over_the_image():
    img = position_image(40, 40)
    corners = set()
    for seed in range(30):
        torch.manual_seed(seed)
        crop = run(RandomCrop(prob=1, scale=(0.25, 0.25)), img)['img']
        corners.add((int(crop[0, 0, 0]), int(crop[0, 0, 1])))

    assert all(0 <= top <= 20 and 0 <= left <= 20 for top, left in corners)
    assert len(corners) > 20


def test_crop_refuses_bad_scale():
    with pytest.raises(ValueError, match='scale'):
        RandomCrop(scale=(0.0, 1.0))


def test_rotate_180_degrees_turns_the_image_upside_down(monkeypatch):
    monkeypatch.setattr(processing, '_random_uniform', lambda low, high: 180.0)
    img = position_image()

    rotated = run(RandomRotate(prob=1, max_angle=180), img.copy())['img']

    np.testing.assert_array_equal(rotated, img[::-1, ::-1])


def test_rotate_fills_uncovered_corners_and_keeps_the_size(monkeypatch):
    monkeypatch.setattr(processing, '_random_uniform', lambda low, high: 45.0)
    img = np.full((20, 20, 3), 255, dtype=np.uint8)

    rotated = run(RandomRotate(prob=1, max_angle=45, fill=(7, 8, 9)), img)['img']

    assert rotated.shape == (20, 20, 3) and rotated.dtype == np.uint8
    np.testing.assert_array_equal(rotated[0, 0], [7, 8, 9])
    np.testing.assert_array_equal(rotated[10, 10], [255, 255, 255])


def test_rotate_draws_angles_within_max_angle(monkeypatch):
    drawn = []
    draw = processing._random_uniform

    def draw_and_record(low, high):
        drawn.append(draw(low, high))
        return drawn[-1]

    monkeypatch.setattr(processing, '_random_uniform', draw_and_record)
    torch.manual_seed(0)
    for _ in range(50):
        run(RandomRotate(prob=1, max_angle=10), position_image(4, 4))

    assert all(-10 <= angle <= 10 for angle in drawn)
    assert min(drawn) < -5 and max(drawn) > 5


def test_colour_jitter_brightness_scales_values():
    img = np.full((2, 2, 3), 200, dtype=np.uint8)

    out = run(ColorJitter(brightness=(0.5, 0.5)), img)['img']

    assert out.dtype == np.uint8 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out, 100)


def test_random_transforms_are_reproducible_under_torch_seed():
    transforms = [RandomCrop(prob=0.5), RandomHorizontalFlip(), RandomRotate(prob=0.5),
                  ColorJitter(0.4, 0.4, 0.4, 0.1)]

    def run_all(seed):
        torch.manual_seed(seed)
        outputs = []
        for _ in range(5):
            results = dict(img=position_image(), img_shape=(40, 30))
            for transform in transforms:
                results = transform(results)
            outputs.append(results['img'])
        return outputs

    first, again, other = run_all(1), run_all(1), run_all(2)

    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(first, other))
