"""One optimizer parameter group per set of hyper-parameters, instead of mmengine's one group per parameter."""
import weakref
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn
from torch.optim import Optimizer

from adaptcls.errors import UserInputError
from adaptcls.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['MergedGroupsOptimWrapperConstructor', 'OptimizerStateLayoutError', 'ParamGroupLayout',
           'merge_param_groups', 'param_group_layout', 'regroup_optimizer_state', 'regroup_scheduler_state']

UNMERGED_FIX = '--cfg-options optim_wrapper.constructor=DefaultOptimWrapperConstructor'
"""The option that builds mmengine's per-parameter groups again (the layout of checkpoints saved before merging)."""

PER_GROUP_SCHEDULER_KEYS = ('base_values', '_last_value')
"""Entries of an mmengine param scheduler's ``state_dict()`` that hold one value per parameter group."""

_LAYOUTS: 'weakref.WeakKeyDictionary[Optimizer, ParamGroupLayout]' = weakref.WeakKeyDictionary()
"""The layout of every optimizer the constructor built (see :func:`param_group_layout`)."""


class OptimizerStateLayoutError(UserInputError):
    """A saved optimizer state cannot be loaded into the merged parameter groups; the message names the fix.

    Raised while ``Runner.resume`` loads a checkpoint, so a caller that knows the checkpoint's path (the training
    API) can catch it and name the file.
    """


@dataclass(frozen=True)
class ParamGroupLayout:
    """How merged groups were made from the groups of mmengine's ``DefaultOptimWrapperConstructor``.

    Attributes:
        default_group_sizes (tuple[int, ...]): the number of parameters of each default group, in its order
            (1 each, unless ``paramwise_cfg`` is empty).
        merged_index (tuple[int, ...]): for each default group, the index of the merged group that holds its
            parameters.
    """

    default_group_sizes: Tuple[int, ...]
    merged_index: Tuple[int, ...]

    @property
    def num_merged(self) -> int:
        """The number of merged groups."""
        return max(self.merged_index, default=-1) + 1

    @property
    def merges_anything(self) -> bool:
        """Fewer merged groups than default ones."""
        return self.num_merged < len(self.default_group_sizes)


def hyper_parameters(group: dict) -> dict:
    """Every entry of a parameter group but its ``'params'``."""
    return {key: value for key, value in group.items() if key != 'params'}


def merge_param_groups(groups: Sequence[dict]) -> Tuple[List[dict], ParamGroupLayout]:
    """Merges the parameter groups whose hyper-parameters (every key but ``'params'``) are all equal.

    A merged group lists the parameters of its groups in their order, and the merged groups come in the
    order in which their hyper-parameters first appear, so the first group (whose lr the logs show) stays
    the first. Hyper-parameters compare with ``==`` and a missing key differs from a present one, so no
    two groups that the optimizer would treat differently are merged.

    Args:
        groups (Sequence[dict]): parameter groups, each with a ``'params'`` list.

    Returns:
        tuple[list[dict], ParamGroupLayout]: the merged groups (new dicts and lists; ``groups`` is left as it
        is) and the layout that maps each input group to its merged group.
    """
    merged: List[dict] = []
    merged_settings: List[dict] = []
    merged_index: List[int] = []
    for group in groups:
        settings = hyper_parameters(group)
        index = next((i for i, known in enumerate(merged_settings) if known == settings), len(merged))
        if index == len(merged):
            merged_settings.append(settings)
            merged.append(dict(settings, params=[]))
        merged[index]['params'].extend(group['params'])
        merged_index.append(index)
    layout = ParamGroupLayout(tuple(len(group['params']) for group in groups), tuple(merged_index))
    return merged, layout


def param_group_layout(optimizer: Optimizer) -> Optional[ParamGroupLayout]:
    """The layout :class:`MergedGroupsOptimWrapperConstructor` gave ``optimizer``; None if it merged nothing (or
    another constructor built it)."""
    return _LAYOUTS.get(optimizer)


