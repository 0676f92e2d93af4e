"""build_config: the one config builder of every tool (modes, input size, resume, checkpoint modes)."""
import os

import pytest

from adaptcls.config import build_config, config_input_size, set_input_size
from tests.tools.conftest import REPO, tiny_data  # noqa: F401

ADAPTIVE = os.path.join(REPO, 'configs', 'effnet_lite0_adaptive.py')
TIMM = os.path.join(REPO, 'configs', 'effnet_lite0_timm_defaults.py')


def _sizes(cfg, loader):
    return [step['size'] for step in cfg[loader].dataset.pipeline if 'size' in step]


def test_img_size_scales_every_pipeline(tiny_data, tmp_path):  # noqa: F811
    cfg = build_config(ADAPTIVE, 'train', data_root=tiny_data, work_dir=str(tmp_path), img_size=96)
    assert _sizes(cfg, 'train_dataloader') == [96]
    assert _sizes(cfg, 'val_dataloader') == [96] and _sizes(cfg, 'test_dataloader') == [96]
    assert config_input_size(cfg) == 96


def test_img_size_keeps_a_resize_and_centre_crop_ratio(tiny_data, tmp_path):  # noqa: F811
    cfg = build_config(TIMM, 'train', data_root=tiny_data, work_dir=str(tmp_path), img_size=64)
    assert _sizes(cfg, 'val_dataloader') == [73, 64]  # 256 / 224 * 64 = 73.1, then the 64 px crop


def test_a_bad_img_size_is_refused(tiny_data, tmp_path):  # noqa: F811
    cfg = build_config(ADAPTIVE, 'train', data_root=tiny_data, work_dir=str(tmp_path))
    with pytest.raises(ValueError, match='whole number of pixels'):
        set_input_size(cfg, 0)


def test_training_fills_num_classes_and_the_work_dir(tiny_data, tmp_path):  # noqa: F811
    cfg = build_config(ADAPTIVE, 'train', data_root=tiny_data, work_dir=str(tmp_path / 'run'),
                       cfg_options={'train_cfg.max_epochs': 3})
    assert cfg.model.head.num_classes == 3 and cfg.train_cfg.max_epochs == 3  # tiny_data: 3 classes
    assert cfg.work_dir == str(tmp_path / 'run') and not cfg.get('resume')


def test_the_default_work_dirs(tiny_data):  # noqa: F811
    assert build_config(ADAPTIVE, 'train', data_root=tiny_data).work_dir == 'work_dirs/effnet_lite0_adaptive'
    assert build_config(ADAPTIVE, 'test', data_root=tiny_data).work_dir == 'work_dirs/effnet_lite0_adaptive/test'


def test_checkpoint_modes_load_nothing_else():
    cfg = build_config(ADAPTIVE, 'export', cfg_options={'load_from': 'x.pth'})  # no data needed
    assert cfg.load_from is None and cfg.resume is False
    assert cfg.model.backbone.pretrained is False and cfg.model.head.num_classes is None


def test_a_bare_resume_without_a_run_is_refused_before_the_data_is_read(tmp_path):
    with pytest.raises(FileNotFoundError, match='holds no run to resume'):
        build_config(ADAPTIVE, 'train', data_root=str(tmp_path / 'no_data'), work_dir=str(tmp_path), resume='auto')


def test_resume_is_for_training_only(tiny_data):  # noqa: F811
    with pytest.raises(ValueError, match='resume applies to training only'):
        build_config(ADAPTIVE, 'test', data_root=tiny_data, resume='x.pth')


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        build_config(ADAPTIVE, 'deploy')
