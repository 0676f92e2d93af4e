"""SAMOptimWrapper against a SAM / ASAM step computed by hand with torch.autograd.grad."""
import io
from typing import List

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

from adaptcls.optim import SAMOptimWrapper, optimize_step
from adaptcls.registry import OPTIM_WRAPPERS

LR = 0.1
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
RHO = 0.05
EPS = 1e-12
TOLERANCE = 1e-6

INPUTS = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [1.0, 1.0, -1.0]],
                      dtype=torch.float64)
TARGETS = torch.tensor([0, 1, 1, 0])
WEIGHT = torch.tensor([[0.3, -0.2, 0.5], [-0.4, 0.6, 0.1]], dtype=torch.float64)
BIAS = torch.tensor([0.05, -0.1], dtype=torch.float64)


def make_model() -> nn.Linear:
    model = nn.Linear(3, 2).double()
    with torch.no_grad():
        model.weight.copy_(WEIGHT)
        model.bias.copy_(BIAS)
    return model


def make_sam(model: nn.Module, **kwargs) -> SAMOptimWrapper:
    sgd = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    return SAMOptimWrapper(sgd, rho=RHO, **kwargs)


def loss_closure(model: nn.Module):

    def compute_loss():
        loss = F.cross_entropy(model(INPUTS), TARGETS)
        return loss, dict(loss=loss.detach())

    return compute_loss


def hand_gradient(params: List[torch.Tensor]) -> List[torch.Tensor]:
    weight, bias = [param.detach().clone().requires_grad_() for param in params]
    loss = F.cross_entropy(INPUTS @ weight.T + bias, TARGETS)
    return list(torch.autograd.grad(loss, [weight, bias]))


def hand_perturbation(params: List[torch.Tensor], adaptive: bool) -> List[torch.Tensor]:
    grads = hand_gradient(params)
    scales = [param.abs() if adaptive else torch.ones_like(param) for param in params]
    norm = torch.sqrt(sum(((scale * grad)**2).sum() for scale, grad in zip(scales, grads)))
    return [RHO * scale**2 * grad / (norm + EPS) for scale, grad in zip(scales, grads)]


def hand_sgd_step(params, grads, buffers):
    """torch.optim.SGD with momentum, no dampening, weight decay added to the gradient."""
    new_params, new_buffers = [], []
    for param, grad, buffer in zip(params, grads, buffers):
        d_p = grad + WEIGHT_DECAY * param
        buffer = d_p if buffer is None else MOMENTUM * buffer + d_p
        new_params.append(param - LR * buffer)
        new_buffers.append(buffer)
    return new_params, new_buffers


def hand_sam_steps(num_steps: int, adaptive: bool = False, max_norm: float = None):
    params, buffers = [WEIGHT.clone(), BIAS.clone()], [None, None]
    for _ in range(num_steps):
        perturbation = hand_perturbation(params, adaptive)
        grads = hand_gradient([param + e for param, e in zip(params, perturbation)])
        if max_norm is not None:
            norm = torch.sqrt(sum((grad**2).sum() for grad in grads))
            grads = [grad * min(1.0, max_norm / (norm.item() + 1e-6)) for grad in grads]
        params, buffers = hand_sgd_step(params, grads, buffers)
    return params


