"""A tiny version of the adaptive recipe (SAM, warmup, ReduceLROnPlateauV2 with early stopping, mutual learning,
AugMix) that trains in about a second per epoch on 2 CPU cores, for the reliability tests."""
import os.path as osp

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ADAPTIVE_CONFIG = osp.join(REPO, 'configs', 'mnv3_small_adaptive.py')
TINY_BACKBONE = dict(type='TimmBackbone', model_name='mobilenetv3_small_050', pretrained=False)
TINY_FEATURES = 1024  # pre-logits width of timm mobilenetv3_small_050
IMAGE_SIZE = 32


def tiny_adaptive_config(data_root: str, max_epochs: int = 8, batch_size: int = 12) -> Config:
    """configs/mnv3_small_adaptive.py shrunk: untrained mobilenetv3_small_050 students, 32 px, 1 warmup
    epoch, patience 1, a 1/10 lr floor, no LR search (one drop reaches it) and early-stopping patience 1, so a few epochs
    show warmup, a forced drop and early stopping; deterministic, no dataloader workers."""
    cfg = Config.fromfile(ADAPTIVE_CONFIG)
    for student in (cfg.model.fast, cfg.model.slow):
        student.backbone = dict(TINY_BACKBONE)
        student.head.in_channels = TINY_FEATURES
    for key, resize_index in (('train_dataloader', 2), ('val_dataloader', 1)):
        loader = cfg[key]
        loader.update(batch_size=batch_size, num_workers=0, persistent_workers=False)
        loader.dataset.data_root = data_root
        loader.dataset.pipeline[resize_index].size = IMAGE_SIZE
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_epochs = max_epochs
    cfg.custom_hooks[0].update(warmup_epochs=1, patience=1, min_lr_ratio=0.1, early_stop_patience=1)
    cfg.auto_scale_lr = dict(enable=False, base_batch_size=batch_size)
    cfg.lr_search.auto_lr = None  # train at the config's lr (the LR search has tests of its own)
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.default_hooks.logger.interval = 1
    return cfg
