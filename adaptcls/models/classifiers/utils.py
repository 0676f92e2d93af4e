"""Helpers every classifier shares: building parts from configs and the training step."""
from typing import Dict, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.engine.optimizers import optimize_step
from adaptcls.registry import MODELS


def build_module(module: Union[dict, nn.Module]) -> nn.Module:
    """Builds a config from adaptcls's ``MODELS``; passes a ready module through."""
    return module if isinstance(module, nn.Module) else MODELS.build(module)


def closure_train_step(model: BaseModel, data: Union[dict, tuple, list],
                       optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
    """One training step of ``model``: preprocess the batch once, then ``optimize_step``.

    ``compute_loss`` re-runs ``model``'s 'loss' forward pass on the same preprocessed batch, so
    an optim wrapper that needs the loss twice per step (SAM) sees one batch and one augmentation.

    Args:
        model (BaseModel): the classifier, with a ``data_preprocessor`` and a 'loss' forward mode.
        data (dict | tuple | list): a batch from the dataloader.
        optim_wrapper (OptimWrapper): the optim wrapper that updates the parameters.

    Returns:
        dict[str, Tensor]: the log variables.
    """
    with optim_wrapper.optim_context(model):
        data = model.data_preprocessor(data, True)

    def compute_loss() -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        with optim_wrapper.optim_context(model):
            losses = model._run_forward(data, mode='loss')
        return model.parse_losses(losses)

    return optimize_step(compute_loss, optim_wrapper)
