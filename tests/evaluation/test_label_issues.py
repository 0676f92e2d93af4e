"""Label-issue search on embeddings whose classes are well apart, with labels flipped on purpose."""
import numpy as np
import pytest

from adaptcls.errors import UserInputError
from adaptcls.evaluation.label_issues import cross_validated_probabilities, effective_folds, find_suspects

CLASSES, PER_CLASS, DIMENSIONS, FLIPPED = 3, 30, 64, 10


def _clusters(seed: int = 0):
    """Non-negative embeddings (as pooled CNN features are) around one centre per class; 10 labels flipped to
    another class."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(CLASSES), PER_CLASS)
    embeddings = np.abs(rng.uniform(0, 1, (CLASSES, DIMENSIONS))[labels] + rng.normal(0, 0.3, (len(labels),
                                                                                                 DIMENSIONS)))
    flipped = rng.choice(len(labels), FLIPPED, replace=False)
    given = labels.copy()
    given[flipped] = (labels[flipped] + rng.integers(1, CLASSES, FLIPPED)) % CLASSES
    return embeddings, labels, given, flipped


def test_most_flipped_labels_are_found_with_their_true_class_and_no_clean_image():
    embeddings, labels, given, flipped = _clusters()
    probabilities = cross_validated_probabilities(embeddings, given, CLASSES)
    assert probabilities.shape == (len(labels), CLASSES) and np.allclose(probabilities.sum(1), 1)
    suspects = find_suspects(given, probabilities)
    found = {row['index'] for row in suspects}
    assert len(found & set(flipped.tolist())) >= 8  # measured 9 of 10 (over seeds 0-9: 6 to 10, no clean image)
    assert found <= set(flipped.tolist())
    for row in suspects:
        assert row['given'] == given[row['index']] and row['suggested'] == labels[row['index']]
    scores = [row['score'] for row in suspects]
    assert scores == sorted(scores) and all(0 <= score <= 1 for score in scores)


def test_the_search_is_repeatable():
    embeddings, _, given, _ = _clusters()
    first = cross_validated_probabilities(embeddings, given, CLASSES)
    assert np.array_equal(first, cross_validated_probabilities(embeddings, given, CLASSES))


def test_folds_are_capped_by_the_smallest_class_and_a_single_image_class_is_refused():
    assert effective_folds(np.array([0] * 10 + [1] * 3), 2) == 3
    assert effective_folds(np.array([0] * 10 + [1] * 10), 2, folds=4) == 4
    with pytest.raises(UserInputError, match='class index 1 has 1 image'):
        effective_folds(np.array([0] * 10 + [1]), 2)
    with pytest.raises(UserInputError, match='class index 2 has 0 image'):
        effective_folds(np.array([0] * 10 + [1] * 5), 3)
    with pytest.raises(UserInputError, match='at least 2 folds'):
        effective_folds(np.array([0] * 10 + [1] * 10), 2, folds=1)
