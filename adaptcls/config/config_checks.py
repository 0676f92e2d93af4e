"""Catching misspelt and missing config keys before a Runner is built, with the close valid name.

mmengine ignores a top-level key that nothing reads (``optim_wraper = ...`` leaves the base
config's optimizer in place, silently) and reports a bad constructor argument as a ``TypeError``
deep in a traceback. :func:`check_config_keys` looks at the whole config first and names every
such key with the closest valid name (``difflib``).
"""
import difflib
import inspect
from typing import Iterator, List, Mapping, Optional, Sequence, Set

from mmengine.config import Config

from adaptcls.errors import UserInputError

RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
    'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
    'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'sync_bn', 'find_unused_parameters', 'activation_checkpointing',
    'efficient_conv_bn_eval', 'compile', 'custom_imports')
"""Top-level keys that mmengine's Runner (or its Config) reads."""

ADAPTCLS_KEYS = ('lr_search', 'data_root', 'data_split', 'class_balance')
"""Top-level keys that adaptcls's tools read."""

TRAIN_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper')
"""Top-level keys a training run needs."""
TEST_KEYS = ('model', 'test_dataloader', 'test_cfg', 'test_evaluator')
"""Top-level keys a test run needs."""
VAL_KEYS = ('val_dataloader', 'val_cfg', 'val_evaluator')
"""Validation needs all three of these or none."""

TYPO_CUTOFF = 0.8
"""difflib similarity from which an unknown top-level key is taken for a misspelt known one
(other unknown top-level keys are helper variables, e.g. ``train_pipeline``)."""
TYPO_MAX_LENGTH_CHANGE = 2
"""...provided the lengths differ by at most this many characters (``optim_wrapper_cfg`` is a
helper variable, not a misspelt ``optim_wrapper``)."""
KWARGS_TYPO_CUTOFF = 0.9
"""For a class that takes ``**kwargs`` (passed on, e.g. to ``timm.create_model``), an unknown
argument is reported only when it is this similar to a named one (``model_nam``)."""
SUGGESTION_CUTOFF = 0.6
"""difflib similarity of the names suggested for an argument a class does not take."""

BUILDER_KEYS = frozenset({'type', '_scope_'})
"""Keys of a typed dict that mmengine's builder reads itself."""

RUNNER_DATALOADER_KEYS = frozenset({'dataset', 'sampler', 'batch_sampler', 'collate_fn', 'worker_init_fn',
                             'num_batch_per_epoch', 'persistent_workers'})
"""Dataloader keys mmengine's ``Runner.build_dataloader`` reads before calling ``DataLoader``."""


LR_OWNER_HOOK = 'ReduceLROnPlateauV2'
"""The hook that owns the learning rate after its initial value (no lr param scheduler beside it)."""
LINEAR_LR_START_FACTOR = 1 / 3
"""mmengine's ``LinearLR`` default ``start_factor`` (what a LinearLR entry without one warmed up from)."""


class ConfigKeyError(UserInputError):
    """Config keys that nothing reads, or required ones that are missing; names each and the fix."""


def check_config_keys(cfg: Config, for_training: bool = True) -> None:
    """Raises if the config has misspelt or missing keys, naming each with a close valid name.

    Checks the top-level keys (against mmengine's Runner and adaptcls's tools), every dict with
    a ``type`` (against the signature of the class it builds), the dataloaders (against
    ``torch.utils.data.DataLoader``) and the loops (``train_cfg``, ``val_cfg``, ``test_cfg``).

    Args:
        cfg (Config): the config, with the command-line options applied.
        for_training (bool): require what training needs (else what testing needs).
            Defaults to True.

    Raises:
        ConfigKeyError: one message listing every problem.
    """
    problems = top_level_problems(cfg, for_training) + argument_problems(cfg)
    if problems:
        text = '; '.join(problems)
        raise ConfigKeyError(f'config {cfg.filename}: {text}' + ('' if text.endswith('?') else '.'))


