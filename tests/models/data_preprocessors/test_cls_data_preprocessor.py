"""Tests of ClsDataPreprocessor: normalisation, batch augments, size checks."""
import pytest
import torch

from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample


@MODELS.register_module(force=True)
class _AddOneAugment:
    """A dummy batch augment: adds 1 to the inputs and marks each sample."""

    def __call__(self, inputs, data_samples):
        for sample in data_samples:
            sample.set_metainfo(dict(augmented=True))
        return inputs + 1, data_samples


def _build(**kwargs):
    return MODELS.build(dict(type='ClsDataPreprocessor', **kwargs))


def _batch():
    images = [torch.full((3, 2, 2), 0, dtype=torch.uint8), torch.full((3, 2, 2), 255, dtype=torch.uint8)]
    images[0][1] = 100
    return dict(inputs=images, data_samples=[ClsDataSample(), ClsDataSample()])


def test_normalises_with_imagenet_defaults():
    out = _build()(_batch())
    inputs = out['inputs']
    assert inputs.dtype == torch.float32 and inputs.shape == (2, 3, 2, 2)
    assert inputs[0, 0, 0, 0].item() == pytest.approx((0 - 123.675) / 58.395)
    assert inputs[0, 1, 1, 1].item() == pytest.approx((100 - 116.28) / 57.12)
    assert inputs[1, 2, 0, 1].item() == pytest.approx((255 - 103.53) / 57.375)
    assert len(out['data_samples']) == 2


def test_accepts_a_stacked_uint8_tensor():
    images = torch.full((1, 3, 1, 1), 50, dtype=torch.uint8)
    out = _build(mean=(10, 20, 30), std=(2, 4, 5))(dict(inputs=images))
    assert out['inputs'].flatten().tolist() == [20.0, 7.5, 4.0]
    assert out['data_samples'] is None


def test_batch_augments_apply_in_training_only():
    preprocessor = _build(mean=(0, 0, 0), std=(1, 1, 1), batch_augments=[dict(type='_AddOneAugment')] * 2)
    evaluated = preprocessor(_batch(), training=False)
    trained = preprocessor(_batch(), training=True)
    assert torch.equal(trained['inputs'], evaluated['inputs'] + 2)
    assert all(sample.augmented for sample in trained['data_samples'])
    assert not any('augmented' in sample for sample in evaluated['data_samples'])


def test_size_mismatch_names_the_sizes_and_the_fix():
    batch = dict(inputs=[torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(3, 4, 5, dtype=torch.uint8)])
    with pytest.raises(ValueError, match=r'\(3, 4, 4\), \(3, 4, 5\).*Resize'):
        _build()(batch)


def test_float_inputs_are_refused():
    with pytest.raises(TypeError, match='torch.float32'):
        _build()(dict(inputs=[torch.zeros(3, 2, 2)]))


def test_channel_count_must_match_mean():
    with pytest.raises(ValueError, match='1 channels'):
        _build()(dict(inputs=[torch.zeros(1, 2, 2, dtype=torch.uint8)]))
