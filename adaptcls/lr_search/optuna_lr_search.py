"""TPE and grid learning-rate searches on Optuna: resumable, and shareable between processes."""
import datetime
import math
import os
import socket
import statistics
import time
from typing import Callable, List, Optional, Sequence

import numpy as np
import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.study import MaxTrialsCallback
from optuna.trial import FrozenTrial, TrialState

from adaptcls.errors import UserInputError
from adaptcls.optim.non_finite_loss import NonFiniteLossError
from adaptcls.utils.progress import format_duration
from .divergence import divergence_cause
from .lr_search_settings import LRSearchSettings
from .optuna_storage import open_storage, optuna_experimental_features

ReportEpoch = Callable[[int, float], None]
"""``report(epoch, value)``: a trial's validation metric after ``epoch`` (1-based); raises
``optuna.TrialPruned`` when the trial should stop."""

TrainTrial = Callable[[float, int, int, ReportEpoch], None]
"""``train_trial(lr, trial_number, epochs, report)``: trains one trial from the initial weights at
the constant learning rate ``lr`` for ``epochs`` epochs, calling ``report`` after each epoch;
raises ``NonFiniteLossError`` when the training loss becomes NaN or infinite."""

LR_PARAM = 'lr'
WORKER_ATTR = 'worker'
REUSED_ATTR = 'reused_from'
SKIPPED_ATTR = 'skipped'
PRUNED_REASON_ATTR = 'pruned_reason'
DIVERGED_ATTR = 'diverged'
STUDY_ATTR = 'lr_search'
DATA_ATTR = 'data'
"""The study's user attribute that records which data its trials trained on (:func:`data_identity`)."""
TAKEN_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
"""Trials that use up the trial budget: finished ones and those still running somewhere."""
FINISHED_STATES = (TrialState.COMPLETE, TrialState.PRUNED)


class TrialBudgetTaken(Exception):
    """Other workers' trials already fill the study; the trial that finds this is marked failed."""


def data_identity(data_root: Optional[str], classes: Sequence[str], train_images: int) -> dict:
    """What binds a study to its data: the training set's folder, its classes and its size."""
    return dict(data_root=os.path.abspath(data_root) if data_root else None, classes=list(classes),
                train_images=int(train_images))


def lr_grid(low: float, high: float, points: int) -> List[float]:
    """``points`` evenly spaced learning rates from ``low`` to ``high``, both included."""
    return [round(float(value), 12) for value in np.linspace(low, high, points)]


def worker_identity() -> dict:
    """The host and process id a trial runs in (to recognise trials of a killed process)."""
    return dict(host=socket.gethostname(), pid=os.getpid())


def trial_lr(trial: FrozenTrial) -> Optional[float]:
    """The trial's learning rate (rounded off float noise), or None before it was suggested."""
    value = trial.params.get(LR_PARAM)
    return None if value is None else round(value, 12)


def trial_state_label(trial: FrozenTrial) -> str:
    """'complete', 'pruned', 'reused' (a repeated lr answered from an earlier trial), 'skipped',
    'fail', 'running' or 'waiting'."""
    if REUSED_ATTR in trial.user_attrs:
        return 'reused'
    if SKIPPED_ATTR in trial.user_attrs:
        return 'skipped'
    return trial.state.name.lower()


SHARED_LR_POLL_SECONDS = 1.0
"""How often a trial waiting for another process's trial of the same lr looks for its result."""


