"""Stopping training at a non-finite loss, before it reaches the weights."""
import torch
from mmengine.dist import all_reduce
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

LR_KEY = 'optim_wrapper.optimizer.lr'
"""The config key of the learning rate that the message suggests lowering."""

SUGGESTED_LR_FACTOR = 0.5
"""The suggested learning rate is this fraction of the configured one."""


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names the iteration and a lower lr."""


def check_finite_loss(loss: torch.Tensor, optim_wrapper: OptimWrapper, what: str = 'the loss') -> None:
    """Raises before ``loss`` is back-propagated if it is NaN or infinite on any process.

    Called by every training step (``optimize_step``, and for both of SAM's passes), so a
    diverged run stops with no update made from the bad loss: the weights in memory and every
    checkpoint saved so far stay finite. Under distributed training the verdict is all-reduced,
    so every process stops at the same step instead of waiting for the others in a collective.

    Args:
        loss (Tensor): the scalar loss about to be back-propagated.
        optim_wrapper (OptimWrapper): the wrapper that would make the update (for the lr).
        what (str): how the message names this loss. Defaults to 'the loss'.

    Raises:
        NonFiniteLossError: naming the epoch and iteration (from the message hub), the current
            and configured learning rates, and a lower ``optim_wrapper.optimizer.lr`` to try.
    """
    bad = (~torch.isfinite(loss.detach())).any().to(torch.float32).reshape(1)
    all_reduce(bad)  # a no-op without a process group
    if not bad.item():
        return
    hub = MessageHub.get_current_instance()
    epoch, iteration = hub.get_info('epoch'), hub.get_info('iter')
    where = (f'in epoch {epoch + 1}, iteration {iteration + 1}' if epoch is not None and iteration is not None
             else 'in this step')
    configured_lr = optim_wrapper.optimizer.defaults['lr']
    current_lr = optim_wrapper.param_groups[0]['lr']
    raise NonFiniteLossError(
        f'Training stopped {where}: {what} is {loss.detach().float().mean().item()} (not finite). No update '
        f'was made from it, so no checkpoint holds non-finite weights; the checkpoints already saved are '
        f'kept. The learning rate is probably too high (current lr {current_lr:g}, configured '
        f'{LR_KEY}={configured_lr:g}): train again with a lower one, e.g. '
        f'--cfg-options {LR_KEY}={configured_lr * SUGGESTED_LR_FACTOR:g}, or find one with '
        'tools/lr_search.py. A resumed run keeps the saved lr, so start a new run (or load the '
        'weights of a good checkpoint with --cfg-options load_from=PATH).')
