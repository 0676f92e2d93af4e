"""tools/test.py: --confusion-matrix, and checkpoints of nested-backbone models tested without pretrained weights."""
import json
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope

from adaptcls.registry import MODELS
from tests.tools.conftest import CLASSES, tiny_config
from tests.tools.test_train_and_test import TEST, run_tool

MISSING_WEIGHTS = '/nonexistent/pretrained_weights.pth'
"""A pretrained source that fails wherever the backbone tries to read it (unlike a hub download)."""


def mutual_learning_config(pretrained):
    """The tiny config as Deep Mutual Learning of two students whose backbones use ``pretrained``."""
    cfg = tiny_config(max_epochs=1)
    backbone = dict(cfg.model.backbone, pretrained=pretrained)
    cfg.model = dict(type='MutualLearningClassifier', data_preprocessor=cfg.model.data_preprocessor,
                     fast=dict(backbone=backbone, head=cfg.model.head),
                     slow=dict(backbone=dict(backbone),
                               head=dict(type='AMSoftmaxHead', num_classes=None, in_channels=1024)))
    return cfg


@pytest.fixture(scope='module')
def mutual_run(tiny_data, tmp_path_factory):
    """A checkpoint of an untrained mutual-learning model (random weights: the tests need predictions,
    not good ones) and a test config whose backbones name pretrained weights that do not exist."""
    tmp = tmp_path_factory.mktemp('mutual')
    model_cfg = mutual_learning_config(pretrained=False).model
    for student in (model_cfg.fast, model_cfg.slow):
        student.head.num_classes = len(CLASSES)
    with DefaultScope.overwrite_default_scope('adaptcls'):
        model = MODELS.build(model_cfg)
    checkpoint = tmp / 'model.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(classes=CLASSES))), checkpoint)
    test_config = tmp / 'test.py'
    mutual_learning_config(pretrained=MISSING_WEIGHTS).dump(str(test_config))
    return dict(config=str(test_config), checkpoint=str(checkpoint), data=tiny_data)


def test_nested_backbones_do_not_load_pretrained_weights_and_the_matrix_matches_top1(mutual_run, tmp_path):
    out, work_dir = tmp_path / 'metrics.json', tmp_path / 'test'
    run_tool(TEST, mutual_run['config'], mutual_run['checkpoint'], '--data-root', mutual_run['data'],
             '--work-dir', str(work_dir), '--out', str(out), '--confusion-matrix')
    result = json.loads(out.read_text())
    png = osp.join(str(work_dir), 'confusion_matrix.png')
    assert result['confusion_matrix'] == png
    with open(png, 'rb') as stream:
        assert stream.read(8) == b'\x89PNG\r\n\x1a\n'
    matrix = json.loads((work_dir / 'confusion_matrix.json').read_text())
    assert matrix['classes'] == ['circle', 'square', 'stripes']
    assert [sum(row) for row in matrix['counts']] == [4, 4, 4]  # 4 val images per class
    assert matrix['correct'] == sum(matrix['counts'][index][index] for index in range(3))
    assert matrix['correct'] / 12 == pytest.approx(result['metrics']['top1'], abs=1e-6)


def test_confusion_matrix_file_is_added_to_a_list_of_evaluators(mutual_run, tmp_path, write_config):
    cfg = mutual_learning_config(pretrained=MISSING_WEIGHTS)
    cfg.test_evaluator = [dict(type='ClsMetric', topk=(1, ))]
    png = tmp_path / 'plots' / 'cm.png'
    run_tool(TEST, write_config(cfg), mutual_run['checkpoint'], '--data-root', mutual_run['data'],
             '--work-dir', str(tmp_path / 'test'), '--out', str(tmp_path / 'metrics.json'),
             '--confusion-matrix', str(png))
    assert png.stat().st_size > 1000 and (tmp_path / 'plots' / 'cm.json').is_file()
    assert set(json.loads((tmp_path / 'metrics.json').read_text())['metrics']) == {
        'top1', 'balanced_top1', 'mAP', 'class_AP'}


def test_a_confusion_matrix_name_that_is_not_png_is_refused_before_testing(mutual_run, tmp_path):
    with pytest.raises(ValueError, match='--confusion-matrix writes a PNG.*cm.pdf'):
        run_tool(TEST, mutual_run['config'], mutual_run['checkpoint'], '--data-root', mutual_run['data'],
                 '--work-dir', str(tmp_path / 'test'), '--confusion-matrix', str(tmp_path / 'cm.pdf'))
    assert not (tmp_path / 'test').exists()
