"""ClsMetric end to end through mmengine's Evaluator, with ClsDataSample predictions."""
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from adaptcls.evaluation import ClsMetric
from adaptcls.registry import METRICS
from adaptcls.structures import ClsDataSample

# The five-sample, three-class example of test_functional.py: true-class ranks 1, 1, 1, 2, 3.
SCORES = torch.tensor([[0.7, 0.2, 0.1],
                       [0.1, 0.6, 0.3],
                       [0.2, 0.3, 0.5],
                       [0.5, 0.4, 0.1],
                       [0.3, 0.6, 0.1]])
LABELS = [0, 1, 2, 1, 2]
# top1 = 3/5; top2 = 4/5; top5 with only 3 classes = 1; balanced top1 = (1 + 1/2 + 1/2) / 3;
# mAP = (1 + 1 + 1 + 1/2 + 1/3) / 5 = 23/30; class_AP = (1 + 7/12 + 7/10) / 3 = 137/180.
EXPECTED = {'top1': 0.6, 'top2': 0.8, 'top5': 1.0, 'balanced_top1': 2 / 3, 'mAP': 23 / 30,
            'class_AP': 137 / 180}


def make_samples(scores=SCORES, labels=LABELS):
    return [ClsDataSample(metainfo=dict(img_path=f'img_{index}.png'))
            .set_pred_score(score).set_gt_label(label)
            for index, (score, label) in enumerate(zip(scores, labels))]


def run_evaluator(evaluator, batches, size):
    for batch in batches:
        evaluator.process(data_samples=batch)
    return evaluator.evaluate(size)


def test_evaluator_builds_cls_metric_from_config_and_reports_hand_computed_values():
    with DefaultScope.overwrite_default_scope('adaptcls'):
        evaluator = Evaluator([dict(type='ClsMetric', topk=(1, 2, 5))])
    samples = make_samples()
    metrics = run_evaluator(evaluator, [samples[:2], samples[2:]], size=5)
    assert set(metrics) == set(EXPECTED)
    for key, value in EXPECTED.items():
        assert isinstance(metrics[key], float)
        assert metrics[key] == pytest.approx(value), key


def test_default_topk_reports_top1_and_top5():
    metric = METRICS.build(dict(type='ClsMetric'))
    assert isinstance(metric, ClsMetric)
    metrics = run_evaluator(Evaluator([metric]), [make_samples()], size=5)
    assert sorted(metrics) == sorted(['top1', 'top5', 'balanced_top1', 'mAP', 'class_AP'])


def test_padded_samples_beyond_the_dataset_size_are_dropped():
    # A distributed sampler pads the last batch; BaseMetric's collection keeps the first `size`.
    samples = make_samples()
    padding = make_samples(scores=[torch.tensor([0.0, 0.0, 1.0])], labels=[0])
    metrics = run_evaluator(Evaluator([ClsMetric()]), [samples, padding], size=5)
    assert metrics['top1'] == pytest.approx(0.6)


def test_interpolated_class_ap_option():
    # VOC2010+ envelope on the example: (1 + 2/3 + 7/10) / 3 = 71/90.
    metrics = run_evaluator(Evaluator([ClsMetric(class_ap_interpolated=True)]),
                            [make_samples()], size=5)
    assert metrics['class_AP'] == pytest.approx(71 / 90)


def test_prefix_is_prepended_to_the_keys():
    metrics = run_evaluator(Evaluator([ClsMetric(prefix='val')]), [make_samples()], size=5)
    assert metrics['val/top1'] == pytest.approx(0.6)


def test_process_stores_cpu_copies():
    metric = ClsMetric()
    metric.process(None, [sample.to_dict() for sample in make_samples()])
    assert len(metric.results) == 5
    assert metric.results[3]['gt_label'].item() == 1
    assert torch.equal(metric.results[3]['pred_score'], SCORES[3])
    assert metric.results[3]['pred_score'].device.type == 'cpu'


def test_unlabelled_sample_raises_a_clear_error():
    unlabelled = ClsDataSample(metainfo=dict(img_path='test/cat.png')).set_pred_score(SCORES[0])
    evaluator = Evaluator([ClsMetric()])
    message = 'test/cat.png has no gt_label: the evaluation set has no labels'
    with pytest.raises(ValueError, match=message):
        evaluator.process(data_samples=[unlabelled])


def test_sample_without_prediction_raises():
    sample = ClsDataSample().set_gt_label(1)
    with pytest.raises(ValueError, match='has no pred_score'):
        ClsMetric().process(None, [sample.to_dict()])


def test_empty_results_raise():
    with pytest.raises(ValueError, match='no samples'):
        ClsMetric().compute_metrics([])


@pytest.mark.parametrize('topk', [(), (0, ), (1, 2.5), -1, True])
def test_bad_topk_is_rejected(topk):
    with pytest.raises(ValueError, match='ClsMetric topk'):
        ClsMetric(topk=topk)
