"""Helpers behind the command-line tools."""
from .config_utils import (enable_amp, infer_num_classes, iter_datasets, prepare_distributed,
                           set_data_root)

__all__ = ['enable_amp', 'infer_num_classes', 'iter_datasets', 'prepare_distributed', 'set_data_root']
