"""A TPE search shared through a real PostgreSQL server (Optuna's RDB storage): several worker processes, a worker
killed mid-trial, a server restart. The server is started by the ``postgres`` fixture (tests/lr_search/conftest.py)."""
import time
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from adaptcls.lr_search.optuna_lr_search import WORKER_ATTR
from adaptcls.lr_search.optuna_storage import StorageURLError, open_storage
from tests.lr_search.synthetic_search_worker import OPTIMUM
from tests.lr_search.test_optuna_lr_search import log_lines, start_worker, wait_until

pytestmark = pytest.mark.timeout(600)


def finished(study):
    return [trial for trial in study.trials if trial.state in (TrialState.COMPLETE, TrialState.PRUNED)]


def trained_lrs(log):
    return [lr for _, _, lr in log_lines(log, 'done')]


def test_a_postgresql_url_opens_with_the_psycopg_3_driver(postgres):
    storage = open_storage(postgres.create_database('driver'))
    assert storage.engine.url.drivername == 'postgresql+psycopg'


def test_three_workers_share_one_study_and_train_each_lr_once(postgres, tmp_path):
    url, log, go = postgres.create_database('three_workers'), tmp_path / 'trials.log', tmp_path / 'go'
    workers = [start_worker(url, log, '--trials', '9', '--epochs', '2', '--epoch-seconds', '0.5', '--startup-trials',
                            '3', '--wait-for', str(go)) for _ in range(3)]
    wait_until(lambda: len(log_lines(log, 'ready')) == 3, timeout=300)
    go.touch()
    for worker in workers:
        assert worker.wait(timeout=600) == 0, worker.stderr.read()

    study = optuna.load_study(study_name='synthetic', storage=url)
    assert len(finished(study)) == 9 and not [t for t in study.trials if t.state == TrialState.RUNNING]
    lrs = trained_lrs(log)
    assert len(lrs) == len(set(lrs))  # no lr trained twice, by any worker
    # the trials were shared: on a busy machine one worker may start late and find them all taken
    assert len({pid for pid, _, _ in log_lines(log, 'done')}) >= 2
    assert abs(study.best_trial.params['lr'] - OPTIMUM) < 0.05


def test_a_killed_workers_trial_is_failed_by_its_stale_heartbeat_and_run_again(postgres, tmp_path):
    url, log = postgres.create_database('killed_worker'), tmp_path / 'trials.log'
    beats = ['--heartbeat-interval', '1', '--grace-period', '3']
    victim = start_worker(url, log, '--trials', '5', '--epochs', '2', '--epoch-seconds', '1.0', *beats)
    wait_until(lambda: len(log_lines(log, 'start')) >= 2)  # one trial done, the second training
    victim.kill()
    victim.wait()
    study = optuna.load_study(study_name='synthetic', storage=url)
    killed = next(trial for trial in study.trials if trial.state == TrialState.RUNNING)
    # as if the worker had run on another machine: only the missing heartbeat can tell that it died
    study._storage.set_trial_user_attr(killed._trial_id, WORKER_ATTR, dict(host='another-machine', pid=1))
    time.sleep(4)  # longer than the grace period since its last heartbeat

    survivor = start_worker(url, log, '--trials', '5', '--epochs', '2', '--epoch-seconds', '0.1', *beats)
    assert survivor.wait(timeout=300) == 0, survivor.stderr.read()

    study = optuna.load_study(study_name='synthetic', storage=url)
    assert study.trials[killed.number].state == TrialState.FAIL
    retries = [trial for trial in study.trials if trial.system_attrs.get('failed_trial') == killed.number]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == killed.params
    assert len(finished(study)) == 5 and Counter(trial.state for trial in study.trials)[TrialState.RUNNING] == 0


def test_a_study_continues_after_the_server_restarts(postgres, tmp_path):
    url, log = postgres.create_database('restart'), tmp_path / 'trials.log'
    first = start_worker(url, log, '--trials', '3', '--epochs', '2', '--epoch-seconds', '0.05')
    assert first.wait(timeout=300) == 0, first.stderr.read()
    postgres.stop()
    with pytest.raises(StorageURLError, match='cannot open the database'):
        open_storage(url)
    postgres.start()

    second = start_worker(url, log, '--trials', '6', '--epochs', '2', '--epoch-seconds', '0.05')
    assert second.wait(timeout=300) == 0, second.stderr.read()

    study = optuna.load_study(study_name='synthetic', storage=url)
    assert len(finished(study)) == 6
    lrs = trained_lrs(log)
    assert len(lrs) == len(set(lrs))  # the first three trials were not trained again
