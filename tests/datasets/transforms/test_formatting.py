import numpy as np
import pytest
import torch

from adaptcls.datasets.transforms import PackClsInputs
from adaptcls.structures import ClsDataSample


def rgb_image(height=2, width=3):
    return np.arange(height * width * 3, dtype=np.uint8).reshape(height, width, 3)


def test_packs_chw_uint8_inputs_and_a_labelled_sample():
    img = rgb_image()
    results = dict(img=img, gt_label=4, img_path='/data/a.png', ori_shape=(5, 6), img_shape=(2, 3),
                   sample_idx=7)

    packed = PackClsInputs()(results)

    assert set(packed) == {'inputs', 'data_samples'}
    inputs = packed['inputs']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 2, 3) and inputs.is_contiguous()
    assert int(inputs[2, 1, 0]) == img[1, 0, 2]
    sample = packed['data_samples']
    assert isinstance(sample, ClsDataSample)
    assert sample.gt_label.dtype == torch.long and sample.gt_label.dim() == 0 and int(sample.gt_label) == 4
    assert sample.metainfo == dict(img_path='/data/a.png', ori_shape=(5, 6), img_shape=(2, 3))


def test_unlabelled_results_give_a_sample_without_gt_label():
    packed = PackClsInputs()(dict(img=rgb_image(), img_path='x.png'))

    assert 'gt_label' not in packed['data_samples']
    assert packed['data_samples'].get('gt_label') is None


def test_a_flipped_view_is_packed_contiguously_with_the_right_values():
    img = rgb_image()[:, ::-1]

    inputs = PackClsInputs()(dict(img=img))['inputs']

    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.permute(1, 2, 0).numpy(), img)


@pytest.mark.parametrize('img', [np.zeros((2, 3), np.uint8), np.zeros((2, 3, 3), np.float32)])
def test_non_rgb_uint8_images_are_refused_naming_the_file(img):
    with pytest.raises(ValueError, match='bad.png'):
        PackClsInputs()(dict(img=img, img_path='bad.png'))
