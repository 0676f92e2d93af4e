"""OpenVINO's Model API (``openvino-model-api``) reads an exported IR's rt_info ``model_info`` and classifies image
files exactly as adaptcls's own runtime (``tools/deploy.py predict``) does: same labels, same top label, same
probability. Wrong ``model_info`` values, or none, break that agreement (the negative controls below)."""
import gc
import os
import re
import shutil
import warnings

import numpy as np
import openvino as ov
import pytest
from PIL import Image

model_api_models = pytest.importorskip(
    'model_api.models', reason='openvino-model-api is not installed: pip install -e ".[deploy]" '
    '(requirements/deploy.txt; it needs Python >= 3.11)')
model_api_adapters = pytest.importorskip('model_api.adapters', reason='openvino-model-api is not installed')
model_api_model = pytest.importorskip('model_api.models.model', reason='openvino-model-api is not installed')
cv2 = pytest.importorskip('cv2', reason='opencv (a dependency of openvino-model-api) is not installed')

from adaptcls.deployment.export.model_api_info import MODEL_INFO_SECTION, model_api_labels  # noqa: E402
from adaptcls.deployment.runtime.ir_classifier import IRClassifier, read_rgb_image  # noqa: E402
from adaptcls.deployment.runtime.ir_files import read_ir  # noqa: E402
from adaptcls.deployment.runtime.ov_core import shared_core  # noqa: E402
from adaptcls.deployment.runtime.prediction import predict_files  # noqa: E402
from tests.deployment.real_images import pytorch_on_val  # noqa: E402

ClassificationModel = model_api_models.ClassificationModel
EXACT = {'INFERENCE_PRECISION_HINT': 'f32'}
"""Both runtimes compute in f32, so the comparison does not depend on a CPU's bf16 default."""
PROBABILITY_TOLERANCE = 1e-5
"""Largest difference of the top probability between the Model API and our runtime (measured: at most 3e-7)."""
IMAGE_STEP = 20
"""Every 20th of the 200 validation images of ``pytorch_on_val``: 10 images, one per digit."""
TINTS = ((1.0, 0.55, 0.2), (0.25, 0.7, 1.0), (0.9, 0.2, 0.65))
"""Per-channel gains (R, G, B) that colour the grey digits, so an image read as BGR differs from it read as RGB."""
SIZES = ((32, 32), (45, 57), (80, 24))
"""(height, width) of the test images: the model size, and two others both runtimes resize from."""
WRONG_MODEL_INFO = (
    ('mean_values', '123.675 116.28 103.53'),  # normalise a second time in front of the graph
    ('scale_values', '58.395 57.12 57.375'),
    ('reverse_input_channels', 'False'),  # feed the Model API's BGR image to an RGB graph
    ('resize_type', 'fit_to_window'),  # keep the aspect ratio and pad, unlike training's Resize
)
"""model_info values that make the Model API preprocess unlike adaptcls: each must break the agreement."""
IR_FILES = ('model.xml', 'model_int8.xml')


@pytest.fixture(scope='module')
def colour_images(exported, tmp_path_factory) -> list:
    """Image files made from real validation digits: coloured, and of the model size and other sizes."""
    folder = tmp_path_factory.mktemp('colour_images')
    paths = []
    for index, source in enumerate(pytorch_on_val(exported)['paths'][::IMAGE_STEP]):
        pixels = np.asarray(Image.open(source).convert('RGB'), np.float32) * np.float32(TINTS[index % len(TINTS)])
        height, width = SIZES[index % len(SIZES)]
        image = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8)).resize((width, height),
                                                                                         Image.BICUBIC)
        paths.append(str(folder / f'{index}.png'))
        image.save(paths[-1])
    return paths


def _ours(xml_path: str, paths: list) -> list:
    """(label, probability) of the top class of each image, as ``tools/deploy.py predict`` computes it."""
    classifier = IRClassifier(xml_path, config=EXACT)
    predictions = predict_files(paths, lambda path: classifier.prepare(read_rgb_image(path)), classifier.predict,
                                classifier.labels, topk=1, batch_size=len(paths))
    return [prediction.top[0] for prediction in predictions]


def _model_api(xml_path: str, paths: list, model_type=None) -> tuple:
    """The Model API model of ``xml_path`` (type from its model_info unless given) and its top (label,
    probability) of each image, read with ``cv2.imread`` (BGR) as a Model API application does."""
    # the process's one Core (adaptcls/deployment/runtime/ov_core.py), not a Core per model
    adapter = model_api_adapters.OpenvinoAdapter(shared_core(), xml_path, device='CPU', plugin_config=EXACT)
    model = ClassificationModel.create_model(adapter, model_type=model_type)
    tops = []
    for path in paths:
        label = model(cv2.imread(path, cv2.IMREAD_COLOR)).top_labels[0]
        tops.append((label.name, float(label.confidence)))
    return model, tops