class OptunaLRSearch:
    """Searches the initial learning rate with Optuna (recipe.md, "Initial learning-rate estimation").

    - ``tpe``: ``TPESampler`` (``tpe_startup_trials`` seeded random trials first) on the discrete
      grid ``suggest_float('lr', low, high, step=lr_step)``, and ``MedianPruner``: after
      ``pruner_startup_trials`` completed trials, a trial whose best metric so far is below the
      median of the completed trials at the same epoch stops (Optuna's median rule).
    - ``grid``: ``GridSampler`` over ``grid_points`` evenly spaced learning rates, no pruning.

    The objective is the validation metric after the last epoch (maximised). A trial whose
    training loss becomes NaN or infinite (``NonFiniteLossError``) is pruned with the reason
    ``lr X diverged: ...`` (user attributes ``pruned_reason`` and ``diverged``), and the search
    goes on with other learning rates; every pruned trial records its reason. A suggestion that
    repeats the learning rate of a finished trial is answered from that trial (user attribute
    ``reused_from``) without training; it counts as a trial of the budget.

    The study lives in ``storage`` under ``study_name``; running the search again continues it,
    and several processes (or machines) with the same storage and name share the work:

    - Finished (complete or pruned) trials are never trained again.
    - At most ``n_trials`` trials finish: before each trial, the finished trials plus those
      running elsewhere are counted (``MaxTrialsCallback`` with those states after every trial,
      and a check of the lower-numbered trials when a trial starts, for two processes that start
      one at the same moment; a trial that loses that race is marked failed with the user
      attribute ``skipped``).
    - A trial left RUNNING by a killed process is marked failed and its learning rate enqueued
      again: at start-up when the process ran on this host and no longer exists (or no process
      claimed the trial for ``heartbeat_grace_period``); on any host after
      ``heartbeat_grace_period`` without a heartbeat (database storages only; checked before
      every trial).
    - A study is bound to its search settings (mode, range, grid, epochs, metric, seed): reusing
      its name with other settings is refused.

    Args:
        train_trial (TrainTrial): trains one trial (see ``TrainTrial``).
        settings (LRSearchSettings): range, step, trials, epochs, pruner and heartbeat settings.
        mode (str): 'tpe' or 'grid'. Defaults to 'tpe'.
        storage (str, optional): Optuna storage URL (see ``optuna_storage.open_storage``).
            Defaults to None, an in-memory study.
        study_name (str): the study's name in the storage. Defaults to 'lr_search'.
        seed (int): seed of the sampler of the process that creates the study; the study is bound to
            it because the caller seeds every trial's training with it too. Defaults to 0.
        progress (Callable[[str], None]): receives one line per trial. Defaults to print.
        data (dict, optional): what identifies the data the trials train on (:func:`data_identity`); a study made
            on other data is refused (its trials' scores would be reused for this data). Defaults to None.
    """

    def __init__(self,
                 train_trial: TrainTrial,
                 settings: LRSearchSettings,
                 mode: str = 'tpe',
                 storage: Optional[str] = None,
                 study_name: str = 'lr_search',
                 seed: int = 0,
                 progress: Callable[[str], None] = print,
                 data: Optional[dict] = None) -> None:
        if mode not in ('tpe', 'grid'):
            raise UserInputError(f'OptunaLRSearch runs the "tpe" and "grid" modes, not "{mode}".')
        self.train_trial = train_trial
        self.settings = settings
        self.mode = mode
        self.storage = storage
        self.study_name = study_name
        self.seed = seed
        self.progress = progress
        self.data = data
        self.n_trials = settings.trials(mode)
        self.epochs = settings.epochs(mode)
        self._trained_seconds: List[float] = []

    def run(self) -> optuna.Study:
        """Runs trials until the study holds ``n_trials`` finished or running ones; returns the study."""
        study = self.open_study()
        with optuna_experimental_features():  # heartbeats and stale-trial retries
            self._fail_abandoned_trials(study)
            optuna.storages.fail_stale_trials(study)
            if _count(study, TAKEN_STATES) < self.n_trials:
                study.optimize(self._objective, n_trials=self.n_trials, catch=(TrialBudgetTaken,),
                               callbacks=[MaxTrialsCallback(self.n_trials, states=TAKEN_STATES),
                                          self._print_progress])
        return study

    def open_study(self) -> optuna.Study:
        """Creates the study, or loads it and checks that it was made with the same settings.

        The process that creates the study samples with ``seed``, so a single-process search is
        reproducible; a process that joins an existing study (another worker, or a re-run after a
        crash) samples with fresh entropy, so that parallel workers do not draw the same
        learning rates.
        """
        storage = open_storage(self.storage, self.settings.heartbeat_interval,
                               self.settings.heartbeat_grace_period, self.settings.sqlite_timeout)
        try:
            study = optuna.create_study(storage=storage, study_name=self.study_name, direction='maximize',
                                        sampler=self._sampler(self.seed), pruner=self._pruner())
        except optuna.exceptions.DuplicatedStudyError:
            study = optuna.load_study(storage=storage, study_name=self.study_name,
                                      sampler=self._sampler(None), pruner=self._pruner())
        self._bind_settings(study)
        return study

    def _sampler(self, seed: Optional[int]) -> optuna.samplers.BaseSampler:
        if self.mode == 'grid':
            low, high = self.settings.lr_range
            return optuna.samplers.GridSampler({LR_PARAM: lr_grid(low, high, self.n_trials)}, seed=seed)
        return optuna.samplers.TPESampler(n_startup_trials=self.settings.tpe_startup_trials, seed=seed)

    def _pruner(self) -> optuna.pruners.BasePruner:
        if self.mode == 'grid':
            return optuna.pruners.NopPruner()
        return optuna.pruners.MedianPruner(n_startup_trials=self.settings.pruner_startup_trials,
                                           n_warmup_steps=self.settings.pruner_warmup_epochs)

    def search_space(self) -> dict:
        """What the study is bound to; a study continued with other values is refused."""
        low, high = self.settings.lr_range
        space = dict(mode=self.mode, metric=self.settings.metric, epochs_per_trial=self.epochs,
                     seed=self.seed)
        if self.mode == 'grid':
            space['grid'] = lr_grid(low, high, self.n_trials)
        else:
            space.update(lr_range=[low, high], lr_step=self.settings.lr_step)
        return space

    def _bind_settings(self, study: optuna.Study) -> None:
        self._bind_data(study)
        expected = self.search_space()
        found = study.user_attrs.get(STUDY_ATTR)
        if found is None:
            study.set_user_attr(STUDY_ATTR, expected)
        elif found != expected:
            raise UserInputError(
                f'The study "{self.study_name}" in this storage was made with other settings:\n'
                f'  stored: {found}\n  now:    {expected}\n'
                'Use another --study-name (or work dir / --storage) for a new search, '
                'or the stored settings to continue that one.')

    def _bind_data(self, study: optuna.Study) -> None:
        if self.data is None:
            return
        found = study.user_attrs.get(DATA_ATTR)
        if found is None:  # a new study (or one made before studies recorded their data)
            study.set_user_attr(DATA_ATTR, self.data)
        elif found != self.data:
            raise UserInputError(
                f'The study "{self.study_name}" in this storage was made on other data:\n  stored: {found}\n'
                f'  now:    {self.data}\nIts trials\' scores do not apply to this data: use another --study-name '
                '(or work dir / --storage) for a new search.')

    def _objective(self, trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER_ATTR, worker_identity())
        self._check_budget(trial)
        lr = self._suggest_lr(trial)
        earlier = self._earlier_result(trial, lr)
        if earlier is not None:
            return _reuse(trial, earlier)
        return self._train(trial, lr)

    def _earlier_result(self, trial: optuna.Trial, lr: float) -> Optional[FrozenTrial]:
        """A finished trial that trained ``lr``, or None when there is none.

        A lower-numbered trial that is still training ``lr`` (in another process of a shared study) is waited for,
        so that no lr trains twice; the lower number trains, so two processes never wait for each other. If that
        trial's process dies, its trial is failed (no heartbeat for ``heartbeat_grace_period``, or its process gone
        from this host) and this one trains ``lr`` itself.
        """
        announced = False
        while True:
            finished = _finished_trial_with_lr(trial.study, lr, trial.number)
            if finished is not None:
                return finished
            running = [other.number for other in trial.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                       if other.number < trial.number and math.isclose(trial_lr(other) or 0.0, lr, rel_tol=1e-9)]
            if not running:
                return None
            if not announced:
                self.progress(f'[lr search {self.mode}] trial #{trial.number}: lr {lr:g} is training in trial '
                              f'#{running[0]}; waiting for its result instead of training it twice')
                announced = True
            time.sleep(SHARED_LR_POLL_SECONDS)
            self._fail_abandoned_trials(trial.study)
            optuna.storages.fail_stale_trials(trial.study)

    def _check_budget(self, trial: optuna.Trial) -> None:
        """Refuses the trial when lower-numbered finished or running trials fill the budget."""
        taken = [other for other in trial.study.get_trials(deepcopy=False, states=TAKEN_STATES)
                 if other.number < trial.number]
        if len(taken) >= self.n_trials:
            reason = f'the study already has {len(taken)} finished or running trials of {self.n_trials}'
            trial.set_user_attr(SKIPPED_ATTR, reason)
            trial.study.stop()
            raise TrialBudgetTaken(reason)

    def _suggest_lr(self, trial: optuna.Trial) -> float:
        low, high = self.settings.lr_range
        step = self.settings.lr_step if self.mode == 'tpe' else None
        return round(trial.suggest_float(LR_PARAM, low, high, step=step), 12)

    def _train(self, trial: optuna.Trial, lr: float) -> float:
        values: List[float] = []
        metric = self.settings.metric

        def report(epoch: int, value: float) -> None:
            values.append(value)
            trial.report(value, epoch)
            if epoch < self.epochs and trial.should_prune():  # a trial that trained to the end completes
                raise optuna.TrialPruned(f'{metric} {value:.4f} after epoch {epoch} is below the median '
                                         'of the completed trials')

        try:
            self.train_trial(lr, trial.number, self.epochs, report)
        except NonFiniteLossError as error:
            trial.set_user_attr(DIVERGED_ATTR, True)
            _prune(trial, f'lr {lr:g} diverged: {divergence_cause(error)}')
        except optuna.TrialPruned as pruned:
            _prune(trial, str(pruned))
        if not values:
            raise RuntimeError(f'Trial #{trial.number} (lr {lr}) reported no validation {metric}: the trial '
                               'config must validate after every epoch.')
        return values[-1]

    def _fail_abandoned_trials(self, study: optuna.Study) -> None:
        """Marks failed, and enqueues again, RUNNING trials that no process will finish."""
        retry = RetryHeartbeatStaleTrialCallback()
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            reason = self._abandonment(trial)
            if reason is None:
                continue
            try:
                failed = study.tell(trial.number, state=TrialState.FAIL)
            except (ValueError, UpdateFinishedTrialError):  # another process got there first
                continue
            retry(study, failed)
            self.progress(f'[lr search {self.mode}] trial #{trial.number} (lr {trial_lr(trial)}) was '
                          f'abandoned ({reason}): marked failed, enqueued again')

    def _abandonment(self, trial: FrozenTrial) -> Optional[str]:
        """Why a RUNNING trial is abandoned, or None when its process may still be running it.

        A trial is abandoned when it ran in a process of this host that no longer exists, or when
        no process claimed it (a process records itself right after creating a trial) for longer
        than ``heartbeat_grace_period``.
        """
        worker = trial.user_attrs.get(WORKER_ATTR)
        if worker is None:
            age = (datetime.datetime.now() - trial.datetime_start).total_seconds()
            grace = self.settings.heartbeat_grace_period
            return f'unclaimed for {age:.0f} s > {grace} s' if age > grace else None
        if worker['host'] == socket.gethostname() and not _process_alive(worker['pid']):
            return f'its process {worker["pid"]} on this host has ended'
        return None

    def _print_progress(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """One line per trial: position, lr, metric per epoch, state, duration and ETA."""
        prefix = f'[lr search {self.mode}]'
        state = trial_state_label(trial)
        if state == 'skipped':
            self.progress(f'{prefix} trial #{trial.number} skipped: {trial.user_attrs[SKIPPED_ATTR]}')
            return
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        if state != 'reused':
            self._trained_seconds.append(seconds)
        finished = _count(study, FINISHED_STATES)
        values = ' '.join(f'{value:.4f}' for value in epoch_values(study, trial)) or '-'
        reused = f' from trial #{trial.user_attrs[REUSED_ATTR]}' if state == 'reused' else ''
        reason = f' ({trial.user_attrs[PRUNED_REASON_ATTR]})' if PRUNED_REASON_ATTR in trial.user_attrs else ''
        self.progress(f'{prefix} trial {finished}/{self.n_trials} (#{trial.number}) lr {trial_lr(trial)} | '
                      f'{self.settings.metric} per epoch: {values} | {state}{reused}{reason} | {seconds:.1f} s | '
                      f'ETA {self._eta(finished)}')

    def _eta(self, finished: int) -> str:
        if not self._trained_seconds:
            return '?'
        return format_duration(statistics.mean(self._trained_seconds) * max(self.n_trials - finished, 0))


def epoch_values(study: optuna.Study, trial: FrozenTrial) -> List[float]:
    """The metric after each epoch of the trial (of the trial it reused, for a reused one)."""
    source = trial
    if REUSED_ATTR in trial.user_attrs:
        source = study.get_trials(deepcopy=False)[trial.user_attrs[REUSED_ATTR]]
    return [source.intermediate_values[step] for step in sorted(source.intermediate_values)]


def _finished_trial_with_lr(study: optuna.Study, lr: float, number: int) -> Optional[FrozenTrial]:
    """The first finished, trained (not reused) trial other than ``number`` with learning rate ``lr``."""
    for trial in study.get_trials(deepcopy=False, states=FINISHED_STATES):
        trained = REUSED_ATTR not in trial.user_attrs
        if trial.number != number and trained and math.isclose(trial_lr(trial) or 0.0, lr, rel_tol=1e-9):
            return trial
    return None


def _reuse(trial: optuna.Trial, earlier: FrozenTrial) -> float:
    """Answers ``trial`` with the result of ``earlier`` (same learning rate) without training."""
    trial.set_user_attr(REUSED_ATTR, earlier.number)
    if earlier.state == TrialState.PRUNED:
        earlier_reason = earlier.user_attrs.get(PRUNED_REASON_ATTR)
        _prune(trial, f'lr {trial_lr(earlier)} was pruned in trial #{earlier.number}'
               + (f': {earlier_reason}' if earlier_reason else ''))
    return earlier.value


def _prune(trial: optuna.Trial, reason: str) -> None:
    """Records why the trial is pruned (user attribute ``pruned_reason``) and prunes it."""
    trial.set_user_attr(PRUNED_REASON_ATTR, reason)
    raise optuna.TrialPruned(reason)


def _count(study: optuna.Study, states) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
