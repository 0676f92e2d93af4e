"""Every setting of the initial learning-rate search, with the recipe's defaults in one place.

A config sets them in a top-level ``lr_search = dict(...)`` (the model base configs under
``configs/_base_/models/`` set ``lr_range`` and ``lr_step`` per model family); every key a config
leaves out takes the default of :class:`LRSearchSettings` below, and the command-line options of
``tools/lr_search.py`` override both.
"""
import warnings
from dataclasses import asdict, dataclass, fields
from typing import Mapping, Optional, Tuple

from adaptcls.errors import UserInputError

SEARCH_MODES = ('tpe', 'grid', 'range_test')
"""``tpe`` (default; Optuna's TPE + median pruning), ``grid`` (the paper's reference method) and
``range_test`` (an LR range test, Smith 2017, as fast.ai's ``lr_find`` runs it: the cheapest)."""
MODE_ALIASES = {'fastai': 'range_test'}
"""Deprecated mode names (before 2026-12-06) -> today's: still accepted, with a warning."""
ACCEPTED_MODES = SEARCH_MODES + tuple(MODE_ALIASES)
"""What ``--mode``, ``--auto-lr`` and ``lr_search.auto_lr`` accept."""
DEPRECATED_KEYS = {f'fastai_{name}': f'range_test_{name}' for name in (
    'warmup_epochs', 'end_lr_mult', 'min_iterations', 'max_sweep_epochs', 'min_sweep_batch', 'max_seconds',
    'smooth_beta', 'diverge_factor', 'skip_start', 'skip_end', 'rule')}
"""Deprecated ``lr_search`` keys (named after a library, not the method, before 2026-12-06) -> today's."""

SUGGESTION_RULES = ('steepest', 'valley')
"""How the ``range_test`` mode reads the range-test curve (see ``adaptcls.lr_search.lr_suggestions``)."""

CONFIG_KEY = 'lr_search'
"""The top-level config key that holds the settings."""


def canonical_mode(mode: Optional[str], where: str = 'mode') -> Optional[str]:
    """``mode`` under today's name: a deprecated alias (:data:`MODE_ALIASES`) is translated with a FutureWarning.

    Raises:
        UserInputError: an unknown mode, naming ``where`` and the accepted ones.
    """
    if mode is None or mode in SEARCH_MODES:
        return mode
    if mode in MODE_ALIASES:
        warnings.warn(f'{where} "{mode}" is deprecated: use "{MODE_ALIASES[mode]}" (the same LR range test).',
                      FutureWarning, stacklevel=2)
        return MODE_ALIASES[mode]
    raise UserInputError(f'{where} must be one of {SEARCH_MODES} or None, got "{mode}".')


def trial_setting_keys(mode: str) -> Tuple[str, str]:
    """The keys of the trial count and of the epochs per trial of a ``tpe`` or ``grid`` search."""
    return ('grid_points', 'grid_epochs') if mode == 'grid' else ('tpe_trials', 'tpe_epochs')


