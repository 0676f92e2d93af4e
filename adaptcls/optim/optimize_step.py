"""The training-step protocol: one parameter update, for plain optimizers and for closure-based ones such as SAM."""
from typing import Callable, Dict, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

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



def closure_train_step(model: BaseModel, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper,
                       forward_model: Optional[nn.Module] = None,
                       inspect_loss: Optional[Callable[[torch.Tensor], None]] = None) -> Dict[str, torch.Tensor]:
    """One training step of ``model``: preprocess the batch once, then :func:`optimize_step`.

    ``compute_loss`` re-runs the 'loss' forward pass on the same preprocessed batch, so an optim wrapper that needs
    the loss twice per step (SAM) sees one batch and one augmentation. The classifiers' ``train_step`` is this, and so
    is the DDP wrapper's, which runs the forward pass through DDP (``forward_model``) so that every backward, both of
    SAM's included, all-reduces its gradient.

    Args:
        model (BaseModel): the classifier, with a ``data_preprocessor`` and a 'loss' forward mode.
        data (dict | tuple | list): a batch from the dataloader.
        optim_wrapper (OptimWrapper): the optim wrapper that updates the parameters.
        forward_model (nn.Module, optional): what runs the forward pass (a wrapper of ``model``). Defaults to
            ``model``.
        inspect_loss (Callable[[Tensor], None], optional): called with each parsed loss before its backward pass
            (e.g. mmengine's anomalous-parameter detection).

    Returns:
        dict[str, Tensor]: the log variables of the (first) forward pass.

    Raises:
        TypeError: the data preprocessor returned neither a dict nor a tuple / list.
    """
    forward_model = model if forward_model is None else forward_model
    with optim_wrapper.optim_context(forward_model):
        data = model.data_preprocessor(data, True)
    if not isinstance(data, (dict, list, tuple)):
        raise TypeError(f'the data preprocessor must return a dict, tuple or list, got {type(data)}')

    def compute_loss() -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        with optim_wrapper.optim_context(forward_model):
            losses = forward_model(**data, mode='loss') if isinstance(data, dict) else forward_model(*data, mode='loss')
        parsed_loss, log_vars = model.parse_losses(losses)
        if inspect_loss is not None:
            inspect_loss(parsed_loss)
        return parsed_loss, log_vars

    return optimize_step(compute_loss, optim_wrapper)
