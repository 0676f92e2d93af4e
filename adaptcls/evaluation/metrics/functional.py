"""Classification metrics as small pure functions on tensors.

Every function takes ``scores``, a float tensor (N, C) of class scores (probabilities or logits:
only their order matters), and ``labels``, an integer tensor (N,) of true class indices, and checks
both.

Ties between scores are resolved explicitly, never by the order of a sort:

- ``rank_of_true_class`` (and so ``paper_map``) counts only classes that score *strictly higher*
  than the true class: ties go in the true class's favour.
- ``topk_accuracy`` and ``balanced_top1`` count a sample as correct only when fewer than ``k`` other
  classes score *at least as high* as the true class: ties go against it. A constant (collapsed)
  predictor therefore gets top-1 = 0 rather than 1, so it can never win a model or learning-rate
  selection that is driven by top-1.
"""
import torch

from adaptcls.errors import UserInputError

__all__ = [
    'topk_accuracy', 'balanced_top1', 'rank_of_true_class', 'paper_map',
    'per_class_average_precision', 'class_average_precision', 'confusion_matrix',
]


def _check_labels(labels: torch.Tensor, num_classes: int, name: str = 'labels') -> None:
    """Raises ValueError unless ``labels`` is a non-empty 1-D integer tensor in [0, num_classes)."""
    if labels.dim() != 1 or labels.numel() == 0:
        raise UserInputError(f'{name} must be a non-empty 1-D tensor (N,), '
                             f'got shape {tuple(labels.shape)}.')
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise UserInputError(f'{name} must hold integer class indices, got dtype {labels.dtype}.')
    if labels.min() < 0 or labels.max() >= num_classes:
        raise UserInputError(f'{name} must lie in [0, {num_classes - 1}] for {num_classes} classes, '
                             f'got values from {int(labels.min())} to {int(labels.max())}.')


def _check_scores_and_labels(scores: torch.Tensor, labels: torch.Tensor) -> None:
    """Raises ValueError unless ``scores`` (N, C) and ``labels`` (N,) are a valid, finite pair."""
    if scores.dim() != 2:
        raise UserInputError(f'scores must be a 2-D tensor (N, C), got shape {tuple(scores.shape)}.')
    _check_labels(labels, scores.shape[1])
    if labels.shape[0] != scores.shape[0]:
        raise UserInputError(f'scores has {scores.shape[0]} rows but labels has '
                             f'{labels.shape[0]} entries.')
    if not torch.isfinite(scores).all():
        raise UserInputError('scores contain NaN or infinite values: the model has diverged; metrics '
                             'on such scores would be meaningless (check the learning rate and the '
                             'loss).')


def _check_num_classes(scores: torch.Tensor, num_classes: int) -> None:
    """Raises ValueError when ``num_classes`` disagrees with the width of ``scores``."""
    if scores.shape[1] != num_classes:
        raise UserInputError(f'num_classes is {num_classes} but scores have {scores.shape[1]} columns.')


