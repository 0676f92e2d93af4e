"""``tools/deploy.py evaluate``: an IR's accuracy on a class-per-folder split, with adaptcls's metrics."""
import time
from typing import Dict, Optional

import numpy as np
import torch

from adaptcls.datasets.data_split import TEST_SPLIT_NAMES, find_split_folder
from adaptcls.datasets.image_folder_dataset import check_same_classes
from adaptcls.evaluation.confusion_matrix_report import write_confusion_matrix
from adaptcls.evaluation.metrics.functional import (balanced_top1, class_average_precision, paper_map,
                                                    topk_accuracy)
from adaptcls.utils.progress import track_batches
from ..dataset_images import build_image_dataset, load_images
from .ir_classifier import IRClassifier
from ..export.openvino_ir import inference_precision

TOPK = (1, 5)


def ir_metrics(probabilities: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
    """top1, top5, balanced_top1, mAP (the paper's mean 1/rank) and class_AP, as ``ClsMetric`` reports them.

    Args:
        probabilities (np.ndarray): (N, C) scores.
        labels (np.ndarray): (N,) true class indices.
    """
    scores, targets = torch.from_numpy(probabilities).float(), torch.from_numpy(labels).long()
    num_classes = scores.shape[1]
    metrics = {f'top{k}': topk_accuracy(scores, targets, k) for k in TOPK}
    metrics['balanced_top1'] = balanced_top1(scores, targets, num_classes)
    metrics['mAP'] = paper_map(scores, targets)
    metrics['class_AP'] = class_average_precision(scores, targets, num_classes)
    return metrics


def evaluate_ir(xml_path: str, data_root: str, split: Optional[str] = None, device: str = 'CPU',
                config: Optional[dict] = None, batch_size: int = 64,
                confusion_matrix_file: Optional[str] = None) -> Dict[str, object]:
    """Runs an IR over ``data_root/split/<class>/*`` (resized by the training rule, raw uint8 in).

    Args:
        xml_path (str): the IR.
        data_root (str): the dataset folder.
        split (str, optional): the sub-folder to evaluate. Defaults to None: the first of ``test``, ``val``,
            ``valid``, ``validation`` that exists.
        device (str): OpenVINO device. Defaults to 'CPU'.
        config (dict, optional): OpenVINO compile properties, e.g.
            ``{'INFERENCE_PRECISION_HINT': 'f32'}`` (CPUs with BF16 otherwise run FP32 IRs in
            bfloat16). Defaults to None.
        batch_size (int): images per inference call. Defaults to 64.
        confusion_matrix_file (str, optional): also write the confusion matrix to this PNG (and its
            counts to the same path with .json). Defaults to None (not written).

    Returns:
        dict: ``model``, ``data``, ``images``, ``inference_precision``, ``seconds`` and ``metrics``,
        plus ``confusion_matrix`` (the PNG path) when one was written.

    Raises:
        ValueError: the split's class folders differ from the IR's labels.
        FileNotFoundError: no ``split`` given and ``data_root`` has none of the default split folders.
    """
    if split is None:
        split = find_split_folder(data_root, TEST_SPLIT_NAMES)
        if split is None:
            raise FileNotFoundError(f'--data-root "{data_root}" has no {", ".join(TEST_SPLIT_NAMES)} folder; name '
                                    'the sub-folder of class folders to evaluate with --split.')
    classifier = IRClassifier(xml_path, device, config)
    dataset = build_image_dataset(dict(type='ImageFolderDataset', data_root=data_root, data_prefix=split),
                                  classifier.metadata.input_size)
    check_same_classes(classifier.labels, dataset.metainfo['classes'], f'the IR "{xml_path}"',
                       f'"{data_root}/{split}"')
    print(f'[evaluate] {len(dataset)} images of {data_root}/{split} at '
          f'{classifier.metadata.input_size[0]}x{classifier.metadata.input_size[1]}', flush=True)
    images, labels = load_images(dataset, range(len(dataset)), 'images')
    start = time.perf_counter()
    probabilities = np.concatenate([classifier.predict(images[batch])
                                    for batch in track_batches(len(images), batch_size, 'images evaluated')])
    seconds = time.perf_counter() - start
    result = dict(model=xml_path, data=f'{data_root}/{split}', images=int(len(images)),
                  inference_precision=inference_precision(classifier.compiled), seconds=seconds,
                  metrics=ir_metrics(probabilities, labels))
    if confusion_matrix_file:
        write_confusion_matrix(torch.from_numpy(probabilities.argmax(axis=1)), torch.from_numpy(labels),
                               classifier.labels, confusion_matrix_file)
        result['confusion_matrix'] = confusion_matrix_file
    return result
