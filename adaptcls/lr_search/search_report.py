"""The files an LR search leaves: result.json, trials.csv and lr_config.py (all written atomically)."""
import csv
import io
import os
from typing import List, Optional, Sequence

import optuna
from optuna.trial import TrialState

from adaptcls.utils.atomic import atomic_write_text
from .lr_range_sweep import RangeTestCurve
from .optuna_lr_search import (DIVERGED_ATTR, PRUNED_REASON_ATTR, REUSED_ATTR, WORKER_ATTR, epoch_values,
                               trial_lr, trial_state_label)

RESULT_FILE = 'result.json'
TRIALS_FILE = 'trials.csv'
PLOT_FILE = 'lr_search.png'
LR_CONFIG_FILE = 'lr_config.py'

TRIAL_COLUMNS = ('number', 'lr', 'state', 'reason', 'diverged', 'reused_from', 'value', 'epoch_values',
                 'trained_epochs', 'wall_time_s', 'worker')
RANGE_TEST_COLUMNS = ('iteration', 'lr', 'loss', 'smoothed_loss')


def trial_rows(study: optuna.Study) -> List[dict]:
    """One dict per trial: number, lr, state label, why it was pruned (``reason``: the median rule,
    ``lr X diverged: ...``, or the pruned trial it reused; else None), whether its loss became
    non-finite (``diverged``), reused_from, value (None unless complete or reused from a complete
    trial), metric per epoch, epochs trained (0 for a reused trial), wall time and the worker
    that ran it."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        state = trial_state_label(trial)
        worker = trial.user_attrs.get(WORKER_ATTR)
        # Optuna stores a pruned trial's last reported value as its value: no objective, so not shown.
        objective = trial.value if trial.state == TrialState.COMPLETE else None
        rows.append(dict(
            number=trial.number,
            lr=trial_lr(trial),
            state=state,
            reason=trial.user_attrs.get(PRUNED_REASON_ATTR),
            diverged=trial.user_attrs.get(DIVERGED_ATTR, False),
            reused_from=trial.user_attrs.get(REUSED_ATTR),
            value=objective,
            epoch_values=epoch_values(study, trial),
            trained_epochs=0 if state == 'reused' else len(trial.intermediate_values),
            wall_time_s=round(trial.duration.total_seconds(), 2) if trial.duration else None,
            worker=f'{worker["host"]}:{worker["pid"]}' if worker else None,
        ))
    return rows


def range_test_rows(curve: RangeTestCurve) -> List[dict]:
    """One dict per range-test iteration: iteration, lr, loss, smoothed loss."""
    return [dict(iteration=index, lr=lr, loss=loss, smoothed_loss=smoothed)
            for index, (lr, loss, smoothed) in enumerate(zip(curve.lrs, curve.losses, curve.smoothed))]


def write_csv(path: str, rows: Sequence[dict], columns: Sequence[str]) -> None:
    """Writes ``rows`` as CSV with a header; list values become space-separated numbers."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator='\n')
    writer.writeheader()
    for row in rows:
        writer.writerow({key: ' '.join(f'{value:.6g}' for value in row[key]) if isinstance(row[key], list)
                         else row[key] for key in columns})
    atomic_write_text(path, stream.getvalue())


def write_lr_config(path: str, lr: float, mode: str, config_file: Optional[str],
                    work_dir: Optional[str] = None) -> None:
    """Writes the config fragment that sets the chosen learning rate.

    With the searched config as its ``_base_``, the file is a complete config:
    ``python tools/train.py lr_config.py`` trains with the chosen lr; the same value works as
    ``--cfg-options optim_wrapper.optimizer.lr=LR`` on the original config. With ``work_dir`` (the run the search
    belongs to: the folder holding the search's folder) the fragment sets it too, so that training it writes next to
    its search instead of into ``work_dirs/lr_config`` (a name every searched config would share);
    ``--work-dir`` still overrides it.
    """
    lines = [f'# Initial learning rate chosen by tools/lr_search.py --mode {mode} '
             f'(the record: {RESULT_FILE} beside this file).',
             f'# Train with it: python tools/train.py {path} [--data-root ...], or keep your config and pass',
             f'# --cfg-options optim_wrapper.optimizer.lr={lr!r}']
    if config_file:
        lines.append(f'_base_ = [{os.path.abspath(config_file)!r}]')
    lines.append(f'optim_wrapper = dict(optimizer=dict(lr={lr!r}))')
    if work_dir:
        lines.append(f'work_dir = {os.path.abspath(work_dir)!r}')
    atomic_write_text(path, '\n'.join(lines) + '\n')
