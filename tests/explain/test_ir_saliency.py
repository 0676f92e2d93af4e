"""Saliency maps of an exported IR (Recipro-CAM in OpenVINO, no PyTorch) that can fail: the corner model's IR must
look at the corner; its maps must be Recipro-CAM's exactly (computed again in PyTorch on the checkpoint) and close to
the checkpoint's Grad-CAM maps; IRs it cannot explain are refused with the fix."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.explain.corner_data import SIZE, quarter_means
from tests.tools.conftest import REPO

MIN_MEAN_PEARSON = 0.9
"""Mean Pearson correlation of the IR's and the checkpoint's maps the test requires (measured: 0.99)."""
MIN_PEARSON = 0.7
"""Correlation every image's two maps must reach (measured: at least 0.97)."""
MIN_SAME_QUARTER = 0.8
"""Share of images whose two maps are brightest in the same quarter (measured: 20 of 20)."""
RECIPRO_CAM_ATOL = 1e-4
"""Largest difference allowed between the IR's map and Recipro-CAM computed in PyTorch (float32 rounding)."""


def _val_images(corner_model, name=None):
    folders = [name] if name else ['corner', 'plain']
    return [str(path) for folder in folders for path in sorted((corner_model['val'] / folder).glob('*.png'))]


def _checkpoint(corner_model):
    from adaptcls.apis.classifier import run_config
    from adaptcls.apis.inference import CheckpointClassifier
    return CheckpointClassifier(run_config(corner_model['checkpoint']), corner_model['checkpoint'])


def test_the_ir_map_of_a_corner_decided_class_peaks_in_that_corner(corner_model, corner_ir):
    from adaptcls.deployment.runtime.ir_saliency import IRSaliencyExplainer
    explainer = IRSaliencyExplainer(corner_ir)
    assert explainer.map_size == (4, 4)
    quarters = []
    for path in _val_images(corner_model, 'corner'):
        explanation = explainer.explain(path, 'corner')
        assert explanation.saliency.shape == (SIZE, SIZE) and explanation.saliency.dtype == np.float32
        assert 0 <= explanation.saliency.min() <= explanation.saliency.max() <= 1
        quarters.append(quarter_means(explanation.saliency))
    quarters = np.array(quarters)
    assert (quarters.argmax(1) == 0).mean() >= 0.7, quarters  # chance: 0.25; measured 0.9
    assert quarters.mean(0).argmax() == 0, quarters.mean(0)


def _torch_recipro_cam(classifier, layer: str, path: str) -> np.ndarray:
    """Recipro-CAM of the checkpoint in PyTorch, the IR's graph rebuilt by hand: a forward hook on ``layer`` keeps one
    position of its (h, w) map in each of h * w copies of the image; the logits of copy k are the maps at k."""
    import torch
    module = dict(classifier.model.named_modules())[layer]
    image = torch.from_numpy(classifier.read(path))
    batch = classifier.model.data_preprocessor(dict(inputs=[image]), False)['inputs']
    shapes = []
    handle = module.register_forward_hook(lambda module, args, output: shapes.append(output.shape))
    with torch.no_grad():
        classifier.model(batch, mode='tensor')
    handle.remove()
    height, width = shapes[0][2:]
    masks = torch.eye(height * width).reshape(height * width, 1, height, width)
    handle = module.register_forward_hook(lambda module, args, output: output * masks)
    with torch.no_grad():
        logits = classifier.model(batch.repeat(height * width, 1, 1, 1), mode='tensor')
    handle.remove()
    maps = logits.T.reshape(-1, height, width)
    low = maps.amin((1, 2), keepdim=True)
    maps = (maps - low) / (maps.amax((1, 2), keepdim=True) - low + 1e-12)
    return torch.nn.functional.interpolate(maps[None], size=image.shape[1:], mode='bilinear',
                                           align_corners=False)[0].numpy()


def test_the_ir_map_is_recipro_cam_of_the_checkpoint(corner_model, corner_ir):
    """The graph inserted into the IR (masks, copied head, scaling, resize) computes what Recipro-CAM defines; a
    position swapped (rows for columns) or a map of the wrong class fails."""
    from adaptcls.apis.saliency import SaliencyExplainer
    from adaptcls.deployment.runtime.ir_saliency import IRSaliencyExplainer
    classifier = _checkpoint(corner_model)
    grad_cam = SaliencyExplainer(classifier)  # only for its target layer: the last feature map
    grad_cam.close()
    layer = grad_cam.target_layer[len('classifier.'):]
    explainer = IRSaliencyExplainer(corner_ir)
    for path in _val_images(corner_model)[::3]:
        reference = _torch_recipro_cam(classifier, layer, path)
        for index, label in enumerate(explainer.labels):
            saliency = explainer.explain(path, label).saliency
            np.testing.assert_allclose(saliency, reference[index], atol=RECIPRO_CAM_ATOL, err_msg=f'{path} {label}')


