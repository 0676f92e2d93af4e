"""LRSearchSettings: config section, defaults, command-line overrides and refused values."""
import pytest
from mmengine.config import Config

from adaptcls.lr_search import LRSearchSettings, trial_setting_keys
from tests.tools.conftest import REPO


def test_model_base_configs_set_the_paper_ranges():
    effnet = LRSearchSettings.from_config(Config.fromfile(f'{REPO}/configs/effnet_lite0_demo.py'))
    mnv3 = LRSearchSettings.from_config(Config.fromfile(f'{REPO}/configs/mnv3_large_baseline.py'))
    assert effnet.lr_range == (0.001, 0.010) and mnv3.lr_range == (0.005, 0.029)
    assert effnet.lr_step == mnv3.lr_step == 0.001
    # everything else: the recipe defaults of the dataclass
    assert (mnv3.tpe_trials, mnv3.tpe_epochs, mnv3.grid_points, mnv3.grid_epochs) == (15, 6, 10, 9)
    assert (mnv3.range_test_warmup_epochs, mnv3.range_test_smooth_beta,
            mnv3.range_test_diverge_factor) == (0.5, 0.98, 4.0)


def test_overrides_win_and_none_keeps_the_config_value():
    cfg = dict(lr_search=dict(lr_range=(0.001, 0.01), tpe_trials=4))
    settings = LRSearchSettings.from_config(cfg, lr_range=[0.002, 0.02], tpe_trials=None, grid_points=3)
    assert settings.lr_range == (0.002, 0.02) and settings.tpe_trials == 4 and settings.grid_points == 3
    assert settings.trials('grid') == 3 and settings.epochs('tpe') == 6
    assert trial_setting_keys('grid') == ('grid_points', 'grid_epochs')


@pytest.mark.parametrize('section, message', [
    (dict(lr_range=(0.001, 0.01), trials=3), 'Unknown key'),
    (dict(), '--range LOW HIGH'),
    (dict(lr_range=(0.01, 0.001)), 'LOW < HIGH'),
    (dict(lr_range=(0.001, 0.002), lr_step=0.01), 'lr_step'),
    (dict(lr_range=(0.001, 0.01), range_test_rule='minimum'), 'range_test_rule'),
    (dict(lr_range=(0.001, 0.01), grid_points=1), 'grid_points'),
    (dict(lr_range=(0.001, 0.01), range_test_warmup_epochs=-0.5), 'range_test_warmup_epochs must be >= 0'),
])
def test_bad_values_name_the_key(section, message):
    with pytest.raises(ValueError, match=message):
        LRSearchSettings.from_config(dict(lr_search=section))


def test_auto_lr_mode_resolution():
    from mmengine.config import Config

    from adaptcls.lr_search import auto_lr_mode
    searching = Config(dict(lr_search=dict(auto_lr='range_test')))
    assert auto_lr_mode(searching) == 'range_test'
    assert auto_lr_mode(searching, requested='tpe') == 'tpe'
    assert auto_lr_mode(searching, disabled=True) is None
    assert auto_lr_mode(Config(dict(lr_search=dict(lr_range=(0.001, 0.01))))) is None
    assert auto_lr_mode(Config(dict())) is None
    with pytest.raises(ValueError, match='contradict'):
        auto_lr_mode(searching, requested='grid', disabled=True)
    with pytest.raises(ValueError, match='lr_search.auto_lr must be one of'):
        auto_lr_mode(Config(dict(lr_search=dict(auto_lr='sgdr'))))


def test_the_deprecated_fastai_names_still_work_with_a_warning():
    from adaptcls.lr_search.lr_search_settings import canonical_mode
    with pytest.warns(FutureWarning, match='fastai_max_sweep_epochs is deprecated: use lr_search.range_test_max'):
        settings = LRSearchSettings.from_config(dict(lr_search=dict(
            lr_range=(0.001, 0.01), fastai_max_sweep_epochs=3.0, auto_lr='fastai')))
    assert settings.range_test_max_sweep_epochs == 3.0 and settings.auto_lr == 'range_test'
    with pytest.warns(FutureWarning, match='--mode "fastai" is deprecated: use "range_test"'):
        assert canonical_mode('fastai', '--mode') == 'range_test'
    with pytest.raises(ValueError, match='sets both fastai_skip_end \\(deprecated\\) and range_test_skip_end'):
        LRSearchSettings.from_config(dict(lr_search=dict(lr_range=(0.001, 0.01), fastai_skip_end=2,
                                                         range_test_skip_end=3)))
    with pytest.raises(ValueError, match='must be one of'):
        canonical_mode('lr_find')