def _true_class_scores(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The score each sample gives its true class, shape (N, 1)."""
    return scores.gather(1, labels.long().unsqueeze(1))


def _topk_hits(scores: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """Bool (N,): True where fewer than ``k`` other classes score at least the true score."""
    if k < 1:
        raise UserInputError(f'k must be >= 1, got {k}.')
    at_least_as_high = (scores >= _true_class_scores(scores, labels)).sum(dim=1)  # includes itself
    return at_least_as_high <= k


def topk_accuracy(scores: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores.

    A class tied with the true class counts as ranked above it (see the module docstring).
    A ``k`` larger than the number of classes C behaves as ``k = C``: every sample is a hit.

    Args:
        scores (torch.Tensor): (N, C) class scores.
        labels (torch.Tensor): (N,) true class indices.
        k (int): how many top classes count as a hit, >= 1.

    Returns:
        float: top-k accuracy in [0, 1].
    """
    _check_scores_and_labels(scores, labels)
    return _topk_hits(scores, labels, k).float().mean().item()


def balanced_top1(scores: torch.Tensor, labels: torch.Tensor, num_classes: int) -> float:
    """Class-balanced top-1 accuracy: the mean over classes of per-class recall.

    Only classes that occur in ``labels`` take part in the mean; a class without samples has no
    recall and is left out (it neither counts as 0 nor as 1). Top-1 hits follow ``topk_accuracy``.

    Args:
        scores (torch.Tensor): (N, C) class scores.
        labels (torch.Tensor): (N,) true class indices.
        num_classes (int): C, the number of classes.

    Returns:
        float: balanced top-1 accuracy in [0, 1].
    """
    _check_scores_and_labels(scores, labels)
    _check_num_classes(scores, num_classes)
    hits = _topk_hits(scores, labels, k=1).float()
    samples_per_class = torch.bincount(labels.long(), minlength=num_classes).float()
    hits_per_class = torch.bincount(labels.long(), weights=hits, minlength=num_classes)
    present = samples_per_class > 0
    return (hits_per_class[present] / samples_per_class[present]).mean().item()


def rank_of_true_class(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """1-based rank of the true class among the classes sorted by descending score.

    Rank = 1 + the number of classes with a strictly greater score, so classes tied with the true
    class do not push it down (scores [0.4, 0.4, 0.2] with true class 1 give rank 1).

    Args:
        scores (torch.Tensor): (N, C) class scores.
        labels (torch.Tensor): (N,) true class indices.

    Returns:
        torch.Tensor: (N,) long tensor of ranks in [1, C].
    """
    _check_scores_and_labels(scores, labels)
    return 1 + (scores > _true_class_scores(scores, labels)).sum(dim=1)


def paper_map(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """The paper's mAP: the mean over samples of 1 / rank of the true class.

    This is the definition of "Towards Efficient and Data Agnostic Image Classification Training
    Pipeline for Embedded Systems" (a sample's AP is 1/r for a single relevant class at rank r); it
    is not the per-class VOC AP that the paper's code printed (see ``class_average_precision``).
    scikit-learn calls this quantity label ranking average precision
    (``sklearn.metrics.label_ranking_average_precision_score`` with one-hot labels); the two differ only on ties,
    which scikit-learn counts against the true class and this rank counts for it (only strictly higher scores
    push the true class down). adaptcls keeps the paper's name ``mAP``.

    Args:
        scores (torch.Tensor): (N, C) class scores.
        labels (torch.Tensor): (N,) true class indices.

    Returns:
        float: mAP in (0, 1].
    """
    return rank_of_true_class(scores, labels).float().reciprocal().mean().item()


def _binary_average_precision(scores: torch.Tensor, positives: torch.Tensor,
                              interpolated: bool) -> float:
    """AP of ranking 1-D ``scores`` with bool ``positives`` (at least one True).

    Operating points are the distinct score values (tied samples enter together), as in
    ``sklearn.metrics.precision_recall_curve``. AP = sum over points of (recall step) * precision.
    """
    sorted_scores, order = torch.sort(scores, descending=True)
    sorted_positives = positives[order].double()
    true_positives = torch.cumsum(sorted_positives, dim=0)
    retrieved = torch.arange(1, scores.numel() + 1, dtype=torch.float64)
    last_of_tie_group = torch.ones_like(sorted_scores, dtype=torch.bool)
    last_of_tie_group[:-1] = sorted_scores[:-1] != sorted_scores[1:]
    true_positives = true_positives[last_of_tie_group]
    precision = true_positives / retrieved[last_of_tie_group]
    if interpolated:
        # VOC2010+ envelope: precision at recall r = the best precision at any recall >= r.
        precision = torch.flip(torch.cummax(torch.flip(precision, [0]), dim=0).values, [0])
    recall = true_positives / true_positives[-1]
    recall_steps = torch.diff(recall, prepend=recall.new_zeros(1))
    return (recall_steps * precision).sum().item()


def per_class_average_precision(scores: torch.Tensor, labels: torch.Tensor, num_classes: int,
                                interpolated: bool = False) -> torch.Tensor:
    """Per-class average precision: class c ranks all samples by ``scores[:, c]``.

    The positives of class c are the samples labelled c. By default this is the non-interpolated
    AP (the mean of the precision at each positive; equal to ``sklearn.metrics.
    average_precision_score`` one-vs-rest, tied scores handled as one operating point).
    ``interpolated=True`` gives the PASCAL VOC2010+ all-point interpolated AP (area under the
    monotone precision envelope), which is what the paper's original code (deep-object-reid
    ``mean_average_precision``) computed; it is never below the non-interpolated value.
    The VOC2007 11-point variant is not offered.

    Args:
        scores (torch.Tensor): (N, C) class scores.
        labels (torch.Tensor): (N,) true class indices.
        num_classes (int): C, the number of classes.
        interpolated (bool): use the VOC2010+ precision envelope. Defaults to False.

    Returns:
        torch.Tensor: (C,) float64 AP per class; NaN for a class with no positive sample.
    """
    _check_scores_and_labels(scores, labels)
    _check_num_classes(scores, num_classes)
    average_precisions = torch.full((num_classes,), float('nan'), dtype=torch.float64)
    for class_index in range(num_classes):
        positives = labels == class_index
        if positives.any():
            average_precisions[class_index] = _binary_average_precision(
                scores[:, class_index], positives, interpolated)
    return average_precisions


def class_average_precision(scores: torch.Tensor, labels: torch.Tensor, num_classes: int,
                            interpolated: bool = False) -> float:
    """Mean of ``per_class_average_precision`` over the classes that have positive samples.

    Classes without samples are left out of the mean (the paper's code meant to do this but
    averaged the placeholder values of such classes too).

    Args:
        scores (torch.Tensor): (N, C) class scores.
        labels (torch.Tensor): (N,) true class indices.
        num_classes (int): C, the number of classes.
        interpolated (bool): use the VOC2010+ precision envelope. Defaults to False.

    Returns:
        float: mean per-class AP in [0, 1].
    """
    average_precisions = per_class_average_precision(scores, labels, num_classes, interpolated)
    return average_precisions.nanmean().item()


def confusion_matrix(pred_labels: torch.Tensor, labels: torch.Tensor,
                     num_classes: int) -> torch.Tensor:
    """Counts of (true class, predicted class) pairs.

    Args:
        pred_labels (torch.Tensor): (N,) predicted class indices.
        labels (torch.Tensor): (N,) true class indices.
        num_classes (int): C, the number of classes.

    Returns:
        torch.Tensor: (C, C) long tensor; row = true class, column = predicted class.
    """
    _check_labels(labels, num_classes)
    _check_labels(pred_labels, num_classes, name='pred_labels')
    if pred_labels.shape != labels.shape:
        raise UserInputError(f'pred_labels has {pred_labels.shape[0]} entries but labels has '
                             f'{labels.shape[0]}.')
    pair_index = labels.long() * num_classes + pred_labels.long()
    counts = torch.bincount(pair_index, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
