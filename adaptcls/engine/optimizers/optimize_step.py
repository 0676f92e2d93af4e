"""One parameter update, for plain optimizers and for closure-based ones such as SAM."""
from typing import Callable, Dict, Tuple

import torch
from mmengine.optim import OptimWrapper

from .non_finite_loss import check_finite_loss

LossClosure = Callable[[], Tuple[torch.Tensor, Dict[str, torch.Tensor]]]


def optimize_step(compute_loss: LossClosure, optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
    """Runs forward/backward/update once and returns the log variables.

    An optim wrapper that must evaluate the loss more than once per step (SAM evaluates it at
    ``w`` and at ``w + e(w)``) defines ``step_with_closure(compute_loss)``; any other wrapper gets
    one ``compute_loss()`` followed by mmengine's ``update_params``. A loss that is NaN or infinite
    stops training before it is back-propagated (:func:`check_finite_loss`; SAM checks both passes).

    Args:
        compute_loss (Callable[[], tuple[Tensor, dict]]): runs the forward pass on a fixed,
            already pre-processed batch and returns ``(parsed_loss, log_vars)`` without calling
            backward.
        optim_wrapper (OptimWrapper): the wrapper that owns the optimizer.

    Returns:
        dict[str, Tensor]: the log variables of the (first) forward pass.

    Raises:
        NonFiniteLossError: the loss is not finite; no update was made.
    """
    step_with_closure = getattr(optim_wrapper, 'step_with_closure', None)
    if step_with_closure is not None:
        return step_with_closure(compute_loss)
    parsed_loss, log_vars = compute_loss()
    check_finite_loss(parsed_loss, optim_wrapper)
    optim_wrapper.update_params(parsed_loss)
    return log_vars
