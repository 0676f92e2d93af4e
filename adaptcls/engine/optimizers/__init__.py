"""Optimizer wrappers and the shared update step."""
from .optimize_step import optimize_step
from .sam_optim_wrapper import SAMOptimWrapper, check_amp_compatible

__all__ = ['optimize_step', 'SAMOptimWrapper', 'check_amp_compatible']
