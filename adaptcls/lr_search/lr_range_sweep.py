"""The fast.ai-style learning-rate range test: a warm-up, then at least ~100 iterations of rising learning rates."""
import copy
import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Iterator, List, Optional

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.optim.learning_rate import set_learning_rates
from adaptcls.optim.non_finite_loss import NonFiniteLossError
from adaptcls.utils.progress import ProgressLog
from .divergence import divergence_cause, lower_range_hint
from .lr_suggestions import SmoothedLoss

Log = Callable[[str], None]
TIME_CHECK_AFTER = 3
"""Iterations timed before the range test projects its total time (the first ones include warm-up costs)."""


class RangeTestOverTime(Exception):
    """The range test would take longer than its ``max_seconds``; the model and optimizer are restored.

    Attributes:
        epochs_trained (float): epochs of training done before it stopped.
    """

    def __init__(self, message: str, epochs_trained: float) -> None:
        super().__init__(message)
        self.epochs_trained = epochs_trained


@dataclass
class RangeTestCurve:
    """What a range test recorded.

    Attributes:
        lrs (list[float]): learning rate of each range-test iteration (config-lr units).
        losses (list[float]): training loss of each iteration.
        smoothed (list[float]): the bias-corrected EMA of ``losses``.
        planned_iterations (int): iterations of the sweep: one epoch, or ``min_iterations`` when an
            epoch is shorter (the sweep then spans several epochs).
        epoch_iterations (int): iterations of one training epoch (the dataloader's length).
        diverged (bool): the sweep stopped because the loss diverged: the smoothed loss
            exceeded ``diverge_factor`` x its minimum, or a training loss was not finite.
        non_finite_lr (float, optional): the sweep's lr at which the training loss was NaN or
            infinite (the step made no update and is not in ``lrs``); None when no loss was.
        warmup_iterations (int): iterations of the warm-up (``warmup_epochs`` x the epoch length, rounded).
        warmup_losses (list[float]): mean training loss of each warm-up epoch (a last partial epoch included).
        wall_time_s (float): seconds spent in warm-up and sweep.
    """

    lrs: List[float] = field(default_factory=list)
    losses: List[float] = field(default_factory=list)
    smoothed: List[float] = field(default_factory=list)
    planned_iterations: int = 0
    epoch_iterations: int = 0
    diverged: bool = False
    non_finite_lr: Optional[float] = None
    warmup_iterations: int = 0
    warmup_losses: List[float] = field(default_factory=list)
    wall_time_s: float = 0.0

    def to_dict(self) -> dict:
        """The curve as JSON-able values."""
        return asdict(self)


@contextmanager
def restored_training_state(model: nn.Module, optim_wrapper: OptimWrapper) -> Iterator[None]:
    """Restores the model's weights and buffers, its train/eval mode and the optimizer's state
    (momentum buffers, learning rates of every parameter group) when the block ends."""
    model_state = copy.deepcopy(model.state_dict())
    optim_state = copy.deepcopy(optim_wrapper.state_dict())
    was_training = model.training
    try:
        yield
    finally:
        model.load_state_dict(model_state)
        optim_wrapper.load_state_dict(optim_state)
        model.train(was_training)


