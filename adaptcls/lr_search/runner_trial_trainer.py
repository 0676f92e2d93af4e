"""Trains one LR-search trial with an mmengine Runner built from the training config."""
import os

import optuna
from mmengine.config import Config
from adaptcls.engine.runner import build_runner

from adaptcls.optim.non_finite_loss import NonFiniteLossError
from .lr_search_settings import LRSearchSettings
from .optuna_lr_search import ReportEpoch
from .runner_cleanup import train_and_release
from .search_configs import trial_config
from .trial_report_hook import TrialReportHook


class RunnerTrialTrainer:
    """The ``train_trial`` of :class:`~adaptcls.lr_search.optuna_lr_search.OptunaLRSearch` for real training.

    Trial ``n`` trains in ``<search_dir>/trial_<n>`` with the config of
    :func:`~adaptcls.lr_search.search_configs.trial_config` (constant lr, no checkpoints) and
    reports the validation metric after every epoch. A trial that stops early, pruned or with a
    non-finite loss (``NonFiniteLossError``, which the search records as a pruned trial), closes
    its run (the ``after_run`` hooks flush the logs) before the exception reaches the search;
    every trial's DataLoader workers are stopped and its log file closed when it ends
    (:func:`~adaptcls.lr_search.runner_cleanup.train_and_release`).

    Args:
        cfg (Config): the training config (data root and num_classes already filled in).
        search_dir (str): the folder of the search.
        settings (LRSearchSettings): metric, dropped hooks and the trial log level.
        seed (int): the seed of every trial.
    """

    def __init__(self, cfg: Config, search_dir: str, settings: LRSearchSettings, seed: int) -> None:
        self.cfg = cfg
        self.search_dir = search_dir
        self.settings = settings
        self.seed = seed

    def __call__(self, lr: float, trial_number: int, epochs: int, report: ReportEpoch) -> None:
        work_dir = os.path.join(self.search_dir, f'trial_{trial_number}')
        runner = build_runner(trial_config(self.cfg, lr, epochs, work_dir, self.seed, self.settings))
        runner.register_hook(TrialReportHook(report, self.settings.metric))
        train_and_release(runner, early_stops=(optuna.TrialPruned, NonFiniteLossError))
