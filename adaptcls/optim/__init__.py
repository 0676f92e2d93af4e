"""The training-step protocol below the models: the update step, the non-finite-loss check, the SAM wrapper, mixed
precision and the optim-wrapper constructor that merges parameter groups.

Models import only this package from the training side, so building a model never imports the engine.
"""
from .learning_rate import set_learning_rates
from .merged_groups_constructor import (MergedGroupsOptimWrapperConstructor, OptimizerStateLayoutError,
                                        ParamGroupLayout, merge_param_groups, param_group_layout,
                                        regroup_optimizer_state, regroup_scheduler_state)
from .mixed_precision import AMP_ALIASES, AMP_DTYPES, MixedPrecisionOptimWrapper, amp_dtype_name
from .non_finite_loss import NonFiniteLossError, check_finite_loss
from .optimize_step import LossClosure, closure_train_step, optimize_step
from .sam_optim_wrapper import SAMOptimWrapper

__all__ = ['NonFiniteLossError', 'check_finite_loss', 'LossClosure', 'closure_train_step', 'optimize_step',
           'SAMOptimWrapper', 'AMP_ALIASES', 'AMP_DTYPES', 'MixedPrecisionOptimWrapper', 'amp_dtype_name',
           'MergedGroupsOptimWrapperConstructor', 'OptimizerStateLayoutError', 'ParamGroupLayout',
           'merge_param_groups', 'param_group_layout', 'regroup_optimizer_state', 'regroup_scheduler_state',
           'set_learning_rates']
