"""Training values that cannot work are refused by key and value before anything runs (not a ZeroDivisionError or a
TypeError deep inside mmengine or torch)."""
import pytest
from mmengine.config import Config

from adaptcls.config import ConfigKeyError, check_training_values
from tests.tools.conftest import REPO


@pytest.mark.parametrize('key, value, expected', [
    ('train_dataloader.batch_size', 0, 'train_dataloader.batch_size must be a whole number >= 1, got 0'),
    ('train_cfg.val_interval', 0, 'train_cfg.val_interval must be a whole number >= 1, got 0'),
    ('optim_wrapper.optimizer.weight_decay', 'abc', "weight_decay must be a number >= 0, got 'abc'"),
    ('optim_wrapper.optimizer.momentum', 'abc', "momentum must be a number >= 0, got 'abc'"),
    ('randomness.seed', 'abc', "randomness.seed must be a whole number or None, got 'abc'"),
])
def test_a_value_that_cannot_work_is_refused_by_key(key, value, expected):
    cfg = Config.fromfile(f'{REPO}/configs/effnet_lite0_demo.py')
    cfg.merge_from_dict({key: value})
    with pytest.raises(ConfigKeyError, match=expected):
        check_training_values(cfg)


@pytest.mark.parametrize('text, seconds', [('90s', 90), ('30m', 1800), ('2h', 7200), ('1h30m', 5400), ('0.5h', 1800)])
def test_time_limit_durations(text, seconds):
    from adaptcls.config.option_values import parse_duration
    assert parse_duration(text) == seconds


@pytest.mark.parametrize('text', ['30', 'abc', '10x', '0m', 'm'])
def test_a_time_limit_without_a_unit_or_length_is_refused(text):
    from adaptcls.config.option_values import parse_duration
    with pytest.raises(ValueError, match='duration|longer than 0'):
        parse_duration(text)
