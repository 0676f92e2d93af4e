"""Config edits that the config builder applies before a Runner is built."""
import os
from typing import Iterator, Optional, Sequence, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.config.utils import ConfigParsingError

from adaptcls.errors import UserInputError

DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load_config(path: str) -> Config:
    """``Config.fromfile(path)`` for a Python config (it executes the file: code), with a config that is not valid
    Python reported by file and line; a ``.json`` config is read as data and executes nothing
    (:func:`adaptcls.config.data_config.load_data_config`).

    mmengine parses config files without their name, so its ``SyntaxError`` says ``<unknown>``.

    Raises:
        UserInputError: ``path`` (or one of its ``_base_`` files) is not valid Python or not a config mmengine can
            parse (``import`` beside ``_base_``), or a JSON config is not valid.
    """
    if path.endswith('.json'):
        from .data_config import load_data_config
        return load_data_config(path)
    try:
        return Config.fromfile(path)
    except SyntaxError as error:
        raise UserInputError(f'config {path} (or one of its _base_ files), line {error.lineno}: {error.msg}; the file '
                             'is not valid Python, fix it.') from None
    except ConfigParsingError as error:  # e.g. an `import` statement beside `_base_ = [...]`
        raise UserInputError(f'config {path}: mmengine cannot parse it ({str(error).split(". ")[0]}). A config that '
                             'inherits with `_base_ = [...]` may not use `import` statements: remove them (config '
                             'values need no imports), or write the whole config in the `with read_base():` style.'
                             ) from None


def iter_datasets(cfg: Config, keys=DATALOADER_KEYS) -> Iterator[ConfigDict]:
    """Yields every dataset config of the given dataloaders, unwrapping dataset wrappers.

    A wrapper (e.g. ``RepeatDataset``) holds its inner dataset under ``dataset`` or ``datasets``.
    """
    for key in keys:
        loader = cfg.get(key)
        if loader:
            yield from _unwrap(loader['dataset'])


def _unwrap(dataset_cfg) -> Iterator[ConfigDict]:
    if 'dataset' in dataset_cfg:
        yield from _unwrap(dataset_cfg['dataset'])
    elif 'datasets' in dataset_cfg:
        for inner in dataset_cfg['datasets']:
            yield from _unwrap(inner)
    else:
        yield dataset_cfg


def set_data_root(cfg: Config, data_root: str) -> None:
    """Points every dataset of the config at ``data_root`` (the ``--data-root`` option)."""
    if not os.path.isdir(data_root):
        raise FileNotFoundError(
            f'--data-root "{data_root}" is not a folder. It must hold train/<class>/ and val/<class>/ '
            'image folders, or only class folders (split for validation when training; run '
            '`python tools/make_demo_data.py` for the demo data).')
    cfg.data_root = data_root
    for dataset_cfg in iter_datasets(cfg):
        dataset_cfg['data_root'] = data_root


SIZE_KEY = 'size'
"""The key of a transform's output size (``Resize``, ``RandomResizedCrop``, ``CenterCrop``, ``RandomCrop``'s
absolute sizes are not used by the recipes)."""


INPUT_SIZE_META_KEY = 'input_size'
"""Key of ``checkpoint['meta']`` that records the input size the model was trained and validated at
(:func:`config_input_size`), so that evaluating or exporting it at another size is refused."""


def config_input_size(cfg: Config) -> int:
    """The input size of the config: the last ``size`` of its test (else val) pipeline (its shorter side).

    Raises:
        ValueError: neither pipeline has a transform with a ``size``.
    """
    for key in ('test_dataloader', 'val_dataloader'):
        size = _pipeline_input_size(cfg, key)
        if size is not None:
            return size
    raise UserInputError(f'config {cfg.filename}: its test and val pipelines have no transform with a "{SIZE_KEY}", so '
                         'the input size cannot be changed; edit the pipelines instead.')


def _pipeline_input_size(cfg: Config, key: str) -> Optional[int]:
    """The last ``size`` (its shorter side) of the pipeline of dataloader ``key``; None without one."""
    dataset_cfg = next(iter_datasets(cfg, (key,)), None)
    sizes = [step[SIZE_KEY] for step in (dataset_cfg or {}).get('pipeline') or [] if SIZE_KEY in step]
    if not sizes:
        return None
    return int(sizes[-1]) if isinstance(sizes[-1], int) else int(min(sizes[-1]))


def check_input_sizes(cfg: Config) -> None:
    """Refuses a config whose val and test pipelines end at different input sizes: the model would be selected at
    one size (validation picks the best checkpoint) and evaluated and exported at another.

    Raises:
        ValueError: naming both sizes and the fix.
    """
    val_size, test_size = (_pipeline_input_size(cfg, key) for key in ('val_dataloader', 'test_dataloader'))
    if val_size is not None and test_size is not None and val_size != test_size:
        raise UserInputError(f'config {cfg.filename}: the val pipeline ends at {val_size} px but the test pipeline at '
                             f'{test_size} px; the exported model would run at {test_size} px, not at the size that '
                             'validation selected it at. Give both the same Resize/CenterCrop size (or use --img-size, '
                             'which scales every pipeline).')


