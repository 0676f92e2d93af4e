"""Building configs: the one builder every tool and the deployment code use, and the edits and checks behind it."""
from .builder import CONFIG_MODES, build_config, default_work_dir
from .checkpoint_checks import checkpoint_classes, load_checked_checkpoint
from .config_checks import ConfigKeyError, check_config_keys, check_training_values
from .config_utils import (avoid_single_image_batch, config_input_size, enable_amp, infer_num_classes, iter_datasets,
                           load_config, prepare_distributed, set_data_root, set_input_size,
                           set_max_epochs)
from .visualization import VIS_BACKEND_NAMES, add_vis_backends

__all__ = ['CONFIG_MODES', 'build_config', 'default_work_dir', 'checkpoint_classes', 'load_checked_checkpoint',
           'ConfigKeyError', 'check_config_keys', 'check_training_values', 'avoid_single_image_batch',
           'config_input_size', 'enable_amp', 'infer_num_classes', 'iter_datasets', 'load_config',
           'prepare_distributed', 'set_data_root', 'set_input_size', 'set_max_epochs', 'VIS_BACKEND_NAMES',
           'add_vis_backends']
