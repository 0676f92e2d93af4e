"""The model the saliency tests explain (tests/explain/corner_data.py: a white patch top left decides the class),
trained once per pytest process, and its OpenVINO IR."""
import os
import runpy

import pytest

from tests.explain.corner_data import SIZE, write_corner_data
from tests.tools.conftest import REPO, tiny_config


@pytest.fixture(scope='session')
def corner_model(tmp_path_factory):
    """A tiny model trained to tell 'corner' (a white patch top left) from 'plain' images at 128 px (a 4 x 4 last map):
    its checkpoint and validation folder."""
    root = tmp_path_factory.mktemp('corner')
    write_corner_data(root / 'data')
    cfg = tiny_config(max_epochs=6)
    pipeline = [dict(type='LoadImage'), dict(type='Resize', size=SIZE), dict(type='PackClsInputs')]  # no flip
    cfg.train_pipeline = cfg.test_pipeline = pipeline
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.pipeline = pipeline
        cfg[key].batch_size = 8
    config = str(root / 'corner.py')
    cfg.dump(config)
    work_dir = root / 'work'
    runpy.run_path(os.path.join(REPO, 'tools', 'train.py'), run_name='adaptcls_tool')['main'](
        [config, '--data-root', str(root / 'data'), '--work-dir', str(work_dir), '--no-auto-lr', '--seed', '0'])
    return dict(checkpoint=str(work_dir / 'best.pth'), config=config, data=root / 'data', val=root / 'data' / 'val')


@pytest.fixture(scope='session')
def corner_ir(corner_model, tmp_path_factory):
    """The corner model exported (ONNX and the FP32 IR, checked on 20 validation images): the IR's .xml path."""
    from adaptcls.deployment.export.exporter import ExportOptions, export_checkpoint
    out = tmp_path_factory.mktemp('corner_export')
    export_checkpoint(corner_model['config'], corner_model['checkpoint'], str(out),
                      ExportOptions(data_root=str(corner_model['data']), verify_images=20))
    return str(out / 'model.xml')
