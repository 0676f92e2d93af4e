"""Class counts before training, the imbalance warning, and --balance sampler|loss on real recipe configs."""
import os

import pytest

from adaptcls.config import build_config
from adaptcls.config.class_balance import apply_class_balance, class_count_report
from tests.datasets.test_data_split import make_class_folders
from tests.tools.conftest import REPO

ADAPTIVE = os.path.join(REPO, 'configs', 'effnet_lite0_adaptive.py')
MUTUAL = os.path.join(REPO, 'configs', 'mnv3_large_adaptive.py')


def test_counts_are_listed_and_a_ten_to_one_imbalance_is_warned_about():
    balanced = class_count_report(['ant', 'bee'], [0] * 9 + [1] * 1)
    assert balanced[0] == 'training set: 10 images in 2 classes (ant 9, bee 1)' and len(balanced) == 1
    warned = class_count_report(['ant', 'bee'], [0] * 10 + [1] * 1)
    assert warned[1].startswith('warning: the classes are very imbalanced (largest / smallest = 10)')
    assert '--balance sampler' in warned[1]
    many = class_count_report([f'c{index}' for index in range(30)], [index for index in range(30) for _ in range(2)])
    assert 'smallest c0 2, median 2, largest' in many[0]


def test_balance_loss_puts_balanced_weights_in_every_head(tmp_path):
    data = tmp_path / 'data'
    for split in ('train', 'val'):
        make_class_folders(data / split, {'ant': 30, 'bee': 10})
    cfg = build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(tmp_path / 'run'),
                       cfg_options={'class_balance': 'loss'})
    assert cfg.model.head.loss.class_weight == [pytest.approx(40 / (2 * 30)), pytest.approx(40 / (2 * 10))]
    mutual = build_config(MUTUAL, 'export')
    apply_class_balance(mutual, 'loss', [0, 0, 0, 1], 2)
    assert mutual.model.fast.head.loss.class_weight == mutual.model.slow.head.loss.class_weight == [
        pytest.approx(4 / 6), pytest.approx(2.0)]


def test_balance_sampler_and_bad_values(tmp_path):
    cfg = build_config(ADAPTIVE, 'export')
    apply_class_balance(cfg, 'sampler', [0, 1], 2)
    assert cfg.train_dataloader.sampler == dict(type='ClassBalancedSampler')
    with pytest.raises(ValueError, match="must be one of \\('sampler', 'loss'\\)"):
        apply_class_balance(cfg, 'oversample', [0, 1], 2)
    cfg.model.head.loss = dict(type='FocalLoss')
    with pytest.raises(ValueError, match='use --balance sampler'):
        apply_class_balance(cfg, 'loss', [0, 1], 2)
