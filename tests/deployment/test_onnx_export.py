"""The ONNX file matches PyTorch on real images and has a dynamic batch axis."""
import numpy as np
import pytest
import torch

from adaptcls.deployment.export.onnx_export import export_onnx, onnx_logits, onnx_session
from tests.deployment.real_images import pytorch_on_val


def test_onnx_matches_pytorch_on_real_images(exported):
    reference = pytorch_on_val(exported)
    logits = onnx_logits(f'{exported["out"]}/model.onnx', reference['inputs'].numpy(), batch_size=64)
    assert logits.shape == reference['logits'].shape == (200, 10)
    assert np.abs(logits - reference['logits']).max() < 1e-4
    assert (logits.argmax(1) == reference['logits'].argmax(1)).all()


def test_batch_axis_is_dynamic(exported):
    session = onnx_session(f'{exported["out"]}/model.onnx', threads=1)
    assert session.get_inputs()[0].shape[1:] == [3, 32, 32]
    inputs = pytorch_on_val(exported)['inputs'][:7].numpy()
    single = np.concatenate([session.run(None, {'input': row[None]})[0] for row in inputs])
    assert np.abs(session.run(None, {'input': inputs})[0] - single).max() < 1e-4


def test_opset_below_13_is_refused(tmp_path):
    with pytest.raises(ValueError, match='at least 13'):
        export_onnx(torch.nn.Identity(), (4, 4), str(tmp_path / 'x.onnx'), opset=11)
