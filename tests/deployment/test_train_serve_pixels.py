"""No train/serve skew: the IR's image reader gives the pixels training's LoadImage gives, for every kind of file."""
import numpy as np
import pytest
from PIL import Image

from adaptcls.datasets.transforms import LoadImage
from adaptcls.deployment.runtime.ir_classifier import read_rgb_image
from tests.datasets.transforms.test_loading import write_16bit_colour_png


def _files(folder):
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (12, 10), dtype=np.uint8)
    rgb = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    Image.fromarray(grey.astype(np.uint16) * 257).save(folder / 'grey16.png')
    write_16bit_colour_png(folder / 'rgb48.png', rgb.astype(np.uint16) * 257)
    Image.fromarray(np.dstack([rgb, grey]), 'RGBA').save(folder / 'rgba.png')
    Image.fromarray(rgb).convert('P', palette=Image.ADAPTIVE, colors=8).save(folder / 'palette.png')
    Image.fromarray(grey).save(folder / 'grey.png')
    Image.fromarray(rgb).save(folder / 'rgb.jpg')
    return sorted(folder.iterdir())


def test_the_ir_reader_decodes_like_training(tmp_path):
    for path in _files(tmp_path):
        expected = LoadImage().read_rgb(str(path))
        np.testing.assert_array_equal(read_rgb_image(str(path)), expected, err_msg=path.name)


def test_a_16bit_png_is_not_saturated_at_serving_time(tmp_path):
    Image.fromarray(np.full((8, 8), 32768, np.uint16)).save(tmp_path / 'mid.png')  # mid grey
    assert read_rgb_image(str(tmp_path / 'mid.png')).mean() == pytest.approx(128)
