"""Helpers behind the command-line tools."""
from .config_utils import (choose_dist_backend, enable_amp, infer_num_classes, iter_datasets,
                           set_data_root)

__all__ = ['choose_dist_backend', 'enable_amp', 'infer_num_classes', 'iter_datasets', 'set_data_root']
