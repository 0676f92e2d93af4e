"""The adaptive schedule: linear warm-up, plateau LR drops, one forced drop, early stopping, in one object."""
import copy
import math
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin

from adaptcls.errors import UserInputError
from adaptcls.optim.learning_rate import set_learning_rates
from adaptcls.registry import HOOKS
from .time_budget_hook import TIME_SHARE_INFO

TRAIN_LOSS = 'train_loss'
"""``monitor`` value that selects the mean training loss of each epoch."""

STATE_KEY = 'ReduceLROnPlateauV2'
"""The hook's entry in ``checkpoint['adaptcls_hooks']``."""

RULES = ('greater', 'less')

FLOOR_REL_TOLERANCE = 1e-9
"""An lr within this relative distance of its floor is at the floor. With factor 0.1 and min_lr_ratio
1/100, two drops give ``lr * 0.1 * 0.1``, which in floating point is a hair above ``lr * 0.01``: without the
tolerance the lr never counted as minimal, and early stopping waited for a third, empty drop."""


@dataclass
class PlateauState:
    """Everything the hook's decisions depend on; saved in every checkpoint.

    Attributes:
        best (float): best monitored value since warmup ended (of the smoothed series with ``smoothing`` > 0).
        smoothed (float, optional): the exponential moving average of the monitor (``smoothing`` > 0); None before
            the first tracked value.
        bad_epochs (int): evaluations of the monitor since the last improvement or drop.
        lr_drops (list[dict]): one ``{'epoch', 'lr', 'forced', 'reason'}`` per drop.
        forced_drop_done (bool): the forced-drop rule has fired (whether or not it dropped).
        early_stop_best (float): best ``early_stop_metric`` over the whole run.
        early_stop_best_epoch (int): epoch of ``early_stop_best`` (0 before any evaluation).
        early_stop_count (int): evaluations of epochs trained at minimum lr without improvement, in a row.
        stop_reason (str, optional): why training stopped early; None while it runs.
    """

    best: float
    early_stop_best: float
    smoothed: Optional[float] = None
    bad_epochs: int = 0
    lr_drops: List[dict] = field(default_factory=list)
    forced_drop_done: bool = False
    early_stop_best_epoch: int = 0
    early_stop_count: int = 0
    stop_reason: Optional[str] = None


