"""An evaluator entry that writes the confusion matrix of the predictions as a PNG (and its counts)."""
from typing import Any, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from adaptcls.errors import UserInputError
from adaptcls.registry import METRICS
from ..confusion_matrix_report import (ANNOTATE_MAX_CLASSES, check_png_path, counts_json_path,
                                       write_confusion_matrix)


@METRICS.register_module()
class ConfusionMatrixPlot(BaseMetric):
    """Writes the confusion matrix of the evaluated predictions; reports no metric values.

    Like mmengine's ``DumpResults``, this is an evaluator entry with a side effect: on rank 0 it
    writes ``out_file`` (PNG: colours are row fractions, class names on the axes, counts in the
    cells for up to ``annotate_max_classes`` classes) and the counts next to it as JSON
    (``<out_file without .png>.json``). The predicted class is the sample's ``pred_label`` (the
    arg-max of ``pred_score``); class names come from the dataset's ``metainfo['classes']``.
    ``tools/test.py --confusion-matrix`` adds it to ``test_evaluator``; a config can list it too:
    ``test_evaluator = [dict(type='ClsMetric'), dict(type='ConfusionMatrixPlot', out_file='cm.png')]``.

    Args:
        out_file (str): the PNG path (must end in .png).
        annotate_max_classes (int): write counts into the cells up to this many classes.
            Defaults to ANNOTATE_MAX_CLASSES (20).
        collect_device (str): device that gathers results across ranks, 'cpu' or 'gpu'.
            Defaults to 'cpu'.
        prefix (str, optional): mmengine metric prefix (unused: no values are reported).
            Defaults to None.
    """

    def __init__(self,
                 out_file: str,
                 annotate_max_classes: int = ANNOTATE_MAX_CLASSES,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_file = check_png_path(out_file, 'ConfusionMatrixPlot out_file')
        self.annotate_max_classes = annotate_max_classes

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Stores each sample's predicted and true class.

        Args:
            data_batch (Any): the dataloader batch (unused).
            data_samples (Sequence[dict]): model outputs as dicts with ``pred_label`` and ``gt_label``.

        Raises:
            ValueError: a sample lacks ``pred_label`` or ``gt_label``.
        """
        for sample in data_samples:
            missing = [key for key in ('pred_label', 'gt_label') if sample.get(key, None) is None]
            if missing:
                raise UserInputError(f'Sample {sample.get("img_path", "<unknown image>")} has no '
                                     f'{" and no ".join(missing)}: a confusion matrix needs labelled images '
                                     "and a model that returns ClsDataSample predictions in mode='predict'.")
            self.results.append((int(sample['pred_label']), int(sample['gt_label'])))

    def compute_metrics(self, results: List[tuple]) -> dict:
        """Writes the PNG and JSON of all gathered samples.

        Args:
            results (list[tuple]): ``(pred_label, gt_label)`` pairs from all ranks.

        Returns:
            dict: empty (this entry reports no values).
        """
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            raise UserInputError('ConfusionMatrixPlot needs the class names: the evaluated dataset has no '
                                 "metainfo['classes'] (an ImageFolderDataset always has them).")
        if not results:
            raise UserInputError('ConfusionMatrixPlot received no samples: the evaluation dataloader is empty.')
        predictions = torch.tensor([pred for pred, _ in results], dtype=torch.long)
        labels = torch.tensor([label for _, label in results], dtype=torch.long)
        write_confusion_matrix(predictions, labels, classes, self.out_file, self.annotate_max_classes)
        print_log(f'Wrote the confusion matrix to {self.out_file} (counts: {counts_json_path(self.out_file)}).',
                  logger='current')
        return {}
