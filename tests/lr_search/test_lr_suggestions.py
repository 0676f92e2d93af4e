"""Range-test curve reading against hand-built curves: smoothing, steepest descent, valley."""
import numpy as np
import pytest

from adaptcls.lr_search import LRSearchSettings, SmoothedLoss, steepest_descent_index, suggest_index, valley_index
from adaptcls.lr_search.lr_suggestions import suggestion_window

LRS = np.logspace(-4, 0, 101)  # index 50 is exactly 1e-2


def sigmoid_curve(center: float = 1e-2, sharpness: float = 3.0) -> np.ndarray:
    """A loss that falls from 3 to 1 around ``center``: steepest (against log-lr) exactly there."""
    return 2.0 - np.tanh(sharpness * (np.log10(LRS) - np.log10(center)))


def test_steepest_descent_is_the_inflection_point():
    assert LRS[steepest_descent_index(LRS, sigmoid_curve())] == pytest.approx(1e-2)
    assert LRS[steepest_descent_index(LRS, sigmoid_curve(center=1e-3))] == pytest.approx(1e-3)


def test_suggestion_ignores_the_first_tenth_and_the_last_points():
    curve = sigmoid_curve()
    curve[:5] = [50.0, 40.0, 30.0, 20.0, 10.0]  # a steeper start-up transient (in the first 10%)
    curve[-3:] = [-50.0, -60.0, -70.0]  # a steeper dive in the last 5 points
    assert steepest_descent_index(LRS, curve) != 50  # without skipping, an artefact wins
    assert suggest_index('steepest', LRS, curve, planned_points=101) == 50


def test_window_counts_the_start_in_planned_iterations():
    # fast.ai skips 10% of the *planned* iterations, even when the test stopped early.
    assert suggestion_window(num_points=40, planned_points=100) == slice(10, 35)


def test_window_that_leaves_too_few_points_names_the_settings():
    with pytest.raises(ValueError, match='range_test_skip_end'):
        suggest_index('steepest', LRS[:7], sigmoid_curve()[:7], planned_points=7)


def test_valley_on_a_hand_computed_curve():
    # Longest strictly decreasing subsequence ending at each index (hand-computed):
    # 5:1  4:2  6:1  3:3  2.5:4  2:5  1.5:6  1:7  3:3  8:1 -> the valley ends at index 7, length 7,
    # start 7 - 7 = 0; pick 0 + int(7/3) + int(7/6) = 2 + 1 = 3.
    losses = [5.0, 4.0, 6.0, 3.0, 2.5, 2.0, 1.5, 1.0, 3.0, 8.0]
    assert valley_index(losses) == 3


def test_valley_lies_inside_the_descent_of_a_smooth_curve():
    curve = np.concatenate([sigmoid_curve()[:80], np.linspace(1.1, 5.0, 21)])  # falls, then explodes
    index = suggest_index('valley', LRS, curve, planned_points=101)
    assert 20 < index < 80 and curve[index] < curve[10]


def test_smoothed_loss_is_bias_corrected_by_hand():
    smoother = SmoothedLoss(beta=0.5)
    assert smoother.update(1.0) == pytest.approx(1.0)  # 0.5 / (1 - 0.5)
    assert smoother.update(3.0) == pytest.approx(1.75 / 0.75)  # (0.25 + 1.5) / (1 - 0.25)
    assert smoother.minimum == pytest.approx(1.0)


def test_divergence_is_four_times_the_minimum():
    smoother = SmoothedLoss(beta=0.0, diverge_factor=4.0)  # beta 0: smoothed == loss
    for loss in (2.0, 1.0, 3.9):
        assert not smoother.diverged(smoother.update(loss))
    assert smoother.diverged(smoother.update(4.1))
    assert smoother.diverged(float('nan'))


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match='valley'):
        suggest_index('minimum', LRS, sigmoid_curve())


def _noisy_suggestions(rule: str, noise: float, draws: int = 60) -> np.ndarray:
    """The suggestion of ``rule`` on 100-point sweeps of one loss landscape (falling from 3 to 1 around 1e-2,
    rising again past 5e-2) with Gaussian noise of ``noise`` per iteration, smoothed as the range test does."""
    lrs = np.logspace(-3, -1, 100)
    landscape = 1 + 2 / (1 + (lrs / 1e-2) ** 3) + 4 * (lrs / 1e-1) ** 4
    rng = np.random.default_rng(0)
    picks = []
    for _ in range(draws):
        smoother = SmoothedLoss(0.98)
        smoothed = [smoother.update(float(loss)) for loss in landscape + rng.normal(0, noise, lrs.size)]
        picks.append(lrs[suggest_index(rule, list(lrs), smoothed, planned_points=100)])
    return np.array(picks)


def test_valley_suggestion_is_robust_to_iteration_noise():
    """The default rule keeps its pick within a factor 2 band under noise that scatters steepest descent."""
    valley = _noisy_suggestions('valley', noise=0.5)
    steepest = _noisy_suggestions('steepest', noise=0.5)
    low, high = np.percentile(valley, [10, 90])
    assert high / low < 2.0 and 3e-3 < np.median(valley) < 3e-2
    s_low, s_high = np.percentile(steepest, [10, 90])
    assert s_high / s_low > high / low  # the reason 'valley' is the default
    assert LRSearchSettings(lr_range=(1e-3, 1e-2)).range_test_rule == 'valley'