class LRRangeTest:
    """fast.ai's learning-rate range test (Smith 2017, "Cyclical Learning Rates"; fast.ai's
    ``Learner.lr_find``), preceded by warm-up fine-tuning as the paper's recipe asks.

    1. ``warmup_epochs`` epochs of training at ``start_lr`` (the raw finder would wreck the
       ImageNet initialisation of a fresh head on top of a pretrained backbone); a fraction of an
       epoch trains that share of its iterations, and the sweep continues the same pass;
    2. a sweep of ``n = max(epoch length, min_iterations)`` iterations in which iteration ``i``
       trains at ``start_lr * (end_lr / start_lr) ** (i / (n - 1))``, recording the loss. fast.ai
       sweeps 100 iterations whatever the epoch size; one epoch of a small data set (16
       iterations for 1,000 images at batch 64) leaves too few points for a suggestion that is
       not noise, so a short epoch is repeated (reshuffled) until ``n`` is reached. The sweep stops
       early once the smoothed loss diverges (:class:`SmoothedLoss`), or at a step whose loss is
       NaN or infinite (training raises ``NonFiniteLossError`` before that step's update).

    A non-finite loss in the warm-up means the range's low end already diverges: nothing of the
    range can be measured, so :meth:`run` raises ``NonFiniteLossError`` suggesting a lower range.

    Every step is the model's own ``train_step(data, optim_wrapper)``, so SAM, gradient clipping
    and the classifier's loss are exactly as in training. Learning rates are in units of the
    optimizer's base lr (``optimizer.defaults['lr']``, the config's lr): each parameter group
    keeps its ratio to it (2x bias lr, ``auto_scale_lr`` scaling). The model's weights, its
    train/eval mode and the optimizer's state are restored afterwards, whatever happens.

    Args:
        start_lr (float): warm-up learning rate and first learning rate of the sweep.
        end_lr (float): last learning rate of the sweep.
        warmup_epochs (float): epochs of fine-tuning at ``start_lr`` (a fraction allowed; 0: none).
            Defaults to 1.
        smooth_beta (float): EMA coefficient of the loss smoothing. Defaults to 0.98.
        diverge_factor (float): stop when the smoothed loss exceeds this multiple of its
            minimum. Defaults to 4.0.
        min_iterations (int): fewest sweep iterations (fast.ai's ``num_it`` = 100).
            Defaults to 100.
        log (Callable[[str], None]): receives one line per phase, and progress lines with an ETA
            while a phase runs longer than a few seconds. Defaults to print.
        max_seconds (float, optional): the most the whole test may take; once its first iterations project a
            longer test (or it has taken that long), it stops with :class:`RangeTestOverTime`. Defaults to None:
            no limit.
    """

    def __init__(self,
                 start_lr: float,
                 end_lr: float,
                 warmup_epochs: float = 1,
                 smooth_beta: float = 0.98,
                 diverge_factor: float = 4.0,
                 min_iterations: int = 100,
                 log: Log = print,
                 max_seconds: Optional[float] = None) -> None:
        if not 0 < start_lr < end_lr:
            raise UserInputError(f'LRRangeTest needs 0 < start_lr < end_lr, got {start_lr} and {end_lr}.')
        if min_iterations < 1:
            raise UserInputError(f'LRRangeTest needs min_iterations >= 1, got {min_iterations}.')
        if not warmup_epochs >= 0:
            raise UserInputError(f'LRRangeTest needs warmup_epochs >= 0, got {warmup_epochs}.')
        self.min_iterations = min_iterations
        self.start_lr = start_lr
        self.end_lr = end_lr
        self.warmup_epochs = warmup_epochs
        self.smooth_beta = smooth_beta
        self.diverge_factor = diverge_factor
        self.log = log
        self.max_seconds = max_seconds
        self._started = 0.0
        self._done = 0
        self._total = 0
        self._epoch_iterations = 1

    def run(self, model: nn.Module, optim_wrapper: OptimWrapper, dataloader: Iterable) -> RangeTestCurve:
        """Runs warm-up and sweep on ``model``; returns the curve. The model is unchanged afterwards.

        Args:
            model (nn.Module): a model with ``train_step(data, optim_wrapper) -> dict`` whose
                ``'loss'`` entry is the training loss (mmengine models, DDP wrappers included).
            optim_wrapper (OptimWrapper): the wrapper that trains it.
            dataloader (Iterable): the training batches; one pass is one epoch (``len`` needed).
                The sweep makes as many passes as ``min_iterations`` needs.

        Raises:
            NonFiniteLossError: the loss was NaN or infinite during the warm-up at ``start_lr``.
        """
        epoch_iterations = len(dataloader)
        curve = RangeTestCurve(planned_iterations=max(epoch_iterations, self.min_iterations),
                               epoch_iterations=epoch_iterations,
                               warmup_iterations=round(self.warmup_epochs * epoch_iterations))
        started = self._started = time.perf_counter()
        self._done, self._epoch_iterations = 0, max(epoch_iterations, 1)
        self._total = curve.warmup_iterations + curve.planned_iterations
        # One stream of batches: a warm-up that ends mid-epoch hands the rest of that pass to the sweep.
        batches = _epochs_of_batches(dataloader, first_epoch=0, count=self._total)
        with restored_training_state(model, optim_wrapper):
            model.train()
            lr_ratios = _lr_ratios(optim_wrapper)
            self._warmup(model, optim_wrapper, batches, lr_ratios, curve)
            self._sweep(model, optim_wrapper, batches, lr_ratios, curve)
        curve.wall_time_s = time.perf_counter() - started
        return curve

    def _check_time(self) -> None:
        """Raises :class:`RangeTestOverTime` when the test has taken, or is projected to take, over max_seconds."""
        self._done += 1
        if self.max_seconds is None or self._done < TIME_CHECK_AFTER:
            return
        elapsed = time.perf_counter() - self._started
        projected = elapsed / self._done * self._total
        if max(elapsed, projected) > self.max_seconds:
            raise RangeTestOverTime(
                f'the range test would take about {projected:.0f} s ({self._total} iterations at '
                f'{elapsed / self._done:.2f} s each), over its {self.max_seconds:.0f} s '
                '(lr_search.range_test_max_seconds)',
                epochs_trained=self._done / self._epoch_iterations)

    def sweep_lr(self, iteration: int, iterations: int) -> float:
        """The learning rate of sweep iteration ``iteration`` (0-based) of ``iterations``."""
        position = iteration / max(iterations - 1, 1)
        return self.start_lr * (self.end_lr / self.start_lr) ** position

    def _warmup(self, model, optim_wrapper, batches: Iterator, lr_ratios, curve: RangeTestCurve) -> None:
        """Trains ``curve.warmup_iterations`` batches at ``start_lr``; records each epoch's mean loss."""
        if not curve.warmup_iterations:
            return
        _set_lr(optim_wrapper, self.start_lr, lr_ratios)
        epochs = math.ceil(self.warmup_epochs)
        progress = ProgressLog(curve.warmup_iterations, 'range test: warm-up iterations', log=self.log)
        losses: List[float] = []
        for iteration in range(curve.warmup_iterations):
            epoch = iteration // self._epoch_iterations
            try:
                losses.append(_train_step(model, optim_wrapper, next(batches)))
            except NonFiniteLossError as error:
                raise NonFiniteLossError(
                    f'The LR range test cannot start: in its warm-up epoch {epoch + 1} at the range\'s low end, '
                    f'lr {self.start_lr:g}, the training loss became NaN or infinite ({divergence_cause(error)}), '
                    f'so no learning rate of the range can be measured. The model\'s weights and the '
                    f'optimizer state are restored; {lower_range_hint(self.start_lr)}.') from error
            progress.update()
            self._check_time()
            if len(losses) == self._epoch_iterations or iteration + 1 == curve.warmup_iterations:
                curve.warmup_losses.append(sum(losses) / len(losses))
                self.log(f'range test: warm-up epoch {epoch + 1}/{epochs} ({len(losses)} iterations) at lr '
                         f'{self.start_lr:g}: mean loss {curve.warmup_losses[-1]:.4f}')
                losses = []

    def _sweep(self, model, optim_wrapper, batches: Iterator, lr_ratios, curve: RangeTestCurve) -> None:
        smoother = SmoothedLoss(self.smooth_beta, self.diverge_factor)
        progress = ProgressLog(curve.planned_iterations, 'range test: sweep iterations', log=self.log)
        for iteration, batch in enumerate(batches):
            lr = self.sweep_lr(iteration, curve.planned_iterations)
            _set_lr(optim_wrapper, lr, lr_ratios)
            try:
                loss = _train_step(model, optim_wrapper, batch)
            except NonFiniteLossError:  # divergence, like the diverge_factor rule: the sweep ends here
                curve.diverged, curve.non_finite_lr = True, lr
                break
            smoothed = smoother.update(loss)
            curve.lrs.append(lr)
            curve.losses.append(loss)
            curve.smoothed.append(smoothed)
            progress.update()
            self._check_time()
            if smoother.diverged(smoothed):
                curve.diverged = True
                break
        ending = (f'loss not finite at lr {curve.non_finite_lr:g}' if curve.non_finite_lr is not None
                  else f'diverged at lr {curve.lrs[-1]:g}' if curve.diverged
                  else f'reached lr {curve.lrs[-1]:g}' if curve.lrs else 'no iterations')
        self.log(f'range test: {len(curve.lrs)}/{curve.planned_iterations} iterations from lr '
                 f'{self.start_lr:g} towards {self.end_lr:g}, {ending}')


