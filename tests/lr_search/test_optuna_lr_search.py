"""OptunaLRSearch on synthetic objectives (no training): optimum, pruning, reuse, grid, resume, sharing."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from adaptcls.optim.non_finite_loss import NonFiniteLossError
from adaptcls.lr_search import LRSearchSettings, OptunaLRSearch, lr_grid
from tests.lr_search.synthetic_search_worker import OPTIMUM

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = 'tests.lr_search.synthetic_search_worker'


class SyntheticTrials:
    """``train_trial`` that reports ``score(lr, epoch)`` each epoch and counts its calls."""

    def __init__(self, score):
        self.score = score
        self.calls = []  # (trial number, lr, epochs reported)

    def __call__(self, lr, trial_number, epochs, report):
        self.calls.append([trial_number, lr, 0])
        for epoch in range(1, epochs + 1):
            self.calls[-1][2] = epoch
            report(epoch, self.score(lr, epoch, len(self.calls)))


def settings(**changes) -> LRSearchSettings:
    values = dict(lr_range=(0.005, 0.029), lr_step=0.001, tpe_trials=15, tpe_epochs=2)
    values.update(changes)
    return LRSearchSettings(**values)


def lrs_by_state(study, state):
    return [trial.params['lr'] for trial in study.trials if trial.state == state]


def test_tpe_finds_the_optimum_of_a_cheap_objective():
    optimum = 0.017  # on the 0.001 grid of [0.005, 0.029]
    trials = SyntheticTrials(lambda lr, epoch, call: 1.0 - abs(lr - optimum) * 10)
    study = OptunaLRSearch(trials, settings(), progress=lambda line: None).run()
    assert len(study.trials) == 15
    assert abs(study.best_trial.params['lr'] - optimum) <= 0.001 + 1e-12
    assert all(abs(lr / 0.001 - round(lr / 0.001)) < 1e-6 for lr in lrs_by_state(study, TrialState.COMPLETE))


def test_median_pruner_prunes_a_clearly_worse_trial():
    # Calls 1-5 score 0.9 (they complete and set the median); every later call scores 0.1.
    trials = SyntheticTrials(lambda lr, epoch, call: 0.9 if call <= 5 else 0.1)
    search = OptunaLRSearch(trials, settings(lr_range=(0.001, 0.1), tpe_trials=8, tpe_epochs=3),
                            progress=lambda line: None)
    study = search.run()
    trained = {number: epochs for number, _, epochs in trials.calls}
    sixth_call_trial = trials.calls[5][0]
    assert study.trials[sixth_call_trial].state == TrialState.PRUNED
    assert trained[sixth_call_trial] == 1  # stopped after its first epoch, not trained to the end
    assert all(study.trials[number].state == TrialState.COMPLETE for number, _, _ in trials.calls[:5])


def test_a_repeated_lr_is_answered_without_training():
    trials = SyntheticTrials(lambda lr, epoch, call: lr * 100)
    lines = []
    search = OptunaLRSearch(trials, settings(lr_range=(0.001, 0.003), tpe_trials=8), progress=lines.append)
    study = search.run()
    trained_lrs = [lr for _, lr, _ in trials.calls]
    assert len(trained_lrs) == len(set(trained_lrs)) <= 3  # 3 grid values, 8 trials
    reused = [trial for trial in study.trials if 'reused_from' in trial.user_attrs]
    assert len(reused) == 8 - len(trained_lrs) >= 5
    for trial in reused:
        source = study.trials[trial.user_attrs['reused_from']]
        assert trial.params['lr'] == pytest.approx(source.params['lr'])
        assert trial.value == source.value and 'reused_from' not in source.user_attrs
    assert len(lines) == 8 and sum('| reused from trial #' in line for line in lines) == len(reused)
    assert study.best_trial.params['lr'] == pytest.approx(0.003)


def test_grid_trains_every_point_once_without_pruning():
    trials = SyntheticTrials(lambda lr, epoch, call: 0.9 if call <= 5 else 0.0)  # would be pruned by TPE
    search = OptunaLRSearch(trials, settings(lr_range=(0.001, 0.010), grid_points=10, grid_epochs=2),
                            mode='grid', progress=lambda line: None)
    study = search.run()
    assert sorted(lr for _, lr, _ in trials.calls) == pytest.approx([0.001 * k for k in range(1, 11)])
    assert lr_grid(0.001, 0.010, 10) == pytest.approx([0.001 * k for k in range(1, 11)])
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE] * 10
    assert all(epochs == 2 for _, _, epochs in trials.calls)


NON_FINITE = ('Training stopped in epoch 2, iteration 3: the loss is nan (not finite). No update was made '
              'from it, so no checkpoint holds non-finite weights.')
NON_FINITE_CAUSE = 'Training stopped in epoch 2, iteration 3: the loss is nan (not finite)'


class DivergingTrials(SyntheticTrials):
    """Reports epoch 1, then raises training's NonFiniteLossError in epoch 2 for lr >= ``threshold``."""

    def __init__(self, threshold):
        super().__init__(lambda lr, epoch, call: lr * 100)
        self.threshold = threshold

    def __call__(self, lr, trial_number, epochs, report):
        self.calls.append([trial_number, lr, 0])
        for epoch in range(1, epochs + 1):
            if epoch == 2 and lr >= self.threshold - 1e-12:
                raise NonFiniteLossError(NON_FINITE)
            self.calls[-1][2] = epoch
            report(epoch, self.score(lr, epoch, len(self.calls)))


