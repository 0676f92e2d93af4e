"""Sharpness-Aware Minimization (SAM and the adaptive ASAM) as an mmengine optim wrapper, with mixed precision."""
from typing import Dict, List, Optional

import torch
from mmengine.optim import OptimWrapper
from torch.optim import Optimizer

from adaptcls.errors import UserInputError
from adaptcls.registry import OPTIM_WRAPPERS
from .mixed_precision import MixedPrecisionMixin
from .non_finite_loss import check_finite_loss
from .optimize_step import LossClosure

__all__ = ['SAMOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(MixedPrecisionMixin, OptimWrapper):
    """Sharpness-Aware Minimization over any base optimizer (Foret et al. 2021).

    One step evaluates the loss twice on the same batch (see :meth:`step_with_closure`):

    1. gradient ``g`` at ``w``;
    2. ascend to ``w + e(w)`` with ``e(w) = rho * g / (||g||_2 + eps)``, the norm taken over all
       parameters that have a gradient;
    3. gradient at ``w + e(w)``, then ``w`` is restored exactly (a copy, not a subtraction);
    4. the base optimizer steps with that second gradient (after mmengine's ``clip_grad``, if set).

    With ``adaptive=True`` it is ASAM (Kwon et al. 2021): with ``T_w = |w|`` element-wise,
    ``e(w) = rho * T_w^2 g / (||T_w g||_2 + eps)`` (the formulation of the ``davda54/sam``
    reference implementation, without ASAM's extra ``eta`` offset).

    The base optimizer makes the update and owns all state (e.g. SGD momentum buffers); the
    wrapper's ``state_dict`` is mmengine's, i.e. the base optimizer's, and SAM keeps no state
    between steps.

    Training code must call ``adaptcls.optim.optimize_step`` (the adaptcls classifier
    and ``AdaptclsDistributedDataParallel`` do); :meth:`update_params` refuses to run. SAM cannot
    be combined with gradient accumulation.

    Mixed precision (``amp_dtype``, :class:`~adaptcls.optim.mixed_precision.MixedPrecisionMixin`): both passes run
    under autocast; with fp16 both losses are scaled, ``e(w)`` is computed from the unscaled first gradient, a
    first gradient with inf/nan skips the whole step (weights untouched, the scale backs off) and so does a second
    one (the scaler skips the update), each skip logged and counted; the scaler's state is in ``state_dict``.

    Args:
        optimizer (Optimizer): the base optimizer (the recipe uses SGD with momentum 0.9).
        rho (float): radius of the neighbourhood in which the loss is maximised. Defaults to 0.05.
        adaptive (bool): use ASAM's scale-invariant neighbourhood. Defaults to False.
        eps (float): added to the gradient norm to avoid a division by zero. Defaults to 1e-12.
        amp_dtype (str, optional): mixed precision: 'bfloat16' / 'bf16' (CPU and GPU), 'float16' / 'fp16' (GPU,
            with a gradient scaler), or 'auto' (bf16 where ``AutoPrecisionHook`` measures it faster on this machine,
            else fp32). Defaults to None (fp32).
        loss_scale (str | float | dict): fp16's initial scale ('dynamic', a float, or GradScaler arguments).
            Defaults to 'dynamic'.
        **kwargs: passed to mmengine's ``OptimWrapper``, e.g. ``clip_grad=dict(max_norm=...)``,
            which clips the gradient used for the update, not the one that sets the perturbation.

    Examples:
        >>> optim_wrapper = dict(
        ...     type='SAMOptimWrapper', rho=0.05,
        ...     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
    """

    def __init__(self,
                 optimizer: Optimizer,
                 rho: float = 0.05,
                 adaptive: bool = False,
                 eps: float = 1e-12,
                 amp_dtype: Optional[str] = None,
                 loss_scale='dynamic',
                 **kwargs) -> None:
        _check_sam_arguments(rho, kwargs.get('accumulative_counts', 1))
        super().__init__(optimizer, **kwargs)
        self.rho = rho
        self.adaptive = adaptive
        self.eps = eps
        self._init_mixed_precision(amp_dtype, loss_scale)

    def step_with_closure(self, compute_loss: LossClosure) -> Dict[str, torch.Tensor]:
        """Makes one SAM update on the batch that ``compute_loss`` evaluates.

        mmengine's ``_inner_count`` (one count per update) is advanced once, by the second backward.

        Args:
            compute_loss (Callable[[], tuple[Tensor, dict]]): runs the forward pass on a fixed batch
                and returns ``(parsed_loss, log_vars)`` without calling backward.

        Returns:
            dict[str, Tensor]: the log variables of the first forward pass (the loss at ``w``).

        Raises:
            NonFiniteLossError: either loss is not finite; the weights are left at ``w``, un-updated.
        """
        loss, log_vars = compute_loss()
        check_finite_loss(loss, self)
        self.scaled(loss).backward()  # not self.backward: the ascent pass is no update and must not count
        original_weights = self._perturb_weights()
        self.zero_grad()
        if original_weights is None:  # fp16: the first gradient overflowed; no ascent, no update
            return log_vars
        try:
            perturbed_loss, _ = compute_loss()
            check_finite_loss(perturbed_loss, self, 'the loss at the SAM-perturbed weights w + e(w)')
            self.backward(perturbed_loss)
        finally:  # w is restored even when the perturbed loss stops training
            _restore_weights(original_weights)
        self.step()
        self.zero_grad()
        return log_vars

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Refuses the one-loss update: SAM must evaluate the loss at two points of one batch.

        Raises:
            RuntimeError: always.
        """
        raise RuntimeError(
            'SAMOptimWrapper.update_params was called, but SAM needs to evaluate the loss twice '
            'per step (at w and at w + e(w)) and cannot update from a single loss. The training '
            'step must call adaptcls.optim.optimize_step(compute_loss, optim_wrapper): '
            'the adaptcls classifiers do, and under distributed training set model_wrapper_cfg='
            "dict(type='adaptcls.AdaptclsDistributedDataParallel'). Otherwise use "
            "optim_wrapper=dict(type='OptimWrapper', ...).")

    @torch.no_grad()
    def _perturb_weights(self) -> Optional[Dict[torch.nn.Parameter, torch.Tensor]]:
        """Moves each parameter that has a gradient to ``w + e(w)``; returns copies of ``w``. With fp16, ``e(w)``
        is computed from the unscaled gradient, and a gradient with inf/nan moves nothing and returns None (the
        step is skipped and the scale backs off)."""
        params = self._params_with_grad()
        inverse_scale = 1.0 if self.loss_scaler is None else 1.0 / self.loss_scaler.get_scale()
        ascent_directions = [self._scale_by_weight(param, param.grad * inverse_scale) for param in params]
        # sorted, so that the sum does not depend on how the parameters are grouped (merged or per-parameter groups
        # give the same e(w) bit for bit)
        grad_norm = torch.linalg.vector_norm(torch.sort(
            torch.stack([torch.linalg.vector_norm(direction) for direction in ascent_directions])).values)
        if self.loss_scaler is not None and not torch.isfinite(grad_norm):
            scale = self.loss_scaler.get_scale()
            self.loss_scaler.update(scale * self.loss_scaler.get_backoff_factor())
            self.record_skipped_step(scale)
            return None
        step_size = self.rho / (grad_norm + self.eps)
        original_weights = {}
        for param, direction in zip(params, ascent_directions):
            original_weights[param] = param.clone()
            param.add_(self._scale_by_weight(param, direction) * step_size)
        return original_weights

    def _scale_by_weight(self, param: torch.Tensor, tensor: torch.Tensor) -> torch.Tensor:
        """Applies ASAM's ``T_w = |w|`` to ``tensor``; the identity for plain SAM."""
        if self.adaptive:
            return param.abs() * tensor
        return tensor

    def _params_with_grad(self) -> List[torch.nn.Parameter]:
        """The base optimizer's parameters that received a gradient."""
        return [
            param for group in self.optimizer.param_groups for param in group['params']
            if param.grad is not None
        ]


def _check_sam_arguments(rho: float, accumulative_counts: int) -> None:
    """Raises a ``ValueError`` naming the fix for arguments SAM cannot work with."""
    if rho <= 0:
        raise UserInputError(
            f'SAMOptimWrapper got rho={rho}; rho is the radius of the SAM neighbourhood and must '
            "be > 0 (the recipe uses 0.05). For plain SGD set optim_wrapper.type='OptimWrapper'.")
    if accumulative_counts != 1:
        raise UserInputError(
            f'SAMOptimWrapper got accumulative_counts={accumulative_counts}, but SAM perturbs the '
            'weights with the gradient of one batch and must update right after its second pass, '
            'so it cannot accumulate gradients over several batches. Remove accumulative_counts '
            'from optim_wrapper and use a larger batch (with auto_scale_lr) instead.')


def _restore_weights(original_weights: Dict[torch.nn.Parameter, torch.Tensor]) -> None:
    """Copies the saved weights back into their parameters."""
    with torch.no_grad():
        for param, original in original_weights.items():
            param.copy_(original)
