"""Reading a learning-rate range test: loss smoothing, divergence, and the suggested learning rate.

Follows fast.ai's LR finder (``Learner.lr_find``, docs.fast.ai/callback.schedule): the loss of
each iteration is smoothed with a bias-corrected exponential moving average, the test stops when
the smoothed loss exceeds 4x its minimum, and the first 10% of the planned iterations and the
last 5 points are left out before a suggestion is read from the curve.
"""
import math
from typing import Optional, Sequence

import numpy as np

from adaptcls.errors import UserInputError

MIN_SUGGESTION_POINTS = 3
"""Fewest curve points left after skipping, for a slope to mean anything."""


class SmoothedLoss:
    """Bias-corrected exponential moving average of a loss, and the divergence test.

    ``average = beta * average + (1 - beta) * loss``; the smoothed value after ``n`` losses is
    ``average / (1 - beta ** n)`` (Adam's bias correction, as in fast.ai), so early values are
    not pulled towards zero.

    Args:
        beta (float): weight of the past. Defaults to 0.98.
        diverge_factor (float): the loss diverges once the smoothed value exceeds this multiple of
            its minimum so far. Defaults to 4.0.
    """

    def __init__(self, beta: float = 0.98, diverge_factor: float = 4.0) -> None:
        self.beta = beta
        self.diverge_factor = diverge_factor
        self._average = 0.0
        self._count = 0
        self.minimum = math.inf

    def update(self, loss: float) -> float:
        """Adds one loss and returns the smoothed value."""
        self._count += 1
        self._average = self.beta * self._average + (1 - self.beta) * loss
        smoothed = self._average / (1 - self.beta ** self._count)
        self.minimum = min(self.minimum, smoothed)
        return smoothed

    def diverged(self, smoothed: float) -> bool:
        """True when ``smoothed`` is not finite or exceeds ``diverge_factor`` x the minimum."""
        return not math.isfinite(smoothed) or smoothed > self.diverge_factor * self.minimum


def suggestion_window(num_points: int, planned_points: int, skip_start: float = 0.1,
                      skip_end: int = 5) -> slice:
    """The part of a range-test curve that a suggestion may come from.

    Args:
        num_points (int): points recorded (fewer than planned when the loss diverged).
        planned_points (int): iterations the test planned.
        skip_start (float): fraction of ``planned_points`` left out at the start. Defaults to 0.1.
        skip_end (int): points left out at the end. Defaults to 5.

    Raises:
        ValueError: fewer than ``MIN_SUGGESTION_POINTS`` points remain.
    """
    start, stop = int(skip_start * planned_points), num_points - skip_end
    if stop - start < MIN_SUGGESTION_POINTS:
        raise UserInputError(
            f'The LR range test recorded {num_points} of {planned_points} planned iterations; after '
            f'skipping the first {start} and the last {skip_end} fewer than {MIN_SUGGESTION_POINTS} '
            'remain. Use more training images or a smaller batch, or lower lr_search.range_test_skip_start '
            '/ lr_search.range_test_skip_end.')
    return slice(start, stop)


def steepest_descent_index(lrs: Sequence[float], smoothed: Sequence[float]) -> int:
    """Index of the steepest descent of the smoothed loss against log-lr.

    The slope is ``numpy.gradient`` of the loss with respect to ``log(lr)`` (second-order central
    differences inside, one-sided at the ends), so unevenly spaced points are handled.

    Args:
        lrs (Sequence[float]): increasing learning rates (the window of the curve to search).
        smoothed (Sequence[float]): the smoothed loss at each learning rate.

    Returns:
        int: index into ``lrs`` of the most negative slope.
    """
    slopes = np.gradient(np.asarray(smoothed, dtype=float), np.log(np.asarray(lrs, dtype=float)))
    return int(np.argmin(slopes))


def valley_index(smoothed: Sequence[float]) -> int:
    """fast.ai's ``valley`` rule (``SuggestionMethod.Valley``, fastai PR #3377).

    The "valley" is the longest strictly decreasing subsequence of the loss (not necessarily
    contiguous); it ends at the last point of that subsequence and, as in fast.ai, starts its
    length before that. The suggestion lies between the first and second third of the valley:
    ``start + int(length / 3) + int(length / 6)``, well down the slope but before the minimum.

    Args:
        smoothed (Sequence[float]): the smoothed loss (the window of the curve to search).

    Returns:
        int: index into ``smoothed`` of the suggestion.
    """
    losses = np.asarray(smoothed, dtype=float)
    run_lengths = np.ones(len(losses), dtype=int)  # longest decreasing subsequence ending at i
    for index in range(1, len(losses)):
        higher_before = losses[:index] > losses[index]
        if higher_before.any():
            run_lengths[index] = run_lengths[:index][higher_before].max() + 1
    end = int(np.argmax(run_lengths))  # the first index with the longest valley
    length = int(run_lengths[end])
    start = end - length
    third = length / 3
    return max(start + int(third) + int(third / 2), 0)


def suggest_index(rule: str, lrs: Sequence[float], smoothed: Sequence[float],
                  planned_points: Optional[int] = None, skip_start: float = 0.1,
                  skip_end: int = 5) -> int:
    """Index into the whole curve of the suggestion of ``rule`` ('steepest' or 'valley').

    Args:
        rule (str): 'steepest' (:func:`steepest_descent_index`) or 'valley' (:func:`valley_index`).
        lrs (Sequence[float]): learning rate of each recorded iteration.
        smoothed (Sequence[float]): smoothed loss of each recorded iteration.
        planned_points (int, optional): iterations the test planned. Defaults to None, which
            means ``len(lrs)``.
        skip_start (float): see :func:`suggestion_window`. Defaults to 0.1.
        skip_end (int): see :func:`suggestion_window`. Defaults to 5.
    """
    window = suggestion_window(len(lrs), planned_points or len(lrs), skip_start, skip_end)
    if rule == 'steepest':
        return window.start + steepest_descent_index(lrs[window], smoothed[window])
    if rule == 'valley':
        return window.start + valley_index(smoothed[window])
    raise UserInputError(f'Unknown LR suggestion rule "{rule}": use "steepest" or "valley".')
