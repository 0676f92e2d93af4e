"""A real mmengine Runner around a linear model on random vectors with a scripted validation metric: fast
enough (well under a second per run) to test loops and hooks through real training, checkpoints and resume."""
import itertools
from typing import Dict, List, Optional

import torch
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

CLASSES = ('a', 'b')
_names = itertools.count()


class RandomVectors(Dataset):
    """Eight fixed random 4-vectors, two batches of four."""

    metainfo = dict(classes=CLASSES)

    def __init__(self) -> None:
        self.inputs = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.inputs[index])


class LinearModel(BaseModel):
    """A 4 -> 2 linear layer; the loss is the mean squared output."""

    num_classes = len(CLASSES)

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, self.num_classes)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        outputs = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=(outputs ** 2).mean())
        return [dict(logits=row) for row in outputs]


class ScriptedTop1(BaseMetric):
    """Reports ``top1_by_epoch[runner.epoch]`` (the epoch just trained)."""

    def __init__(self, top1_by_epoch: Dict[int, float]) -> None:
        super().__init__()
        self.top1_by_epoch = top1_by_epoch
        self.runner: Optional[Runner] = None

    def process(self, data_batch, data_samples) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results) -> dict:
        return dict(top1=self.top1_by_epoch[self.runner.epoch])


class ValidationRecorder(Hook):
    """Records the epoch of every validation, and stops training after validating ``stop_after``."""

    def __init__(self, stop_after: Optional[int] = None) -> None:
        self.epochs: List[int] = []
        self.stop_after = stop_after

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.epochs.append(runner.epoch)
        if runner.epoch == self.stop_after:
            runner.train_loop.stop_training = True


def build_toy_runner(work_dir, top1_by_epoch: Dict[int, float], max_epochs: int,
                     loop: str = 'ResumableEpochBasedTrainLoop', val_interval: int = 1,
                     checkpoint: Optional[dict] = None, custom_hooks: Optional[list] = None,
                     **kwargs) -> Runner:
    """A Runner with the toy model and data, ``CheckpointHook``-style saving every epoch (``checkpoint``
    overrides the hook config) and the scripted metric; ``kwargs`` go to ``Runner``."""
    loader = dict(dataset=RandomVectors(), sampler=dict(type='DefaultSampler', shuffle=True),
                  batch_size=4, collate_fn=dict(type='default_collate'))
    train_cfg = dict(max_epochs=max_epochs, val_interval=val_interval)
    train_cfg.update(type=loop) if loop != 'mmengine' else train_cfg.update(by_epoch=True)
    metric = ScriptedTop1(top1_by_epoch)
    runner = Runner(
        model=LinearModel(), work_dir=str(work_dir), experiment_name=f'toy_runner_{next(_names)}',
        train_dataloader=loader, val_dataloader=loader, val_evaluator=Evaluator([metric]),
        train_cfg=train_cfg, val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        default_hooks=dict(
            checkpoint=checkpoint or dict(type='AtomicCheckpointHook', interval=1, save_best='top1',
                                          rule='greater', backend_args=dict(backend='adaptcls_atomic_local')),
            logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=custom_hooks, default_scope='adaptcls', log_level='WARNING',
        randomness=dict(seed=0), **kwargs)
    metric.runner = runner
    return runner
