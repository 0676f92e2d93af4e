"""``optim_wrapper.amp_dtype='auto'``: bf16 autocast only where this machine runs the model faster with it."""
import time
from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from adaptcls.optim.mixed_precision import AUTO_AMP
from adaptcls.registry import HOOKS

STATE_KEY = 'AutoPrecisionHook'
"""The decision's place in checkpoints (``checkpoint['adaptcls_hooks']``), so a resumed run keeps it."""
SUMMARY_KEY = 'summary/precision_probe'
"""The probe's figures in the message hub, copied into summary.json by ``RunSummaryHook``."""


@HOOKS.register_module()
class AutoPrecisionHook(Hook):
    """Chooses bf16 autocast or fp32 for an optim wrapper with ``amp_dtype='auto'`` by timing the model both ways.

    Before training, the model runs ``probe_steps`` forward + backward passes (after ``warmup_steps``) on a random
    batch of ``probe_batch`` images of the config's input size, in fp32 and under bf16 autocast, alternating; bf16 is
    chosen when its median time is at most ``1 / min_speedup`` of fp32's. No weight changes (gradients are cleared,
    BatchNorm statistics and the random generators are restored). Whether bf16 is faster depends on the hardware (CPUs
    without native bf16 emulate it slowly), so the recipe cannot fix it in advance. The decision is logged, recorded
    in summary.json (``precision``, and ``precision_probe`` with the timings) and saved in checkpoints, so that a
    resumed run keeps it (exact resume). A wrapper without ``amp_dtype='auto'`` is left alone (``--amp bf16`` or
    ``fp16`` chooses explicitly).

    Args:
        probe_batch (int): images per probe pass. Defaults to 16.
        warmup_steps (int): untimed passes per precision (kernel set-up). Defaults to 1.
        probe_steps (int): timed passes per precision. Defaults to 3.
        min_speedup (float): how much faster bf16 must be to be chosen. Defaults to 1.1 (a 10% margin over the
            probe's noise, so that a tie keeps fp32's accuracy).
    """

    priority = 'VERY_HIGH'

    def __init__(self, probe_batch: int = 16, warmup_steps: int = 1, probe_steps: int = 3,
                 min_speedup: float = 1.1) -> None:
        self.probe_batch, self.warmup_steps, self.probe_steps = probe_batch, warmup_steps, probe_steps
        self.min_speedup = min_speedup
        self.decision: Optional[Dict] = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self.decision = checkpoint.get('adaptcls_hooks', {}).get(STATE_KEY, self.decision)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.decision is not None:
            checkpoint.setdefault('adaptcls_hooks', {})[STATE_KEY] = self.decision

    def before_train(self, runner) -> None:
        wrapper = runner.optim_wrapper
        if getattr(wrapper, 'requested_amp_dtype', None) != AUTO_AMP:
            return
        if self.decision is None:
            self.decision = self.probe(runner)
        else:
            print_log(f'amp_dtype auto: {self.decision["chosen"]}, as chosen before the resumed run', logger='current')
        if self.decision['chosen'] == 'bfloat16':
            wrapper.set_amp_dtype('bfloat16')
        runner.message_hub.update_info(SUMMARY_KEY, self.decision)

    def probe(self, runner) -> Dict:
        """Times the model's forward + backward in fp32 and bf16; returns the figures and the choice."""
        from adaptcls.config.config_utils import config_input_size
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        device = next(model.parameters()).device
        size = config_input_size(runner.cfg)
        buffers = {name: value.clone() for name, value in model.state_dict().items()}
        cpu_rng, cuda_rng = torch.get_rng_state(), torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
        inputs = torch.randn(self.probe_batch, 3, size, size, device=device)
        times = {'float32': [], 'bfloat16': []}
        for step in range(self.warmup_steps + self.probe_steps):
            for precision in times:
                seconds = _time_pass(model, inputs, device.type, precision == 'bfloat16')
                if step >= self.warmup_steps:
                    times[precision].append(seconds)
        model.load_state_dict(buffers)
        model.zero_grad(set_to_none=True)
        torch.set_rng_state(cpu_rng)
        if cuda_rng:
            torch.cuda.set_rng_state_all(cuda_rng)
        medians = {precision: sorted(values)[len(values) // 2] for precision, values in times.items()}
        speedup = medians['float32'] / medians['bfloat16']
        chosen = 'bfloat16' if speedup >= self.min_speedup else 'float32'
        print_log(f'amp_dtype auto: forward + backward of {self.probe_batch} images at {size} px on {device.type}: '
                  f'fp32 {medians["float32"] * 1e3:.1f} ms, bf16 {medians["bfloat16"] * 1e3:.1f} ms (x{speedup:.2f}); '
                  f'training in {chosen} (bf16 needs x{self.min_speedup:g})', logger='current')
        return dict(chosen=chosen, fp32_ms=round(medians['float32'] * 1e3, 2),
                    bf16_ms=round(medians['bfloat16'] * 1e3, 2), speedup=round(speedup, 3),
                    min_speedup=self.min_speedup, probe_batch=self.probe_batch, input_size=size)


def _time_pass(model, inputs: torch.Tensor, device_type: str, bf16: bool) -> float:
    """Seconds of one forward ('tensor' mode) + backward of the logits' sum."""
    if device_type == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=bf16):
        logits = model(inputs, mode='tensor')
    logits.float().sum().backward()
    if device_type == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - start
