import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from adaptcls.datasets.transforms import ImageLoadError, LoadImage
from adaptcls.datasets.transforms.loading import scale_16bit_to_8bit


def load(path, **kwargs):
    return LoadImage(**kwargs)(dict(img_path=str(path)))


def test_rgb_png_is_read_exactly_with_shapes(tmp_path):
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    Image.fromarray(pixels).save(tmp_path / 'rgb.png')

    results = load(tmp_path / 'rgb.png')

    assert results['img'].dtype == np.uint8 and results['img'].flags.writeable
    np.testing.assert_array_equal(results['img'], pixels)
    assert results['img_shape'] == (2, 3) and results['ori_shape'] == (2, 3)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    Image.fromarray(np.array([[0, 77, 255]], dtype=np.uint8), mode='L').save(tmp_path / 'grey.png')

    img = load(tmp_path / 'grey.png')['img']

    np.testing.assert_array_equal(img, [[[0, 0, 0], [77, 77, 77], [255, 255, 255]]])


def test_rgba_is_composited_on_white_by_default(tmp_path):
    rgba = np.array([[[10, 20, 30, 255], [10, 20, 30, 0], [200, 0, 0, 128]]], dtype=np.uint8)
    Image.fromarray(rgba, mode='RGBA').save(tmp_path / 'rgba.png')

    img = load(tmp_path / 'rgba.png')['img'].astype(int)

    np.testing.assert_array_equal(img[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(img[0, 1], [255, 255, 255])
    # 200 * 128/255 + 255 * 127/255 = 227.4; 0 * 128/255 + 255 * 127/255 = 127
    np.testing.assert_allclose(img[0, 2], [227, 127, 127], atol=1)


def test_rgba_background_is_configurable(tmp_path):
    Image.fromarray(np.array([[[10, 20, 30, 0]]], dtype=np.uint8), mode='RGBA').save(tmp_path / 'a.png')

    img = load(tmp_path / 'a.png', alpha_background=(0, 0, 0))['img']

    np.testing.assert_array_equal(img[0, 0], [0, 0, 0])


def test_grey_with_alpha_is_composited(tmp_path):
    Image.fromarray(np.array([[[40, 255], [40, 0]]], dtype=np.uint8), mode='LA').save(tmp_path / 'la.png')

    img = load(tmp_path / 'la.png')['img']

    np.testing.assert_array_equal(img[0], [[40, 40, 40], [255, 255, 255]])


def make_palette_image(transparent_index=None):
    image = Image.fromarray(np.array([[0, 1]], dtype=np.uint8), mode='P')
    image.putpalette([250, 0, 0, 0, 0, 250] + [0] * (256 * 3 - 6))
    if transparent_index is not None:
        image.info['transparency'] = transparent_index
    return image


def test_palette_image_gives_its_palette_colours(tmp_path):
    make_palette_image().save(tmp_path / 'p.png')

    np.testing.assert_array_equal(load(tmp_path / 'p.png')['img'][0], [[250, 0, 0], [0, 0, 250]])


def test_palette_transparency_is_composited(tmp_path):
    make_palette_image(transparent_index=0).save(tmp_path / 'p.png')

    img = load(tmp_path / 'p.png', alpha_background=(1, 2, 3))['img']

    np.testing.assert_array_equal(img[0], [[1, 2, 3], [0, 0, 250]])


def test_16bit_png_is_scaled_not_clipped(tmp_path):
    Image.fromarray(np.array([[0, 257, 32768, 65535]], dtype=np.uint16)).save(tmp_path / 'deep.png')
    assert Image.open(tmp_path / 'deep.png').mode.startswith('I')

    img = load(tmp_path / 'deep.png')['img']

    assert img.dtype == np.uint8
    np.testing.assert_array_equal(img[0, :, 0], [0, 1, 128, 255])
    np.testing.assert_array_equal(img[..., 0], img[..., 2])


def write_16bit_colour_png(path, pixels):
    """Writes (H, W, 3|4) uint16 ``pixels`` as a 48-bit RGB / 64-bit RGBA PNG (Pillow cannot write them)."""
    height, width, channels = pixels.shape

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    header = struct.pack('>IIBBBBB', width, height, 16, {3: 2, 4: 6}[channels], 0, 0, 0)
    rows = b''.join(b'\x00' + row.astype('>u2').tobytes() for row in pixels)  # filter type 0 per row
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(rows))
                     + chunk(b'IEND', b''))


