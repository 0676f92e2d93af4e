"""ConfusionMatrixPlot: an evaluator entry that writes the matrix and reports no values."""
import json

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from adaptcls.evaluation.metrics import ConfusionMatrixPlot
from adaptcls.registry import METRICS
from adaptcls.structures import ClsDataSample


def _samples(pairs):
    """ClsDataSample predictions for (predicted, true) pairs over 3 classes."""
    samples = []
    for predicted, true in pairs:
        score = torch.full((3,), 0.1)
        score[predicted] = 0.8
        samples.append(ClsDataSample().set_gt_label(true).set_pred_score(score))
    return samples


def test_evaluator_writes_the_matrix_of_all_batches_and_reports_nothing(tmp_path):
    out = tmp_path / 'cm.png'
    with DefaultScope.overwrite_default_scope('adaptcls'):
        evaluator = Evaluator([dict(type='ClsMetric', topk=(1,)),
                               dict(type='ConfusionMatrixPlot', out_file=str(out))])
    evaluator.dataset_meta = dict(classes=('a', 'b', 'c'))
    evaluator.process(_samples([(0, 0), (1, 0)]))
    evaluator.process(_samples([(2, 2), (2, 1)]))
    metrics = evaluator.evaluate(4)
    assert set(metrics) == {'top1', 'balanced_top1', 'mAP', 'class_AP'}
    written = json.loads((tmp_path / 'cm.json').read_text())
    assert written['classes'] == ['a', 'b', 'c']
    assert written['counts'] == [[1, 1, 0], [0, 0, 1], [0, 0, 1]]
    assert out.stat().st_size > 1000


def test_it_is_registered_and_refuses_a_non_png_name():
    assert METRICS.get('ConfusionMatrixPlot') is ConfusionMatrixPlot
    with pytest.raises(ValueError, match='ConfusionMatrixPlot out_file.*cm.txt'):
        ConfusionMatrixPlot(out_file='cm.txt')


def test_unlabelled_samples_are_refused(tmp_path):
    metric = ConfusionMatrixPlot(out_file=str(tmp_path / 'cm.png'))
    sample = ClsDataSample(metainfo=dict(img_path='x.png')).set_pred_score(torch.tensor([0.2, 0.8]))
    with pytest.raises(ValueError, match='x.png has no gt_label'):
        metric.process(None, [sample.to_dict()])


def test_class_names_are_required(tmp_path):
    metric = ConfusionMatrixPlot(out_file=str(tmp_path / 'cm.png'))
    metric.process(None, [sample.to_dict() for sample in _samples([(0, 0)])])
    with pytest.raises(ValueError, match="metainfo\\['classes'\\]"):
        metric.evaluate(1)
