"""Hands each epoch's validation metric of an LR-search trial to Optuna."""
from typing import Callable, Dict, Optional

from mmengine.hooks import Hook

from adaptcls.errors import UserInputError


class TrialReportHook(Hook):
    """Calls ``report(epoch, metrics[metric])`` after every validation of a trial.

    ``report`` raises ``optuna.TrialPruned`` when the pruner stops the trial; the exception
    leaves ``runner.train()`` and ``RunnerTrialTrainer`` closes the run. The hook runs last
    (priority LOWEST), after every other hook has seen the epoch.

    Args:
        report (Callable[[int, float], None]): receives the 1-based epoch and the metric.
        metric (str): the validation metric to report. Defaults to 'top1'.
    """

    priority = 'LOWEST'

    def __init__(self, report: Callable[[int, float], None], metric: str = 'top1') -> None:
        self.report = report
        self.metric = metric

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        metrics = metrics or {}
        if self.metric not in metrics:
            raise UserInputError(f'The LR search ranks trials by the validation metric "{self.metric}", but the '
                           f'val_evaluator reported {sorted(metrics)}. Set lr_search.metric to one of them.')
        self.report(runner.epoch, float(metrics[self.metric]))  # runner.epoch: epochs completed
