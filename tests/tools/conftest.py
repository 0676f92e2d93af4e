"""Shared fixtures for the tool tests: tiny real-image folder data and a small, fast config."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ('circle', 'square', 'stripes')


def _draw(kind: str, rng: np.random.Generator, size: int = 32) -> np.ndarray:
    """A noisy 32x32 RGB image of one of three easy-to-tell patterns."""
    img = rng.integers(0, 40, (size, size, 3)).astype(np.uint8)
    yy, xx = np.mgrid[:size, :size]
    if kind == 'circle':
        mask = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 3) ** 2
    elif kind == 'square':
        mask = (abs(yy - size / 2) < size / 4) & (abs(xx - size / 2) < size / 4)
    else:
        mask = (xx // 4) % 2 == 0
    img[mask] = (220, 200, 60)
    return img


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """data_root with train/ (8 per class) and val/ (4 per class) PNG class folders."""
    root = tmp_path_factory.mktemp('tiny_data')
    rng = np.random.default_rng(0)
    for split, count in (('train', 8), ('val', 4)):
        for name in CLASSES:
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(count):
                Image.fromarray(_draw(name, rng)).save(folder / f'{index}.png')
    return str(root)


def tiny_config(base: str = 'configs/effnet_lite0_baseline.py', max_epochs: int = 2) -> Config:
    """A recipe config shrunk to a tiny untrained model at 32 px, CPU, no workers."""
    cfg = Config.fromfile(osp.join(REPO, base))
    cfg.model.backbone.update(model_name='mobilenetv3_small_050', pretrained=False)
    cfg.model.backbone.pop('pretrained_tag', None)
    cfg.model.head.in_channels = 1024
    train_pipeline = [
        dict(type='LoadImage'), dict(type='Resize', size=32),
        dict(type='RandomHorizontalFlip', prob=0.5), dict(type='PackClsInputs')]
    test_pipeline = [dict(type='LoadImage'), dict(type='Resize', size=32), dict(type='PackClsInputs')]
    cfg.train_pipeline, cfg.test_pipeline = train_pipeline, test_pipeline
    for key, pipeline in (('train_dataloader', train_pipeline), ('val_dataloader', test_pipeline),
                          ('test_dataloader', test_pipeline)):
        cfg[key].update(batch_size=4, num_workers=0, persistent_workers=False)
        cfg[key].dataset.pipeline = pipeline
    cfg.train_cfg.max_epochs = max_epochs
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
                                end=max_epochs, convert_to_iter_based=True)]
    cfg.optim_wrapper.optimizer.lr = 0.01
    cfg.auto_scale_lr = dict(enable=False, base_batch_size=4)
    cfg.default_hooks.logger.interval = 1
    return cfg


@pytest.fixture
def write_config(tmp_path):
    """Writes a Config to a .py file in tmp_path and returns its path."""
    def _write(cfg: Config, name: str = 'tiny_config.py') -> str:
        path = tmp_path / name
        cfg.dump(str(path))
        return str(path)
    return _write
