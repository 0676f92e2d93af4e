"""Times the training step of a config's model (its optim wrapper, e.g. SAM) on one batch, for
benchmarks/data_pipeline.py."""
import copy
import time
from typing import Sequence

from mmengine.config import ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

from adaptcls.models.config_nodes import is_timm_backbone, iter_config_dicts
from adaptcls.registry import MODELS


def untrained_model_config(model_cfg: dict, num_classes: int) -> dict:
    """A copy of ``model_cfg`` with random backbone weights (``pretrained=False``, no tag) and every
    ``num_classes=None`` filled in: speed does not depend on the weights, and no download is needed."""
    model_cfg = copy.deepcopy(model_cfg)
    for _, node in iter_config_dicts(model_cfg):
        if is_timm_backbone(node):
            node.update(pretrained=False, pretrained_tag=None)
        if 'num_classes' in node and node['num_classes'] is None:
            node['num_classes'] = num_classes
    return model_cfg


def time_train_steps(model_cfg: dict, optim_wrapper_cfg: dict, items: Sequence[dict], warmup_steps: int,
                     steps: int) -> float:
    """Builds the model and its optim wrapper and times ``model.train_step`` on one batch of pipeline outputs.

    Args:
        model_cfg (dict): the model config (see :func:`untrained_model_config`).
        optim_wrapper_cfg (dict): the config's ``optim_wrapper`` (e.g. SAMOptimWrapper over SGD).
        items (Sequence[dict]): pipeline outputs forming the batch (mmengine's default collate).
        warmup_steps (int): untimed steps first.
        steps (int): timed steps.

    Returns:
        float: images per second of the timed steps (wall clock).
    """
    model = MODELS.build(model_cfg)
    model.train()
    optim_wrapper = build_optim_wrapper(model, ConfigDict(copy.deepcopy(optim_wrapper_cfg)))
    batch = pseudo_collate(list(items))
    for _ in range(warmup_steps):
        model.train_step(batch, optim_wrapper)
    started = time.perf_counter()
    for _ in range(steps):
        model.train_step(batch, optim_wrapper)
    return steps * len(items) / (time.perf_counter() - started)
