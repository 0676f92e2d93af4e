"""IRClassifier: top-k labels of image files with OpenVINO, numpy and Pillow only."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from adaptcls.deployment.runtime.ir_classifier import IRClassifier
from tests.deployment.real_images import pytorch_on_val
from tests.deployment.shared_model import REPO


def test_labels_of_image_files_follow_pytorch(exported):
    reference = pytorch_on_val(exported)
    # f32: on a CPU with AVX-512 BF16 OpenVINO runs an FP32 IR in bf16 by default, which can flip a near tie of
    # this tiny 3-epoch model; the test is about preprocessing and labels, not about bf16 rounding.
    classifier = IRClassifier(f'{exported["out"]}/model.xml', config={'INFERENCE_PRECISION_HINT': 'f32'})
    paths = reference['paths'][::20]  # 10 images across the classes
    results = classifier.classify_files(paths, topk=3)
    expected = [reference['classes'][index] for index in reference['logits'][::20].argmax(1)]
    assert [top[0][0] for top in results] == expected
    truth = [reference['classes'][label] for label in reference['labels'][::20]]
    assert sum(p == t for p, t in zip(expected, truth)) >= 8
    for top in results:
        assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1] > 0


def test_other_sizes_and_modes_are_resized_and_converted(exported, tmp_path):
    classifier = IRClassifier(f'{exported["out"]}/model.xml')
    image = Image.open(pytorch_on_val(exported)['paths'][0]).convert('L').resize((64, 64), Image.NEAREST)
    image.save(tmp_path / 'big.png')
    top = classifier.classify_files([str(tmp_path / 'big.png')], topk=10)[0]
    assert sorted(label for label, _ in top) == [str(digit) for digit in range(10)]
    assert sum(probability for _, probability in top) == pytest.approx(1.0, abs=1e-3)
    assert classifier.prepare(np.zeros((64, 48, 3), np.uint8)).shape == (32, 32, 3)


def test_missing_files_are_clear_errors(exported, tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.xml'):
        IRClassifier(str(tmp_path / 'nope.xml'))
    with pytest.raises(FileNotFoundError, match='nope.png'):
        IRClassifier(f'{exported["out"]}/model.xml').classify_files([str(tmp_path / 'nope.png')])


def test_inference_module_does_not_import_torch():
    code = ('import sys; import adaptcls.deployment.runtime.ir_classifier; '
            'from adaptcls.deployment import IRClassifier; '
            'assert "torch" not in sys.modules and "mmengine" not in sys.modules, "heavy import"')
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=REPO))
    assert result.returncode == 0, result.stderr
