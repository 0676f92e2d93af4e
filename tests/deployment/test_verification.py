"""Comparison helpers of the export checks, hand-computed."""
import numpy as np
import pytest
import torch

from adaptcls.deployment.export.verification import compare_outputs, normalise, softmax, top1
from adaptcls.models.data_preprocessors import ClsDataPreprocessor


def test_compare_outputs():
    reference = np.array([[1.0, 2.0], [3.0, 0.0], [0.0, 1.0]])
    candidate = np.array([[1.0, 2.5], [0.0, 3.0], [0.1, 1.0]])
    expected = dict(images=3, max_abs_diff=3.0, top1_agreement=pytest.approx(2 / 3))
    assert compare_outputs(reference, candidate) == expected


def test_softmax_and_top1():
    probabilities = softmax(np.array([[0.0, np.log(3.0)], [1000.0, 0.0]]))
    assert probabilities == pytest.approx(np.array([[0.25, 0.75], [1.0, 0.0]]))
    assert top1(probabilities.astype(np.float32), np.array([1, 1])) == pytest.approx(0.5)


def test_normalise_uses_the_data_preprocessor():
    images = np.full((2, 4, 4, 3), 10, np.uint8)
    images[..., 2] = 30
    inputs = normalise(ClsDataPreprocessor(mean=[10, 20, 30], std=[1, 2, 4]), images)
    assert inputs.shape == (2, 3, 4, 4)
    assert torch.allclose(inputs[:, 0], torch.zeros(())) and torch.allclose(inputs[:, 1], torch.tensor(-5.0))
    assert torch.allclose(inputs[:, 2], torch.zeros(()))
