"""The LR search behind ``tools/lr_search.py`` and ``tools/train.py --auto-lr``: run, write the files."""
import json
import os
import time
from dataclasses import asdict, dataclass
from typing import Callable, List, Optional

import optuna
from mmengine.config import Config
from adaptcls.errors import UserInputError
from adaptcls.engine.runner import build_runner

from adaptcls.optim.non_finite_loss import NonFiniteLossError
from adaptcls.utils.atomic import atomic_write_json
from adaptcls.utils.json_files import read_json_object
from .divergence import lower_range_hint
from .lr_range_sweep import RangeTestOverTime
from .lr_search_settings import LRSearchSettings, canonical_mode
from .lr_suggestions import suggest_index
from .optuna_lr_search import OptunaLRSearch, data_identity
from .optuna_storage import default_storage_url, describe_storage
from .runner_cleanup import train_and_release
from .runner_trial_trainer import RunnerTrialTrainer
from .search_configs import range_test_config
from .search_plots import plot_range_test, plot_trials
from .search_report import (LR_CONFIG_FILE, PLOT_FILE, RANGE_TEST_COLUMNS, RESULT_FILE, TRIAL_COLUMNS,
                            TRIALS_FILE, range_test_rows, trial_rows, write_csv, write_lr_config)

SEARCH_DIR = 'lr_search'
"""The search's folder inside the work dir."""
OUTCOME_KEYS = ('mode', 'chosen_lr', 'total_trained_epochs', 'wall_time_s')
"""The keys of result.json that :meth:`LRSearchOutcome.from_result` reads."""


@dataclass
class LRSearchOutcome:
    """The chosen learning rate and what finding it cost.

    Attributes:
        mode (str): 'tpe', 'grid' or 'range_test' ('fastai': its deprecated name).
        chosen_lr (float): the chosen ``optim_wrapper.optimizer.lr``.
        total_trained_epochs (float): epochs of training the search ran (all trials, all
            processes; a range test counts its partial epoch).
        wall_time_s (float): seconds of training (sum over trials).
        search_dir (str): the folder with result.json, trials.csv, the plot and lr_config.py.
        suggested_lr (float, optional): the range test's suggestion before it was clipped into ``lr_range``
            (None for the other modes).
        clipped (str, optional): 'above' or 'below' when the suggestion lay outside ``lr_range`` and the chosen lr
            is the range's end; None when it lay inside (or for the other modes).
        stopped_for_time (str, optional): why the range test stopped before its end (``range_test_max_seconds``); the
            chosen lr is then the config's. None when it ran to its end.
    """

    mode: str
    chosen_lr: float
    total_trained_epochs: float
    wall_time_s: float
    search_dir: str
    suggested_lr: Optional[float] = None
    clipped: Optional[str] = None
    stopped_for_time: Optional[str] = None

    @classmethod
    def from_result(cls, result: dict, search_dir: str) -> 'LRSearchOutcome':
        """The outcome recorded in a search's result.json."""
        return cls(result['mode'], result['chosen_lr'], result['total_trained_epochs'], result['wall_time_s'],
                   search_dir, result.get('suggested_lr'), result.get('clipped'), result.get('stopped_for_time'))

    def summary(self) -> dict:
        """What ``tools/train.py --auto-lr`` records under ``lr_search`` in summary.json."""
        return dict(asdict(self), result_file=os.path.join(self.search_dir, RESULT_FILE))