def test_a_diverged_tpe_trial_is_pruned_with_its_reason_and_the_search_goes_on():
    trials = DivergingTrials(threshold=0.003)
    lines = []
    search = OptunaLRSearch(trials, settings(lr_range=(0.001, 0.004), tpe_trials=8, tpe_epochs=3),
                            progress=lines.append)
    study = search.run()  # without the pruning, the first diverged trial ends the search
    assert len(study.trials) == 8 and all(trial.state != TrialState.FAIL for trial in study.trials)
    trained = {trial.number: trial for trial in study.trials if 'reused_from' not in trial.user_attrs}
    assert {round(trial.params['lr'], 12) for trial in trained.values()} == {0.001, 0.002, 0.003, 0.004}
    for trial in study.trials:
        lr = round(trial.params['lr'], 12)
        if lr < 0.003:
            assert trial.state == TrialState.COMPLETE and trial.value == pytest.approx(lr * 100)
            assert 'pruned_reason' not in trial.user_attrs
        elif trial.number in trained:
            assert trial.state == TrialState.PRUNED and trial.user_attrs['diverged'] is True
            assert trial.user_attrs['pruned_reason'] == f'lr {lr:g} diverged: {NON_FINITE_CAUSE}'
            assert trial.intermediate_values == {1: pytest.approx(lr * 100)}  # epoch 1 was reported
        else:  # a repeated diverged lr: pruned without training, the reason of the trial it reused
            source = trial.user_attrs['reused_from']
            assert trial.state == TrialState.PRUNED and 'diverged' not in trial.user_attrs
            assert trial.user_attrs['pruned_reason'] == (f'lr {lr} was pruned in trial #{source}: lr {lr:g} '
                                                         f'diverged: {NON_FINITE_CAUSE}')
    assert study.best_trial.params['lr'] == pytest.approx(0.002)
    reasons = [line for line in lines if f' diverged: {NON_FINITE_CAUSE}) | ' in line]  # the progress lines
    assert len(reasons) == sum(trial.state == TrialState.PRUNED for trial in study.trials) >= 2


def test_a_diverged_grid_point_is_pruned_and_the_other_points_train():
    trials = DivergingTrials(threshold=0.007)
    search = OptunaLRSearch(trials, settings(lr_range=(0.001, 0.010), grid_points=10, grid_epochs=2),
                            mode='grid', progress=lambda line: None)
    study = search.run()
    assert sorted(lr for _, lr, _ in trials.calls) == pytest.approx([0.001 * k for k in range(1, 11)])
    pruned = sorted(trial.params['lr'] for trial in study.trials if trial.state == TrialState.PRUNED)
    complete = sorted(trial.params['lr'] for trial in study.trials if trial.state == TrialState.COMPLETE)
    assert pruned == pytest.approx([0.007, 0.008, 0.009, 0.010])
    assert complete == pytest.approx([0.001 * k for k in range(1, 7)])
    assert all(len(trial.intermediate_values) == 1 for trial in study.trials if trial.state == TrialState.PRUNED)
    assert study.best_trial.params['lr'] == pytest.approx(0.006)


def test_continuing_a_study_with_other_settings_is_refused(tmp_path):
    storage = f'sqlite:///{tmp_path}/study.db'
    trials = SyntheticTrials(lambda lr, epoch, call: 0.5)
    OptunaLRSearch(trials, settings(tpe_trials=2), storage=storage, progress=lambda line: None).run()
    more = OptunaLRSearch(trials, settings(tpe_trials=3), storage=storage, progress=lambda line: None)
    assert len(more.run().trials) == 3 and len(trials.calls) <= 3  # more trials: allowed
    with pytest.raises(ValueError, match='epochs_per_trial'):
        OptunaLRSearch(trials, settings(tpe_epochs=4), storage=storage, progress=lambda line: None).run()