@HOOKS.register_module()
class ReduceLROnPlateauV2(Hook):
    """Owns the learning rate after its initial value: warms it up, drops it on a plateau, forces one drop late in
    training, stops early.

    The schedule of "Towards Efficient and Data Agnostic Image Classification Training Pipeline
    for Embedded Systems" (OpenVINO Training Extensions' ``ReduceLROnPlateauLrUpdaterHook`` /
    deep-object-reid's ``ReduceLROnPlateauV2``). Like timm's ``PlateauLRScheduler``, one object owns the warm-up,
    the drops, the floors and the early-stopping state, and it is the only writer of the groups' lr during training
    (an lr param scheduler beside it is refused). The initial value is the optimizer's (the config's lr or the LR
    search's, scaled by ``auto_scale_lr`` and the per-group ``lr_mult``), stored per group as ``initial_lr``.

    0. Warm-up (the first ``warmup_epochs`` epochs, updated after every iteration): each group's lr rises linearly
       from ``warmup_start_factor * initial_lr`` to ``initial_lr``, which the last warm-up iteration reaches: the
       values of mmengine's ``LinearLR(start_factor, begin=0, end=warmup_epochs, convert_to_iter_based=True)``,
       which the configs declared before this hook owned the warm-up. No decision is made during it (epochs are
       counted 1-based: epoch k is the k-th completed one).

    After warmup:

    1. Plateau (after each train epoch for 'train_loss', after each validation for a metric):
       the value improves when it is below ``best * (1 - threshold)`` ('less') or above
       ``best * (1 + threshold)`` ('greater'). After more than ``patience`` checks without
       improvement every parameter group's lr becomes ``max(lr * factor, initial_lr *
       min_lr_ratio)`` and the count restarts. ``initial_lr`` is the group's lr that mmengine's
       param schedulers store (else the lr at the start of training), so the 2x bias lr keeps its
       own floor. A drop when every group is already at its floor is not recorded. With
       ``smoothing`` > 0 the rule reads an exponential moving average of the monitor instead.
    2. Forced drop (checked after each train epoch): if no drop has happened by
       :meth:`forced_drop_epoch`, one is forced then.
    3. Early stopping (after each validation): the best ``early_stop_metric`` is tracked over the
       whole run; once every group is at its floor, ``early_stop_patience`` evaluations in a row
       without a strictly better value set ``runner.train_loop.stop_training``. Only evaluations of
       epochs trained at the floor count: the evaluation of the epoch that ends with the drop onto
       the floor measured the weights of the lr before it. (Counting it, as this hook first did,
       gave the lowest lr a single epoch of training in all 6 adaptive runs of the recipe
       benchmark: docs/recipe.md.)

    Difference from the original code: it forced the drop after ``int(0.75 * max_epochs) -
    warmup`` post-warmup epochs, which is <= 0 for short runs and dropped the lr at once. Here the
    forced epoch is clamped to at least ``warmup_epochs + patience + 1``, so it can never fire
    during or right after warmup. Early stopping and per-group floors are part of this hook, and
    every counter is checkpointed, so a resumed run makes the uninterrupted run's decisions.

    The mean training loss is averaged over the epoch's iterations and all-reduced over ranks;
    validation metrics are already identical on all ranks, so every rank decides the same.
    Drops and the stop reason are reported in the message hub as ``summary/lr_drops`` and
    ``summary/stop_reason``.

    A resumed run (``runner.epoch > 0`` at ``before_train``) keeps the state restored from the
    checkpoint; ``load_from`` (weights only, epoch 0) starts the schedule afresh. mmengine writes
    ``epoch_<k>.pth`` before epoch k's validation; adaptcls's ``ResumableEpochBasedTrainLoop``
    re-runs a validation that a resumed checkpoint lacks, so its effect on the early-stopping
    counter (and on the plateau counter for a metric monitor) is not lost.

    Priority 80: after ``ParamSchedulerHook`` (LOW = 70) and before ``CheckpointHook``
    (VERY_LOW = 90), so a checkpoint (and the best checkpoint) holds the lr and state of the
    epoch it closes.

    Args:
        monitor (str): 'train_loss' (mean training loss, decided after each train epoch) or a
            validation metric key such as 'top1' (decided after each validation).
            Defaults to 'train_loss'.
        rule (str, optional): 'less' or 'greater' is better for ``monitor``; None infers 'less'
            for keys containing 'loss', else 'greater'. Defaults to None.
        factor (float): lr multiplier of a drop, in (0, 1). Defaults to 0.1.
        patience (int): epochs without improvement tolerated; the drop comes on the next one.
            Defaults to 5.
        threshold (float): relative improvement needed to reset the patience. Defaults to 2e-4.
        smoothing (float): weight of the past in an exponential moving average of the monitor, in [0, 1): the
            plateau rule compares ``s = smoothing * s + (1 - smoothing) * value`` (``s`` starts at the first tracked
            value) instead of each value. One evaluation of a small val set is noisy (top-1 on 1,000 images has a
            standard error of about 1.5 pt at 65%), so its running best is inflated by the noise and a slowly rising
            curve looks like a plateau. 0 (the paper) compares the raw values. Early stopping always uses the raw
            ``early_stop_metric``. Defaults to 0.
        min_lr_ratio (float): floor of each group's lr as a fraction of its ``initial_lr``.
            Defaults to 1/200.
        warmup_epochs (int): epochs of linear warm-up, without decisions or best tracking. Defaults to 0.
        warmup_start_factor (float): the warm-up's first lr as a fraction of each group's ``initial_lr``, in (0, 1].
            Defaults to 0.1 (the paper's lr / 10).
        forced_drop_ratio (float): fraction of ``max_epochs`` by which a drop is forced.
            Defaults to 0.75.
        early_stop_metric (str): validation metric key for early stopping. Defaults to 'top1'.
        early_stop_rule (str): 'greater' or 'less' is better for ``early_stop_metric``.
            Defaults to 'greater'.
        early_stop_patience (int): evaluations at minimum lr without improvement that stop
            training. Defaults to 5.
    """

    priority = 80

    def __init__(self,
                 monitor: str = TRAIN_LOSS,
                 rule: Optional[str] = None,
                 factor: float = 0.1,
                 patience: int = 5,
                 threshold: float = 2e-4,
                 smoothing: float = 0.0,
                 min_lr_ratio: float = 1 / 200,
                 warmup_epochs: int = 0,
                 warmup_start_factor: float = 0.1,
                 forced_drop_ratio: float = 0.75,
                 early_stop_metric: str = 'top1',
                 early_stop_rule: str = 'greater',
                 early_stop_patience: int = 5) -> None:
        self.monitor = monitor
        self.rule = _check_rule('rule', _infer_rule(monitor) if rule is None else rule)
        if not 0 < factor < 1:
            raise UserInputError(f'ReduceLROnPlateauV2: factor={factor} must be in (0, 1).')
        if not 0 < min_lr_ratio <= 1:
            raise UserInputError(f'ReduceLROnPlateauV2: min_lr_ratio={min_lr_ratio} must be in (0, 1].')
        if not 0 <= smoothing < 1:
            raise UserInputError(f'ReduceLROnPlateauV2: smoothing={smoothing} must be in [0, 1).')
        if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, int) or warmup_epochs < 0:
            raise UserInputError(f'ReduceLROnPlateauV2: warmup_epochs={warmup_epochs!r} must be a whole number >= 0.')
        if not 0 < warmup_start_factor <= 1:
            raise UserInputError(f'ReduceLROnPlateauV2: warmup_start_factor={warmup_start_factor} must be in (0, 1].')
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.smoothing = smoothing
        self.min_lr_ratio = min_lr_ratio
        self.warmup_epochs = warmup_epochs
        self.warmup_start_factor = warmup_start_factor
        self.forced_drop_ratio = forced_drop_ratio
        self.early_stop_metric = early_stop_metric
        self.early_stop_rule = _check_rule('early_stop_rule', early_stop_rule)
        self.early_stop_patience = early_stop_patience
        self.state = self._fresh_state()
        self._restored = False
        self._in_training = False
        self._forced_drop_epoch = 0
        self._warmup_iterations = 0
        self._loss_sum = 0.0
        self._loss_count = 0

    def forced_drop_epoch(self, max_epochs: int) -> int:
        """The epoch (1-based) by which a drop is forced; never fires if beyond ``max_epochs``.

        ``max(int(forced_drop_ratio * max_epochs), warmup_epochs + patience + 1)``: the clamp keeps
        it out of warmup and the epochs right after (the original code's threshold could be <= 0).
        """
        return max(int(self.forced_drop_ratio * max_epochs), self.warmup_epochs + self.patience + 1)

    def before_train(self, runner) -> None:
        if runner.epoch == 0:  # a fresh run, or load_from (weights only): state starts afresh
            self.state = self._fresh_state()
        elif not self._restored:
            runner.logger.warning(
                f'ReduceLROnPlateauV2: resumed at epoch {runner.epoch} from a checkpoint without '
                f'checkpoint["adaptcls_hooks"]["{STATE_KEY}"]; plateau and early-stopping tracking '
                'restart now, so decisions can differ from an uninterrupted run.')
        if runner.val_loop is None and self.monitor != TRAIN_LOSS:
            raise UserInputError(f'ReduceLROnPlateauV2: monitor="{self.monitor}" needs validation; '
                                 'configure val_dataloader/val_cfg/val_evaluator or use "train_loss".')
        if runner.val_loop is None:
            runner.logger.warning('ReduceLROnPlateauV2: no validation configured, so early '
                                  f'stopping on "{self.early_stop_metric}" never triggers.')
        _refuse_lr_schedulers(runner)
        for group in _scheduled_groups(runner.optim_wrapper):
            group.setdefault('initial_lr', group['lr'])  # kept in the optimizer's state, so a resumed run has it
        self._warmup_iterations = self.warmup_epochs * len(runner.train_loop.dataloader) if self.warmup_epochs else 0
        self._warm_up(runner, runner.iter)  # the lr of the first (or resumed) iteration, before anything reads it
        self._forced_drop_epoch = self.forced_drop_epoch(runner.max_epochs)
        self._in_training = True
        self._publish_summary(runner)

    def after_train(self, runner) -> None:
        self._in_training = False

    def before_train_epoch(self, runner) -> None:
        self._loss_sum = 0.0
        self._loss_count = 0

    def _warm_up(self, runner, iteration: int) -> None:
        """During the warm-up, sets every group's lr to that of ``iteration`` (0-based over the whole run)."""
        if iteration < self._warmup_iterations:
            factor = self.warmup_factor(iteration, self._warmup_iterations)
            groups = _scheduled_groups(runner.optim_wrapper)
            set_learning_rates(groups, [group['initial_lr'] * factor for group in groups])

    def warmup_factor(self, iteration: int, warmup_iterations: int) -> float:
        """The fraction of ``initial_lr`` that warm-up iteration ``iteration`` (0-based) trains at: linear from
        ``warmup_start_factor`` at iteration 0 to 1 at the last one, ``warmup_iterations - 1``."""
        if iteration >= warmup_iterations - 1:
            return 1.0
        return self.warmup_start_factor + (1 - self.warmup_start_factor) * iteration / (warmup_iterations - 1)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[Dict[str, torch.Tensor]] = None) -> None:
        # the next iteration's lr, set after this one as mmengine's param schedulers do (the loop increments
        # runner.iter after this hook), so an epoch starts at the lr its first iteration trains at
        self._warm_up(runner, runner.iter + 1)
        if self.monitor != TRAIN_LOSS:
            return
        if not outputs or 'loss' not in outputs:
            raise UserInputError('ReduceLROnPlateauV2: monitor="train_loss" needs the train step to '
                           f'return a "loss" entry; got keys {sorted(outputs or {})}.')
        self._loss_sum += outputs['loss'].item()
        self._loss_count += 1

    def after_train_epoch(self, runner) -> None:
        epoch = runner.epoch + 1  # the loop increments runner.epoch after this hook
        if self.monitor == TRAIN_LOSS and epoch > self.warmup_epochs:
            self._step_plateau(runner, epoch, self._mean_epoch_loss())
        self._maybe_force_drop(runner, epoch)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if not self._in_training:  # a stand-alone runner.val()
            return
        metrics = metrics or {}
        epoch = runner.epoch  # already incremented by the train loop
        if self.monitor != TRAIN_LOSS and epoch > self.warmup_epochs:
            self._step_plateau(runner, epoch, _metric_value(metrics, self.monitor, 'monitor'))
        early_stop_value = _metric_value(metrics, self.early_stop_metric, 'early_stop_metric')
        self._step_early_stopping(runner, epoch, early_stop_value)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('adaptcls_hooks', {})[STATE_KEY] = asdict(self.state)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('adaptcls_hooks', {}).get(STATE_KEY)
        self._restored = saved is not None
        if saved is not None:
            self.state = PlateauState(**copy.deepcopy(saved))

    def _fresh_state(self) -> PlateauState:
        return PlateauState(best=_worst_value(self.rule),
                            early_stop_best=_worst_value(self.early_stop_rule))

    def _mean_epoch_loss(self) -> float:
        """Mean of the epoch's ``outputs['loss']`` over all iterations of all ranks."""
        totals = torch.tensor([self._loss_sum, self._loss_count], dtype=torch.float64)
        dist.all_reduce(totals, op='sum')
        loss_sum, count = totals.tolist()
        return loss_sum / count

    def _step_plateau(self, runner, epoch: int, value: float) -> None:
        state = self.state
        if self.smoothing:
            state.smoothed = value if state.smoothed is None else (
                self.smoothing * state.smoothed + (1 - self.smoothing) * value)
            value = state.smoothed
        if _improved(value, state.best, self.rule, self.threshold):
            state.best = value
            state.bad_epochs = 0
            return
        state.bad_epochs += 1
        if state.bad_epochs > self.patience:
            state.bad_epochs = 0
            self._drop_lr(runner, epoch, forced=False, reason=(
                f'{"smoothed " if self.smoothing else ""}{self.monitor} did not improve for '
                f'{self.patience + 1} epochs (best {state.best:.4g})'))

    def _maybe_force_drop(self, runner, epoch: int) -> None:
        state = self.state
        if state.forced_drop_done or state.lr_drops:
            return
        # With a time budget (TimeBudgetHook, tools/train.py --time-limit), the drop is also forced once the share of
        # the training's time used reaches forced_drop_ratio: the time, not max_epochs, may be the binding limit.
        time_share = runner.message_hub.get_info(TIME_SHARE_INFO, 0.0)
        by_time = time_share >= self.forced_drop_ratio and epoch >= self.warmup_epochs + self.patience + 1
        if epoch < self._forced_drop_epoch and not by_time:
            return
        state.forced_drop_done = True
        state.bad_epochs = 0
        reason = (f'no drop by {time_share:.0%} of the time limit ({self.forced_drop_ratio:g} of the training\'s '
                  'time, at least warmup + patience + 1 epochs)' if epoch < self._forced_drop_epoch else
                  f'no drop by epoch {self._forced_drop_epoch} '
                  f'({self.forced_drop_ratio:g} of max_epochs, at least warmup + patience + 1)')
        self._drop_lr(runner, epoch, forced=True, reason=reason)

    def _drop_lr(self, runner, epoch: int, forced: bool, reason: str) -> None:
        if self._lr_at_min(runner):
            return
        groups = _scheduled_groups(runner.optim_wrapper)
        set_learning_rates(groups, [self._dropped_lr(group) for group in groups])
        new_lrs = [float(group['lr']) for group in _optimizer_groups(runner.optim_wrapper)]
        drop = dict(epoch=epoch, lr=new_lrs, forced=forced, reason=reason)
        self.state.lr_drops.append(drop)
        distinct = ', '.join(f'{lr:.4g}' for lr in sorted(set(new_lrs)))  # e.g. the base and the 2x bias lr
        runner.logger.info(f'ReduceLROnPlateauV2: epoch {epoch}: lr -> {distinct} over {len(new_lrs)} '
                           f'parameter groups ({reason})')
        self._publish_summary(runner)

    def _step_early_stopping(self, runner, epoch: int, value: float) -> None:
        state = self.state
        if _improved(value, state.early_stop_best, self.early_stop_rule, threshold=0.0):
            state.early_stop_best = value
            state.early_stop_best_epoch = epoch
            state.early_stop_count = 0
            return
        if not self._lr_at_min(runner) or self._dropped_at(epoch):
            return
        state.early_stop_count += 1
        if state.early_stop_count >= self.early_stop_patience:
            state.stop_reason = (
                f'early stopping: lr at minimum and {self.early_stop_metric} did not improve for '
                f'{state.early_stop_count} evaluations (best {state.early_stop_best:.4g} at epoch '
                f'{state.early_stop_best_epoch})')
            runner.train_loop.stop_training = True
            runner.logger.info(f'ReduceLROnPlateauV2: epoch {epoch}: {state.stop_reason}')
            self._publish_summary(runner)

    def _dropped_at(self, epoch: int) -> bool:
        """A drop happened after this epoch's training: its evaluation reflects the lr before the drop."""
        return bool(self.state.lr_drops) and self.state.lr_drops[-1]['epoch'] == epoch

    def _dropped_lr(self, group: dict) -> float:
        """``group``'s lr after one drop: ``lr * factor``, or its floor when that is (to the tolerance) below it."""
        dropped, floor = group['lr'] * self.factor, self._min_lr(group)
        return floor if dropped <= floor * (1 + FLOOR_REL_TOLERANCE) else dropped

    def _min_lr(self, group: dict) -> float:
        return group['initial_lr'] * self.min_lr_ratio

    def _lr_at_min(self, runner) -> bool:
        """Every parameter group's lr is at its floor."""
        return all(group['lr'] <= self._min_lr(group) * (1 + FLOOR_REL_TOLERANCE)
                   for group in _optimizer_groups(runner.optim_wrapper))

    def _publish_summary(self, runner) -> None:
        runner.message_hub.update_info('summary/lr_drops', copy.deepcopy(self.state.lr_drops))
        if self.state.stop_reason is not None:
            runner.message_hub.update_info('summary/stop_reason', self.state.stop_reason)


