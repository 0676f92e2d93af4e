"""The one function that writes a parameter group's learning rate after the optimizer is built.

During training only ``ReduceLROnPlateauV2`` (warm-up, drops, floors) calls it; the LR range test calls it for the
sweep of its own short run. The initial value comes from the config (``optimizer.lr`` x ``auto_scale_lr`` x the
per-group ``lr_mult``), set when mmengine builds the optimizer. ``docs/contributing.md`` ("the learning rate") maps
the rest.
"""
from typing import Iterable, Sequence


def set_learning_rates(groups: Iterable[dict], learning_rates: Sequence[float]) -> None:
    """Sets ``group['lr']`` of each parameter group (or an optim wrapper's ``base_param_settings``) in order.

    Args:
        groups (Iterable[dict]): parameter groups (``optimizer.param_groups`` or an optim wrapper's
            ``param_groups``, which may add its ``base_param_settings``, the logged base lr).
        learning_rates (Sequence[float]): one lr per group.

    Raises:
        ValueError: the numbers of groups and learning rates differ (a defect of the caller).
    """
    groups = list(groups)
    if len(groups) != len(learning_rates):
        raise ValueError(f'set_learning_rates: {len(groups)} parameter groups but {len(learning_rates)} learning '
                         'rates.')
    for group, learning_rate in zip(groups, learning_rates):
        group['lr'] = learning_rate
