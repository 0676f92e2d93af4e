"""Helpers behind the command-line tools."""
from .config_utils import (avoid_single_image_batch, enable_amp, infer_num_classes, iter_datasets, load_config,
                           prepare_distributed, set_data_root)

__all__ = ['avoid_single_image_batch', 'enable_amp', 'infer_num_classes', 'iter_datasets', 'load_config',
           'prepare_distributed',
           'set_data_root']