def _refuse_lr_schedulers(runner) -> None:
    """Refuses an lr param scheduler beside the hook: two writers of the lr would undo each other's values.

    Raises:
        UserInputError: ``param_scheduler`` has an lr scheduler (a warm-up ``LinearLR`` names the hook's keys).
    """
    schedulers = getattr(runner, 'param_schedulers', None) or []
    if isinstance(schedulers, dict):
        schedulers = [item for group in schedulers.values() for item in group]
    for scheduler in schedulers:
        if isinstance(scheduler, LRSchedulerMixin):
            raise UserInputError(
                f'ReduceLROnPlateauV2 owns the learning rate, but param_scheduler also has {type(scheduler).__name__}'
                '. Remove it from param_scheduler; for a warm-up, set warmup_epochs (its `end`) and '
                'warmup_start_factor (its `start_factor`) in the ReduceLROnPlateauV2 entry of custom_hooks.')


def _infer_rule(monitor: str) -> str:
    return 'less' if 'loss' in monitor.lower() else 'greater'


def _check_rule(name: str, rule: str) -> str:
    if rule not in RULES:
        raise UserInputError(f'ReduceLROnPlateauV2: {name}="{rule}" must be one of {RULES}.')
    return rule


def _worst_value(rule: str) -> float:
    return math.inf if rule == 'less' else -math.inf