def regroup_optimizer_state(state_dict: dict, layout: ParamGroupLayout) -> dict:
    """Turns an optimizer ``state_dict()`` of the default (unmerged) layout into the merged one.

    torch keys the per-parameter state (momentum buffers, ...) by the parameter ids that each saved group
    lists, so regrouping the ids regroups the state; ``state_dict['state']`` is kept as it is. A state
    dict that already has the merged number of groups is returned unchanged (torch checks its sizes).

    Args:
        state_dict (dict): a torch optimizer state dict (``{'state': ..., 'param_groups': [...]}``).
        layout (ParamGroupLayout): the layout of the optimizer that will load it.

    Returns:
        dict: a state dict with ``layout.num_merged`` groups: each takes the hyper-parameters of its saved
        groups (``lr``, ``initial_lr``, ...), which must agree, and their parameter ids in order.

    Raises:
        OptimizerStateLayoutError: the saved groups fit neither layout (another model or ``paramwise_cfg``), or
            groups that are merged now were saved with different hyper-parameters.
    """
    saved_groups = state_dict['param_groups']
    if len(saved_groups) == layout.num_merged:
        return state_dict
    saved_sizes = tuple(len(group['params']) for group in saved_groups)
    if saved_sizes != layout.default_group_sizes:
        raise OptimizerStateLayoutError(
            f'The optimizer state being loaded has {len(saved_groups)} parameter groups ({sum(saved_sizes)} '
            f'parameters), but this optimizer has {layout.num_merged} groups, merged by '
            f'MergedGroupsOptimWrapperConstructor from the {len(layout.default_group_sizes)} per-parameter groups '
            f'({sum(layout.default_group_sizes)} parameters) that mmengine\'s DefaultOptimWrapperConstructor builds: '
            'the state fits neither layout, so the checkpoint was saved for another model or another '
            'optim_wrapper.paramwise_cfg. Resume it with the config it was trained with, or start from its '
            'weights only (--cfg-options load_from=PATH, without --resume).')
    merged: List[Optional[dict]] = [None] * layout.num_merged
    for saved_index, (saved, index) in enumerate(zip(saved_groups, layout.merged_index)):
        target = merged[index]
        if target is None:
            merged[index] = dict(saved, params=list(saved['params']))
            continue
        if hyper_parameters(saved) != hyper_parameters(target):
            raise OptimizerStateLayoutError(
                f'The optimizer state being loaded is of the per-parameter layout ({len(saved_groups)} groups), '
                f'and its group {saved_index} has other hyper-parameters than the groups merged with it now '
                f'({_differences(hyper_parameters(saved), hyper_parameters(target))}), so it cannot be loaded '
                f'into {layout.num_merged} merged groups. Resume this checkpoint with the per-parameter groups: '
                f'{UNMERGED_FIX}.')
        target['params'].extend(saved['params'])
    return dict(state_dict, param_groups=merged)


def regroup_scheduler_state(scheduler_state: dict, layout: ParamGroupLayout) -> dict:
    """Turns the ``state_dict()`` of an mmengine param scheduler of the default layout into the merged one.

    ``Runner.resume`` loads each scheduler's saved ``base_values`` and ``_last_value`` as they are. They hold one
    entry per group of the ``OptimWrapper`` the scheduler steps: its optimizer's groups, plus, when there are
    several, the wrapper's ``base_param_settings`` last. Of the default layout they pair the merged groups with
    the wrong entries (which e.g. ``CosineAnnealingLR(eta_min_ratio=...)`` reads). Each merged group takes the
    entry of its first default group; the ``base_param_settings`` entry stays last.

    Args:
        scheduler_state (dict): the state dict of a scheduler over an mmengine ``OptimWrapper``.
        layout (ParamGroupLayout): the layout of the wrapper's optimizer.

    Returns:
        dict: the state with the per-group lists regrouped (a new dict); lists of another length are kept.
    """
    default_count = _wrapper_group_count(len(layout.default_group_sizes))
    regrouped = dict(scheduler_state)
    for key in PER_GROUP_SCHEDULER_KEYS:
        values = scheduler_state.get(key)
        if values is None or len(values) != default_count:
            continue
        first: Dict[int, object] = {}
        for value, index in zip(values, layout.merged_index):
            first.setdefault(index, value)
        merged = [first[index] for index in range(layout.num_merged)]
        if _wrapper_group_count(layout.num_merged) > layout.num_merged:
            merged.append(values[-1])  # the base_param_settings entry
        regrouped[key] = merged
    return regrouped


def _wrapper_group_count(num_groups: int) -> int:
    """The length of ``OptimWrapper.param_groups`` for an optimizer of ``num_groups`` groups: mmengine appends its
    ``base_param_settings`` when there are several."""
    return num_groups + 1 if num_groups > 1 else num_groups


def _differences(saved: dict, merged: dict) -> str:
    keys = sorted(set(saved) | set(merged))
    return ', '.join(f'{key}: {saved.get(key)!r} vs {merged.get(key)!r}' for key in keys
                     if saved.get(key) != merged.get(key))