def top_level_problems(cfg: Config, for_training: bool) -> List[str]:
    """Misspelt top-level keys, and required ones that are missing."""
    known = RUNNER_KEYS + ADAPTCLS_KEYS
    problems, misspelt = [], set()
    for key in cfg.keys():
        if key in known:
            continue
        close = [name for name in difflib.get_close_matches(key, known, n=1, cutoff=TYPO_CUTOFF)
                 if abs(len(name) - len(key)) <= TYPO_MAX_LENGTH_CHANGE]
        if close:
            misspelt.add(close[0])
            problems.append(f'unknown top-level key {key!r} (nothing reads it): did you mean {close[0]!r}?')
    required = list(TRAIN_KEYS if for_training else TEST_KEYS)
    if any(cfg.get(key) is not None for key in VAL_KEYS) and for_training:
        required += VAL_KEYS
    for key in required:
        if cfg.get(key) is None and key not in misspelt:
            problems.append(f'the top-level key {key!r} is missing (set it, or add the base config that has it)')
    return problems


def argument_problems(cfg: Config) -> List[str]:
    """Arguments that the classes named by ``type`` do not take, and required ones missing."""
    from adaptcls import registry as registries
    top_registries = dict(
        model=registries.MODELS, optim_wrapper=registries.OPTIM_WRAPPERS,
        param_scheduler=registries.PARAM_SCHEDULERS, default_hooks=registries.HOOKS,
        custom_hooks=registries.HOOKS, val_evaluator=registries.METRICS, test_evaluator=registries.METRICS,
        visualizer=registries.VISUALIZERS, log_processor=registries.LOG_PROCESSORS,
        model_wrapper_cfg=registries.MODEL_WRAPPERS, train_cfg=registries.LOOPS, val_cfg=registries.LOOPS,
        test_cfg=registries.LOOPS)
    nested_registries = dict(
        dataset=registries.DATASETS, datasets=registries.DATASETS, pipeline=registries.TRANSFORMS,
        sampler=registries.DATA_SAMPLERS, batch_sampler=registries.DATA_SAMPLERS,
        optimizer=registries.OPTIMIZERS, vis_backends=registries.VISBACKENDS,
        init_cfg=registries.WEIGHT_INITIALIZERS, collate_fn=registries.FUNCTIONS,
        worker_init_fn=registries.FUNCTIONS)
    injected = {registries.OPTIMIZERS: {'params'}, registries.PARAM_SCHEDULERS: {'optimizer'},
                registries.DATA_SAMPLERS: {'dataset', 'sampler'}, registries.MODEL_WRAPPERS: {'module'},
                registries.LOOPS: {'runner', 'dataloader', 'evaluator'}, registries.VISBACKENDS: {'save_dir'}}
    builder_keys = {registries.PARAM_SCHEDULERS: {'convert_to_iter_based'},
                    registries.OPTIM_WRAPPERS: {'constructor', 'paramwise_cfg'},
                    registries.LOOPS: {'by_epoch'}}
    for registry in {*top_registries.values(), *nested_registries.values()}:
        registry.import_from_location()  # the adaptcls modules it holds (the registries' lazy locations)
    problems = []
    for key in cfg.keys():
        if key.endswith('_dataloader') and isinstance(cfg[key], dict):
            problems += _dataloader_problems(cfg[key], key)
        for path, node, registry in _typed_nodes(cfg[key], key, top_registries.get(key), nested_registries):
            node_type = node.get('type', _default_type(key, node))
            target = registry.get(node_type) if isinstance(node_type, str) else node_type
            if not inspect.isclass(target):
                continue  # an unknown type is mmengine's error at build time; functions are not checked
            ignored = BUILDER_KEYS | builder_keys.get(registry, set())
            problems += _class_argument_problems(target, set(node) - ignored, path, injected.get(registry, set()))
    return problems


def _typed_nodes(node, path: str, registry, nested_registries: dict) -> Iterator[tuple]:
    """Yields ``(path, dict, registry)`` for each dict that builds an object, at any depth."""
    if isinstance(node, dict):
        if registry is not None and ('type' in node or _default_type(path, node)):
            yield path, node, registry
        for key, value in node.items():
            yield from _typed_nodes(value, f'{path}.{key}', nested_registries.get(key, registry), nested_registries)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _typed_nodes(value, f'{path}[{index}]', registry, nested_registries)


