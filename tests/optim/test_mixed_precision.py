"""Mixed precision in the optim wrappers: SAM under bf16 autocast against a hand-computed step, fp16's gradient
scaler skipping overflowed steps (CPU-emulated), the scaler's state in checkpoints, and --amp on the configs."""
import os

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from adaptcls.config import enable_amp
from adaptcls.optim import MixedPrecisionOptimWrapper, SAMOptimWrapper
from tests.optim.test_sam_optim_wrapper import (BIAS, INPUTS, LR, MOMENTUM, RHO, TARGETS, WEIGHT, WEIGHT_DECAY,
                                                hand_sam_steps)
from tests.tools.conftest import REPO

BF16_TOLERANCE = 2e-3
"""bf16 keeps 8 bits of mantissa (about 2-3 significant digits) in the autocast matmuls: measured 3e-4 off the fp32
hand-computed weights after 5 steps that move them by 0.09."""
STEPS = 5


def make_model() -> torch.nn.Linear:
    model = torch.nn.Linear(3, 2)  # float32: autocast lowers float32 matmuls
    with torch.no_grad():
        model.weight.copy_(WEIGHT.float())
        model.bias.copy_(BIAS.float())
    return model


def make_sam(model, **kwargs) -> SAMOptimWrapper:
    sgd = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    return SAMOptimWrapper(sgd, rho=RHO, **kwargs)


def closure(model, wrapper, seen_dtypes):
    def compute_loss():
        with wrapper.optim_context(model):
            logits = model(INPUTS.float())
        seen_dtypes.append(logits.dtype)
        loss = F.cross_entropy(logits.float(), TARGETS)
        return loss, dict(loss=loss.detach())
    return compute_loss


def test_sam_under_bf16_autocast_matches_the_hand_computed_two_pass_step():
    model, seen = make_model(), []
    wrapper = make_sam(model, amp_dtype='bf16')
    for _ in range(STEPS):
        wrapper.step_with_closure(closure(model, wrapper, seen))
    assert seen == [torch.bfloat16] * 2 * STEPS  # both passes of every step ran under autocast
    expected = [param.float() for param in hand_sam_steps(STEPS)]
    torch.testing.assert_close(model.weight.detach(), expected[0], atol=BF16_TOLERANCE, rtol=0)
    torch.testing.assert_close(model.bias.detach(), expected[1], atol=BF16_TOLERANCE, rtol=0)
    assert (model.weight.detach() - WEIGHT.float()).abs().max() > 10 * BF16_TOLERANCE  # it did move


@pytest.mark.parametrize('overflowing_pass', [0, 1])
def test_an_inf_gradient_skips_the_fp16_step_and_leaves_weights_and_momentum(overflowing_pass):
    model, seen = make_model(), []
    wrapper = make_sam(model, amp_dtype='fp16')
    wrapper.step_with_closure(closure(model, wrapper, seen))  # a good step: momentum buffers exist
    weights = [param.detach().clone() for param in model.parameters()]
    momentum = [wrapper.optimizer.state[param]['momentum_buffer'].clone() for param in model.parameters()]
    scale = wrapper.loss_scaler.get_scale()
    passes = []
    handle = model.weight.register_hook(
        lambda grad: grad * float('inf') if len(passes) == overflowing_pass + 1 else grad)  # counted before backward
    compute_loss = closure(model, wrapper, seen)

    def counting_closure():
        result = compute_loss()
        passes.append(1)
        return result

    passes.clear()
    wrapper.step_with_closure(lambda: counting_closure())
    handle.remove()
    for param, before in zip(model.parameters(), weights):
        assert torch.equal(param.detach(), before)
    for param, before in zip(model.parameters(), momentum):
        assert torch.equal(wrapper.optimizer.state[param]['momentum_buffer'], before)
    assert wrapper.skipped_steps == 1 and wrapper.loss_scaler.get_scale() == scale / 2
    assert seen[-1] == torch.float16


def test_the_loss_scale_is_saved_and_restored():
    model, seen = make_model(), []
    wrapper = make_sam(model, amp_dtype='fp16', loss_scale=1024.0)
    wrapper.step_with_closure(closure(model, wrapper, seen))
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == 1024.0
    resumed = make_sam(make_model(), amp_dtype='fp16')
    resumed.load_state_dict(state)
    assert resumed.loss_scaler.get_scale() == 1024.0 and 'loss_scaler' not in resumed.optimizer.state_dict()


def test_plain_wrapper_trains_under_bf16_autocast_on_a_cpu():
    model, seen = make_model(), []
    wrapper = MixedPrecisionOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=LR))
    loss, _ = closure(model, wrapper, seen)()
    wrapper.update_params(loss)
    assert seen == [torch.bfloat16] and not torch.equal(model.weight.detach(), WEIGHT.float())


def _config(name):
    return Config.fromfile(os.path.join(REPO, 'configs', name))


def test_amp_on_the_configs():
    adaptive = _config('effnet_lite0_adaptive.py')
    enable_amp(adaptive, 'bf16')
    assert adaptive.optim_wrapper.type == 'SAMOptimWrapper' and adaptive.optim_wrapper.amp_dtype == 'bfloat16'
    baseline = _config('effnet_lite0_baseline.py')
    enable_amp(baseline, 'bf16')
    assert baseline.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='fp16 mixed precision needs a CUDA GPU.*--amp bf16'):
            enable_amp(_config('effnet_lite0_baseline.py'), 'fp16')
    with pytest.raises(ValueError, match='must be one of'):
        enable_amp(_config('effnet_lite0_baseline.py'), 'int8')
    auto = _config('effnet_lite0_adaptive.py')
    enable_amp(auto)  # a bare --amp
    assert auto.optim_wrapper.amp_dtype == 'auto' and auto.default_hooks.auto_precision.type == 'AutoPrecisionHook'