def test_the_ir_map_agrees_with_the_checkpoints_grad_cam(corner_model, corner_ir):
    """Recipro-CAM (the IR) and Grad-CAM (the checkpoint) are different methods on the same feature map: their maps
    of the predicted class must correlate and peak in the same quarter (figures in docs/explain.md)."""
    from adaptcls.apis.saliency import SaliencyExplainer
    from adaptcls.deployment.runtime.ir_saliency import IRSaliencyExplainer
    grad_cam = SaliencyExplainer(_checkpoint(corner_model))
    recipro_cam = IRSaliencyExplainer(corner_ir)
    correlations, same_quarter = [], []
    for path in _val_images(corner_model):
        checkpoint, ir = grad_cam.explain(path), recipro_cam.explain(path)
        assert (ir.label, ir.predicted) == (checkpoint.label, checkpoint.predicted), path
        assert abs(ir.probability - checkpoint.probability) < 1e-4, path
        correlations.append(np.corrcoef(checkpoint.saliency.ravel(), ir.saliency.ravel())[0, 1])
        same_quarter.append(np.argmax(quarter_means(checkpoint.saliency)) == np.argmax(quarter_means(ir.saliency)))
    grad_cam.close()
    print(f'Pearson r of the IR\'s and the checkpoint\'s maps over {len(correlations)} images: mean '
          f'{np.mean(correlations):.3f}, min {np.min(correlations):.3f}; same brightest quarter: '
          f'{sum(same_quarter)} of {len(same_quarter)}')
    assert np.mean(correlations) >= MIN_MEAN_PEARSON, correlations
    assert np.min(correlations) >= MIN_PEARSON, correlations
    assert np.mean(same_quarter) >= MIN_SAME_QUARTER, same_quarter


def test_explain_an_ir_writes_overlays_and_raw_maps(corner_model, corner_ir, tmp_path, capsys):
    from adaptcls.cli.explain import main
    from adaptcls.errors import UserInputError
    image = _val_images(corner_model, 'corner')[0]
    main([corner_ir, image, '--out', str(tmp_path / 'maps'), '--class', 'plain'])
    stem = os.path.splitext(os.path.basename(image))[0]
    overlay = Image.open(tmp_path / 'maps' / f'{stem}_saliency.png')
    raw = np.load(tmp_path / 'maps' / f'{stem}_saliency.npy')
    assert overlay.size == (SIZE, SIZE) and raw.shape == (SIZE, SIZE) and 0 <= raw.min() <= raw.max() <= 1
    out = capsys.readouterr().out
    assert f'Recipro-CAM (4 x 4 feature map) of {corner_ir}: 1 image(s)' in out
    assert f'{image}: plain ' in out and '(predicted corner)' in out
    with pytest.raises(UserInputError, match=r"--class circle: the model has no such class; its classes are "
                                             r"\['corner', 'plain'\]"):
        main([corner_ir, image, '--class', 'circle', '--out', str(tmp_path / 'maps')])
    with pytest.raises(UserInputError, match='--config is for a checkpoint'):
        main([corner_ir, image, '--config', corner_model['config'], '--out', str(tmp_path / 'maps')])


def _run_explain(corner_model, corner_ir, out, prelude: str) -> subprocess.CompletedProcess:
    """``adaptcls explain`` of the IR in a fresh Python (``prelude`` runs first), then the modules it imported."""
    image = _val_images(corner_model, 'corner')[0]
    code = (f'import sys\n{prelude}\nfrom adaptcls.cli.explain import main\n'
            f'main([{corner_ir!r}, {image!r}, "--out", {str(out)!r}])\nprint(sorted(sys.modules))')
    return subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_explaining_an_ir_needs_no_pytorch(corner_model, corner_ir, tmp_path):
    result = _run_explain(corner_model, corner_ir, tmp_path / 'maps', '')
    assert result.returncode == 0, result.stderr
    modules = eval(result.stdout.splitlines()[-1])
    assert 'openvino' in modules and not {'torch', 'mmengine', 'torchcam'} & set(modules)


def test_explaining_an_ir_without_openvino_names_the_fix(corner_model, corner_ir, tmp_path):
    result = _run_explain(corner_model, corner_ir, tmp_path / 'maps', 'sys.modules["openvino"] = None')
    assert result.returncode != 0
    assert 'needs the package "openvino"' in result.stderr and "pip install -e '.[deploy]'" in result.stderr


