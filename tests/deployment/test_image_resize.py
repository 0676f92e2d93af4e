"""The numpy resize reproduces adaptcls's training Resize (torch bilinear, half-pixel, no antialias)."""
import numpy as np
import pytest

from adaptcls.datasets.transforms.processing import Resize
from adaptcls.deployment.runtime.image_resize import resize_bilinear


def test_hand_computed_upsampling():
    image = np.array([[0, 100]], dtype=np.uint8)[:, :, None]  # 1 x 2, one channel
    # source x = (dst + 0.5) * 2/4 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (right edge)
    assert resize_bilinear(image, (1, 4))[0, :, 0].tolist() == [0, 25, 75, 100]


def test_same_size_returns_the_image():
    image = np.zeros((5, 7, 3), np.uint8)
    assert resize_bilinear(image, (5, 7)) is image


@pytest.mark.parametrize('source, target', [((8, 8), (32, 32)), ((37, 53), (64, 48)), ((300, 200), (32, 32)),
                                            ((33, 31), (17, 45))])
def test_matches_training_resize(source, target):
    image = np.random.default_rng(0).integers(0, 256, (*source, 3), dtype=np.uint8)
    ours = resize_bilinear(image, target).astype(int)
    training = Resize(target).transform(dict(img=image))['img'].astype(int)
    assert ours.shape == training.shape == (*target, 3)
    difference = np.abs(ours - training)
    assert difference.max() <= 1  # float rounding ties may differ by one grey level
    assert (difference == 0).mean() > 0.999
