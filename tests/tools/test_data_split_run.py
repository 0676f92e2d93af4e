"""A data folder with class folders and no val/: tools/train.py splits it (seeded, stratified, recorded in the work
dir), and tools/test.py and the export evaluate the same held-out images."""
import json
import os.path as osp
import shutil

import pytest

from adaptcls.deployment.export.model_loader import load_classifier
from adaptcls.deployment.dataset_images import config_split
from tests.tools.conftest import CLASSES, tiny_config
from tests.tools.test_train_and_test import TEST, TRAIN, run_tool


@pytest.fixture(scope='module')
def flat_run(tiny_data, tmp_path_factory):
    """tiny_data's images as one folder of class folders, trained for 2 epochs with a quarter held out."""
    tmp = tmp_path_factory.mktemp('flat')
    data = tmp / 'data'
    for name in CLASSES:  # train/ and val/ images of each class in one class folder
        for split in ('train', 'val'):
            shutil.copytree(osp.join(tiny_data, split, name), data / name / split)
    config = tmp / 'tiny.py'
    tiny_config(max_epochs=2).dump(str(config))
    work_dir = tmp / 'work'
    run_tool(TRAIN, str(config), '--data-root', str(data), '--work-dir', str(work_dir), '--seed', '0',
             '--val-fraction', '0.25', '--split-seed', '3')
    return dict(config=str(config), data=str(data), work_dir=work_dir)


def test_training_records_the_split_it_validated_on(flat_run):
    record = json.loads((flat_run['work_dir'] / 'data_split' / 'split.json').read_text())
    assert (record['val_fraction'], record['seed']) == (0.25, 3)
    assert record['counts']['val'] == {name: 3 for name in CLASSES}  # 12 images per class, a quarter held out
    summary = json.loads((flat_run['work_dir'] / 'summary.json').read_text())
    assert summary['epochs_run'] == 2 and summary['num_classes'] == 3


def test_test_tool_evaluates_the_held_out_part_and_reproduces_the_best_metrics(flat_run, tmp_path):
    summary = json.loads((flat_run['work_dir'] / 'summary.json').read_text())
    out = tmp_path / 'metrics.json'
    run_tool(TEST, flat_run['config'], str(flat_run['work_dir'] / 'best.pth'), '--data-root', flat_run['data'],
             '--out', str(out), '--work-dir', str(tmp_path / 'test'))
    metrics = json.loads(out.read_text())['metrics']
    assert metrics['top1'] == pytest.approx(summary['best_metrics']['top1'], abs=1e-6)


def test_export_reads_the_same_held_out_images(flat_run):
    loaded = load_classifier(flat_run['config'], str(flat_run['work_dir'] / 'best.pth'), flat_run['data'])
    held_out = config_split(loaded.cfg, 'test_dataloader', (32, 32))
    listed = (flat_run['work_dir'] / 'data_split' / 'val.txt').read_text().splitlines()[1:]
    assert len(held_out) == len(listed) == 9


@pytest.mark.parametrize('balance', ['sampler', 'loss'])
def test_training_with_balance(tiny_data, tmp_path, balance, capsys):
    config = tmp_path / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(config))
    run_tool(TRAIN, str(config), '--data-root', tiny_data, '--work-dir', str(tmp_path / 'work'), '--balance', balance)
    out = capsys.readouterr().out
    assert 'training set: 24 images in 3 classes (circle 8, square 8, stripes 8)' in out
    assert f'class_balance {balance}:' in out
    assert json.loads((tmp_path / 'work' / 'summary.json').read_text())['epochs_run'] == 1
