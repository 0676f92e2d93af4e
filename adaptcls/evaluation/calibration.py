"""Calibrated probabilities: the expected calibration error, temperature scaling and reliability diagrams.

Follows Guo et al. 2017, "On Calibration of Modern Neural Networks" (ICML, arXiv:1706.04599): the top-label
expected calibration error over equal-width confidence bins (their eq. 3), and temperature scaling (their section
4.2): one scalar ``T > 0`` fitted on the validation set by minimising the negative log-likelihood of
``softmax(logits / T)``. Dividing every logit by the same ``T`` never changes the arg-max, so accuracy is unchanged.

Pure numpy / scipy (and matplotlib for the diagram): no torch.
"""
from dataclasses import asdict, dataclass
from typing import Optional, Tuple

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from scipy.stats import binned_statistic

from adaptcls.errors import UserInputError
from adaptcls.utils.plots import headless_pyplot, save_figure

DEFAULT_BINS = 15
"""Equal-width confidence bins of the ECE and the diagram: Guo et al. 2017 use 15."""
TEMPERATURE_BOUNDS = (0.05, 20.0)
"""The range :func:`fit_temperature` searches. Below 0.05 a softmax is one-hot for any logit gap above ~1; above 20 it
is near-uniform for any gap below ~20: a fitted T at either end means the model's logits carry no usable
confidence (e.g. a validation set it classifies perfectly pushes T to the lower end)."""
TEMPERATURE_TOLERANCE = 1e-4
"""Absolute tolerance of the search on log T (a relative tolerance of 0.01% on T)."""
DIAGRAM_INCHES = (5.5, 5.0)
"""Width and height of the reliability diagram."""


@dataclass
class CalibrationResult:
    """What temperature scaling did on a validation set.

    Args:
        temperature (float): the fitted T; calibrated probabilities are ``softmax(logits / T)``.
        ece_before (float): the ECE of ``softmax(logits)``.
        ece_after (float): the ECE of ``softmax(logits / T)``.
        nll_before (float): the mean negative log-likelihood of ``softmax(logits)``.
        nll_after (float): the same of ``softmax(logits / T)`` (the quantity T minimises).
        images (int): validation images fitted on.
        bins (int): confidence bins of the ECEs.
    """

    temperature: float
    ece_before: float
    ece_after: float
    nll_before: float
    nll_after: float
    images: int
    bins: int

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict of plain floats and ints."""
        return asdict(self)


def check_logits(logits: np.ndarray, labels: np.ndarray, name: str = 'logits') -> Tuple[np.ndarray, np.ndarray]:
    """``logits`` as (N, C) float64 and ``labels`` as (N,) int64, checked.

    Args:
        logits (np.ndarray): (N, C) scores (logits or probabilities), C >= 2.
        labels (np.ndarray): (N,) true class indices in [0, C).
        name (str): what ``logits`` holds, for the messages. Defaults to 'logits'.

    Raises:
        UserInputError: wrong shapes, no rows, values that are not finite, or labels outside [0, C).
    """
    scores, targets = np.asarray(logits, dtype=np.float64), np.asarray(labels)
    if scores.ndim != 2 or scores.shape[0] == 0 or scores.shape[1] < 2:
        raise UserInputError(f'{name} must be an (N, C) array with N >= 1 images and C >= 2 classes, got shape '
                             f'{scores.shape}.')
    if targets.shape != (scores.shape[0],) or not np.issubdtype(targets.dtype, np.integer):
        raise UserInputError(f'labels must be N = {scores.shape[0]} integer class indices (one per row of {name}), '
                             f'got {targets.dtype} of shape {targets.shape}.')
    if not np.isfinite(scores).all():
        raise UserInputError(f'{name} hold NaN or infinite values: the model diverged; use an earlier checkpoint.')
    if targets.min() < 0 or targets.max() >= scores.shape[1]:
        raise UserInputError(f'labels must lie in [0, {scores.shape[1]}) ({name} have {scores.shape[1]} classes), '
                             f'got {targets.min()}..{targets.max()}: the labels come from another class list.')
    return scores, targets.astype(np.int64)


def reliability_bins(probabilities: np.ndarray, labels: np.ndarray,
                     bins: int = DEFAULT_BINS) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width confidence bin: the images in it, their accuracy and their mean confidence (top label).

    Bins are scipy's ``binned_statistic`` bins over [0, 1]: [k/bins, (k+1)/bins), the last one closed (Guo et al.
    close them on the right; only a confidence exactly on an edge is counted differently).

    Args:
        probabilities (np.ndarray): (N, C) probabilities (rows summing to 1).
        labels (np.ndarray): (N,) true class indices.
        bins (int): number of bins. Defaults to :data:`DEFAULT_BINS`.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: counts (bins,) int, accuracy (bins,) and confidence (bins,) float,
        NaN in empty bins.
    """
    probabilities, labels = check_logits(probabilities, labels, 'probabilities')
    if int(bins) != bins or bins < 1:
        raise UserInputError(f'bins must be a positive whole number, got {bins!r}.')
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, int(bins) + 1)
    means = binned_statistic(confidence, [correct, confidence], statistic='mean', bins=edges).statistic
    counts = binned_statistic(confidence, confidence, statistic='count', bins=edges).statistic
    return counts.astype(np.int64), means[0], means[1]


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = DEFAULT_BINS) -> float:
    """Top-label expected calibration error (Guo et al. 2017, eq. 3).

    ``ECE = sum_b |B_b| / N * |accuracy(B_b) - confidence(B_b)|`` over equal-width bins of the top-label confidence
    (:func:`reliability_bins`): 0 for a perfectly calibrated model, at most 1.

    Args:
        probabilities (np.ndarray): (N, C) probabilities.
        labels (np.ndarray): (N,) true class indices.
        bins (int): number of bins. Defaults to :data:`DEFAULT_BINS` (15).
    """
    return _ece(*reliability_bins(probabilities, labels, bins))


