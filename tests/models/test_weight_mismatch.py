"""How a checkpoint's weights differ from a model's, found directly or read back from a failed strict load."""
import pytest
import torch
from mmengine.runner.checkpoint import load_state_dict
from torch import nn

from adaptcls.models.weight_mismatch import MAX_NAMED_WEIGHTS, WeightMismatch, compare_weights, parse_load_error


class _Classifier(nn.Module):
    def __init__(self, width=4, classes=3):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(2, width), nn.BatchNorm1d(width))
        self.head = nn.Module()
        self.head.fc = nn.Linear(width, classes)


def test_another_class_count_is_a_head_only_difference():
    mismatch = compare_weights(_Classifier().state_dict(), _Classifier(classes=5).state_dict())
    assert mismatch.shapes == (('head.fc.weight', (5, 4), (3, 4)), ('head.fc.bias', (5, ), (3, )))
    assert mismatch.head_class_counts() == (5, 3) and not mismatch.missing and not mismatch.unexpected
    assert 'another class count' in mismatch.likely_cause('c.py')


def test_another_backbone_is_another_model():
    checkpoint = _Classifier(width=6).state_dict()
    checkpoint['extra'] = torch.zeros(1)
    del checkpoint['backbone.1.running_var']
    mismatch = compare_weights(_Classifier().state_dict(), checkpoint)
    assert mismatch.shapes[0] == ('backbone.0.weight', (6, 2), (4, 2)) and mismatch.head_class_counts() is None
    assert mismatch.missing == ('backbone.1.running_var', ) and mismatch.unexpected == ('extra', )
    text = mismatch.describe()
    assert text.startswith('weights of other shapes: 6 (backbone.0.weight: checkpoint (6, 2), model (4, 2); ')
    assert text.endswith('weights of the model missing from the checkpoint: 1 (backbone.1.running_var); weights of '
                         'the checkpoint the model does not have: 1 (extra)')
    assert text.count(': checkpoint (') == MAX_NAMED_WEIGHTS and ', ...)' in text
    assert 'use the config it was trained with' in mismatch.likely_cause('c.py')


def test_fitting_weights_are_no_mismatch():
    assert not compare_weights(_Classifier().state_dict(), _Classifier().state_dict())


@pytest.mark.parametrize('load', [
    lambda model, state: model.load_state_dict(state, strict=True),  # PyTorch's wording
    lambda model, state: load_state_dict(model, state, strict=True),  # mmengine's
], ids=['torch', 'mmengine'])
def test_a_failed_strict_load_is_read_back(load):
    checkpoint = _Classifier(width=6).state_dict()
    checkpoint['extra'] = torch.zeros(1)
    del checkpoint['backbone.1.running_var']
    expected = compare_weights(_Classifier().state_dict(), checkpoint)
    with pytest.raises(RuntimeError) as error:
        load(_Classifier(), checkpoint)
    message = f'prefix: {error.value}. suffix'
    mismatch, start, end = parse_load_error(message)
    assert sorted(mismatch.shapes) == sorted(expected.shapes)
    assert mismatch.missing == expected.missing and mismatch.unexpected == expected.unexpected
    assert message[:start] == 'prefix: ' and message[end:].lstrip('. \n') == 'suffix'


def test_other_messages_are_no_load_error():
    assert parse_load_error('size mismatch somewhere') is None
    assert not WeightMismatch()
