"""unwrap_model: the model inside torch's and mmengine's DDP wrappers, else the model itself."""
import torch
from mmengine.model import MMDistributedDataParallel
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from adaptcls.engine.utils import unwrap_model


def test_unwrap_model_returns_a_plain_model_unchanged():
    model = nn.Linear(2, 2)
    assert unwrap_model(model) is model


def test_unwrap_model_returns_the_module_inside_ddp_wrappers(tmp_path):
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "init"}', rank=0, world_size=1)
    try:
        model = nn.Linear(2, 2)
        assert unwrap_model(DistributedDataParallel(model)) is model
        assert unwrap_model(MMDistributedDataParallel(module=model)) is model
    finally:
        torch.distributed.destroy_process_group()