def run_lr_search(cfg: Config,
                  mode: str = 'tpe',
                  settings: Optional[LRSearchSettings] = None,
                  search_dir: Optional[str] = None,
                  storage: Optional[str] = None,
                  study_name: Optional[str] = None,
                  seed: Optional[int] = None,
                  progress: Callable[[str], None] = print) -> LRSearchOutcome:
    """Searches the initial learning rate of ``cfg`` and writes the search's files.

    Files in ``search_dir``: ``result.json`` (mode, chosen lr, every trial or the range-test
    curve, trained epochs, wall time), ``trials.csv``, ``lr_search.png`` and ``lr_config.py``;
    trial work dirs ``trial_<n>/`` (logs) or ``range_test/``; the default study file ``study.db``.
    Optuna's own per-trial log lines are silenced (warnings stay): ``progress`` gets one line
    per trial instead.

    Args:
        cfg (Config): the training config with its data root, num_classes and work_dir filled in.
        mode (str): one of ``SEARCH_MODES``. Defaults to 'tpe'.
        settings (LRSearchSettings, optional): Defaults to None: ``cfg``'s ``lr_search`` dict.
        search_dir (str, optional): Defaults to None: ``<cfg.work_dir>/lr_search``.
        storage (str, optional): Optuna storage URL (tpe/grid). Defaults to None:
            ``sqlite:///<search_dir>/study.db``.
        study_name (str, optional): Defaults to None: ``<config name>_<mode>``.
        seed (int, optional): seed of every trial and of the sampler. Defaults to None:
            ``cfg.randomness.seed`` (0 when absent).
        progress (Callable[[str], None]): receives the progress lines. Defaults to print.

    Raises:
        NonFiniteLossError: the loss diverged at the range's low end (every TPE/grid trial
            diverged, or the range test's warm-up did); the message suggests a lower range.
    """
    mode = canonical_mode(mode, 'the LR search mode')
    settings = settings or LRSearchSettings.from_config(cfg)
    search_dir = search_dir or os.path.join(cfg.work_dir, SEARCH_DIR)
    seed = cfg.get('randomness', {}).get('seed', 0) if seed is None else seed
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if mode == 'range_test':
        result = _range_test(cfg, settings, search_dir, seed)
    else:
        storage = storage or default_storage_url(search_dir)
        study_name = study_name or f'{_config_name(cfg)}_{mode}'
        search = OptunaLRSearch(RunnerTrialTrainer(cfg, search_dir, settings, seed), settings, mode, storage,
                                study_name, seed, progress, data=_data_identity(cfg))
        result = _optuna_result(search.run(), search, describe_storage(storage), search_dir)
    result['config'] = cfg.filename
    atomic_write_json(os.path.join(search_dir, RESULT_FILE), result)
    write_lr_config(os.path.join(search_dir, LR_CONFIG_FILE), result['chosen_lr'], mode, cfg.filename,
                    work_dir=os.path.dirname(os.path.abspath(search_dir)))
    if result.get('stopped_for_time'):
        progress(f'[lr search {mode}] stopped: {result["stopped_for_time"]}; training uses the config\'s lr '
                 f'{result["chosen_lr"]:g}')
    if result.get('clipped'):
        low, high = settings.lr_range
        progress(f'[lr search {mode}] the suggested lr {result["suggested_lr"]:.4g} lies {result["clipped"]} the '
                 f'configured range [{low:g}, {high:g}] (lr_search.lr_range): clipped to its end')
    progress(f'[lr search {mode}] chosen lr {result["chosen_lr"]} ({result["total_trained_epochs"]:.2f} '
             f'epochs of training, {result["wall_time_s"]:.1f} s); files in {search_dir}')
    return LRSearchOutcome.from_result(result, search_dir)


def auto_lr_mode(cfg: Config, requested: Optional[str] = None, disabled: bool = False) -> Optional[str]:
    """The LR search mode ``tools/train.py`` runs before training, or None to train at the config's lr.

    Args:
        cfg (Config): the training config; its ``lr_search.auto_lr`` is the default.
        requested (str, optional): ``--auto-lr MODE``. Defaults to None.
        disabled (bool): ``--no-auto-lr``. Defaults to False.

    Raises:
        ValueError: both ``requested`` and ``disabled``, or an unknown ``lr_search.auto_lr``.
    """
    if requested and disabled:
        raise UserInputError('--auto-lr and --no-auto-lr contradict each other: give one of them.')
    if disabled:
        return None
    if requested:
        return canonical_mode(requested, '--auto-lr')
    return canonical_mode((cfg.get('lr_search') or {}).get('auto_lr'), f'config {cfg.filename}: lr_search.auto_lr')


