"""Imbalanced training sets: the class counts shown before training, a warning when they are very uneven, and the
opt-in remedies of the top-level ``class_balance`` key (``--balance``): a class-balanced sampler or a class-weighted
loss."""
from collections import Counter
from typing import List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from sklearn.utils.class_weight import compute_class_weight

from adaptcls.errors import UserInputError
from .option_values import BALANCE_MODES

IMBALANCE_WARN_RATIO = 10.0
"""The ratio of the largest to the smallest class count from which the counts are reported as very imbalanced (a
10:1 ratio is where the literature on class imbalance, e.g. Buda et al. 2018, starts to see plain training lose
accuracy on the rare classes)."""
LISTED_CLASSES_MAX = 20
"""Up to this many classes the counts are listed one by one; above, as smallest / median / largest."""
HEAD_TYPES = ('LinearClsHead', 'AMSoftmaxHead')
"""Heads whose ``loss`` (a ``CrossEntropyLoss``) takes the class weights."""


def class_count_report(classes: Sequence[str], labels: Sequence[int]) -> List[str]:
    """Lines for the user: images per class of the training set, and a warning when very imbalanced."""
    counts = Counter(labels)
    per_class = [(name, counts.get(index, 0)) for index, name in enumerate(classes)]
    if len(per_class) <= LISTED_CLASSES_MAX:
        listed = ', '.join(f'{name} {count}' for name, count in per_class)
    else:
        ordered = sorted(per_class, key=lambda item: item[1])
        median = ordered[len(ordered) // 2]
        listed = (f'smallest {ordered[0][0]} {ordered[0][1]}, median {median[1]}, largest {ordered[-1][0]} '
                  f'{ordered[-1][1]}')
    lines = [f'training set: {len(labels)} images in {len(classes)} classes ({listed})']
    smallest, largest = min(count for _, count in per_class), max(count for _, count in per_class)
    if smallest and largest / smallest >= IMBALANCE_WARN_RATIO:
        lines.append(f'warning: the classes are very imbalanced (largest / smallest = {largest / smallest:.0f}); '
                     'consider --balance sampler (every class drawn equally often) or --balance loss (a '
                     'class-weighted loss), and judge the model by balanced_top1 and mAP rather than top1')
    return lines


def apply_class_balance(cfg: Config, mode: Optional[str], labels: Sequence[int], num_classes: int) -> Optional[str]:
    """Applies ``class_balance`` ``mode`` to a training config; returns a note saying what changed.

    Args:
        cfg (Config): the training config.
        mode (str, optional): one of :data:`BALANCE_MODES`, or None (nothing changes).
        labels (Sequence[int]): the class index of every training image.
        num_classes (int): the number of classes.

    Raises:
        ValueError: an unknown mode, or ``'loss'`` on a model whose head loss is not ``CrossEntropyLoss``.
    """
    if mode is None:
        return None
    if mode not in BALANCE_MODES:
        raise UserInputError(f'class_balance (--balance) must be one of {BALANCE_MODES} or None, got {mode!r}.')
    if mode == 'sampler':
        cfg.train_dataloader.sampler = dict(type='ClassBalancedSampler')
        return 'class_balance sampler: train_dataloader.sampler = ClassBalancedSampler (every class drawn equally often)'
    from adaptcls.models.config_nodes import iter_config_dicts  # lazy: adaptcls.models imports torch and timm
    weights = compute_class_weight('balanced', classes=np.arange(num_classes), y=np.asarray(labels))
    weights = [round(float(weight), 6) for weight in weights]
    heads = [node for _, node in iter_config_dicts(cfg.model) if node.get('type') in HEAD_TYPES]
    for head in heads:
        loss = dict(head.get('loss') or dict(type='CrossEntropyLoss'))
        if loss.get('type') != 'CrossEntropyLoss':
            raise UserInputError(f'class_balance loss weights a CrossEntropyLoss, but {head["type"]} has loss '
                                 f'{loss.get("type")!r}; use --balance sampler instead.')
        head['loss'] = dict(loss, class_weight=weights)
    if not heads:
        raise UserInputError(f'class_balance loss: the model has no head of type {HEAD_TYPES}; use --balance sampler.')
    return f'class_balance loss: class weights {weights} in the cross-entropy of {len(heads)} head(s)'