def test_a_study_made_on_other_data_is_refused(tmp_path):
    from adaptcls.lr_search.optuna_lr_search import data_identity
    storage = f'sqlite:///{tmp_path}/study.db'
    trials = SyntheticTrials(lambda lr, epoch, call: 0.5)
    three = data_identity(str(tmp_path / 'data'), ['a', 'b', 'c'], 30)
    OptunaLRSearch(trials, settings(tpe_trials=2), storage=storage, progress=lambda line: None, data=three).run()
    calls = len(trials.calls)
    four = data_identity(str(tmp_path / 'data'), ['a', 'b', 'c', 'd'], 40)
    with pytest.raises(ValueError, match="(?s)made on other data.*'d'.*another --study-name"):
        OptunaLRSearch(trials, settings(tpe_trials=2), storage=storage, progress=lambda line: None, data=four).run()
    assert len(trials.calls) == calls  # nothing reused, nothing trained


def start_worker(storage, log, *args):
    return subprocess.Popen([sys.executable, '-m', WORKER, '--storage', storage, '--log', str(log), *args],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def log_lines(log, event):
    if not log.exists():
        return []
    return [line.split()[1:] for line in log.read_text().splitlines() if line.startswith(event + ' ')]


def wait_until(condition, timeout=120):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, 'timed out'
        time.sleep(0.05)


def test_a_killed_search_continues_without_training_finished_trials_again(tmp_path):
    storage, log = f'sqlite:///{tmp_path}/study.db', tmp_path / 'trials.log'
    first = start_worker(storage, log, '--trials', '6', '--epochs', '2', '--epoch-seconds', '0.25')
    wait_until(lambda: len(log_lines(log, 'start')) >= 3)  # two trials done, the third training
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = {lr for _, _, lr in log_lines(log, 'done')}
    started_before = len(log_lines(log, 'start'))

    second = start_worker(storage, log, '--trials', '6', '--epochs', '2', '--epoch-seconds', '0.05')
    assert second.wait(timeout=120) == 0, second.stderr.read()

    study = optuna.load_study(study_name='synthetic', storage=storage)
    states = Counter(trial.state for trial in study.trials)
    assert states[TrialState.COMPLETE] + states[TrialState.PRUNED] == 6
    assert states[TrialState.RUNNING] == 0 and states[TrialState.WAITING] == 0
    started_after = [lr for _, _, lr in log_lines(log, 'start')[started_before:]]
    assert not done_before & set(started_after)  # no finished lr trained again
    done = log_lines(log, 'done')
    assert len({number for _, number, _ in done}) == len(done)
    killed_number, killed_lr = int(log_lines(log, 'start')[2][1]), log_lines(log, 'start')[2][2]
    assert study.trials[killed_number].state == TrialState.FAIL  # the trial the kill interrupted
    retries = [trial for trial in study.trials if trial.system_attrs.get('failed_trial') == killed_number]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE  # its lr enqueued again
    assert retries[0].params == study.trials[killed_number].params and killed_lr in started_after


def test_an_unclaimed_running_trial_is_failed_after_the_grace_period(tmp_path):
    trials = SyntheticTrials(lambda lr, epoch, call: 0.5)
    search = OptunaLRSearch(trials, settings(tpe_trials=2, heartbeat_grace_period=0),
                            storage=f'journal:{tmp_path}/study.log', progress=lambda line: None)
    orphan = search.open_study().ask()  # created, never claimed: a process killed right after creating it
    time.sleep(0.01)
    study = search.run()
    assert study.trials[orphan.number].state == TrialState.FAIL
    assert [trial.state for trial in study.trials[1:]] == [TrialState.COMPLETE] * 2
    assert study.trials[1].system_attrs.get('failed_trial') == orphan.number


def test_two_processes_share_one_journal_storage(tmp_path):
    storage, log, go = f'journal:{tmp_path}/study.log', tmp_path / 'trials.log', tmp_path / 'go'
    workers = [start_worker(storage, log, '--trials', '8', '--epochs', '2', '--epoch-seconds', '0.3',
                            '--wait-for', str(go)) for _ in range(2)]
    wait_until(lambda: len(log_lines(log, 'ready')) == 2)
    go.touch()
    for worker in workers:
        assert worker.wait(timeout=120) == 0, worker.stderr.read()

    study = optuna.load_study(study_name='synthetic', storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(f'{tmp_path}/study.log')))
    finished = [trial for trial in study.trials if trial.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == 8
    numbers = [trial.number for trial in study.trials]
    assert len(numbers) == len(set(numbers))
    pids_that_trained = {pid for pid, _, _ in log_lines(log, 'done')}
    assert pids_that_trained == {str(worker.pid) for worker in workers}
    assert abs(study.best_trial.params['lr'] - OPTIMUM) < 0.05
