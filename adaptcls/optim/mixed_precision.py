"""Mixed precision for adaptcls's optim wrappers: autocast (bf16 on CPU and GPU, fp16 on GPU) and, for fp16, a
gradient scaler that skips the steps whose gradients overflowed.

mmengine's ``AmpOptimWrapper`` refuses to run without a GPU and cannot drive SAM's two passes, so
:class:`MixedPrecisionMixin` gives any ``OptimWrapper`` (``SAMOptimWrapper`` and
:class:`MixedPrecisionOptimWrapper`) the same four pieces, following torch's AMP recipe
(https://pytorch.org/docs/stable/amp.html): the forward passes run under ``torch.autocast`` (``optim_context``), the
loss is scaled before each backward (fp16 only), the gradients are unscaled before clipping and the update, a step
whose gradients hold inf/nan is skipped (logged, counted in ``skipped_steps``) and the scale backs off, and the
scaler's state is part of the wrapper's ``state_dict`` (so an interrupted run resumes exactly).
"""
from contextlib import contextmanager
from typing import Dict, Iterator, Optional

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from adaptcls.errors import UserInputError
from adaptcls.registry import OPTIM_WRAPPERS

AMP_DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}
"""``amp_dtype`` values (``--amp bf16`` / ``fp16``) and the autocast dtype of each."""
AMP_ALIASES = {'bf16': 'bfloat16', 'fp16': 'float16'}
"""Short names of :data:`AMP_DTYPES` (the command line's)."""
AUTO_AMP = 'auto'
"""``amp_dtype='auto'``: fp32 until ``AutoPrecisionHook`` has timed bf16 against it on this machine."""
LOSS_SCALER_KEY = 'loss_scaler'
"""The scaler's state in the wrapper's ``state_dict`` (mmengine's ``AmpOptimWrapper`` uses the same key)."""


def amp_dtype_name(amp_dtype: Optional[str]) -> Optional[str]:
    """The canonical name ('bfloat16', 'float16') of an ``amp_dtype`` value, or None for no mixed precision.

    Raises:
        ValueError: an unknown value, naming the valid ones.
    """
    if amp_dtype is None:
        return None
    name = AMP_ALIASES.get(amp_dtype, amp_dtype)
    if name not in AMP_DTYPES:
        raise UserInputError(f'optim_wrapper.amp_dtype (--amp) must be one of {sorted(AMP_ALIASES)} or '
                             f'{sorted(AMP_DTYPES)}, got {amp_dtype!r}.')
    return name


