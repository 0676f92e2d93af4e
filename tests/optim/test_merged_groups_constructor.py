"""MergedGroupsOptimWrapperConstructor: the recipe's groups merged by hyper-parameters, the same updates, lrs and
floors as mmengine's one group per parameter, and checkpoints of that layout resuming merged."""
import copy
import io
import itertools
import os.path as osp
from types import SimpleNamespace

import pytest
import timm
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from timm.layers import BatchNormAct2d
from torch import nn
from torch.utils.data import Dataset

from adaptcls.engine.hooks import ReduceLROnPlateauV2
from adaptcls.optim import (MergedGroupsOptimWrapperConstructor, OptimizerStateLayoutError, merge_param_groups,
                            optimize_step, param_group_layout, regroup_optimizer_state, regroup_scheduler_state)
from adaptcls.optim.merged_groups_constructor import UNMERGED_FIX, hyper_parameters
from adaptcls.registry import PARAM_SCHEDULERS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCHEDULE = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'schedules', 'sam_plateau_v2.py'))
LR = SCHEDULE.optim_wrapper.optimizer.lr
WEIGHT_DECAY = SCHEDULE.optim_wrapper.optimizer.weight_decay
MERGED, UNMERGED = 'MergedGroupsOptimWrapperConstructor', 'DefaultOptimWrapperConstructor'
RECIPE_GROUPS = 3
"""Weights (lr, decay), norm weights (lr, no decay), biases (2x lr, no decay)."""
STEPS = 4
SEED = 0
_names = itertools.count()


class ConvBnLinear(nn.Module):
    """Every kind of parameter the recipe treats apart: conv weight and bias, norm weight and bias, linear ones."""

    def __init__(self, norm_layer: type = nn.BatchNorm2d) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = norm_layer(4)
        self.depthwise = nn.Conv2d(4, 4, 3, groups=4, bias=False)
        self.linear = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.depthwise(self.bn(self.conv(x))).mean((2, 3)))


def recipe_cfg(constructor: str, wrapper: str = 'OptimWrapper') -> dict:
    """The adaptive schedule's optimizer and paramwise_cfg under ``wrapper``, built by ``constructor``."""
    cfg = SCHEDULE.optim_wrapper.to_dict()
    cfg.update(type=wrapper, constructor=constructor)
    if wrapper != 'SAMOptimWrapper':
        cfg.pop('rho'), cfg.pop('adaptive')
    return cfg


def build(model: nn.Module, constructor: str, wrapper: str = 'OptimWrapper'):
    with DefaultScope.overwrite_default_scope('adaptcls'):
        return build_optim_wrapper(model, recipe_cfg(constructor, wrapper))


def settings_by_name(model: nn.Module, optim_wrapper) -> dict:
    """Each parameter's name -> the hyper-parameters of its group."""
    group_of = {id(param): group for group in optim_wrapper.optimizer.param_groups for param in group['params']}
    return {name: hyper_parameters(group_of[id(param)]) for name, param in model.named_parameters()}


def names_by_group(model: nn.Module, optim_wrapper) -> list:
    name_of = {id(param): name for name, param in model.named_parameters()}
    return [[name_of[id(param)] for param in group['params']] for group in optim_wrapper.optimizer.param_groups]


def batches(count: int = STEPS) -> list:
    generator = torch.Generator().manual_seed(SEED)
    return [(torch.randn(4, 3, 8, 8, generator=generator), torch.randint(0, 2, (4,), generator=generator))
            for _ in range(count)]


def train(model: nn.Module, optim_wrapper, data) -> None:
    for inputs, labels in data:
        optimize_step(lambda: (F.cross_entropy(model(inputs), labels), {}), optim_wrapper)


def two_copies(norm_layer: type = nn.BatchNorm2d) -> tuple:
    torch.manual_seed(SEED)
    model = ConvBnLinear(norm_layer)
    return model, copy.deepcopy(model)


def assert_same_tensors(first: nn.Module, second: nn.Module) -> None:
    for (name, a), b in zip(first.state_dict().items(), second.state_dict().values()):
        assert torch.equal(a, b), name


def momentum_by_name(model: nn.Module, optim_wrapper) -> dict:
    state = optim_wrapper.optimizer.state
    return {name: state[param]['momentum_buffer'] for name, param in model.named_parameters()}


