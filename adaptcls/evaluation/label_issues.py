"""Suspected label issues: images whose given class the rest of the data set disagrees with.

Method: confident learning (Northcutt, Jiang and Chuang 2021, "Confident Learning: Estimating Uncertainty in
Dataset Labels", JAIR 70) through cleanlab. It needs *out-of-sample* predicted probabilities, each image's from a
model that did not fit that image's label (cleanlab's documentation, https://docs.cleanlab.ai: obtained by
cross-validation; for images, of a simple classifier on a network's feature embeddings). A trained classifier's
probabilities on its own training images are in-sample (it fitted those labels, wrong ones included), so instead:

1. every image is embedded (the classifier's penultimate features: the pooled vector its head takes);
2. a logistic regression on the L2-normalised embeddings (scikit-learn, its default L2 penalty), K-fold
   cross-validated (``StratifiedKFold`` + ``cross_val_predict``), gives each image its probabilities from the fold
   that left it out. Normalised, not standardised: standardising blows the near-constant channels of pooled CNN
   features up to unit variance, noise that the regression fits (on 108 images of a tiny test run with 10 labels
   flipped, standardised embeddings gave 4-5 false suspects, L2-normalised ones 0-1, the same share of the flipped
   labels found);
3. ``cleanlab.filter.find_label_issues`` (``prune_by_noise_rate``) flags the images whose given label is likely
   wrong; each is scored with ``cleanlab.rank.get_label_quality_scores`` (``self_confidence``: the out-of-sample
   probability of the given label; lower is more suspect) and the suggested label is the most probable class.

Limits: the embeddings come from a network trained on the given labels, so it may have partly memorised a wrong
label (the cross-validation keeps only the linear classifier out-of-sample, not the features); a long training run
on noisy data hides more of its errors than a short one. A logistic regression on fixed features is a weaker
classifier than the network: a class that the features do not separate linearly produces false suspects. A label
issue is a candidate for a person to look at, not a verdict: ambiguous images and true outliers are flagged too.
"""
import warnings
from typing import Dict, List

import numpy as np

from adaptcls.errors import UserInputError

DEFAULT_FOLDS = 5
"""K of the K-fold cross-validation (fewer when the smallest class has fewer images)."""
CV_SEED = 0
"""Seed of the folds' shuffle: the same data gives the same suspects."""
LOGISTIC_MAX_ITER = 1000
"""Iterations of the logistic regression's L-BFGS solver (scikit-learn's default, 100, often stops short on
high-dimensional embeddings)."""
INSTALL_HINT = "pip install 'adaptcls[explain]'"
"""How to install cleanlab (requirements/explain.txt)."""


def cross_validated_probabilities(embeddings: np.ndarray, labels: np.ndarray, num_classes: int,
                                  folds: int = DEFAULT_FOLDS, seed: int = CV_SEED) -> np.ndarray:
    """Out-of-sample class probabilities of every image from a cross-validated logistic regression.

    Args:
        embeddings (np.ndarray): (N, D) features.
        labels (np.ndarray): (N,) given class indices in [0, num_classes).
        num_classes (int): C.
        folds (int): K, lowered by :func:`effective_folds`. Defaults to DEFAULT_FOLDS (5).
        seed (int): the folds' shuffle seed. Defaults to CV_SEED (0).

    Returns:
        np.ndarray: (N, C) probabilities, each row from the model of the fold that left the image out.

    Raises:
        UserInputError: see :func:`effective_folds`.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer
    splitter = StratifiedKFold(n_splits=effective_folds(labels, num_classes, folds), shuffle=True,
                               random_state=seed)
    model = make_pipeline(Normalizer(), LogisticRegression(max_iter=LOGISTIC_MAX_ITER))
    with warnings.catch_warnings():  # a fold that stops short of convergence still ranks the images usefully
        warnings.filterwarnings('ignore', message='.*(failed to converge|max_iter).*')
        return cross_val_predict(model, embeddings, labels, cv=splitter, method='predict_proba')


def effective_folds(labels: np.ndarray, num_classes: int, folds: int = DEFAULT_FOLDS) -> int:
    """K of the cross-validation: ``folds``, at most the image count of the smallest class (stratified folds).

    Raises:
        UserInputError: a class has fewer than 2 images (it cannot be both in a training fold and held out), or
            ``folds`` is below 2.
    """
    if folds < 2:
        raise UserInputError(f'label issues: the cross-validation needs at least 2 folds, got {folds}.')
    counts = np.bincount(labels, minlength=num_classes)
    if counts.min() < 2:
        raise UserInputError(f'label issues: class index {int(counts.argmin())} has {int(counts.min())} image(s); '
                             'cross-validated probabilities need at least 2 images of every class. Add images or '
                             'remove the class.')
    return int(min(folds, counts.min()))


def find_suspects(labels: np.ndarray, probabilities: np.ndarray) -> List[Dict]:
    """The images whose given label confident learning flags, most suspect first.

    Args:
        labels (np.ndarray): (N,) given class indices.
        probabilities (np.ndarray): (N, C) out-of-sample probabilities (:func:`cross_validated_probabilities`).

    Returns:
        list[dict]: ``{'index', 'given', 'suggested', 'score'}`` (indices into the N images and class indices;
        score: the label quality, the probability of the given label, in [0, 1]), lowest score first.

    Raises:
        ImportError: cleanlab is not installed (the message says how to install it).
    """
    try:
        from cleanlab.filter import find_label_issues
        from cleanlab.rank import get_label_quality_scores
    except ImportError as error:
        raise ImportError(f'label issues need cleanlab ({error}); install it: {INSTALL_HINT}') from error
    issues = find_label_issues(labels, probabilities, filter_by='prune_by_noise_rate', n_jobs=1)
    scores = get_label_quality_scores(labels, probabilities, method='self_confidence')
    flagged = np.flatnonzero(issues)
    flagged = flagged[np.argsort(scores[flagged], kind='stable')]
    suggested = probabilities.argmax(axis=1)
    return [{'index': int(index), 'given': int(labels[index]), 'suggested': int(suggested[index]),
             'score': float(scores[index])} for index in flagged]