def set_input_size(cfg: Config, img_size: int) -> None:
    """Scales every ``size`` of every pipeline by ``img_size`` / :func:`config_input_size` (the ``--img-size``
    option): a 224 px recipe's Resize(224) becomes Resize(``img_size``) in every data set, and a timm-style
    Resize(256) + CenterCrop(224) keeps its 0.875 crop ratio.

    Raises:
        ValueError: ``img_size`` is not a positive whole number, or the config has no test input size.
    """
    if isinstance(img_size, bool) or not isinstance(img_size, int) or img_size < 1:
        raise UserInputError(f'the input size must be a whole number of pixels >= 1, got {img_size!r}.')
    ratio = img_size / config_input_size(cfg)
    pipelines = [dataset_cfg.get('pipeline') or [] for dataset_cfg in iter_datasets(cfg)]
    # the top-level train_pipeline / test_pipeline variables too, so that the config dumped into the work dir says
    # one size (they are copies, not the dataloaders' lists)
    pipelines += [value for key, value in cfg.items() if key.endswith('_pipeline') and isinstance(value, list)]
    for pipeline in pipelines:
        for step in pipeline:
            if isinstance(step, dict) and SIZE_KEY in step:
                step[SIZE_KEY] = _scaled(step[SIZE_KEY], ratio)


def _scaled(size: Union[int, Sequence[int]], ratio: float) -> Union[int, tuple]:
    return round(size * ratio) if isinstance(size, int) else tuple(round(side * ratio) for side in size)


def set_max_epochs(cfg: Config, max_epochs: int) -> None:
    """Sets ``train_cfg.max_epochs`` (the ``--epochs`` option) and stretches each param scheduler that ended at the
    old last epoch (a cosine over the whole run) to the new one; warm-ups keep their length.

    Raises:
        ValueError: ``max_epochs`` is not a whole number >= 1.
    """
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
        raise UserInputError(f'the number of epochs must be a whole number >= 1, got {max_epochs!r}.')
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = max_epochs
    for scheduler in cfg.get('param_scheduler') or []:
        if scheduler.get('end') == old:
            scheduler['end'] = max_epochs
            if 'T_max' in scheduler:
                scheduler['T_max'] = max_epochs - scheduler.get('begin', 0)


AMP_WRAPPER = 'MixedPrecisionOptimWrapper'
"""The optim wrapper ``--amp`` gives configs without SAM (SAM's wrapper has mixed precision itself)."""
WRAPPERS_WITH_AMP = ('SAMOptimWrapper', AMP_WRAPPER)
"""Optim wrappers that take ``amp_dtype``."""
PLAIN_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper')
"""mmengine's wrappers, replaced by :data:`AMP_WRAPPER` (mmengine's ``AmpOptimWrapper`` refuses to run on a CPU)."""


AUTO_PRECISION_HOOK = dict(type='AutoPrecisionHook')
"""Resolves ``amp_dtype='auto'`` before training (configs/_base_/default_runtime.py has it too)."""


def enable_amp(cfg: Config, amp_dtype: Optional[str] = None) -> None:
    """Turns on mixed precision (the ``--amp [bf16|fp16]`` option): ``optim_wrapper.amp_dtype`` for SAM (both of
    its passes under autocast), else the optim wrapper becomes :data:`AMP_WRAPPER`.

    Args:
        cfg (Config): the training config.
        amp_dtype (str, optional): 'bf16' or 'fp16' (or 'bfloat16', 'float16'), or 'auto': bf16 where
            ``AutoPrecisionHook`` measures it faster on this machine before training, else fp32. Defaults to None
            ('auto').

    Raises:
        ValueError: an unknown dtype, fp16 without a CUDA GPU, or an optim wrapper that cannot run autocast.
    """
    from adaptcls.optim import amp_dtype_name
    from adaptcls.optim.mixed_precision import AUTO_AMP
    amp_dtype = amp_dtype or AUTO_AMP
    name = AUTO_AMP if amp_dtype == AUTO_AMP else amp_dtype_name(amp_dtype)
    if name == 'float16' and not torch.cuda.is_available():
        raise UserInputError('fp16 mixed precision needs a CUDA GPU (on a CPU fp16 is emulated and slow); use --amp '
                             'bf16 '
                             '(optim_wrapper.amp_dtype=bfloat16) on a CPU.')
    wrapper = cfg.optim_wrapper
    wrapper_type = str(wrapper.get('type', 'OptimWrapper')).split('.')[-1]
    if wrapper_type in PLAIN_WRAPPERS:
        wrapper.type = AMP_WRAPPER
        wrapper.pop('dtype', None)
    elif wrapper_type not in WRAPPERS_WITH_AMP:
        raise UserInputError(f'--amp: optim_wrapper type {wrapper_type!r} has no mixed precision; use one of '
                             f'{WRAPPERS_WITH_AMP + PLAIN_WRAPPERS}.')
    wrapper.amp_dtype = name
    if name == AUTO_AMP:
        cfg.setdefault('default_hooks', ConfigDict()).setdefault('auto_precision', dict(AUTO_PRECISION_HOOK))
    if name == 'float16':
        wrapper.setdefault('loss_scale', 'dynamic')


def prepare_distributed(cfg: Config) -> None:
    """Makes distributed runs work without a GPU.

    nccl needs CUDA, so CPU runs use gloo. mmengine's ``pytorch`` launcher also calls
    ``torch.cuda.set_device``, which fails without a GPU; for a CPU ``torchrun`` job we create the
    gloo process group ourselves (from torchrun's environment variables) and mmengine reuses it.
    """
    if torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', ConfigDict()).setdefault('dist_cfg', ConfigDict())
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if cfg.get('launcher', 'none') == 'pytorch' and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo')
