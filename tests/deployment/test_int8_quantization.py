"""The NNCF INT8 IR is quantized, runs on raw images and stays within 1 point of FP32 top-1."""
import openvino as ov

from adaptcls.deployment.runtime.ir_evaluation import evaluate_ir


def test_int8_ir_is_quantized_and_labelled(exported):
    model = ov.Core().read_model(f'{exported["out"]}/model_int8.xml')
    assert any(op.get_type_name() == 'FakeQuantize' for op in model.get_ordered_ops())
    assert model.get_rt_info(['adaptcls', 'precision']).astype(str) == 'INT8'
    assert model.input().get_element_type() == ov.Type.u8


def test_int8_top1_within_one_point_of_fp32(exported):
    fp32 = evaluate_ir(f'{exported["out"]}/model.xml', exported['data_root'])['metrics']['top1']
    int8 = evaluate_ir(f'{exported["out"]}/model_int8.xml', exported['data_root'])['metrics']['top1']
    assert fp32 > 0.8  # the tiny model did learn the digits
    assert abs(fp32 - int8) <= 0.01