def weights_only_round_trip(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


# --- the groups ---

def test_groups_shrink_to_the_distinct_hyper_parameter_sets_of_efficientnet_lite0():
    model = timm.create_model('efficientnet_lite0', pretrained=False, num_classes=0)
    unmerged, merged = build(model, UNMERGED), build(model, MERGED)
    distinct = {tuple(sorted(hyper_parameters(group).items())) for group in unmerged.optimizer.param_groups}

    assert len(unmerged.optimizer.param_groups) == len(list(model.parameters()))  # mmengine: one per parameter
    assert len(merged.optimizer.param_groups) == len(distinct) == RECIPE_GROUPS
    assert settings_by_name(model, merged) == settings_by_name(model, unmerged)
    layout = param_group_layout(merged.optimizer)
    assert layout.num_merged == RECIPE_GROUPS and len(layout.default_group_sizes) == len(list(model.parameters()))


@pytest.mark.parametrize('norm_layer', [nn.BatchNorm2d, BatchNormAct2d])
def test_2x_bias_lr_and_no_decay_reach_exactly_the_recipes_parameters(norm_layer):
    model = ConvBnLinear(norm_layer)
    settings = {name: (group['lr'], group['weight_decay'])
                for name, group in settings_by_name(model, build(model, MERGED)).items()}

    assert settings == {
        'conv.weight': (LR, WEIGHT_DECAY),
        'conv.bias': (2 * LR, 0.),
        'bn.weight': (LR, 0.),
        'bn.bias': (2 * LR, 0.),  # norm biases too
        'depthwise.weight': (LR, WEIGHT_DECAY),
        'linear.weight': (LR, WEIGHT_DECAY),
        'linear.bias': (2 * LR, 0.),
    }


def test_groups_keep_the_first_appearance_order_and_the_parameter_order():
    model = ConvBnLinear()
    merged = build(model, MERGED)
    assert names_by_group(model, merged) == [
        ['conv.weight', 'depthwise.weight', 'linear.weight'],
        ['conv.bias', 'bn.bias', 'linear.bias'],
        ['bn.weight'],
    ]
    # the first group (whose lr the logs and the non-finite-loss message show) is the unmerged first group's
    assert merged.optimizer.param_groups[0]['lr'] == build(model, UNMERGED).optimizer.param_groups[0]['lr']


def test_merge_param_groups_tells_apart_a_missing_key_and_leaves_its_input_alone():
    params = [nn.Parameter(torch.zeros(1)) for _ in range(4)]
    groups = [dict(params=[params[0]]), dict(params=[params[1]], lr=0.1), dict(params=[params[2]]),
              dict(params=[params[3]], lr=0.1, weight_decay=0.0)]
    merged, layout = merge_param_groups(groups)
    assert [(hyper_parameters(group), group['params']) for group in merged] == [
        ({}, [params[0], params[2]]), ({'lr': 0.1}, [params[1]]), ({'lr': 0.1, 'weight_decay': 0.0}, [params[3]])]
    assert layout.merged_index == (0, 1, 0, 2) and layout.default_group_sizes == (1, 1, 1, 1)
    assert [group['params'] for group in groups] == [[param] for param in params]


def test_without_paramwise_cfg_there_is_one_group_and_nothing_to_regroup():
    model = ConvBnLinear()
    cfg = dict(type='OptimWrapper', constructor=MERGED, optimizer=dict(type='SGD', lr=LR))
    with DefaultScope.overwrite_default_scope('adaptcls'):
        optim_wrapper = build_optim_wrapper(model, cfg)
    assert len(optim_wrapper.optimizer.param_groups) == 1
    assert param_group_layout(optim_wrapper.optimizer) is None


class TiedLinears(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(2, 2)
        self.decoder = nn.Linear(2, 2)
        self.decoder.weight = self.encoder.weight


def test_a_shared_parameter_is_refused_with_the_fix_and_bypass_duplicate_optimises_it_once():
    model = TiedLinears()
    cfg = recipe_cfg(MERGED)
    with DefaultScope.overwrite_default_scope('adaptcls'):
        with pytest.raises(ValueError, match=r'encoder\.weight, decoder\.weight.*bypass_duplicate=True'):
            build_optim_wrapper(model, cfg)
        cfg['paramwise_cfg']['bypass_duplicate'] = True
        optim_wrapper = build_optim_wrapper(model, cfg)
    optimised = [param for group in optim_wrapper.optimizer.param_groups for param in group['params']]
    assert len(optimised) == len({id(param) for param in optimised}) == len(list(model.parameters()))


# --- the same training ---

def test_sgd_training_is_bit_identical_to_the_unmerged_groups():
    unmerged_model, merged_model = two_copies()
    unmerged, merged = build(unmerged_model, UNMERGED), build(merged_model, MERGED)
    assert len(merged.optimizer.param_groups) < len(unmerged.optimizer.param_groups)
    data = batches()

    train(unmerged_model, unmerged, data)
    train(merged_model, merged, data)

    assert_same_tensors(unmerged_model, merged_model)  # every parameter and BatchNorm buffer, with torch.equal
    expected = momentum_by_name(unmerged_model, unmerged)
    for name, buffer in momentum_by_name(merged_model, merged).items():
        assert torch.equal(buffer, expected[name]), name


def test_sam_training_is_bit_identical_to_the_unmerged_groups():
    # SAM's perturbation divides by the norm of all gradients; it sums the per-parameter norms sorted, so the two
    # layouts give the same e(w) bit for bit (summed in the groups' order they differed in the last bit).
    unmerged_model, merged_model = two_copies()
    unmerged = build(unmerged_model, UNMERGED, 'SAMOptimWrapper')
    merged = build(merged_model, MERGED, 'SAMOptimWrapper')
    initial = copy.deepcopy(unmerged_model)
    data = batches()

    train(unmerged_model, unmerged, data)
    train(merged_model, merged, data)

    assert_same_tensors(unmerged_model, merged_model)
    assert all(not torch.equal(a, b) for a, b in zip(merged_model.parameters(), initial.parameters()))


# --- ReduceLROnPlateauV2 ---

# The adaptive schedule's hook settings (patience 2, floor lr / 100, early-stop patience 2, warmup 2) on a scripted
# val top-1: drops after epochs 7 and 12 (the second onto the floors), stop after epoch 13.
PLATEAU_HOOK_ARGS = dict(monitor='top1', warmup_epochs=2, patience=2, min_lr_ratio=1 / 100, early_stop_patience=2)
PLATEAU_MAX_EPOCHS = 50
PLATEAU_TOP1 = [0.50, 0.60, 0.55, 0.62, 0.61, 0.62, 0.60, 0.66, 0.67, 0.66, 0.665, 0.66, 0.665]
PLATEAU_DROP_EPOCHS = [7, 12]


def plateau_runner(optim_wrapper) -> SimpleNamespace:
    """The parts of mmengine's Runner that ReduceLROnPlateauV2 uses."""
    name = f'merged_groups_test_{next(_names)}'
    return SimpleNamespace(
        epoch=0, iter=0, max_epochs=PLATEAU_MAX_EPOCHS, val_loop=object(),
        train_loop=SimpleNamespace(stop_training=False, dataloader=[]),  # no iterations: the warm-up never runs
        optim_wrapper=optim_wrapper, message_hub=MessageHub.get_instance(name),
        logger=MMLogger.get_instance(name, log_level='WARNING'))


def run_plateau_schedule(model: nn.Module, constructor: str) -> tuple:
    """Drives the hook over the scripted epochs; returns each epoch's {parameter name: lr}, the drops and the stop."""
    optim_wrapper = build(model, constructor)
    hook, runner = ReduceLROnPlateauV2(**PLATEAU_HOOK_ARGS), plateau_runner(optim_wrapper)
    hook.before_train(runner)
    lrs_by_epoch = []
    for epoch, top1 in enumerate(PLATEAU_TOP1, start=1):
        runner.epoch = epoch - 1
        hook.after_train_epoch(runner)
        runner.epoch = epoch
        hook.after_val_epoch(runner, metrics=dict(top1=top1))
        lrs_by_epoch.append({name: group['lr'] for name, group in settings_by_name(model, optim_wrapper).items()})
        if runner.train_loop.stop_training:
            break
    return lrs_by_epoch, [drop['epoch'] for drop in hook.state.lr_drops], runner.epoch


def test_plateau_drops_and_floors_are_those_of_the_unmerged_groups():
    model = ConvBnLinear()
    unmerged_lrs, unmerged_drops, unmerged_stop = run_plateau_schedule(model, UNMERGED)
    merged_lrs, merged_drops, merged_stop = run_plateau_schedule(model, MERGED)

    assert unmerged_drops == merged_drops == PLATEAU_DROP_EPOCHS
    assert unmerged_stop == merged_stop == len(PLATEAU_TOP1)  # early stopping: both layouts are at their floors
    assert merged_lrs == unmerged_lrs  # every parameter's lr after every epoch, exactly
    floors = {name: (2 * LR if name.endswith('.bias') else LR) * PLATEAU_HOOK_ARGS['min_lr_ratio']
              for name, _ in model.named_parameters()}
    assert merged_lrs[-1] == pytest.approx(floors, rel=1e-9)
    assert merged_lrs[PLATEAU_DROP_EPOCHS[0] - 1]['bn.bias'] == pytest.approx(2 * LR / 10, rel=1e-9)


# --- checkpoints of the unmerged layout ---

def drop_all_lrs(optim_wrapper, factor: float = 0.1) -> None:
    """What a plateau drop does: each group's lr falls, its initial_lr stays."""
    for group in optim_wrapper.optimizer.param_groups:
        group.setdefault('initial_lr', group['lr'])
        group['lr'] *= factor


def test_an_unmerged_optimizer_state_resumes_merged_and_continues_bit_identically():
    uninterrupted_model, _ = two_copies()
    uninterrupted = build(uninterrupted_model, UNMERGED)
    data = batches(2 * STEPS)
    train(uninterrupted_model, uninterrupted, data[:STEPS])
    drop_all_lrs(uninterrupted)
    checkpoint = weights_only_round_trip(dict(state_dict=uninterrupted_model.state_dict(),
                                              optimizer=uninterrupted.state_dict()))

    resumed_model = ConvBnLinear()
    resumed_model.load_state_dict(checkpoint['state_dict'])
    resumed = build(resumed_model, MERGED)
    resumed.load_state_dict(checkpoint['optimizer'])  # what Runner.resume does

    assert len(resumed.optimizer.param_groups) == RECIPE_GROUPS
    assert settings_by_name(resumed_model, resumed) == settings_by_name(uninterrupted_model, uninterrupted)
    train(uninterrupted_model, uninterrupted, data[STEPS:])
    train(resumed_model, resumed, data[STEPS:])
    assert_same_tensors(uninterrupted_model, resumed_model)


def test_a_merged_optimizer_state_loads_merged_unchanged():
    model = ConvBnLinear()
    merged = build(model, MERGED)
    train(model, merged, batches(1))
    state = weights_only_round_trip(merged.state_dict())
    assert regroup_optimizer_state(state, param_group_layout(merged.optimizer)) is state
    build(model, MERGED).load_state_dict(state)


def test_an_optimizer_state_of_another_model_is_refused_naming_both_layouts():
    state = build(nn.Linear(2, 2), UNMERGED).state_dict()  # 2 groups: neither the 3 merged nor the 7 unmerged
    with pytest.raises(OptimizerStateLayoutError,
                       match=r'has 2 parameter groups \(2 parameters\), but this optimizer has 3 groups.*'
                             r'from the 7 per-parameter groups \(7 parameters\).*fits neither layout'):
        build(ConvBnLinear(), MERGED).load_state_dict(state)


def test_unmerged_groups_saved_with_different_hyper_parameters_name_the_unmerged_constructor():
    model = ConvBnLinear()
    unmerged = build(model, UNMERGED)
    unmerged.optimizer.param_groups[1]['lr'] *= 0.5  # conv.bias: no longer the lr of the other biases
    with pytest.raises(OptimizerStateLayoutError,
                       match=r'group 3 has other hyper-parameters.*lr: 0\.026 vs 0\.013') as error:
        build(model, MERGED).load_state_dict(unmerged.state_dict())
    assert UNMERGED_FIX in str(error.value)


def test_a_scheduler_state_of_the_unmerged_groups_is_regrouped():
    # CosineAnnealingLR(eta_min_ratio=...) reads base_values: resumed as saved, the merged groups would take the
    # floors of the first three per-parameter groups.
    model = ConvBnLinear()
    schedulers = {}
    for constructor in (UNMERGED, MERGED):
        optim_wrapper = build(model, constructor)
        schedulers[constructor] = PARAM_SCHEDULERS.build(
            dict(type='CosineAnnealingLR', T_max=10, eta_min_ratio=0.1), default_args=dict(optimizer=optim_wrapper))
    layout = param_group_layout(schedulers[MERGED].optimizer.optimizer)
    saved = schedulers[UNMERGED].state_dict()

    regrouped = regroup_scheduler_state(saved, layout)

    # one entry per group of the OptimWrapper: the optimizer's groups, then its base_param_settings
    assert len(saved['base_values']) == len(list(model.parameters())) + 1
    assert regrouped['base_values'] == schedulers[MERGED].base_values == [LR, 2 * LR, LR, LR]
    assert regrouped['_last_value'] == schedulers[MERGED].state_dict()['_last_value']
    assert regroup_scheduler_state(regrouped, layout) == regrouped


# --- mmengine's Runner: a run of the unmerged layout resumed merged ---

class TinyClassifier(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(SEED)
        self.net = ConvBnLinear()

    def forward(self, inputs, labels=None, mode='tensor'):
        logits = self.net(inputs)
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, labels))
        return logits


class RandomImages(Dataset):

    def __init__(self) -> None:
        generator = torch.Generator().manual_seed(SEED)
        self.inputs = torch.randn(16, 3, 8, 8, generator=generator)
        self.labels = torch.randint(0, 2, (16,), generator=generator)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.inputs[index], labels=self.labels[index])


