"""The FP32 IR takes raw uint8 RGB NHWC images, outputs probabilities and carries its labels."""
import json

import numpy as np
import openvino as ov

from adaptcls.deployment.export.openvino_ir import compile_ir, ir_probabilities
from adaptcls.deployment.export.verification import softmax
from tests.deployment.real_images import agreement, pytorch_on_val

EXACT = {'INFERENCE_PRECISION_HINT': 'f32'}


def test_graph_interface_and_rt_info(exported):
    model = ov.Core().read_model(f'{exported["out"]}/model.xml')
    assert model.input().get_element_type() == ov.Type.u8
    assert str(model.input().get_partial_shape()) == '[?,32,32,3]'
    assert model.output().get_names() == {'probabilities'}
    assert json.loads(model.get_rt_info(['adaptcls', 'labels']).astype(str)) == [str(d) for d in range(10)]
    assert json.loads(model.get_rt_info(['adaptcls', 'input_size']).astype(str)) == [32, 32]
    assert json.loads(model.get_rt_info(['adaptcls', 'mean']).astype(str)) == [123.675, 116.28, 103.53]
    assert model.get_rt_info(['adaptcls', 'precision']).astype(str) == 'FP32'


def test_raw_uint8_images_give_pytorch_predictions(exported):
    reference = pytorch_on_val(exported)
    for config in (EXACT, {}):  # exact FP32, and the CPU's default (bf16 where supported)
        probabilities = ir_probabilities(compile_ir(f'{exported["out"]}/model.xml', config=config),
                                         reference['images'])
        assert agreement(probabilities, reference['logits']) >= 0.99
        assert np.allclose(probabilities.sum(1), 1.0, atol=1e-3)
    exact = ir_probabilities(compile_ir(f'{exported["out"]}/model.xml', config=EXACT), reference['images'])
    assert np.abs(exact - softmax(reference['logits'])).max() < 1e-4
