"""Checks an exported model against PyTorch on the same real images."""
from typing import Dict, Optional

import numpy as np
import torch
from torch import nn

from adaptcls.evaluation.metrics.functional import topk_accuracy
from adaptcls.utils.progress import track_batches


def normalise(data_preprocessor: nn.Module, images: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 RGB -> (N, 3, H, W) float, with the model's own data preprocessor."""
    chw = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    with torch.no_grad():
        return data_preprocessor(dict(inputs=chw), False)['inputs']


def torch_logits(module: nn.Module, inputs: torch.Tensor, batch_size: int = 64,
                 what: str = 'images through PyTorch') -> np.ndarray:
    """Runs ``module`` (eval mode, no grad) on normalised images in batches; returns (N, C) logits.

    Args:
        module (nn.Module): the model.
        inputs (torch.Tensor): (N, 3, H, W) normalised images.
        batch_size (int): images per call. Defaults to 64.
        what (str): the images' name in progress lines (printed while it takes long).
            Defaults to 'images through PyTorch'.
    """
    with torch.no_grad():
        return torch.cat([module(inputs[batch]) for batch in track_batches(len(inputs), batch_size, what)]).numpy()


def softmax(logits: np.ndarray, temperature: Optional[float] = None) -> np.ndarray:
    """Row-wise softmax of (N, C) logits, divided by ``temperature`` first when one is given (what a calibrated IR
    computes: :func:`adaptcls.deployment.export.openvino_ir.build_ir`)."""
    if temperature is not None:
        logits = logits / temperature
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