def _synthetic_ir(folder, kind: str) -> str:
    """A two-class IR with adaptcls's metadata, built op by op (random weights, 16 x 16 input): 'cnn' (two
    convolutions, a global pooling, a linear head), 'transformer' (patches as tokens, averaged: no pooled NCHW map),
    'small' (the last map 1 x 1) or 'skip' (the head also pools the first convolution's map)."""
    import openvino
    from openvino import opset13 as ops

    from adaptcls.deployment.export.openvino_ir import save_ir
    from adaptcls.deployment.runtime.ir_metadata import IRMetadata
    rng = np.random.default_rng(0)
    image = ops.parameter([-1, 16, 16, 3], openvino.Type.u8, name='input')
    pixels = ops.transpose(ops.convert(image, 'f32'), np.array([0, 3, 1, 2]))

    def conv(inputs, stride):
        weights = rng.normal(size=(8, inputs.get_output_partial_shape(0)[1].get_length(), 3, 3)).astype(np.float32)
        return ops.relu(ops.convolution(inputs, weights, [stride, stride], [1, 1], [1, 1], [1, 1]))

    first = conv(pixels, 16 if kind == 'small' else 2)
    if kind == 'transformer':
        tokens = ops.transpose(ops.reshape(first, np.array([-1, 8, 64]), False), np.array([0, 2, 1]))
        pooled = ops.reduce_mean(tokens, np.array([1]), keep_dims=False)
    else:
        last = first if kind == 'small' else conv(first, 2)
        pooled = ops.reduce_mean(last, np.array([-1, -2]), keep_dims=False)
        if kind == 'skip':
            pooled = ops.concat([pooled, ops.reduce_mean(first, np.array([2, 3]), keep_dims=False)], 1)
    head = rng.normal(size=(pooled.get_output_partial_shape(0)[1].get_length(), 2)).astype(np.float32)
    probabilities = ops.softmax(ops.matmul(pooled, head, False, False), 1)
    probabilities.output(0).get_tensor().set_names({'probabilities'})
    model = openvino.Model([probabilities], [image], kind)
    IRMetadata(labels=['a', 'b'], input_size=(16, 16), mean=[0.0] * 3, std=[1.0] * 3).write_to(model)
    xml = str(folder / f'{kind}.xml')
    save_ir(model, xml)
    return xml


@pytest.mark.parametrize('kind, message', [
    ('transformer', r'has no global pooling of an \(N, C, H, W\) feature map: Recipro-CAM explains CNNs, not this '
                    r'model \(e.g. a vision transformer\). Explain the checkpoint it was exported from instead: '
                    r'`adaptcls explain CHECKPOINT.pth IMAGES...`'),
    ('small', r'the last feature map is 1 x 1 at the IR\'s input size.*export again with a larger input '
              r'\(tools/deploy.py export --input-size H W'),
    ('skip', r'the classifier head reads more than the last feature map.*explain the checkpoint instead')])
def test_an_ir_recipro_cam_cannot_explain_is_refused_with_the_fix(tmp_path, kind, message):
    from adaptcls.deployment.runtime.ir_saliency import IRSaliencyExplainer
    from adaptcls.deployment.runtime.recipro_cam import SaliencyUnsupportedError
    from adaptcls.errors import UserInputError
    xml = _synthetic_ir(tmp_path, kind)
    with pytest.raises(SaliencyUnsupportedError, match=f'OpenVINO IR "{xml}"(: | ){message}') as raised:
        IRSaliencyExplainer(xml)
    assert isinstance(raised.value, UserInputError)


def test_a_synthetic_cnn_ir_is_explained_in_batches(tmp_path):
    """The branch works for any CNN IR (here one built op by op), and a batch of N images gives N maps, each the one
    its image alone gives."""
    from adaptcls.deployment.runtime.ov_core import shared_core
    from adaptcls.deployment.runtime.recipro_cam import SALIENCY_OUTPUT_NAME, add_saliency_output
    model = shared_core().read_model(_synthetic_ir(tmp_path, 'cnn'))
    assert add_saliency_output(model) == (4, 4)
    compiled = shared_core().compile_model(model, 'CPU', {})
    images = np.random.default_rng(1).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    together = np.asarray(compiled(images)[SALIENCY_OUTPUT_NAME])
    assert together.shape == (3, 2, 4, 4)
    for index in range(3):
        alone = np.asarray(compiled(images[index:index + 1])[SALIENCY_OUTPUT_NAME])[0]
        np.testing.assert_allclose(together[index], alone, atol=1e-5)
        assert np.allclose(alone.min((1, 2)), 0) and np.allclose(alone.max((1, 2)), 1, atol=1e-5)