def _ece(counts: np.ndarray, accuracy: np.ndarray, confidence: np.ndarray) -> float:
    """The ECE of :func:`reliability_bins`' output."""
    filled = counts > 0
    return float(np.sum(counts[filled] * np.abs(accuracy[filled] - confidence[filled])) / counts.sum())


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``softmax(logits / temperature)`` (the cross-entropy loss)."""
    logits, labels = check_logits(logits, labels)
    log_probabilities = log_softmax(logits / temperature, axis=1)
    return float(-log_probabilities[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T minimising the validation NLL of ``softmax(logits / T)`` (Guo et al. 2017, section 4.2).

    Searched on log T with scipy's bounded Brent method (``minimize_scalar``) within :data:`TEMPERATURE_BOUNDS`; the
    NLL is convex in 1/T, so the minimum in the bounds is the global one there.

    Args:
        logits (np.ndarray): (N, C) validation logits (before softmax).
        labels (np.ndarray): (N,) true class indices.

    Returns:
        float: T > 0 (T > 1 softens over-confident probabilities, T < 1 sharpens under-confident ones).

    Raises:
        UserInputError: bad shapes, values or labels (:func:`check_logits`).
    """
    logits, labels = check_logits(logits, labels)
    rows = np.arange(len(labels))

    def nll(log_temperature: float) -> float:
        return float(-log_softmax(logits / np.exp(log_temperature), axis=1)[rows, labels].mean())

    bounds = tuple(np.log(TEMPERATURE_BOUNDS))
    result = minimize_scalar(nll, bounds=bounds, method='bounded', options=dict(xatol=TEMPERATURE_TOLERANCE))
    return float(np.exp(result.x))


def temperature_scaling(logits: np.ndarray, labels: np.ndarray, bins: int = DEFAULT_BINS) -> CalibrationResult:
    """Fits T on validation logits (:func:`fit_temperature`) and measures ECE and NLL before and after.

    Args:
        logits (np.ndarray): (N, C) validation logits.
        labels (np.ndarray): (N,) true class indices.
        bins (int): confidence bins of the ECEs. Defaults to :data:`DEFAULT_BINS`.
    """
    logits, labels = check_logits(logits, labels)
    temperature = fit_temperature(logits, labels)
    return CalibrationResult(
        temperature=temperature,
        ece_before=expected_calibration_error(softmax(logits, axis=1), labels, bins),
        ece_after=expected_calibration_error(softmax(logits / temperature, axis=1), labels, bins),
        nll_before=negative_log_likelihood(logits, labels),
        nll_after=negative_log_likelihood(logits, labels, temperature),
        images=int(len(labels)), bins=int(bins))


def reliability_diagram(probabilities: np.ndarray, labels: np.ndarray, png_path: str,
                        calibrated: Optional[np.ndarray] = None, bins: int = DEFAULT_BINS,
                        temperature: Optional[float] = None) -> None:
    """Draws accuracy against mean confidence per bin (Guo et al. 2017, figure 1) with the diagonal of perfect
    calibration, as a PNG written atomically. The ECE is in the title; with ``calibrated`` both curves are drawn.

    Args:
        probabilities (np.ndarray): (N, C) probabilities (before calibration).
        labels (np.ndarray): (N,) true class indices.
        png_path (str): the PNG to write (its folder is created).
        calibrated (np.ndarray, optional): (N, C) probabilities after temperature scaling. Defaults to None.
        bins (int): number of confidence bins. Defaults to :data:`DEFAULT_BINS`.
        temperature (float, optional): the T of ``calibrated``, for its legend. Defaults to None.
    """
    curves = [('before', reliability_bins(probabilities, labels, bins))]
    if calibrated is not None:
        name = 'after' if temperature is None else f'after (T = {temperature:.3f})'
        curves.append((name, reliability_bins(calibrated, labels, bins)))
    eces = [_ece(*binned) for _, binned in curves]
    figure, axis = headless_pyplot().subplots(figsize=DIAGRAM_INCHES)
    axis.plot([0, 1], [0, 1], linestyle='--', color='grey', label='perfect calibration')
    for (name, (counts, accuracy, confidence)), ece in zip(curves, eces):
        filled = counts > 0
        axis.plot(confidence[filled], accuracy[filled], marker='o', label=f'{name}: ECE {ece:.4f}')
    axis.set(xlim=(0, 1), ylim=(0, 1), xlabel='confidence (top-label probability)', ylabel='accuracy',
             title=f'Reliability ({len(labels)} images, {bins} bins): ECE ' + ' -> '.join(f'{e:.4f}' for e in eces))
    axis.grid(alpha=0.3)
    axis.legend(loc='upper left')
    save_figure(figure, png_path)
