"""model_info values follow the IR's metadata (the Model API itself is exercised in test_model_api_compat.py)."""
from dataclasses import replace

import pytest

from adaptcls.deployment.export.model_api_info import model_api_info, model_api_labels
from adaptcls.deployment.runtime.ir_metadata import IRMetadata

METADATA = IRMetadata(labels=['cat', 'dog'], input_size=(64, 48), mean=[123.675, 116.28, 103.53],
                      std=[58.395, 57.12, 57.375])


def test_values_for_an_rgb_ir_that_normalises_itself():
    assert model_api_info(METADATA) == dict(
        model_type='Classification', labels='cat dog', mean_values='0 0 0', scale_values='1 1 1',
        reverse_input_channels='True', resize_type='standard', interpolation_mode='LINEAR', input_dtype='u8',
        embedded_processing='False', multilabel='False', hierarchical='False')


def test_a_bgr_graph_needs_no_channel_swap():
    assert model_api_info(replace(METADATA, color_order='BGR'))['reverse_input_channels'] == 'False'


@pytest.mark.parametrize('change, message', [(dict(color_order='GRAY'), 'GRAY'), (dict(output='logits'), 'logits')])
def test_inputs_and_outputs_it_cannot_describe_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        model_api_info(replace(METADATA, **change))


def test_whitespace_in_class_names_is_replaced_with_a_warning():
    with pytest.warns(UserWarning, match="'golden retriever'"):
        assert model_api_labels(['golden retriever', 'sea \t lion', 'cat']) == 'golden_retriever sea_lion cat'
