"""IR metadata survives save/load in rt_info and a foreign IR is refused with a clear error."""
import json

import numpy as np
import openvino as ov
import pytest
from openvino import opset13

from adaptcls.deployment.runtime.ir_metadata import RT_INFO_SECTION, IRMetadata
from adaptcls.deployment.runtime.ov_core import shared_core
from adaptcls.errors import UserInputError


def _tiny_model() -> ov.Model:
    image = opset13.parameter([1, 2, 2, 3], ov.Type.u8, name='input')
    return ov.Model([opset13.convert(image, ov.Type.f32)], [image], 'tiny')


def test_round_trip_through_saved_ir(tmp_path):
    metadata = IRMetadata(labels=['cat', 'hot dog', '数字'], input_size=(48, 64), mean=[1.5, 2.0, 3.0],
                          std=[4.0, 5.0, 6.25], precision='INT8')
    model = _tiny_model()
    metadata.write_to(model)
    ov.save_model(model, str(tmp_path / 'tiny.xml'))
    loaded = shared_core().read_model(str(tmp_path / 'tiny.xml'))
    assert IRMetadata.read_from(loaded) == metadata
    # a plain OpenVINO program reads the same values without adaptcls
    assert json.loads(loaded.get_rt_info([RT_INFO_SECTION, 'labels']).astype(str)) == ['cat', 'hot dog', '数字']
    assert loaded.get_rt_info([RT_INFO_SECTION, 'layout']).astype(str) == 'NHWC'
    assert loaded.get_rt_info([RT_INFO_SECTION, 'color_order']).astype(str) == 'RGB'
    assert shared_core().compile_model(loaded)(np.zeros((1, 2, 2, 3), np.uint8))[0].shape == (1, 2, 2, 3)


def test_model_without_metadata_is_refused():
    with pytest.raises(ValueError, match='adaptcls/labels.*tools/deploy.py export|not exported'):
        IRMetadata.read_from(_tiny_model(), source='IR "x.xml"')


def test_rt_info_that_is_not_json_is_named():
    """An .xml edited after the export (e.g. an entity that expands to text) gave "Expecting value: line 1 column 1"."""
    model = _tiny_model()
    IRMetadata(labels=['a', 'b'], input_size=(2, 2), mean=[0.0] * 3, std=[1.0] * 3, precision='FP32').write_to(model)
    model.set_rt_info('&lol9;', [RT_INFO_SECTION, 'labels'])
    with pytest.raises(UserInputError, match=r'IR "x.xml": rt_info "adaptcls/labels" is not valid JSON .*export it '
                                             r'again|Export it again'):
        IRMetadata.read_from(model, source='IR "x.xml"')