def test_16bit_rgb_png_keeps_the_high_byte_of_each_channel(tmp_path):
    pixels = np.array([[[65535, 0, 257], [32768, 255, 256], [65280, 65279, 1]]], dtype=np.uint16)
    write_16bit_colour_png(tmp_path / 'rgb48.png', pixels)

    img = load(tmp_path / 'rgb48.png')['img']

    assert img.dtype == np.uint8 and img.shape == (1, 3, 3)
    np.testing.assert_array_equal(img[0], [[255, 0, 1], [128, 0, 1], [255, 254, 0]])  # value // 256


def test_16bit_rgba_png_is_composited_after_the_high_byte(tmp_path):
    pixels = np.array([[[65535, 0, 0, 65535], [0, 0, 65535, 0]]], dtype=np.uint16)
    write_16bit_colour_png(tmp_path / 'rgba64.png', pixels)

    np.testing.assert_array_equal(load(tmp_path / 'rgba64.png')['img'][0], [[255, 0, 0], [255, 255, 255]])


def test_scale_16bit_rounds_half_up():
    values = np.array([0, 128, 129, 32767, 65535], dtype=np.uint16)
    # 128 * 255 / 65535 = 0.498 -> 0; 129 -> 0.502 -> 1; 32767 -> 127.498 -> 127
    np.testing.assert_array_equal(scale_16bit_to_8bit(values), [0, 0, 1, 127, 255])


def test_32bit_integer_image_is_read_as_16bit(tmp_path):
    Image.fromarray(np.array([[0, 65535]], dtype=np.int32), mode='I').save(tmp_path / 'i.tif')

    np.testing.assert_array_equal(load(tmp_path / 'i.tif')['img'][0, :, 1], [0, 255])


def test_32bit_integer_image_outside_16bit_range_is_refused(tmp_path):
    Image.fromarray(np.array([[0, 70000]], dtype=np.int32), mode='I').save(tmp_path / 'i.tif')

    with pytest.raises(ImageLoadError, match=f'{tmp_path / "i.tif"}.*outside the 0..65535'):
        load(tmp_path / 'i.tif')


def test_float_image_is_read_on_the_0_255_scale(tmp_path):
    Image.fromarray(np.array([[0.0, 127.6, 255.0]], dtype=np.float32), mode='F').save(tmp_path / 'f.tif')

    np.testing.assert_array_equal(load(tmp_path / 'f.tif')['img'][0, :, 0], [0, 128, 255])


def test_float_image_outside_0_255_is_refused(tmp_path):
    Image.fromarray(np.array([[-1.0, 2.0]], dtype=np.float32), mode='F').save(tmp_path / 'f.tif')

    with pytest.raises(ImageLoadError, match='f.tif'):
        load(tmp_path / 'f.tif')


def test_cmyk_is_converted_to_rgb(tmp_path):
    Image.new('CMYK', (2, 1), (0, 255, 0, 0)).save(tmp_path / 'cmyk.tif')

    np.testing.assert_array_equal(load(tmp_path / 'cmyk.tif')['img'][0], [[255, 0, 255]] * 2)


@pytest.mark.parametrize('apply, shape', [(True, (4, 2, 3)), (False, (2, 4, 3))])
def test_exif_orientation_is_applied_when_asked(tmp_path, apply, shape):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    Image.new('RGB', (4, 2)).save(tmp_path / 'photo.png', exif=exif)

    results = load(tmp_path / 'photo.png', apply_exif_orientation=apply)

    assert results['img'].shape == shape and results['ori_shape'] == shape[:2]


def write_truncated_png(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


@pytest.mark.parametrize('make_bad_file', [
    write_truncated_png,
    lambda path: path.write_bytes(b''),
    lambda path: path.write_text('this is a text file renamed to .png\n'),
    lambda path: None,  # missing file
], ids=['truncated', 'zero-byte', 'text', 'missing'])
def test_unreadable_files_raise_image_load_error_naming_the_file(tmp_path, make_bad_file):
    path = tmp_path / 'bad.png'
    make_bad_file(path)

    with pytest.raises(ImageLoadError) as error:
        load(path)

    assert str(path) in str(error.value)
    assert isinstance(error.value, ValueError)


def test_invalid_background_is_refused():
    with pytest.raises(ValueError, match='alpha_background'):
        LoadImage(alpha_background=(0, 0, 300))
