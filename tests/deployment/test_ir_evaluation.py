"""IR evaluation over a folder split with adaptcls's metric functions."""
import json
import os
import shutil

import numpy as np
import pytest

from adaptcls.deployment.runtime.ir_evaluation import evaluate_ir, ir_metrics


def test_metrics_hand_computed():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]], np.float32)
    labels = np.array([0, 1, 2, 2])
    metrics = ir_metrics(probabilities, labels)
    assert metrics['top1'] == pytest.approx(2 / 4)
    assert metrics['top5'] == pytest.approx(1.0)
    assert metrics['balanced_top1'] == pytest.approx((1 + 0 + 0.5) / 3)
    assert metrics['mAP'] == pytest.approx((1 + 1 / 2 + 1 + 1 / 2) / 4)  # mean 1/rank of the true class


def test_evaluate_matches_the_export_figure(exported):
    result = evaluate_ir(f'{exported["out"]}/model_int8.xml', exported['data_root'], 'val')
    assert result['images'] == 360
    with open(f'{exported["out"]}/export.json') as stream:
        summary = json.load(stream)
    assert result['metrics']['top1'] == pytest.approx(summary['int8']['int8_top1'], abs=1e-6)
    exact = evaluate_ir(f'{exported["out"]}/model.xml', exported['data_root'],
                        config={'INFERENCE_PRECISION_HINT': 'f32'})
    assert exact['inference_precision'] == 'f32'
    assert exact['metrics']['top1'] == pytest.approx(summary['int8']['fp32_top1'], abs=1e-6)
    assert set(result['metrics']) == {'top1', 'top5', 'balanced_top1', 'mAP', 'class_AP'}


def test_split_with_other_classes_is_refused(exported, tmp_path):
    (tmp_path / 'val' / 'cat').mkdir(parents=True)
    source = os.path.join(exported['data_root'], 'val', '0')
    shutil.copy(os.path.join(source, sorted(os.listdir(source))[0]), tmp_path / 'val' / 'cat')
    with pytest.raises(ValueError, match='cat'):
        evaluate_ir(f'{exported["out"]}/model.xml', str(tmp_path))