def _improved(value: float, best: float, rule: str, threshold: float) -> bool:
    """Relative improvement test of torch's ``ReduceLROnPlateau`` (threshold_mode 'rel')."""
    if rule == 'less':
        return value < best * (1 - threshold)
    return value > best * (1 + threshold)


def _metric_value(metrics: Dict[str, float], key: str, arg_name: str) -> float:
    if key not in metrics:
        raise UserInputError(f'ReduceLROnPlateauV2: {arg_name}="{key}" is not among the validation '
                       f'metrics ({", ".join(sorted(metrics))}); set {arg_name} to one of them.')
    return float(metrics[key])


def _wrappers(optim_wrapper) -> List[OptimWrapper]:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return list(optim_wrapper.values())
    return [optim_wrapper]


def _optimizer_groups(optim_wrapper) -> List[dict]:
    """The real parameter groups of every optimizer."""
    return [group for wrapper in _wrappers(optim_wrapper)
            for group in wrapper.optimizer.param_groups]


def _scheduled_groups(optim_wrapper) -> List[dict]:
    """The groups mmengine's param schedulers step: the real ones plus, when an optimizer has
    several, the wrapper's ``base_param_settings`` (the logged ``base_lr``)."""
    return [group for wrapper in _wrappers(optim_wrapper) for group in wrapper.param_groups]
