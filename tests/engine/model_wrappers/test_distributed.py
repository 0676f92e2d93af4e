"""AdaptclsDistributedDataParallel: 2 CPU processes (gloo) equal one process on the whole batch."""
import socket
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from torch import nn

from adaptcls.engine.model_wrappers import AdaptclsDistributedDataParallel
from adaptcls.optim import SAMOptimWrapper, optimize_step
from adaptcls.registry import MODEL_WRAPPERS

WORLD_SIZE = 2
NUM_STEPS = 2
LR = 0.1
TOLERANCE = 1e-5


class TinyClassifier(BaseModel):
    """A minimal BaseModel: ``mode='loss'`` returns the mean cross-entropy of a linear layer."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)

    def forward(self, inputs, targets=None, mode='tensor'):
        logits = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, targets))
        return logits


def make_model() -> TinyClassifier:
    model = TinyClassifier()
    with torch.no_grad():
        model.linear.weight.copy_(torch.tensor([[0.3, -0.2, 0.5], [-0.4, 0.6, 0.1]]))
        model.linear.bias.copy_(torch.tensor([0.05, -0.1]))
    return model


def make_optim_wrapper(model: nn.Module, sam: bool) -> OptimWrapper:
    sgd = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=5e-4)
    return SAMOptimWrapper(sgd, rho=0.05) if sam else OptimWrapper(sgd)


def global_batch(step: int) -> dict:
    generator = torch.Generator().manual_seed(step)
    return dict(
        inputs=torch.randn(4 * WORLD_SIZE, 3, generator=generator),
        targets=torch.randint(0, 2, (4 * WORLD_SIZE, ), generator=generator))


def rank_batch(step: int, rank: int) -> dict:
    return {key: value.chunk(WORLD_SIZE)[rank] for key, value in global_batch(step).items()}


def train_on_rank(rank: int, port: int, out_dir: str) -> None:
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=WORLD_SIZE)
    try:
        for sam in (True, False):
            # device_ids as mmengine's Runner passes them; the wrapper drops them for a CPU module
            model = MODEL_WRAPPERS.build(
                dict(type='AdaptclsDistributedDataParallel', module=make_model(),
                     device_ids=[rank]))
            optim_wrapper = make_optim_wrapper(model, sam)
            for step in range(NUM_STEPS):
                model.train_step(rank_batch(step, rank), optim_wrapper)
            torch.save(model.module.state_dict(), Path(out_dir) / f'sam{sam}_rank{rank}.pth')
    finally:
        dist.destroy_process_group()


def loss_closure(model: BaseModel, data: dict):

    def compute_loss():
        return model.parse_losses(model(**data, mode='loss'))

    return compute_loss


def train_single_process(sam: bool) -> dict:
    model = make_model()
    optim_wrapper = make_optim_wrapper(model, sam)
    for step in range(NUM_STEPS):
        optimize_step(loss_closure(model, global_batch(step)), optim_wrapper)
    return model.state_dict()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_ranks_equal_one_process_on_the_concatenated_batch(tmp_path):
    mp.spawn(train_on_rank, args=(free_port(), str(tmp_path)), nprocs=WORLD_SIZE, join=True)

    for sam in (True, False):
        rank_weights = [
            torch.load(tmp_path / f'sam{sam}_rank{rank}.pth', weights_only=True)
            for rank in range(WORLD_SIZE)
        ]
        torch.testing.assert_close(rank_weights[0], rank_weights[1], atol=0, rtol=0)
        torch.testing.assert_close(
            rank_weights[0], train_single_process(sam), atol=TOLERANCE, rtol=0)
        assert not torch.allclose(rank_weights[0]['linear.weight'], make_model().linear.weight)


def test_runner_finds_the_wrapper_by_its_scoped_name():
    # mmengine's Runner.wrap_model resolves model_wrapper_cfg['type'] with the root registry's get
    found = MMENGINE_MODEL_WRAPPERS.get('adaptcls.AdaptclsDistributedDataParallel')
    assert found is AdaptclsDistributedDataParallel
