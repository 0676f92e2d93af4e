"""Building configs: the one builder every tool and the deployment code use, and the edits and checks behind it.

Names are imported on first use (PEP 562): importing a light submodule (e.g. ``adaptcls.config.data_splits`` for its
defaults in a ``--help`` text) does not import torch through the builder.
"""
from adaptcls.utils.lazy_exports import lazy_getattr

_MODULE_OF = {
    'CONFIG_MODES': 'builder',
    'build_config': 'builder',
    'default_work_dir': 'builder',
    'checkpoint_classes': 'checkpoint_checks',
    'load_checked_checkpoint': 'checkpoint_checks',
    'ConfigKeyError': 'config_checks',
    'check_config_keys': 'config_checks',
    'check_training_values': 'config_checks',
    'config_input_size': 'config_utils',
    'enable_amp': 'config_utils',
    'iter_datasets': 'config_utils',
    'load_config': 'config_utils',
    'prepare_distributed': 'config_utils',
    'set_data_root': 'config_utils',
    'set_input_size': 'config_utils',
    'set_max_epochs': 'config_utils',
    'pending_data_split': 'data_splits',
    'record_data_split': 'data_splits',
    'latest_checkpoint': 'resume_pointer',
    'TrainingSet': 'training_set',
    'avoid_single_image_batch': 'training_set',
    'infer_num_classes': 'training_set',
    'scan_training_set': 'training_set',
    'VIS_BACKEND_NAMES': 'visualization',
    'add_vis_backends': 'visualization',
}

__all__ = sorted(_MODULE_OF)

__getattr__ = lazy_getattr(__name__, _MODULE_OF)
