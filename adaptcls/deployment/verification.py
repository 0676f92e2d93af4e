"""Checks an exported model against PyTorch on the same real images."""
from typing import Dict

import numpy as np
import torch
from torch import nn

from adaptcls.evaluation.metrics.functional import topk_accuracy


def normalise(data_preprocessor: nn.Module, images: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 RGB -> (N, 3, H, W) float, with the model's own data preprocessor."""
    chw = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    with torch.no_grad():
        return data_preprocessor(dict(inputs=chw), False)['inputs']


def torch_logits(module: nn.Module, inputs: torch.Tensor, batch_size: int = 64) -> np.ndarray:
    """Runs ``module`` (eval mode, no grad) on normalised images in batches; returns (N, C) logits."""
    with torch.no_grad():
        return torch.cat([module(inputs[start:start + batch_size])
                          for start in range(0, len(inputs), batch_size)]).numpy()


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (N, C) logits."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def compare_outputs(reference: np.ndarray, candidate: np.ndarray) -> Dict[str, float]:
    """How closely ``candidate`` (N, C) follows ``reference`` (N, C).

    Returns:
        dict: ``images`` (N), ``max_abs_diff`` (largest absolute difference of any output) and
        ``top1_agreement`` (fraction of rows with the same arg-max).
    """
    return dict(images=int(len(reference)),
                max_abs_diff=float(np.abs(reference - candidate).max()),
                top1_agreement=float((reference.argmax(1) == candidate.argmax(1)).mean()))


def top1(scores: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy of (N, C) scores with adaptcls's metric function."""
    return topk_accuracy(torch.from_numpy(scores), torch.from_numpy(labels), k=1)