@dataclass(frozen=True)
class LRSearchSettings:
    """Settings of ``tools/lr_search.py`` (recipe.md, "Initial learning-rate estimation").

    Learning rates are values of the config's ``optim_wrapper.optimizer.lr``: the value a training
    run starts from, before mmengine's ``auto_scale_lr`` scaling (which trials apply too) and
    before the per-group multipliers of ``paramwise_cfg`` (e.g. the 2x bias lr).

    Args:
        lr_range (tuple[float, float], optional): lowest and highest learning rate searched.
            The model base configs set it (MobileNetV3 (0.005, 0.029), EfficientNet
            (0.001, 0.010)). Defaults to None, which means the config must set it or
            ``--range`` must give it.
        lr_step (float): step of the discrete learning-rate grid TPE draws from. Defaults to 0.001.
        metric (str): validation metric that trials maximise. Defaults to 'top1'.
        tpe_trials (int): number of trials of the TPE search. Defaults to 15.
        tpe_epochs (int): training epochs per TPE trial. Defaults to 6.
        tpe_startup_trials (int): random (seeded) trials before TPE models the results.
            Defaults to 5.
        pruner_startup_trials (int): completed trials before the median pruner prunes.
            Defaults to 5.
        pruner_warmup_epochs (int): epochs of a trial that are never pruned (Optuna's
            ``n_warmup_steps``; epochs are reported as steps 1, 2, ...). Defaults to 0.
        grid_points (int): number of evenly spaced learning rates of the grid search, lowest
            and highest included. Defaults to 10.
        grid_epochs (int): training epochs per grid point. Defaults to 9.
        range_test_warmup_epochs (float): epochs of fine-tuning at the lowest learning rate before the
            range test's sweep (the raw fast.ai finder destroys the ImageNet initialisation); a fraction
            trains that share of an epoch's iterations, 0 none. Defaults to 0.5 (the paper: 1 epoch; half an
            epoch and a 1-epoch sweep cost 1.5 epochs instead of 3 and chose the same lr in 14 of 16 estimates
            on 6 data sets: docs/benchmarks.md, "The LR estimate at 1.5 epochs").
        range_test_end_lr_mult (float): the range test sweeps from ``lr_range[0]`` to
            ``lr_range[1] * range_test_end_lr_mult``, so the curve shows where the loss takes off;
            the suggestion is then clipped into ``lr_range``. Defaults to 10.0.
        range_test_min_iterations (int): fewest iterations of the range test's sweep; an epoch with
            fewer is repeated (fast.ai sweeps 100 iterations whatever the epoch size; one epoch of
            1,000 images at batch 64 is 16). Defaults to 100.
        range_test_max_sweep_epochs (float): most epochs of the training set the sweep may train on. When
            ``range_test_min_iterations`` batches of the training batch size would be more, the sweep (and its
            warm-up) runs at the smaller batch that fits, its learning rates scaled with the batch by
            mmengine's ``auto_scale_lr`` (the linear scaling rule, Goyal et al. 2017), so the suggestion is
            in the config's lr units for the training batch. The paper's sweep is one epoch; fast.ai sweeps 100
            iterations: 100 iterations at batch 64 cost 12.5 epochs of a 500-image set, 1 with this cap on a set
            of 1,000 images or more (docs/benchmarks.md, "What the LR estimate costs"). Defaults to 1.0.
        range_test_min_sweep_batch (int): the smallest batch the cap above may shrink the sweep to (batch
            normalisation statistics of fewer images are noise), so on a training set of fewer than
            ``range_test_min_sweep_batch * range_test_min_iterations / range_test_max_sweep_epochs`` images (800 by
            default) the sweep costs more than the cap (500 images: 1.6 epochs). Defaults to 8.
        range_test_max_seconds (float, optional): the most seconds the range test may take. Once its first iterations
            project a longer test, it stops and training runs at the config's lr (``optim_wrapper.optimizer.lr``);
            result.json and summary.json record ``stopped_for_time``. ``tools/train.py --time-limit`` sets it to a
            share of the limit (``LR_ESTIMATE_SHARE``). Defaults to None: no limit.
        range_test_smooth_beta (float): EMA coefficient of the loss smoothing (fast.ai's 0.98).
            Defaults to 0.98.
        range_test_diverge_factor (float): the range test stops when the smoothed loss exceeds this
            multiple of its minimum. Defaults to 4.0.
        range_test_skip_start (float): fraction of the planned range-test iterations ignored at the
            start of the curve. Defaults to 0.1.
        range_test_skip_end (int): points ignored at the end of the curve. Defaults to 5.
        range_test_rule (str): 'valley' (fast.ai's valley rule, its default since fastai 2.5) or
            'steepest' (steepest descent of the smoothed loss against log-lr, the paper's rule).
            Defaults to 'valley': on real range-test curves re-drawn with their own noise
            (benchmarks/lr_suggestion_noise.py, docs/lr_search.md) the steepest-descent pick spread
            over a factor 7 (10th to 90th percentile), the valley pick over a factor 1.5.
        auto_lr (str, optional): the search mode ('tpe', 'grid' or 'range_test'; 'fastai', deprecated) that
            ``tools/train.py`` runs before training when neither ``--auto-lr MODE`` nor
            ``--no-auto-lr`` is given; None trains at the config's lr. The adaptive recipe configs
            set 'range_test' (recipe.md: the initial LR is estimated, not given). Defaults to None.
        removed_trial_hooks (tuple[str, ...]): hook types (in ``default_hooks`` or
            ``custom_hooks``) that trials and the range test drop: those that change the
            learning rate or stop early, and the per-run summary.
            Defaults to ('ReduceLROnPlateauV2', 'EarlyStoppingHook', 'RunSummaryHook', 'TimeBudgetHook').
        trial_log_level (str): log level of each trial's Runner (its console and log file);
            the search prints one line per trial instead. Defaults to 'WARNING'.
        heartbeat_interval (int): seconds between the heartbeats a running trial writes to a
            database storage (Optuna's ``RDBStorage``); a journal file has no heartbeats.
            Defaults to 60.
        heartbeat_grace_period (int): seconds without a heartbeat after which a running trial
            of any machine is marked failed. Defaults to 180.
        sqlite_timeout (float): seconds a process waits for a locked SQLite study file.
            Defaults to 60.0.
    """

    lr_range: Optional[Tuple[float, float]] = None
    lr_step: float = 0.001
    metric: str = 'top1'
    tpe_trials: int = 15
    tpe_epochs: int = 6
    tpe_startup_trials: int = 5
    pruner_startup_trials: int = 5
    pruner_warmup_epochs: int = 0
    grid_points: int = 10
    grid_epochs: int = 9
    range_test_warmup_epochs: float = 0.5
    range_test_end_lr_mult: float = 10.0
    range_test_min_iterations: int = 100
    range_test_max_sweep_epochs: float = 1.0
    range_test_min_sweep_batch: int = 8
    range_test_max_seconds: Optional[float] = None
    range_test_smooth_beta: float = 0.98
    range_test_diverge_factor: float = 4.0
    range_test_skip_start: float = 0.1
    range_test_skip_end: int = 5
    range_test_rule: str = 'valley'
    auto_lr: Optional[str] = None
    removed_trial_hooks: Tuple[str, ...] = ('ReduceLROnPlateauV2', 'EarlyStoppingHook', 'RunSummaryHook',
                                            'TimeBudgetHook')
    trial_log_level: str = 'WARNING'
    heartbeat_interval: int = 60
    heartbeat_grace_period: int = 180
    sqlite_timeout: float = 60.0

    @classmethod
    def from_config(cls, cfg: Mapping, **overrides) -> 'LRSearchSettings':
        """The settings of ``cfg['lr_search']``, defaults for the keys it leaves out, then ``overrides``.

        Args:
            cfg (Mapping): the training config.
            **overrides: settings to replace; None values are ignored (an option not given).

        Raises:
            ValueError: an unknown key, or a value that cannot work (e.g. ``low >= high``).
        """
        section = _renamed_keys(dict(cfg.get(CONFIG_KEY) or {}))
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise UserInputError(f'Unknown key(s) {unknown} in the config\'s `{CONFIG_KEY}` dict. '
                                 f'Known keys: {sorted(known)}.')
        section.update({key: value for key, value in overrides.items() if value is not None})
        if section.get('lr_range') is not None:
            section['lr_range'] = tuple(float(value) for value in section['lr_range'])
        if 'removed_trial_hooks' in section:
            section['removed_trial_hooks'] = tuple(section['removed_trial_hooks'])
        section['auto_lr'] = canonical_mode(section.get('auto_lr'), f'{CONFIG_KEY}.auto_lr')
        settings = cls(**section)
        settings.check()
        return settings

    def check(self) -> None:
        """Raises ValueError, naming the key, for settings that cannot work."""
        if self.lr_range is None:
            raise UserInputError(f'No learning-rate range: set `{CONFIG_KEY} = dict(lr_range=(LOW, HIGH))` '
                                 'in the config (the model base configs under configs/_base_/models/ do) or pass '
                                 '--range LOW HIGH.')
        low, high = self.lr_range
        if not 0 < low < high:
            raise UserInputError(f'{CONFIG_KEY}.lr_range must satisfy 0 < LOW < HIGH, got {self.lr_range}.')
        if not 0 < self.lr_step <= high - low:
            raise UserInputError(f'{CONFIG_KEY}.lr_step must lie in (0, HIGH - LOW], got {self.lr_step} '
                                 f'for the range {self.lr_range}.')
        for key in ('tpe_trials', 'tpe_epochs', 'grid_epochs', 'range_test_min_iterations',
                    'range_test_min_sweep_batch'):
            if getattr(self, key) < 1:
                raise UserInputError(f'{CONFIG_KEY}.{key} must be at least 1, got {getattr(self, key)}.')
        if self.grid_points < 2:
            raise UserInputError(f'{CONFIG_KEY}.grid_points must be at least 2, got {self.grid_points}.')
        if self.range_test_rule not in SUGGESTION_RULES:
            raise UserInputError(f'{CONFIG_KEY}.range_test_rule must be one of {SUGGESTION_RULES}, '
                                 f'got "{self.range_test_rule}".')
        canonical_mode(self.auto_lr, f'{CONFIG_KEY}.auto_lr')
        if not self.range_test_warmup_epochs >= 0:
            raise UserInputError(f'{CONFIG_KEY}.range_test_warmup_epochs must be >= 0, '
                                 f'got {self.range_test_warmup_epochs}.')
        if not self.range_test_max_sweep_epochs > 0:
            raise UserInputError(f'{CONFIG_KEY}.range_test_max_sweep_epochs must be > 0, '
                                 f'got {self.range_test_max_sweep_epochs}.')
        if self.range_test_end_lr_mult < 1:
            raise UserInputError(f'{CONFIG_KEY}.range_test_end_lr_mult must be >= 1, '
                                 f'got {self.range_test_end_lr_mult}.')

    def trials(self, mode: str) -> int:
        """Trials of a ``tpe`` or ``grid`` search (for the grid: its number of points)."""
        return getattr(self, trial_setting_keys(mode)[0])

    def epochs(self, mode: str) -> int:
        """Training epochs per trial of a ``tpe`` or ``grid`` search."""
        return getattr(self, trial_setting_keys(mode)[1])

    def to_dict(self) -> dict:
        """The settings as plain JSON-able values."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in asdict(self).items()}


def _renamed_keys(section: dict) -> dict:
    """``section`` with deprecated keys (:data:`DEPRECATED_KEYS`) under today's names, each with a FutureWarning.

    Raises:
        UserInputError: a key given under both names.
    """
    for old, new in DEPRECATED_KEYS.items():
        if old not in section:
            continue
        if new in section:
            raise UserInputError(f'`{CONFIG_KEY}` sets both {old} (deprecated) and {new}: keep {new} only.')
        warnings.warn(f'{CONFIG_KEY}.{old} is deprecated: use {CONFIG_KEY}.{new} (the same setting).', FutureWarning,
                      stacklevel=3)
        section[new] = section.pop(old)
    return section
