"""One real dataset, one trained tiny model and one export, shared by the deployment tests.

The digits demo data (real images) is written with tools/make_demo_data.py; a
mobilenetv3_small_050 is trained on it at 32 px with tools/train.py, and exported with
tools/deploy.py (ONNX, FP32 IR, INT8 IR). Each is built once per pytest process (cached here,
because both tests/deployment and tests/tools use them).
"""
import contextlib
import os.path as osp
import runpy

import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(REPO, 'tools', 'train.py')
DEPLOY = osp.join(REPO, 'tools', 'deploy.py')
MAKE_DATA = osp.join(REPO, 'tools', 'make_demo_data.py')
INPUT_SIZE = 32
EPOCHS = 3
_cache = {}


def run_tool(script: str, *args: str) -> None:
    """Runs a tool's main() in this process (fast: torch is already imported)."""
    runpy.run_path(script, run_name='adaptcls_tool')['main'](list(args))


@contextlib.contextmanager
def flushing_denormals():
    """Treats float denormals as zero while training from scratch: the first ~75 steps otherwise
    produce denormals that make the CPU ~20x slower (110 s instead of 12 s; same losses here)."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def tiny_config() -> Config:
    """mobilenetv3_small_050 from scratch at 32 px, 3 epochs of SGD, validation at the end only."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'mnv3_small_baseline.py'))
    cfg.model.backbone.update(model_name='mobilenetv3_small_050', pretrained=False, pretrained_tag=None)
    pipeline = [dict(type='LoadImage'), dict(type='Resize', size=INPUT_SIZE), dict(type='PackClsInputs')]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(batch_size=32, num_workers=0, persistent_workers=False)
        cfg[key].dataset.pipeline = pipeline
    cfg.train_cfg.update(max_epochs=EPOCHS, val_interval=EPOCHS)
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=EPOCHS, by_epoch=True, begin=0, end=EPOCHS,
                                convert_to_iter_based=True)]
    cfg.optim_wrapper.optimizer.lr = 0.05
    cfg.auto_scale_lr = dict(enable=False, base_batch_size=32)
    cfg.default_hooks.logger.interval = 50
    return cfg


def digits_data(tmp_path_factory) -> str:
    """The digits demo tree (train/ and val/, 32x32 grey PNGs, 10 classes)."""
    if 'data' not in _cache:
        root = str(tmp_path_factory.mktemp('digits') / 'digits')
        run_tool(MAKE_DATA, '--out', root)
        _cache['data'] = root
    return _cache['data']


def trained_model(tmp_path_factory) -> dict:
    """config, checkpoint and data_root of the trained tiny model."""
    if 'model' not in _cache:
        data = digits_data(tmp_path_factory)
        folder = tmp_path_factory.mktemp('trained')
        config = str(folder / 'tiny_digits.py')
        tiny_config().dump(config)
        with flushing_denormals():
            run_tool(TRAIN, config, '--data-root', data, '--work-dir', str(folder / 'work'), '--seed', '0')
        _cache['model'] = dict(config=config, checkpoint=str(folder / 'work' / f'epoch_{EPOCHS}.pth'),
                               data_root=data)
    return _cache['model']


def exported_model(tmp_path_factory) -> dict:
    """trained_model plus ``out``: the folder `tools/deploy.py export --int8` wrote."""
    if 'export' not in _cache:
        model = trained_model(tmp_path_factory)
        out = str(tmp_path_factory.mktemp('export'))
        run_tool(DEPLOY, 'export', model['config'], model['checkpoint'], '--out', out,
                 '--data-root', model['data_root'], '--int8', '--calib', '300')
        _cache['export'] = dict(model, out=out)
    return _cache['export']
