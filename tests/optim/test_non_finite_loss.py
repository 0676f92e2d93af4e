"""A NaN/inf loss stops training before any update, for plain optimizers and for both SAM passes."""
import json
import math
import re
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.optim import SAMOptimWrapper, optimize_step
from adaptcls.optim.non_finite_loss import NonFiniteLossError

LR = 0.1
INPUTS = torch.tensor([[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]])
TARGETS = torch.tensor([0, 1, 1])


@pytest.fixture
def model():
    torch.manual_seed(0)
    return nn.Linear(2, 2)


@pytest.fixture
def hub(request):
    """The run's message hub as mmengine's RuntimeInfoHook leaves it in the 3rd epoch, 42nd iteration."""
    hub = MessageHub.get_instance(request.node.name)
    hub.update_info('epoch', 2)
    hub.update_info('iter', 41)
    return hub


def sgd(model):
    return torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)


def scripted_losses(model, *poison):
    """A closure whose n-th call returns the true loss plus ``poison[n]`` (0, nan or inf)."""
    calls = iter(poison)

    def compute_loss():
        loss = F.cross_entropy(model(INPUTS), TARGETS) + next(calls)
        return loss, dict(loss=loss.detach())

    return compute_loss


def weights(model):
    return [param.detach().clone() for param in model.parameters()]


@pytest.mark.parametrize('bad', [math.nan, math.inf, -math.inf])
def test_plain_step_refuses_a_non_finite_loss_without_updating(model, hub, bad):
    wrapper = OptimWrapper(sgd(model))
    before = weights(model)

    with pytest.raises(NonFiniteLossError) as error:
        optimize_step(scripted_losses(model, bad), wrapper)

    assert all(torch.equal(a, b) for a, b in zip(before, weights(model)))
    assert all(param.grad is None for param in model.parameters())  # not even back-propagated
    message = str(error.value)
    assert 'in epoch 3, iteration 42: the loss is' in message and 'not finite' in message
    assert 'current lr 0.1, configured optim_wrapper.optimizer.lr=0.1' in message
    assert '--cfg-options optim_wrapper.optimizer.lr=0.05' in message  # half the configured lr


def test_plain_step_with_a_finite_loss_updates(model, hub):
    before = weights(model)

    optimize_step(scripted_losses(model, 0.0), OptimWrapper(sgd(model)))

    assert not torch.equal(before[0], weights(model)[0])


def test_suggestion_halves_the_configured_lr_not_the_scheduled_one(model, hub):
    wrapper = OptimWrapper(sgd(model))
    wrapper.param_groups[0]['lr'] = 0.01  # e.g. warm-up or a plateau drop

    with pytest.raises(NonFiniteLossError, match=r'current lr 0\.01, configured .*lr=0\.1\).*lr=0\.05'):
        optimize_step(scripted_losses(model, math.nan), wrapper)


@pytest.mark.parametrize('poison, what', [
    ((math.nan, 0.0), 'the loss is nan'),
    ((0.0, math.inf), 'the loss at the SAM-perturbed weights w + e(w) is inf'),
], ids=['first-pass', 'perturbed-pass'])
def test_sam_refuses_either_pass_and_leaves_w_unchanged(model, hub, poison, what):
    wrapper = SAMOptimWrapper(sgd(model), rho=0.05)
    before = weights(model)

    with pytest.raises(NonFiniteLossError, match=re.escape(what)):
        optimize_step(scripted_losses(model, *poison), wrapper)

    assert all(torch.equal(a, b) for a, b in zip(before, weights(model)))  # restored, not stepped
    assert wrapper.optimizer.state_dict()['state'] == {}  # no momentum buffer: no step was taken


def test_message_without_run_context_says_this_step(model):
    MessageHub.get_instance('no_run_context')  # a fresh hub: no epoch/iter recorded

    with pytest.raises(NonFiniteLossError, match='Training stopped in this step: the loss is nan'):
        optimize_step(scripted_losses(model, math.nan), OptimWrapper(sgd(model)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def step_on_rank(rank: int, port: int, out_dir: str) -> None:
    """Rank 1's loss is NaN, rank 0's is finite: both must stop (rank 0 must not wait in a collective)."""
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        try:
            optimize_step(scripted_losses(model, math.nan if rank else 0.0), OptimWrapper(sgd(model)))
            outcome = 'updated'
        except NonFiniteLossError:
            outcome = 'stopped'
        with open(f'{out_dir}/rank{rank}.json', 'w') as file:
            json.dump(outcome, file)
    finally:
        dist.destroy_process_group()


def test_every_process_stops_when_one_has_a_non_finite_loss(tmp_path):
    mp.spawn(step_on_rank, args=(free_port(), str(tmp_path)), nprocs=2, join=True)

    assert [json.loads((tmp_path / f'rank{rank}.json').read_text()) for rank in (0, 1)] == ['stopped'] * 2