def _disagreement(ours: list, theirs: list) -> float:
    """Largest top-probability difference; infinite when a top label differs."""
    if [label for label, _ in ours] != [label for label, _ in theirs]:
        return float('inf')
    return max(abs(mine - other) for (_, mine), (_, other) in zip(ours, theirs))


def _copy_ir(xml_path: str, folder, edit) -> str:
    """A copy of the IR in ``folder`` whose .xml text went through ``edit`` (the .bin copied unchanged)."""
    target = os.path.join(folder, os.path.basename(xml_path))
    with open(xml_path, encoding='utf-8') as stream:
        text = edit(stream.read())
    with open(target, 'w', encoding='utf-8') as stream:
        stream.write(text)
    shutil.copyfile(os.path.splitext(xml_path)[0] + '.bin', os.path.splitext(target)[0] + '.bin')
    return target


@pytest.mark.parametrize('ir_file', IR_FILES)
def test_model_info_is_written_and_the_seal_still_verifies(exported, ir_file):
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # an unsealed IR would only warn
        model = read_ir(os.path.join(exported['out'], ir_file))
    info = {key: model.get_rt_info([MODEL_INFO_SECTION, key]).astype(str) for key in
            ('model_type', 'labels', 'mean_values', 'scale_values', 'reverse_input_channels', 'resize_type',
             'embedded_processing')}
    assert info == dict(model_type='Classification', labels=' '.join(str(digit) for digit in range(10)),
                        mean_values='0 0 0', scale_values='1 1 1', reverse_input_channels='True',
                        resize_type='standard', embedded_processing='False')
    assert model.get_rt_info(['adaptcls', 'precision']).astype(str) == ('INT8' if 'int8' in ir_file else 'FP32')


@pytest.mark.parametrize('ir_file', IR_FILES)
def test_model_api_classifies_like_our_runtime(exported, colour_images, ir_file):
    xml_path = os.path.join(exported['out'], ir_file)
    model, theirs = _model_api(xml_path, colour_images)
    ours = _ours(xml_path, colour_images)
    assert isinstance(model, ClassificationModel)
    assert model.params.labels == pytorch_on_val(exported)['classes']
    assert [label for label, _ in theirs] == [label for label, _ in ours]
    assert _disagreement(ours, theirs) <= PROBABILITY_TOLERANCE
    assert len({label for label, _ in ours}) > 1  # the images are not all one class: labels are really compared


def test_the_documented_example_runs(exported, colour_images):
    model = ClassificationModel.create_model(os.path.join(exported['out'], 'model.xml'), device='CPU')
    label = model(cv2.imread(colour_images[0])).top_labels[0]
    ours = IRClassifier(os.path.join(exported['out'], 'model.xml')).classify_files(colour_images[:1], topk=1)[0][0]
    assert label.name == ours[0] and float(label.confidence) == pytest.approx(ours[1], abs=1e-3)
    del model
    gc.collect()  # the example's own Core goes now, while the process's shared Core outlives it (ov_core.py)


@pytest.mark.parametrize('key, wrong', WRONG_MODEL_INFO)
def test_wrong_model_info_breaks_the_agreement(exported, colour_images, tmp_path, key, wrong):
    xml_path = os.path.join(exported['out'], 'model.xml')
    model = ov.Core().read_model(xml_path)
    model.set_rt_info(wrong, [MODEL_INFO_SECTION, key])
    ov.save_model(model, str(tmp_path / 'wrong.xml'), compress_to_fp16=False)
    _, theirs = _model_api(str(tmp_path / 'wrong.xml'), colour_images)
    assert _disagreement(_ours(xml_path, colour_images), theirs) > PROBABILITY_TOLERANCE


def test_without_model_info_the_model_api_cannot_classify_like_us(exported, colour_images, tmp_path):
    section = re.compile(rf'\s*<{MODEL_INFO_SECTION}>.*?</{MODEL_INFO_SECTION}>', re.DOTALL)
    stripped = _copy_ir(os.path.join(exported['out'], 'model.xml'), tmp_path, lambda text: section.sub('', text))
    with pytest.raises(model_api_model.WrapperError, match='no model with name'):
        ClassificationModel.create_model(stripped, device='CPU')  # the model type is unknown
    model, theirs = _model_api(stripped, colour_images, model_type='Classification')
    assert not model.params.labels
    assert _disagreement(_ours(os.path.join(exported['out'], 'model.xml'), colour_images), theirs) > \
        PROBABILITY_TOLERANCE


def test_labels_with_spaces_reach_the_model_api_as_one_name_each():
    with pytest.warns(UserWarning, match='golden retriever'):
        text = model_api_labels(['golden retriever', 'cat', 'sea\tlion'])
    assert ClassificationModel.parameters()['labels'].from_str(text) == ['golden_retriever', 'cat', 'sea_lion']
