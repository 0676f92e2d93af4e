"""The recipe benchmark's ablations: the adaptive recipe with one thing changed, in one place.

None of them became the default: each lost to it, tied over the epoch budget, or is a pilot whose figures are not in
yet (docs/benchmarks.md has every measurement and the command that produced it). They stay runnable as rows of
``benchmarks/recipe_benchmark.py --recipes NAME`` so that a figure in the docs can be reproduced; a new default is
measured against them the same way.
"""
from typing import Dict

from mmengine.config import Config

from benchmarks.common.recipe_rows import ADAPTIVE, Recipe

PLATEAU_HOOK = 'ReduceLROnPlateauV2'
"""The adaptive schedule's hook, found by its type (not by its position in ``custom_hooks``)."""


def plateau_hook(cfg: Config) -> dict:
    """The config's ReduceLROnPlateauV2 entry of ``custom_hooks``."""
    return next(hook for hook in cfg.custom_hooks if str(hook['type']).split('.')[-1] == PLATEAU_HOOK)


def _linear_head(cfg: Config) -> None:
    cfg.model.head = dict(type='LinearClsHead', num_classes=cfg.model.head.num_classes, in_channels=1280,
                          loss=dict(type='CrossEntropyLoss'))


def _plain_sgd(cfg: Config) -> None:
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg.optim_wrapper.pop('rho', None)
    cfg.optim_wrapper.pop('adaptive', None)


def _no_augmix(cfg: Config) -> None:
    cfg.train_dataloader.dataset.pipeline = [step for step in cfg.train_dataloader.dataset.pipeline
                                             if step['type'] != 'AugMix']


def _augmix_severity_3(cfg: Config) -> None:
    """AugMix at the AugMix paper's severity 3 instead of the recipe's 5 (width, depth and alpha unchanged)."""
    cfg.train_dataloader.dataset.pipeline = [dict(step, severity=3) if step['type'] == 'AugMix' else step
                                             for step in cfg.train_dataloader.dataset.pipeline]


def _batch_32(cfg: Config) -> None:
    """Training batch 32 instead of 64; ``auto_scale_lr`` (base 64) scales the lr linearly."""
    cfg.train_dataloader.update(batch_size=32)


def _patience_3(cfg: Config) -> None:
    """A plateau patience of 3 evaluations instead of 2 before each LR drop (early-stop patience unchanged)."""
    plateau_hook(cfg).update(patience=3)


def _batch_32_patience_3(cfg: Config) -> None:
    """:func:`_batch_32` with :func:`_patience_3`."""
    _batch_32(cfg)
    _patience_3(cfg)


LABEL_SMOOTHING = 0.1
"""Label smoothing eps of the ``adaptive_label_smoothing`` row: Bag of Tricks' (and timm's default) value."""


def _label_smoothing(cfg: Config) -> None:
    """The AM-Softmax head's cross-entropy with label smoothing :data:`LABEL_SMOOTHING` (the margin is unchanged)."""
    cfg.model.head.update(loss=dict(type='CrossEntropyLoss', label_smoothing=LABEL_SMOOTHING))


EMA_MOMENTUM = 0.05
"""Weight of the newest weights in the ``adaptive_ema`` row's moving average, per iteration: a horizon of about
20 iterations, one epoch of the benchmark's 1,000-1,437-image sets at batch 64 (16-23 iterations)."""


def _weight_ema(cfg: Config) -> None:
    """mmengine's EMAHook: validation, the plateau drops, early stopping and the checkpoints all see an exponential
    moving average of the weights (BatchNorm statistics included) with momentum :data:`EMA_MOMENTUM`."""
    cfg.custom_hooks.append(dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=EMA_MOMENTUM,
                                 update_buffers=True))


DROP_PATH_RATE = 0.2
"""Stochastic depth of the ``adaptive_drop_path`` row: the EfficientNet paper's drop-connect rate (Tan & Le 2019,
survival probability 0.8), which timm's EfficientNet recipes train with."""


