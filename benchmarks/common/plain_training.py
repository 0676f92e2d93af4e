"""The minimal hand-written PyTorch training loop that benchmarks/train_throughput.py compares
adaptcls against: the same timm model and head, the same optimizer, no framework.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional

import timm
import torch
from torch import nn

from .clock import ClockReading, Throughput

IMAGENET_MEAN = (123.675, 116.28, 103.53)
"""Per-channel mean on the 0-255 scale (RGB), as in the model base configs."""
IMAGENET_STD = (58.395, 57.12, 57.375)
"""Per-channel std on the 0-255 scale (RGB), as in the model base configs."""
NORM_LAYERS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm,
               nn.modules.instancenorm._InstanceNorm)
"""Layers whose parameters get no weight decay (mmengine's ``norm_decay_mult`` covers the same)."""
SAM_EPS = 1e-12
"""Added to the gradient norm, as in adaptcls's ``SAMOptimWrapper`` (its ``eps`` default)."""


@dataclass
class OptimizerSettings:
    """The optimizer of one benchmark run, read from the adaptcls config.

    Attributes:
        lr (float): learning rate after linear scaling with the batch size.
        momentum (float): SGD momentum.
        weight_decay (float): weight decay of conv/linear weights.
        bias_lr_mult (float, optional): lr multiplier of non-norm biases; None keeps one param group.
        sam_rho (float, optional): SAM radius; None trains with plain SGD.
    """

    lr: float
    momentum: float
    weight_decay: float
    bias_lr_mult: Optional[float] = None
    sam_rho: Optional[float] = None


def build_model(model_name: str, num_classes: int, dropout: float) -> nn.Module:
    """timm backbone (pooled pre-logits, ``num_classes=0``), dropout and a linear layer: the shape
    of adaptcls's ``TimmBackbone`` + ``LinearClsHead``."""
    backbone = timm.create_model(model_name, pretrained=False, num_classes=0)
    features = getattr(backbone, 'head_hidden_size', None) or backbone.num_features
    return nn.Sequential(backbone, nn.Dropout(dropout), nn.Linear(features, num_classes))


def param_groups(model: nn.Module, settings: OptimizerSettings) -> List[dict]:
    """One group, or the recipe's three when ``bias_lr_mult`` is set: decayed conv/linear weights,
    biases at ``bias_lr_mult`` x lr without decay, norm-layer parameters without decay
    (Bag of Tricks "no bias decay", He et al. 2019)."""
    if settings.bias_lr_mult is None:
        return [dict(params=list(model.parameters()))]
    weights, biases, norms = [], [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if isinstance(module, NORM_LAYERS):
                norms.append(param)
            elif name == 'bias':
                biases.append(param)
            else:
                weights.append(param)
    return [dict(params=weights),
            dict(params=biases, lr=settings.lr * settings.bias_lr_mult, weight_decay=0.0),
            dict(params=norms, weight_decay=0.0)]


def sgd_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
             labels: torch.Tensor) -> None:
    """Forward, cross-entropy, backward, update."""
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()


def sam_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
             labels: torch.Tensor, rho: float) -> None:
    """One SAM step (Foret et al., "Sharpness-Aware Minimization for Efficiently Improving
    Generalization", ICLR 2021), written as in the reference implementation github.com/davda54/sam:
    gradient at w, move to w + rho * g / ||g||, gradient there, move back, base optimizer step."""
    nn.functional.cross_entropy(model(images), labels).backward()
    params = [param for group in optimizer.param_groups for param in group['params'] if param.grad is not None]
    with torch.no_grad():
        grad_norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(param.grad) for param in params]))
        scale = rho / (grad_norm + SAM_EPS)
        offsets = [param.grad * scale for param in params]
        for param, offset in zip(params, offsets):
            param.add_(offset)
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(images), labels).backward()
    with torch.no_grad():
        for param, offset in zip(params, offsets):
            param.sub_(offset)
    optimizer.step()
    optimizer.zero_grad()


def time_plain_loop(model: nn.Module, settings: OptimizerSettings, images: torch.Tensor, labels: torch.Tensor,
                    batch_size: int, warmup_iters: int, seed: int = 0) -> Throughput:
    """Trains one epoch over the in-memory ``images`` (shuffled, ``batch_size`` per step) and
    returns the throughput of the steps after the first ``warmup_iters``.

    Each step takes a batch of uint8 images, normalises it (ImageNet mean/std) and makes one
    SGD or SAM update; the clock covers the same work as mmengine's loop from one
    ``after_train_iter`` to the next.

    Args:
        model (nn.Module): the model (see :func:`build_model`).
        settings (OptimizerSettings): the optimizer.
        images (Tensor): uint8 (N, 3, H, W) images.
        labels (Tensor): (N,) class indices.
        batch_size (int): images per step; N must be a multiple of it.
        warmup_iters (int): steps before the clock starts.
        seed (int): seed of the shuffling. Defaults to 0.

    Returns:
        Throughput: of the timed steps.
    """
    optimizer = torch.optim.SGD(param_groups(model, settings), lr=settings.lr, momentum=settings.momentum,
                                weight_decay=settings.weight_decay)
    step: Callable = sgd_step if settings.sam_rho is None else (
        lambda *args: sam_step(*args, rho=settings.sam_rho))
    mean = torch.tensor(IMAGENET_MEAN).view(1, -1, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, -1, 1, 1)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    batches = order.split(batch_size)
    model.train()
    started = None
    for index, batch in enumerate(batches):
        if index == warmup_iters:
            started = ClockReading.now()
        step(model, optimizer, (images[batch].float() - mean) / std, labels[batch])
    return Throughput.between(started, ClockReading.now(), (len(batches) - warmup_iters) * batch_size)
