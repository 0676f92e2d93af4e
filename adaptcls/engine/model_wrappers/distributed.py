"""DistributedDataParallel whose training step follows adaptcls's training-step protocol (``adaptcls.optim``)."""
from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.model.utils import detect_anomalous_params
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.optim import closure_train_step
from adaptcls.registry import MODEL_WRAPPERS

__all__ = ['AdaptclsDistributedDataParallel']


@MODEL_WRAPPERS.register_module()
class AdaptclsDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's ``MMDistributedDataParallel`` with the adaptcls training step.

    mmengine's stock wrapper computes one loss and calls ``optim_wrapper.update_params``, which a
    closure-based wrapper such as ``SAMOptimWrapper`` cannot use (it refuses). This wrapper
    pre-processes the batch once and hands ``optimize_step`` a closure that runs the forward pass
    *through DDP*, so every backward, including both SAM passes, all-reduces its gradient: SAM's
    perturbation uses the global gradient and all ranks stay identical. With a plain
    ``OptimWrapper`` the step is the same as mmengine's. Select it with
    ``model_wrapper_cfg=dict(type='adaptcls.AdaptclsDistributedDataParallel')``: the scope prefix
    is needed because mmengine's Runner looks the type up with ``MODEL_WRAPPERS.get`` on its root
    registry, which ignores the default scope.

    mmengine's Runner passes ``device_ids=[LOCAL_RANK]`` to every DDP wrapper, which torch refuses
    for a module on the CPU; for a CPU module (multi-process CPU training with gloo) ``device_ids``
    is dropped, as torch requires.

    Args:
        module (nn.Module): the ``BaseModel`` to wrap.
        detect_anomalous_params (bool): debug option of mmengine's wrapper: log parameters that did
            not contribute to the loss (slow). Defaults to False.
        **kwargs: passed to ``torch.nn.parallel.DistributedDataParallel``.
    """

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False, **kwargs) -> None:
        if _is_on_cpu(module):
            kwargs.pop('device_ids', None)
        super().__init__(module=module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """Pre-processes ``data`` once and updates the parameters with ``closure_train_step`` through DDP.

        Args:
            data (dict or tuple or list): a batch from the dataloader.
            optim_wrapper (OptimWrapper): the wrapper that owns the optimizer.

        Returns:
            dict[str, Tensor]: the log variables of the (first) forward pass.
        """
        inspect_loss = None
        if self.detect_anomalous_params:
            inspect_loss = lambda loss: detect_anomalous_params(loss, model=self)  # noqa: E731
        return closure_train_step(self.module, data, optim_wrapper, forward_model=self, inspect_loss=inspect_loss)


def _is_on_cpu(module: nn.Module) -> bool:
    """Whether every parameter of ``module`` lives on the CPU."""
    return all(param.device.type == 'cpu' for param in module.parameters())
