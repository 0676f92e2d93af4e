"""add_vis_backends (the ``--vis`` option): backends added once beside LocalVisBackend, unknown names and missing
packages refused with the fix."""
import os.path as osp
import sys
import types

import pytest
from mmengine.config import Config

from adaptcls.config import VIS_BACKEND_NAMES, add_vis_backends, build_config
from tests.tools.conftest import REPO, tiny_data  # noqa: F401

TENSORBOARD_MODULES = ('tensorboardX', 'torch.utils.tensorboard')
"""What mmengine's TensorboardVisBackend logs with; hiding both makes TensorBoard missing."""


def _config(tmp_path, **visualizer) -> Config:
    cfg = Config(dict(work_dir=str(tmp_path / 'work')))
    if visualizer:
        cfg.visualizer = dict(type='Visualizer', **visualizer)
    return cfg


def _types(cfg: Config) -> list:
    return [backend['type'] for backend in cfg.visualizer.vis_backends]


@pytest.fixture
def no_tensorboard(monkeypatch):
    """Makes every module TensorBoard logging can use fail to import, as on a machine without the package."""
    for module in TENSORBOARD_MODULES:
        monkeypatch.setitem(sys.modules, module, None)


@pytest.fixture
def fake_mlflow(monkeypatch):
    """An importable ``mlflow`` (the config entry is tested without the heavy package)."""
    monkeypatch.setitem(sys.modules, 'mlflow', types.ModuleType('mlflow'))


def test_tensorboard_is_added_beside_the_local_backend(tmp_path):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend')])
    add_vis_backends(cfg, ['tensorboard'])
    assert _types(cfg) == ['LocalVisBackend', 'TensorboardVisBackend']
    assert 'save_dir' not in cfg.visualizer.vis_backends[1]  # the Runner's log folder in the work dir


def test_a_config_without_visualizer_keeps_mmengines_local_backend(tmp_path):
    cfg = _config(tmp_path)
    add_vis_backends(cfg, ['tensorboard'])
    assert cfg.visualizer.type == 'Visualizer' and _types(cfg) == ['LocalVisBackend', 'TensorboardVisBackend']


def test_a_backend_is_not_added_twice(tmp_path):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend'), dict(type='mmengine.TensorboardVisBackend')])
    add_vis_backends(cfg, ['tensorboard', 'tensorboard'])
    add_vis_backends(cfg, ['tensorboard'])
    assert _types(cfg) == ['LocalVisBackend', 'mmengine.TensorboardVisBackend']


def test_no_names_change_nothing(tmp_path):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend')])
    add_vis_backends(cfg, ())
    assert _types(cfg) == ['LocalVisBackend']


def test_an_unknown_name_is_refused_with_the_known_ones(tmp_path):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend')])
    with pytest.raises(ValueError, match="unknown backend 'wandb'; the known ones are tensorboard, mlflow"):
        add_vis_backends(cfg, ['tensorboard', 'wandb'])
    assert _types(cfg) == ['LocalVisBackend'] and VIS_BACKEND_NAMES == ('tensorboard', 'mlflow')


def test_missing_tensorboard_names_the_extra(tmp_path, no_tensorboard):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend')])
    with pytest.raises(ValueError) as error:
        add_vis_backends(cfg, ['tensorboard'])
    assert str(error.value).startswith(
        "--vis tensorboard needs the tensorboard package: pip install -e '.[tensorboard]'")
    assert _types(cfg) == ['LocalVisBackend']  # refused before the config changed


def test_a_config_level_backend_is_checked_too(tmp_path, no_tensorboard):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
    with pytest.raises(ValueError, match=r"visualizer.vis_backends has TensorboardVisBackend, which needs the "
                                         r"tensorboard package: pip install -e '\.\[tensorboard\]'"):
        add_vis_backends(cfg, ())


def test_a_config_without_a_tracker_needs_no_tracker_package(tmp_path, no_tensorboard):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend')])
    add_vis_backends(cfg, ())  # no TensorBoard asked for: its absence is fine
    assert _types(cfg) == ['LocalVisBackend']


def test_missing_mlflow_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'mlflow', None)
    with pytest.raises(ValueError, match=r"--vis mlflow needs the mlflow package: pip install -e '\.\[mlflow\]'"):
        add_vis_backends(_config(tmp_path), ['mlflow'])


def test_mlflow_logs_to_a_database_in_the_work_dir(tmp_path, fake_mlflow):
    cfg = _config(tmp_path, vis_backends=[dict(type='LocalVisBackend')])
    add_vis_backends(cfg, ['mlflow', 'tensorboard'])
    assert _types(cfg) == ['LocalVisBackend', 'MLflowVisBackend', 'TensorboardVisBackend']
    mlflow = cfg.visualizer.vis_backends[1]
    work_dir = osp.abspath(cfg.work_dir)
    assert mlflow['tracking_uri'] == f'sqlite:///{work_dir}/mlflow.db' and mlflow['exp_name'] == 'work'
    assert mlflow['artifact_location'] == osp.join(work_dir, 'mlflow_artifacts')
    assert tuple(mlflow['artifact_suffix']) == ()  # close() uploads no work-dir files


def test_the_config_key_passes_the_config_checks(tiny_data, tmp_path):  # noqa: F811
    config = tmp_path / 'with_tensorboard.py'
    config.write_text(f"_base_ = ['{osp.join(REPO, 'configs', 'effnet_lite0_baseline.py')}']\n"
                      "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
                      "dict(type='TensorboardVisBackend')])\n")
    cfg = build_config(str(config), 'train', data_root=tiny_data, work_dir=str(tmp_path / 'work'))
    add_vis_backends(cfg, ['tensorboard'])
    assert cfg.visualizer.type == 'Visualizer' and _types(cfg) == ['LocalVisBackend', 'TensorboardVisBackend']
