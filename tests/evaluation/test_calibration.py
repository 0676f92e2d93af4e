"""Temperature scaling and the ECE on synthetic classifiers whose calibration is known by construction."""
import json

import numpy as np
import pytest
from scipy.special import softmax

from adaptcls.errors import UserInputError
from adaptcls.evaluation.calibration import (TEMPERATURE_BOUNDS, expected_calibration_error, fit_temperature,
                                             reliability_diagram, temperature_scaling)

IMAGES = 20_000
CLASSES = 10
LOGIT_SCALE = 3.5
"""Standard deviation of the synthetic logits: a calibrated classifier with them is right about 70% of the time."""
OVERCONFIDENCE = 5.0


def _sampled(seed: int, temperature: float = 1.0):
    """Random logits and labels drawn from softmax(logits / temperature): calibrated at that temperature."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, LOGIT_SCALE, (IMAGES, CLASSES))
    cumulative = softmax(logits / temperature, axis=1).cumsum(axis=1)
    labels = (cumulative > rng.random((IMAGES, 1)) * cumulative[:, -1:]).argmax(axis=1)
    return logits, labels


def test_ece_by_hand():
    probabilities = np.array([[0.95, 0.05], [0.65, 0.35], [0.25, 0.75]])
    labels = np.array([0, 1, 1])  # right at 0.95 and 0.75, wrong at 0.65
    assert expected_calibration_error(probabilities, labels, bins=10) == pytest.approx((0.05 + 0.65 + 0.25) / 3)
    assert expected_calibration_error(probabilities, labels, bins=2) == pytest.approx(abs(2 / 3 - 2.35 / 3))


def test_a_perfectly_calibrated_set_has_an_ece_near_zero():
    logits, labels = _sampled(0)
    accuracy = (logits.argmax(1) == labels).mean()
    assert 0.65 < accuracy < 0.75
    assert expected_calibration_error(softmax(logits, axis=1), labels) < 0.015
    assert expected_calibration_error(softmax(OVERCONFIDENCE * logits, axis=1), labels) > 0.2


@pytest.mark.parametrize('temperature', [2.5, 0.5])
def test_fit_temperature_recovers_a_known_temperature(temperature):
    logits, labels = _sampled(1, temperature)
    assert fit_temperature(logits, labels) == pytest.approx(temperature, rel=0.05)


def test_temperature_scaling_fixes_an_over_confident_model():
    logits, labels = _sampled(2)
    result = temperature_scaling(OVERCONFIDENCE * logits, labels)
    assert result.temperature == pytest.approx(OVERCONFIDENCE, rel=0.05)
    assert result.ece_before > 0.2 and result.ece_after < 0.02
    assert result.nll_after < result.nll_before
    assert (result.images, result.bins) == (IMAGES, 15)
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


def test_a_perfect_validation_set_stops_at_the_lower_bound():
    logits = np.array([[3.0, 0.0], [0.0, 2.0], [1.0, 0.0]])
    assert fit_temperature(logits, np.array([0, 1, 0])) == pytest.approx(TEMPERATURE_BOUNDS[0], rel=0.01)


def test_reliability_diagram_writes_one_png(tmp_path):
    logits, labels = _sampled(3)
    png = tmp_path / 'plots' / 'reliability.png'
    reliability_diagram(softmax(5 * logits, axis=1), labels, str(png), softmax(logits, axis=1), temperature=5.0)
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert [path.name for path in png.parent.iterdir()] == ['reliability.png']  # no temporary file left


@pytest.mark.parametrize('logits, labels, message', [
    (np.zeros(4), np.zeros(4, int), r'\(N, C\) array'),
    (np.zeros((4, 1)), np.zeros(4, int), 'C >= 2 classes'),
    (np.zeros((4, 3)), np.zeros(3, int), 'N = 4 integer class indices'),
    (np.zeros((4, 3)), np.zeros(4), 'integer class indices'),
    (np.full((4, 3), np.nan), np.zeros(4, int), 'NaN or infinite'),
    (np.zeros((4, 3)), np.array([0, 1, 2, 3]), r'labels must lie in \[0, 3\)'),
])
def test_bad_inputs_are_refused(logits, labels, message):
    with pytest.raises(UserInputError, match=message):
        fit_temperature(logits, labels)


def test_bad_bins_are_refused():
    with pytest.raises(UserInputError, match='bins must be a positive whole number'):
        expected_calibration_error(np.full((2, 2), 0.5), np.array([0, 1]), bins=0)
