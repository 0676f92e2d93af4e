"""adaptcls registries: children of mmengine's root registries.

Each registry lists the package ``locations`` that hold its modules, so a config that names
``type='TimmBackbone'`` imports ``adaptcls.models`` on demand and ``import adaptcls`` stays light.
The default scope of every adaptcls config is ``'adaptcls'`` (see ``configs/_base_/default_runtime.py``).
"""
from typing import ContextManager

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import DefaultScope, Registry

__all__ = [
    'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS',
    'HOOKS', 'LOOPS', 'LOG_PROCESSORS', 'OPTIM_WRAPPERS', 'OPTIMIZERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS', 'FUNCTIONS', 'adaptcls_scope',
]

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['adaptcls.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['adaptcls.engine'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, locations=['adaptcls.models'])

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['adaptcls.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['adaptcls.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['adaptcls.datasets.transforms'])

HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['adaptcls.engine'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS,
    locations=['adaptcls.engine', 'adaptcls.engine.runner', 'adaptcls.lr_search.lr_range_sweep_loop'])
LOG_PROCESSORS = Registry(
    'log processor', parent=MMENGINE_LOG_PROCESSORS, locations=['adaptcls.engine'])

OPTIM_WRAPPERS = Registry(
    'optim wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['adaptcls.optim'])
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['adaptcls.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['adaptcls.optim', 'adaptcls.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['adaptcls.engine'])

METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['adaptcls.evaluation.metrics'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['adaptcls.evaluation.metrics'])

VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, locations=['adaptcls.engine'])
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, locations=['adaptcls.engine'])
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, locations=['adaptcls.engine'])


def adaptcls_scope() -> ContextManager:
    """A context in which mmengine builds from adaptcls's registries (the default scope ``'adaptcls'``), restored on
    exit: library code builds datasets and models in it without changing the process's default scope."""
    return DefaultScope.overwrite_default_scope('adaptcls')