class MixedPrecisionMixin:
    """Autocast and (fp16) loss scaling for an ``OptimWrapper`` subclass; call :meth:`_init_mixed_precision` from
    its ``__init__`` after ``OptimWrapper.__init__``.

    Attributes:
        amp_dtype (torch.dtype | None): the autocast dtype, or None (fp32).
        loss_scaler (torch.amp.GradScaler | None): fp16's gradient scaler.
        skipped_steps (int): updates skipped because the gradients overflowed (fp16).
    """

    def _init_mixed_precision(self, amp_dtype: Optional[str], loss_scale) -> None:
        self.requested_amp_dtype = amp_dtype
        self.loss_scale = loss_scale
        self.device_type = _parameter_device(self.optimizer).type
        self.skipped_steps = 0
        self.set_amp_dtype(None if amp_dtype == AUTO_AMP else amp_dtype)

    def set_amp_dtype(self, amp_dtype: Optional[str]) -> None:
        """Switches mixed precision to ``amp_dtype`` (None: fp32); ``'auto'`` is resolved by ``AutoPrecisionHook``
        before training, which calls this."""
        name = amp_dtype_name(amp_dtype)
        self.amp_dtype = AMP_DTYPES[name] if name else None
        self.loss_scaler = None
        if self.amp_dtype == torch.float16:  # on a CPU it runs (slowly: tests), --amp fp16 asks for a GPU
            loss_scale = self.loss_scale
            scaler_args = dict(init_scale=loss_scale) if isinstance(loss_scale, float) else (
                dict(loss_scale) if isinstance(loss_scale, dict) else {})
            if not isinstance(loss_scale, (float, dict)) and loss_scale != 'dynamic':
                raise UserInputError(f'loss_scale must be "dynamic", a float or a GradScaler dict, got {loss_scale!r}.')
            self.loss_scaler = torch.amp.GradScaler(self.device_type, **scaler_args)
        if self.amp_dtype is not None:
            print_log(f'mixed precision: the forward passes run under {name} autocast on {self.device_type}'
                      f'{" with a dynamic gradient scaler" if self.loss_scaler else ""} ({type(self).__name__})',
                      logger='current')

    @contextmanager
    def optim_context(self, model) -> Iterator[None]:
        """mmengine's context (gradient sync), with the forward pass under autocast when mixed precision is on."""
        with super().optim_context(model):
            if self.amp_dtype is None:
                yield
            else:
                with torch.autocast(device_type=self.device_type, dtype=self.amp_dtype):
                    yield

    def scaled(self, loss: torch.Tensor) -> torch.Tensor:
        """``loss`` times the current fp16 scale (itself without a scaler)."""
        return loss if self.loss_scaler is None else self.loss_scaler.scale(loss)

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """mmengine's backward (one count per update) of the scaled loss."""
        super().backward(self.scaled(loss), **kwargs)

    def step(self, **kwargs) -> None:
        """The update: unscale (fp16), clip (mmengine's ``clip_grad``), step unless the gradients overflowed."""
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        self.loss_scaler.unscale_(self.optimizer)
        if self.clip_grad_kwargs:
            self._clip_grad()
        scale = self.loss_scaler.get_scale()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()
        if self.loss_scaler.get_scale() < scale:  # GradScaler backs off exactly when it skipped the step
            self.record_skipped_step(scale)

    def record_skipped_step(self, scale: float) -> None:
        """Counts and logs an update skipped because the fp16 gradients held inf/nan."""
        self.skipped_steps += 1
        print_log(f'fp16: inf/nan in the gradients at loss scale {scale:g}, update skipped ({self.skipped_steps} so '
                  f'far); the scale is now {self.loss_scaler.get_scale():g}', logger='current')

    def state_dict(self) -> Dict:
        """The optimizer's state, with the loss scaler's under ``loss_scaler`` (fp16)."""
        state = super().state_dict()
        if self.loss_scaler is not None:
            state[LOSS_SCALER_KEY] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: Dict) -> None:
        """Loads the optimizer's state and, when both have one, the loss scaler's."""
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop(LOSS_SCALER_KEY, None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(MixedPrecisionMixin, OptimWrapper):
    """mmengine's ``OptimWrapper`` with bf16 autocast (CPU and GPU) or fp16 autocast and a gradient scaler (GPU):
    what ``--amp`` gives the configs without SAM (see :class:`MixedPrecisionMixin`).

    Args:
        amp_dtype (str): 'bfloat16' / 'bf16', 'float16' / 'fp16', or 'auto' (bf16 where ``AutoPrecisionHook``
            measures it faster, else fp32). Defaults to 'bfloat16'.
        loss_scale (str | float | dict): fp16's initial scale: 'dynamic', a float, or GradScaler arguments.
            Defaults to 'dynamic'.
        **kwargs: ``OptimWrapper``'s arguments (optimizer, clip_grad, accumulative_counts).
    """

    def __init__(self, amp_dtype: str = 'bfloat16', loss_scale='dynamic', **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_mixed_precision(amp_dtype, loss_scale)


def _parameter_device(optimizer: torch.optim.Optimizer) -> torch.device:
    """The device of the optimizer's first parameter (CPU without parameters)."""
    for group in optimizer.param_groups:
        for param in group['params']:
            return param.device
    return torch.device('cpu')