def apply_auto_lr(cfg: Config, mode: str = 'tpe', progress: Callable[[str], None] = print) -> dict:
    """``tools/train.py --auto-lr`` (or a config's ``lr_search.auto_lr``): searches the initial lr in the
    work dir and sets ``cfg.optim_wrapper.optimizer.lr`` to the chosen lr.

    A resumed run (``cfg.resume``) whose work dir holds a finished search of the same mode reuses its
    result instead of searching again (the search is seeded, so it would choose the same lr).

    Returns:
        dict: the search's summary, for ``summary/lr_search`` in the message hub.

    Raises:
        ValueError: a distributed launcher is set (every rank would search).
    """
    if cfg.get('launcher', 'none') != 'none':
        raise UserInputError('--auto-lr runs the search in a single process. For distributed training, run '
                             'tools/lr_search.py first and pass --cfg-options optim_wrapper.optimizer.lr=LR '
                             '(the value in WORK_DIR/lr_search/lr_config.py), or --no-auto-lr.')
    outcome = _finished_search(cfg, mode) if cfg.get('resume') else None
    if outcome is not None:
        progress(f'[lr search {mode}] resuming: lr {outcome.chosen_lr} from the finished search in '
                 f'{outcome.search_dir}')
    else:
        outcome = run_lr_search(cfg, mode, progress=progress)
    cfg.optim_wrapper.optimizer.lr = outcome.chosen_lr
    return outcome.summary()


def _finished_search(cfg: Config, mode: str) -> Optional[LRSearchOutcome]:
    """The outcome recorded in ``<work_dir>/lr_search/result.json`` by a search of ``mode``, if any.

    Raises:
        UserInputError: the file exists but is damaged (the message names it).
    """
    search_dir = os.path.join(cfg.work_dir, SEARCH_DIR)
    result_file = os.path.join(search_dir, RESULT_FILE)
    if not os.path.isfile(result_file):
        return None
    result = read_json_object(result_file, OUTCOME_KEYS,
                              fix=f'delete it (or {search_dir}) to search again, or train with --no-auto-lr')
    if result.get('mode') != mode:
        return None
    return LRSearchOutcome.from_result(result, search_dir)


def _optuna_result(study: optuna.Study, search: OptunaLRSearch, storage: str, search_dir: str) -> dict:
    rows = trial_rows(study)
    write_csv(os.path.join(search_dir, TRIALS_FILE), rows, TRIAL_COLUMNS)
    complete = [row for row in rows if row['state'] == 'complete']
    if not complete:
        raise _no_completed_trial_error(rows, search, storage, search_dir)
    best = max(complete, key=lambda row: (row['value'], -row['number']))
    finished = [row for row in rows if row['state'] in ('complete', 'pruned', 'reused')]
    plot_trials(rows, best['lr'], os.path.join(search_dir, PLOT_FILE), search.settings.metric)
    trained = [row for row in rows if row['state'] != 'reused' and row['wall_time_s'] is not None]
    return dict(
        mode=search.mode, chosen_lr=best['lr'], metric=search.settings.metric, best_value=best['value'],
        best_trial=best['number'], trials_requested=search.n_trials, trials_finished=len(finished),
        epochs_per_trial=search.epochs, search_space=search.search_space(),
        total_trained_epochs=sum(row['trained_epochs'] for row in rows),
        wall_time_s=round(sum(row['wall_time_s'] for row in trained), 2),
        study_name=search.study_name, storage=storage, settings=search.settings.to_dict(), trials=rows)


def _no_completed_trial_error(rows: List[dict], search: OptunaLRSearch, storage: str,
                              search_dir: str) -> Exception:
    """The error when no trial completed: a lower range to search when trials diverged."""
    where = f'the study "{search.study_name}" ({storage})'
    diverged = sorted(row['lr'] for row in rows if row['diverged'])
    if not diverged:
        return RuntimeError(f'No trial of {where} completed, so no lr can be chosen; see the trial logs in '
                            f'{search_dir}')
    low, high = search.settings.lr_range
    return NonFiniteLossError(
        f'No trial of {where} completed: the training loss became NaN or infinite at every learning rate '
        f'trained ({", ".join(f"{lr:g}" for lr in diverged)}), so none can be chosen. The range '
        f'[{low:g}, {high:g}] is too high for this model and data: {lower_range_hint(low, high)}, with a new '
        '--study-name or --work-dir (a study stays bound to its range). Reasons per trial: '
        f'{os.path.join(search_dir, TRIALS_FILE)}')