def _regroup_before_loading(optimizer: Optimizer, state_dict: dict) -> dict:
    """torch's load_state_dict pre-hook: lets a checkpoint of the per-parameter layout resume merged."""
    return regroup_optimizer_state(state_dict, _LAYOUTS[optimizer])


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MergedGroupsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's ``DefaultOptimWrapperConstructor`` with one parameter group per set of hyper-parameters.

    With a ``paramwise_cfg`` mmengine builds one group per parameter (148 for EfficientNet-Lite0 with the
    recipe's ``custom_keys``, 347 for the MobileNetV3 mutual-learning pair). This constructor builds exactly
    those groups, then merges the ones whose hyper-parameters are all equal (:func:`merge_param_groups`): the
    recipe's groups become three (weights; norm weights without decay; biases at 2x lr without decay). Every
    parameter keeps its lr and weight decay, and the update is the same, bit for bit, for element-wise
    optimizers such as SGD. Param schedulers and ``ReduceLROnPlateauV2`` keep each group's ``initial_lr`` in
    the group, so every merged group keeps its own floor.

    Resuming a checkpoint saved with the per-parameter groups works: the optimizer regroups the saved state
    before loading it (:func:`regroup_optimizer_state`), and a state that cannot be regrouped is refused with
    the option to resume it unmerged (``optim_wrapper.constructor=DefaultOptimWrapperConstructor``).

    Args:
        optim_wrapper_cfg (dict): the ``optim_wrapper`` config without ``constructor`` and ``paramwise_cfg``
            (as mmengine's ``build_optim_wrapper`` passes it).
        paramwise_cfg (dict, optional): mmengine's parameter-wise options (``custom_keys``,
            ``norm_decay_mult``, ...). Defaults to None: one group, nothing to merge.

    Raises:
        ValueError: (when called) one parameter would be in two groups: a parameter shared by two modules
            without ``paramwise_cfg.bypass_duplicate=True``.

    Examples:
        >>> optim_wrapper = dict(
        ...     type='OptimWrapper', constructor='MergedGroupsOptimWrapperConstructor',
        ...     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
        ...     paramwise_cfg=dict(custom_keys={'.bias': dict(lr_mult=2.0, decay_mult=0.0)}, norm_decay_mult=0.0))
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self._collecting = False
        self._layout: Optional[ParamGroupLayout] = None

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        """Adds the merged groups of ``module``'s parameters to ``params``.

        mmengine's ``add_params`` recurses into the children through this method; those calls collect the
        default groups, and the outermost call merges them.

        Args:
            params (list[dict]): the groups built so far; extended in place.
            module (nn.Module): the module whose parameters are added.
            prefix (str): the module's name in the model. Defaults to ''.
            is_dcn_module (int | float, optional): passed to mmengine. Defaults to None.

        Raises:
            ValueError: one parameter is in two default groups.
        """
        if self._collecting:
            super().add_params(params, module, prefix, is_dcn_module)
            return
        default_groups: List[dict] = []
        self._collecting = True
        try:
            super().add_params(default_groups, module, prefix, is_dcn_module)
        finally:
            self._collecting = False
        _check_each_parameter_once(default_groups, module, prefix)
        merged, self._layout = merge_param_groups(default_groups)
        params.extend(merged)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Builds the optim wrapper of ``model`` with merged parameter groups.

        Args:
            model (nn.Module): the model (or a model wrapper with ``.module``).

        Returns:
            OptimWrapper: the wrapper of ``optim_wrapper_cfg['type']``; its optimizer regroups a per-parameter
            state before loading it.
        """
        self._layout = None
        optim_wrapper = super().__call__(model)
        layout, self._layout = self._layout, None
        if layout is not None and layout.merges_anything:
            optimizer = optim_wrapper.optimizer
            _LAYOUTS[optimizer] = layout
            optimizer.register_load_state_dict_pre_hook(_regroup_before_loading)
        return optim_wrapper


def _check_each_parameter_once(groups: Sequence[dict], module: nn.Module, prefix: str) -> None:
    """Refuses a parameter in two groups, which torch refuses unmerged and merged would update twice.

    Raises:
        ValueError: naming the parameter and ``paramwise_cfg.bypass_duplicate``.
    """
    seen: Dict[int, int] = {}
    for group in groups:
        for param in group['params']:
            seen[id(param)] = seen.get(id(param), 0) + 1
    shared = {id_ for id_, count in seen.items() if count > 1}
    if not shared:
        return
    names = [f'{prefix}.{name}' if prefix else name
             for name, param in module.named_parameters(remove_duplicate=False) if id(param) in shared]
    raise UserInputError(
        f'MergedGroupsOptimWrapperConstructor: the parameters {", ".join(names)} are one tensor shared by several '
        'modules, so it would be optimised twice. Set optim_wrapper.paramwise_cfg.bypass_duplicate=True to '
        'optimise it once.')