RUNNER_EPOCHS = 4


def build_runner(work_dir, constructor: str, **kwargs) -> Runner:
    loader = dict(dataset=RandomImages(), sampler=dict(type='DefaultSampler', shuffle=False), batch_size=4,
                  collate_fn=dict(type='default_collate'))
    return Runner(
        model=TinyClassifier(), work_dir=str(work_dir), experiment_name=f'merged_groups_runner_{next(_names)}',
        train_dataloader=loader, train_cfg=dict(by_epoch=True, max_epochs=RUNNER_EPOCHS),
        optim_wrapper=recipe_cfg(constructor),
        # warm-up 1 epoch; patience 0: the train loss drops the lr whenever it does not improve (no validation here)
        custom_hooks=[dict(type='ReduceLROnPlateauV2', warmup_epochs=1, warmup_start_factor=0.1, patience=0,
                           threshold=0.5)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=100)),
        default_scope='adaptcls', log_level='ERROR', **kwargs)


def test_runner_resumes_a_checkpoint_of_the_unmerged_groups_merged(tmp_path):
    uninterrupted = build_runner(tmp_path / 'unmerged', UNMERGED)
    uninterrupted.train()
    resumed = build_runner(tmp_path / 'resumed', MERGED, resume=True,
                           load_from=str(tmp_path / 'unmerged' / 'epoch_2.pth'))
    resumed.train()

    assert len(resumed.optim_wrapper.optimizer.param_groups) == RECIPE_GROUPS
    assert_same_tensors(uninterrupted.model, resumed.model)
    uninterrupted_lrs = {name: group['lr'] for name, group in
                         settings_by_name(uninterrupted.model, uninterrupted.optim_wrapper).items()}
    resumed_lrs = {name: group['lr'] for name, group in settings_by_name(resumed.model, resumed.optim_wrapper).items()}
    assert resumed_lrs == uninterrupted_lrs
    assert [drop['epoch'] for drop in resumed.message_hub.get_info('summary/lr_drops')] == \
        [drop['epoch'] for drop in uninterrupted.message_hub.get_info('summary/lr_drops')]


def test_the_constructor_is_registered_in_adaptcls():
    from adaptcls.registry import OPTIM_WRAPPER_CONSTRUCTORS
    assert OPTIM_WRAPPER_CONSTRUCTORS.get(MERGED) is MergedGroupsOptimWrapperConstructor