def _range_test(cfg: Config, settings: LRSearchSettings, search_dir: str, seed: int) -> dict:
    from adaptcls.config.training_set import scan_training_set
    train_images = len(scan_training_set(cfg))
    run_cfg = range_test_config(cfg, os.path.join(search_dir, 'range_test'), seed, settings, train_images)
    runner = build_runner(run_cfg)
    started = time.perf_counter()
    try:
        train_and_release(runner, early_stops=(NonFiniteLossError, RangeTestOverTime))
    except RangeTestOverTime as stopped:  # e.g. --time-limit: train at the config's lr rather than spend the budget
        return dict(mode='range_test', chosen_lr=cfg.optim_wrapper.optimizer.lr, rule=settings.range_test_rule,
                    suggested_lr=None, clipped=None, stopped_for_time=str(stopped), lr_range=list(settings.lr_range),
                    train_images=train_images, train_batch_size=cfg.train_dataloader.batch_size,
                    sweep_batch_size=run_cfg.train_dataloader.batch_size,
                    total_trained_epochs=stopped.epochs_trained, extra_epochs=stopped.epochs_trained,
                    wall_time_s=round(time.perf_counter() - started, 2), settings=settings.to_dict())
    curve = runner.train_loop.curve
    low, high = settings.lr_range
    try:
        pick = suggest_index(settings.range_test_rule, curve.lrs, curve.smoothed, curve.planned_iterations,
                             settings.range_test_skip_start, settings.range_test_skip_end)
    except ValueError as error:
        if not curve.diverged:
            raise
        raise UserInputError(f'{error} The sweep diverged early, at lr {curve.non_finite_lr or curve.lrs[-1]:g}: '
                             f'{lower_range_hint(low, high)}.') from error
    suggested = curve.lrs[pick]
    # The sweep's images over the training set's (a partial last batch of an epoch counts as a full one).
    extra_epochs = (curve.warmup_iterations + len(curve.lrs)) / curve.epoch_iterations
    # Clipped, not trusted: above the EfficientNet range's top the grid of full trainings lost 1.5-2.6 pt
    # (docs/benchmarks.md, LR-search comparison: lr 0.02 vs 0.01 on Fashion-MNIST and CIFAR-10); recorded as 'clipped'.
    chosen = round(min(max(suggested, low), high), 12)
    clipped = 'above' if suggested > high else 'below' if suggested < low else None
    write_csv(os.path.join(search_dir, TRIALS_FILE), range_test_rows(curve), RANGE_TEST_COLUMNS)
    plot_range_test(curve, pick, chosen, os.path.join(search_dir, PLOT_FILE))
    return dict(
        mode='range_test', chosen_lr=chosen, rule=settings.range_test_rule, suggested_lr=suggested, clipped=clipped,
        lr_range=list(settings.lr_range), sweep=[curve.lrs[0], curve.lrs[-1]],
        warmup_epochs=settings.range_test_warmup_epochs, warmup_losses=curve.warmup_losses,
        iterations_planned=curve.planned_iterations, iterations_run=len(curve.lrs), diverged=curve.diverged,
        non_finite_lr=curve.non_finite_lr,
        iterations_per_epoch=curve.epoch_iterations, train_images=train_images,
        train_batch_size=cfg.train_dataloader.batch_size, sweep_batch_size=run_cfg.train_dataloader.batch_size,
        total_trained_epochs=extra_epochs, extra_epochs=extra_epochs,
        wall_time_s=round(time.perf_counter() - started, 2), settings=settings.to_dict(),
        curve=curve.to_dict())


def _data_identity(cfg: Config) -> dict:
    """The training data a study of ``cfg`` trains on (its file list is read, no image decoded)."""
    from adaptcls.config.config_utils import iter_datasets
    from adaptcls.config.training_set import scan_training_set
    training_set = scan_training_set(cfg)
    return data_identity(next(iter_datasets(cfg, ('train_dataloader',))).get('data_root'), training_set.classes,
                         len(training_set))


def _config_name(cfg: Config) -> str:
    return os.path.splitext(os.path.basename(cfg.filename))[0] if cfg.filename else 'config'