def assert_params_close(model: nn.Linear, expected: List[torch.Tensor]) -> None:
    torch.testing.assert_close(model.weight.detach(), expected[0], atol=TOLERANCE, rtol=0)
    torch.testing.assert_close(model.bias.detach(), expected[1], atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize('adaptive', [False, True])
def test_two_steps_equal_hand_computed_sam(adaptive):
    model = make_model()
    optim_wrapper = make_sam(model, adaptive=adaptive)
    for _ in range(2):
        optim_wrapper.step_with_closure(loss_closure(model))

    assert_params_close(model, hand_sam_steps(2, adaptive=adaptive))
    assert all(param.grad is None for param in model.parameters())


def test_sam_differs_from_plain_sgd_by_more_than_the_tolerance():
    sgd_params, _ = hand_sgd_step([WEIGHT, BIAS], hand_gradient([WEIGHT, BIAS]), [None, None])
    sam_params = hand_sam_steps(1)
    assert (sam_params[0] - sgd_params[0]).abs().max() > 100 * TOLERANCE


def test_second_pass_sees_perturbed_weights_and_weights_are_restored():
    model = make_model()
    seen_weights = []
    compute_loss = loss_closure(model)

    def recording_closure():
        seen_weights.append([model.weight.detach().clone(), model.bias.detach().clone()])
        return compute_loss()

    log_vars = make_sam(model).step_with_closure(recording_closure)

    perturbation = hand_perturbation([WEIGHT, BIAS], adaptive=False)
    torch.testing.assert_close(seen_weights[0], [WEIGHT, BIAS], atol=0, rtol=0)
    torch.testing.assert_close(
        seen_weights[1], [WEIGHT + perturbation[0], BIAS + perturbation[1]], atol=TOLERANCE, rtol=0)
    expected = hand_sam_steps(1)
    assert_params_close(model, expected)
    not_restored = expected[0] + perturbation[0]
    assert (model.weight.detach() - not_restored).abs().max() > 100 * TOLERANCE
    loss_at_w = F.cross_entropy(INPUTS @ WEIGHT.T + BIAS, TARGETS)
    torch.testing.assert_close(log_vars['loss'], loss_at_w)


def test_clip_grad_clips_the_second_gradient():
    max_norm = 0.01
    perturbation = hand_perturbation([WEIGHT, BIAS], adaptive=False)
    second_grads = hand_gradient([WEIGHT + perturbation[0], BIAS + perturbation[1]])
    second_norm = torch.sqrt(sum((grad**2).sum() for grad in second_grads)).item()
    assert second_norm > 10 * max_norm  # the clipping is active

    model = make_model()
    make_sam(model, clip_grad=dict(max_norm=max_norm)).step_with_closure(loss_closure(model))

    assert_params_close(model, hand_sam_steps(1, max_norm=max_norm))
    logged_norm = MessageHub.get_current_instance().get_scalar('train/grad_norm').current()
    assert logged_norm == pytest.approx(second_norm, abs=TOLERANCE)


def test_optimize_step_dispatches_to_sam():
    model = make_model()
    optim_wrapper = make_sam(model)
    optimize_step(loss_closure(model), optim_wrapper)

    assert_params_close(model, hand_sam_steps(1))
    assert optim_wrapper._inner_count == 1  # one mmengine count per update, not per backward


def test_momentum_survives_weights_only_checkpoint_round_trip():
    uninterrupted = make_model()
    uninterrupted_wrapper = make_sam(uninterrupted)
    uninterrupted_wrapper.step_with_closure(loss_closure(uninterrupted))
    buffer = io.BytesIO()
    torch.save(uninterrupted_wrapper.state_dict(), buffer)
    uninterrupted_wrapper.step_with_closure(loss_closure(uninterrupted))

    resumed = make_model()
    weight_after_one_step, bias_after_one_step = hand_sam_steps(1)
    with torch.no_grad():
        resumed.weight.copy_(weight_after_one_step)
        resumed.bias.copy_(bias_after_one_step)
    resumed_wrapper = make_sam(resumed)
    buffer.seek(0)
    resumed_wrapper.load_state_dict(torch.load(buffer, weights_only=True))
    resumed_wrapper.step_with_closure(loss_closure(resumed))

    assert_params_close(resumed, [uninterrupted.weight.detach(), uninterrupted.bias.detach()])
    assert_params_close(resumed, hand_sam_steps(2))


def test_update_params_refuses_plain_update():
    model = make_model()
    loss, _ = loss_closure(model)()
    with pytest.raises(RuntimeError, match='optimize_step'):
        make_sam(model).update_params(loss)
    torch.testing.assert_close(model.weight.detach(), WEIGHT, atol=0, rtol=0)


def test_gradient_accumulation_is_refused():
    with pytest.raises(ValueError, match='accumulative_counts=2'):
        make_sam(make_model(), accumulative_counts=2)


@pytest.mark.parametrize('rho', [0.0, -0.05])
def test_non_positive_rho_is_refused(rho):
    sgd = torch.optim.SGD(make_model().parameters(), lr=LR)
    with pytest.raises(ValueError, match=f'rho={rho}'):
        SAMOptimWrapper(sgd, rho=rho)


def test_registry_builds_sam_with_a_built_optimizer():
    sgd = torch.optim.SGD(make_model().parameters(), lr=LR, momentum=MOMENTUM)
    optim_wrapper = OPTIM_WRAPPERS.build(dict(type='SAMOptimWrapper', optimizer=sgd, rho=RHO))
    assert isinstance(optim_wrapper, SAMOptimWrapper)
    assert optim_wrapper.optimizer is sgd
    assert optim_wrapper.rho == RHO


def test_build_optim_wrapper_with_recipe_paramwise_cfg():
    model = make_model()
    cfg = dict(
        type='SAMOptimWrapper',
        optimizer=dict(type='SGD', lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY),
        paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0., norm_decay_mult=0.))
    with DefaultScope.overwrite_default_scope('adaptcls'):
        optim_wrapper = build_optim_wrapper(model, cfg)

    assert isinstance(optim_wrapper, SAMOptimWrapper)
    assert isinstance(optim_wrapper.optimizer, torch.optim.SGD)
    bias_group = next(
        group for group in optim_wrapper.optimizer.param_groups if group['params'][0] is model.bias)
    assert bias_group['lr'] == pytest.approx(2 * LR)
    assert bias_group['weight_decay'] == 0