def _drop_path(cfg: Config) -> None:
    """Stochastic depth in the backbone's residual blocks (timm's ``drop_path_rate``) at :data:`DROP_PATH_RATE`."""
    cfg.model.backbone.update(drop_path_rate=DROP_PATH_RATE)


def _random_resized_crop(cfg: Config) -> None:
    """The weak crop (p 0.3, area 0.9-1) and the resize become timm's RandomResizedCrop (area 0.08-1)."""
    steps = []
    for step in cfg.train_dataloader.dataset.pipeline:
        if step['type'] == 'RandomCrop':
            continue
        if step['type'] == 'Resize':
            step = dict(type='RandomResizedCrop', size=step['size'], scale=(0.08, 1.0))
        steps.append(step)
    cfg.train_dataloader.dataset.pipeline = steps


def _resolution_aware_crop(cfg: Config) -> None:
    """The weak crop becomes ResolutionAwareCrop: a random-resized crop never smaller than the input for photos
    larger than it, the same weak crop for the others (so digits, Fashion-MNIST and CIFAR-10 train as before)."""
    pipeline = cfg.train_dataloader.dataset.pipeline
    size = next(step['size'] for step in pipeline if step['type'] == 'Resize')
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='ResolutionAwareCrop', size=size, prob=step['prob'], scale=step['scale'])
        if step['type'] == 'RandomCrop' else step for step in pipeline]


def _head_weight_decay(cfg: Config) -> None:
    """The AM-Softmax class weights get the weight decay of every other weight (the default before 2026-12-02)."""
    del cfg.optim_wrapper.paramwise_cfg.custom_keys['head.fc.weight']


def _mutual_lite0(cfg: Config) -> None:
    """The MobileNetV3 recipe's mutual learning (configs/_base_/models/mnv3_mutual.py) with EfficientNet-Lite0
    students, whose ImageNet weights work offline: a fast linear-head student (the evaluated one) and a slow
    AM-Softmax one, at the EfficientNet LR range."""
    num_classes = cfg.model.head.num_classes
    backbone = cfg.model.backbone
    cfg.model = dict(
        type='MutualLearningClassifier', kl_weight=1.0, data_preprocessor=cfg.model.data_preprocessor,
        fast=dict(backbone=dict(backbone), head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=1280,
                                                       dropout=0.2, loss=dict(type='CrossEntropyLoss'))),
        slow=dict(backbone=dict(backbone), head=dict(cfg.model.head)))