def _epochs_of_batches(dataloader: Iterable, first_epoch: int, count: int) -> Iterator:
    """``count`` batches from as many passes over ``dataloader`` as needed, each pass reshuffled as
    training epoch ``first_epoch``, ``first_epoch + 1``, ... would be."""
    epoch, produced = first_epoch, 0
    while produced < count:
        _set_sampler_epoch(dataloader, epoch)
        for batch in dataloader:
            yield batch
            produced += 1
            if produced == count:
                return
        if produced == 0:
            return  # an empty dataloader: nothing to sweep
        epoch += 1


def _lr_ratios(optim_wrapper: OptimWrapper) -> List[float]:
    """Each parameter group's lr divided by the optimizer's base lr."""
    base_lr = optim_wrapper.optimizer.defaults['lr']
    return [group['lr'] / base_lr for group in optim_wrapper.param_groups]


def _set_lr(optim_wrapper: OptimWrapper, lr: float, lr_ratios: List[float]) -> None:
    set_learning_rates(optim_wrapper.param_groups, [lr * ratio for ratio in lr_ratios])


def _set_sampler_epoch(dataloader: Iterable, epoch: int) -> None:
    """Reshuffles like a training epoch (mmengine's DistSamplerSeedHook does this in training)."""
    sampler = getattr(dataloader, 'sampler', None)
    if hasattr(sampler, 'set_epoch'):
        sampler.set_epoch(epoch)


def _train_step(model: nn.Module, optim_wrapper: OptimWrapper, batch) -> float:
    loss = model.train_step(batch, optim_wrapper=optim_wrapper)['loss']
    return float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)

