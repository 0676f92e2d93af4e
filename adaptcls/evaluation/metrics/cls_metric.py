"""Single-label classification metric for mmengine's Evaluator."""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric

from adaptcls.errors import UserInputError
from adaptcls.registry import METRICS

from .functional import balanced_top1, class_average_precision, paper_map, topk_accuracy


@METRICS.register_module()
class ClsMetric(BaseMetric):
    """Top-k accuracy, class-balanced top-1, the paper's mAP and per-class VOC-style AP.

    Reported keys (fractions in [0, 1], plain floats; see ``functional`` for tie rules):

    - ``top{k}`` for each k in ``topk``: plain per-sample top-k accuracy.
    - ``balanced_top1``: mean over the classes present of per-class top-1 recall.
    - ``mAP``: the paper's mean over samples of 1 / rank of the true class (scikit-learn's label ranking
      average precision, but for ties: ``functional.paper_map``); not a mean of per-class APs.
    - ``class_AP``: mean over classes with samples of per-class average precision (the quantity
      the paper's original code reported as mAP).

    Config usage: ``val_evaluator = dict(type='ClsMetric', topk=(1, 5))``.

    Args:
        topk (int | Sequence[int]): the k of each reported top-k accuracy. Defaults to (1, 5).
        class_ap_interpolated (bool): compute ``class_AP`` with the VOC2010+ precision envelope, as
            the paper's code did, instead of non-interpolated AP. Defaults to False.
        collect_device (str): device that gathers results across ranks, 'cpu' or 'gpu'.
            Defaults to 'cpu'.
        prefix (str, optional): prefix for the metric names ('prefix/top1'). Defaults to None.
    """

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 class_ap_interpolated: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = self._check_topk(topk)
        self.class_ap_interpolated = class_ap_interpolated

    @staticmethod
    def _check_topk(topk: Union[int, Sequence[int]]) -> Tuple[int, ...]:
        """Returns ``topk`` as a tuple of ints >= 1, or raises ValueError naming the bad value."""
        values = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not values or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1
                                     for k in values):
            raise UserInputError(f'ClsMetric topk must be an int >= 1 or a non-empty sequence of them, '
                                 f'got {topk!r}.')
        return values

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Stores a CPU copy of each sample's ``pred_score`` and ``gt_label``.

        Args:
            data_batch (Any): the dataloader batch (unused).
            data_samples (Sequence[dict]): model outputs as dicts (mmengine's Evaluator converts
                ``ClsDataSample`` objects), each with ``pred_score`` (C,) and ``gt_label`` (0-d).

        Raises:
            ValueError: if a sample has no ``gt_label`` or no ``pred_score``.
        """
        for sample in data_samples:
            self.results.append(dict(pred_score=self._require(sample, 'pred_score').detach().cpu(),
                                     gt_label=self._require(sample, 'gt_label').detach().cpu()))

    @staticmethod
    def _require(sample: dict, key: str) -> torch.Tensor:
        """``sample[key]``, or a ValueError that says which image lacks it and what to do."""
        value = sample.get(key, None)
        if value is not None:
            return value
        image = sample.get('img_path', '<unknown image>')
        if key == 'gt_label':
            raise UserInputError(f'Sample {image} has no gt_label: the evaluation set has no labels. '
                                 'ClsMetric needs a labelled val/test set; to predict on unlabelled '
                                 'images, run inference without an evaluator.')
        raise UserInputError(f'Sample {image} has no {key}: the model must return ClsDataSample '
                             f"objects with {key} set in mode='predict'.")

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Computes every metric over all gathered samples.

        Args:
            results (list[dict]): the entries stored by ``process`` (from all ranks).

        Returns:
            dict[str, float]: ``top{k}`` for each k, ``balanced_top1``, ``mAP`` and ``class_AP``.
        """
        scores, labels = self._stack(results)
        num_classes = scores.shape[1]
        metrics = {f'top{k}': topk_accuracy(scores, labels, k) for k in self.topk}
        metrics['balanced_top1'] = balanced_top1(scores, labels, num_classes)
        metrics['mAP'] = paper_map(scores, labels)
        metrics['class_AP'] = class_average_precision(
            scores, labels, num_classes, interpolated=self.class_ap_interpolated)
        return metrics

    @staticmethod
    def _stack(results: List[dict]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Stacks stored results into scores (N, C) float and labels (N,) long."""
        if not results:
            raise UserInputError('ClsMetric received no samples: the evaluation dataloader is empty.')
        widths = {tuple(result['pred_score'].shape) for result in results}
        if len(widths) != 1:
            raise UserInputError(f'pred_score shapes differ between samples: {sorted(widths)}; every '
                                 'prediction must cover the same classes.')
        scores = torch.stack([result['pred_score'] for result in results]).float()
        labels = torch.stack([result['gt_label'].reshape(()) for result in results]).long()
        return scores, labels
