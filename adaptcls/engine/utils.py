"""Small helpers for hooks and loops that work on the runner's model."""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a distributed wrapper, or the model itself.

    Hooks must not assume ``runner.model`` is the ``BaseModel``: under DDP it is a wrapper
    (mmengine's ``MMDistributedDataParallel``, torch's ``DistributedDataParallel`` or any class in
    the ``MODEL_WRAPPERS`` registry) whose ``module`` is the real model.

    Args:
        model (nn.Module): ``runner.model``, wrapped or not.

    Returns:
        nn.Module: the wrapped ``module`` for a model wrapper, else ``model``.
    """
    return model.module if is_model_wrapper(model) else model