def _default_type(path: str, node: dict) -> Optional[str]:
    """The class mmengine builds for an untyped top-level dict, as ``Runner`` does."""
    if path == 'optim_wrapper':
        return 'OptimWrapper'
    if path == 'train_cfg':
        return 'EpochBasedTrainLoop' if node.get('by_epoch', True) else 'IterBasedTrainLoop'
    return {'val_cfg': 'ValLoop', 'test_cfg': 'TestLoop'}.get(path)


def _class_argument_problems(target: type, given: Set[str], path: str, injected: Set[str]) -> List[str]:
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature
        return []
    named = [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    takes_kwargs = any(p.kind == p.VAR_KEYWORD for p in parameters)
    names = [p.name for p in named]
    where = f'{path} ({target.__name__})'
    problems, misspelt = [], set()
    for key in sorted(given - set(names)):
        if takes_kwargs:  # other keys go on to **kwargs
            close = difflib.get_close_matches(key, names, n=1, cutoff=KWARGS_TYPO_CUTOFF)
            if close:
                misspelt.add(close[0])
                problems.append(f'{where}: unknown argument {key!r}: did you mean {close[0]!r}?')
        else:
            problems.append(f'{where}: unknown argument {key!r}{_suggest(key, names)} '
                            f'({target.__name__} takes: {", ".join(n for n in names if n not in injected)})')
    for parameter in named:
        name = parameter.name
        if parameter.default is parameter.empty and name not in given | injected | misspelt:
            close = difflib.get_close_matches(name, sorted(given - set(names)), n=1, cutoff=SUGGESTION_CUTOFF)
            hint = f' (is {close[0]!r} a misspelling of it?)' if close else ''
            problems.append(f'{where}: the required argument {name!r} is missing{hint}')
    return problems


def _dataloader_problems(loader: dict, path: str) -> List[str]:
    from torch.utils.data import DataLoader
    valid = set(inspect.signature(DataLoader).parameters) | RUNNER_DATALOADER_KEYS
    problems = [f'{path}: unknown key {key!r}{_suggest(key, sorted(valid))} (a DataLoader setting)'
                for key in sorted(set(loader) - valid)]
    problems += [f'{path}: the key {key!r} is missing' for key in ('dataset', 'sampler') if key not in loader]
    return problems


def _suggest(key: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, names, n=2, cutoff=SUGGESTION_CUTOFF)
    return f': did you mean {" or ".join(repr(name) for name in close)}?' if close else ''


WHOLE_NUMBER_KEYS = ('train_cfg.max_epochs', 'train_cfg.val_interval', 'train_dataloader.batch_size',
                     'val_dataloader.batch_size', 'test_dataloader.batch_size')
"""Training values that must be whole numbers >= 1 (0 trains nothing, or divides by zero deep inside mmengine)."""
NON_NEGATIVE_KEYS = ('optim_wrapper.optimizer.weight_decay', 'optim_wrapper.optimizer.momentum')
"""Training values that must be numbers >= 0 (a string fails as a TypeError deep inside torch)."""


def _values(cfg: Config, dotted_keys):
    """(key, value) of each dotted key the config sets (absent keys are skipped)."""
    for dotted in dotted_keys:
        node = cfg
        for part in dotted.split('.'):
            node = node.get(part) if isinstance(node, (Mapping, Config)) else None
            if node is None:
                break
        if node is not None:
            yield dotted, node


def check_training_values(cfg: Config) -> None:
    """Raises ``ConfigKeyError`` for training values that cannot work, naming the key and the value, then checks
    that the pretrained weights the backbones ask for can be had (:func:`check_pretrained_weights`).

    mmengine accepts ``train_cfg.max_epochs=0`` (or negative) and trains nothing with exit status 0, divides by zero
    for ``batch_size=0`` or ``val_interval=0``, and reports ``optim_wrapper.optimizer.lr=abc`` (or a weight decay,
    momentum or seed that is no number) as a TypeError deep inside torch.

    Raises:
        ConfigKeyError: a value that cannot work.
        PretrainedWeightsUnavailableError: see :func:`check_pretrained_weights`.
    """
    problems = []
    for key, value in _values(cfg, WHOLE_NUMBER_KEYS):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f'{key} must be a whole number >= 1, got {value!r}')
    for key, value in _values(cfg, ('optim_wrapper.optimizer.lr',)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            problems.append(f'{key} must be a positive number, got {value!r}')
    for key, value in _values(cfg, NON_NEGATIVE_KEYS):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            problems.append(f'{key} must be a number >= 0, got {value!r}')
    seed = (cfg.get('randomness') or {}).get('seed')
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        problems.append(f'randomness.seed must be a whole number or None, got {seed!r}')
    problems += lr_owner_problems(cfg)
    if problems:
        raise ConfigKeyError(f'config {cfg.filename}: ' + '; '.join(problems) + '.')
    check_pretrained_weights(cfg)


def lr_owner_problems(cfg: Config) -> List[str]:
    """An lr param scheduler beside ``ReduceLROnPlateauV2``, which owns the learning rate after its initial value
    (two writers would undo each other's values); for a warm-up ``LinearLR``, the hook's keys that replace it."""
    if not any(type_name(hook) == LR_OWNER_HOOK for hook in cfg.get('custom_hooks') or []):
        return []
    from mmengine.optim.scheduler.lr_scheduler import LinearLR, LRSchedulerMixin

    from adaptcls.registry import PARAM_SCHEDULERS
    PARAM_SCHEDULERS.import_from_location()
    schedulers = cfg.get('param_scheduler') or []
    problems = []
    for index, scheduler in enumerate([schedulers] if isinstance(schedulers, Mapping) else schedulers):
        target = PARAM_SCHEDULERS.get(scheduler.get('type')) if isinstance(scheduler.get('type'), str) else None
        if not (inspect.isclass(target) and issubclass(target, LRSchedulerMixin)):
            continue
        fix = 'remove it'
        if issubclass(target, LinearLR) and scheduler.get('begin', 0) == 0:
            fix += (f" and set warmup_epochs={scheduler.get('end')!r}, warmup_start_factor="
                    f"{scheduler.get('start_factor', LINEAR_LR_START_FACTOR)!r} in the {LR_OWNER_HOOK} entry of "
                    'custom_hooks (the warm-up it declared)')
        problems.append(f'param_scheduler[{index}] ({scheduler.get("type")}) sets the lr, but {LR_OWNER_HOOK} in '
                        f'custom_hooks owns it: {fix}')
    return problems


def type_name(node) -> str:
    """The type name of a config node without a scope prefix ('adaptcls.X' -> 'X'): its ``type`` (a string or a
    class), or the class name of an object given in its place (e.g. a hook instance in ``custom_hooks``)."""
    node_type = node.get('type') if isinstance(node, Mapping) else type(node)
    name = node_type if isinstance(node_type, str) else getattr(node_type, '__name__', str(node_type))
    return name.split('.')[-1]


def check_pretrained_weights(cfg: Config) -> None:
    """Raises ``PretrainedWeightsUnavailableError`` naming the config keys when the weights of a ``pretrained=True``
    backbone can be neither found in their local cache nor downloaded.

    Builds one ``TimmBackbone`` per distinct weights (the two students of a mutual-learning model share theirs),
    which puts the weights in timm's cache, where the run's own build finds them. The backbone's error knows the
    weights but not where the config holds the backbone; this one names the keys that switch it to a local file or
    off (``model.backbone.pretrained``, or ``model.fast.backbone.pretrained`` and ``model.slow.backbone.pretrained``).

    Args:
        cfg (Config): the training config, with the command-line options applied.

    Raises:
        PretrainedWeightsUnavailableError: no network and not in the cache, for the first such weights.
    """
    from adaptcls.models.backbones import PretrainedWeightsUnavailableError, TimmBackbone
    from adaptcls.models.config_nodes import hub_backbone_groups
    for group in hub_backbone_groups(cfg.get('model') or {}):
        _, node = group[0]
        try:
            TimmBackbone(**{key: value for key, value in node.items() if key not in BUILDER_KEYS})
        except PretrainedWeightsUnavailableError as error:
            raise error.for_config([key for key, _ in group], cfg.filename) from error
