"""Optimizer wrappers and the shared update step."""
from .optimize_step import optimize_step

__all__ = ['optimize_step']