ABLATIONS: Dict[str, Recipe] = {
    'adaptive_am_paper_scale': Recipe(ADAPTIVE, "adaptive, AM-Softmax scale 'auto' with the paper's floor 3",
                                      edit=lambda cfg: cfg.model.head.update(scale='auto', auto_scale_floor=3.0)),
    'adaptive_no_margin': Recipe(ADAPTIVE, 'adaptive, AM-Softmax margin 0',
                                 edit=lambda cfg: cfg.model.head.update(margin=0.0)),
    'adaptive_margin_0.5': Recipe(ADAPTIVE, "adaptive, AM-Softmax margin 0.5, larger than the AM-Softmax paper's 0.35",
                                  edit=lambda cfg: cfg.model.head.update(margin=0.5)),
    'adaptive_linear_head': Recipe(ADAPTIVE, 'adaptive with a linear head + CE instead of AM-Softmax',
                                   edit=_linear_head),
    'adaptive_no_sam': Recipe(ADAPTIVE, 'adaptive with plain SGD instead of SAM', edit=_plain_sgd),
    'adaptive_no_augmix': Recipe(ADAPTIVE, 'adaptive without AugMix', edit=_no_augmix),
    'adaptive_no_head_dropout': Recipe(ADAPTIVE, 'adaptive without the dropout 0.2 before the AM-Softmax head (the '
                                       'default before 2026-12-02 03:40 UTC)',
                                       edit=lambda cfg: cfg.model.head.update(dropout=0.0)),
    'adaptive_head_decay': Recipe(ADAPTIVE, "adaptive with weight decay on the AM-Softmax class weights (the paper's "
                                  'code exempted them, as the default does)', edit=_head_weight_decay),
    'adaptive_rrc': Recipe(ADAPTIVE, "adaptive with timm's RandomResizedCrop (area 0.08-1) instead of the weak crop",
                           edit=_random_resized_crop),
    'adaptive_resolution_crop': Recipe(ADAPTIVE, 'adaptive with the resolution-aware crop (random-resized, never '
                                       'below the input size, on photos larger than the input)',
                                       edit=_resolution_aware_crop),
    'adaptive_mutual_lite0': Recipe(ADAPTIVE, 'the MobileNetV3 recipe (mutual learning: linear + AM-Softmax '
                                    'students) with EfficientNet-Lite0 students', edit=_mutual_lite0),
    'adaptive_train_loss_monitor': Recipe(ADAPTIVE, "adaptive with the paper's train-loss monitor for the drops",
                                          edit=lambda cfg: plateau_hook(cfg).update(monitor='train_loss')),
    'adaptive_warmup_5': Recipe(ADAPTIVE, "adaptive with the paper's 5 warmup epochs instead of 2",
                                edit=lambda cfg: plateau_hook(cfg).update(warmup_epochs=5)),
    'adaptive_sam_rho_0.1': Recipe(ADAPTIVE, "adaptive with SAM rho 0.1 instead of the SAM paper's 0.05",
                                   edit=lambda cfg: cfg.optim_wrapper.update(rho=0.1)),
    'adaptive_asam_rho_2': Recipe(ADAPTIVE, 'adaptive with ASAM (scale-invariant neighbourhood) at rho 2, the '
                                  'value of the davda54/sam example for the same no-eta formulation',
                                  edit=lambda cfg: cfg.optim_wrapper.update(adaptive=True, rho=2.0)),
    'adaptive_batch_32': Recipe(ADAPTIVE, 'adaptive at batch 32 instead of 64 (lr scaled linearly by auto_scale_lr): '
                                'twice the SGD steps per epoch and half the range test epochs', edit=_batch_32),
    'adaptive_augmix_severity_3': Recipe(ADAPTIVE, "adaptive with AugMix at the AugMix paper's severity 3 instead of 5",
                                         edit=_augmix_severity_3),
    'adaptive_batch_32_patience_3': Recipe(ADAPTIVE, 'adaptive at batch 32 with plateau patience 3: the epochs '
                                           'batch 32 saves spent on longer plateaus', edit=_batch_32_patience_3),
    'adaptive_patience_3': Recipe(ADAPTIVE, 'adaptive with plateau patience 3 evaluations instead of 2 before each LR '
                                  'drop (early-stop patience unchanged; 1 is replayed by benchmarks/stopping_replay.py)',
                                  edit=_patience_3),
    'adaptive_min_lr_200': Recipe(ADAPTIVE, "adaptive with the paper's LR floor lr / 200 (a third drop, by 2) instead "
                                  'of lr / 100', edit=lambda cfg: plateau_hook(cfg).update(min_lr_ratio=1 / 200)),
    'adaptive_label_smoothing': Recipe(ADAPTIVE, 'adaptive with label smoothing eps 0.1 (Bag of Tricks) in the '
                                       "AM-Softmax head's cross-entropy", edit=_label_smoothing),
    'adaptive_ema': Recipe(ADAPTIVE, f'adaptive evaluated on a moving average of its weights (EMA momentum '
                           f'{EMA_MOMENTUM:g} per iteration, about one epoch)', edit=_weight_ema),
    'adaptive_drop_path': Recipe(ADAPTIVE, f'adaptive with stochastic depth {DROP_PATH_RATE:g} in the backbone (the '
                                 'EfficientNet paper\'s rate)', edit=_drop_path),
    'adaptive_smoothed_monitor': Recipe(ADAPTIVE, 'adaptive with the drops read from a moving average of val top-1 '
                                        '(ReduceLROnPlateauV2 smoothing 0.5)',
                                        edit=lambda cfg: plateau_hook(cfg).update(smoothing=0.5)),
}
"""ablation name -> Recipe (each an ``adaptive_*`` row of the recipe benchmark)."""
