"""Where an LR-search study lives: SQLite by default, any Optuna database URL, or a journal file."""
import os
import warnings
from contextlib import contextmanager
from typing import Iterator, Optional

import optuna
from optuna.exceptions import ExperimentalWarning
from optuna.storages import JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages.journal import JournalFileBackend
from sqlalchemy.engine import make_url

JOURNAL_PREFIX = 'journal:'
"""``journal:PATH``: Optuna's append-only journal file, safe on a shared (NFS) file system."""

STUDY_FILE = 'study.db'


@contextmanager
def optuna_experimental_features() -> Iterator[None]:
    """Silences Optuna's ExperimentalWarning: heartbeats and stale-trial retries are used knowingly."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', ExperimentalWarning)
        yield


def default_storage_url(search_dir: str) -> str:
    """``sqlite:///<search_dir>/study.db`` (absolute, so every process finds the same file)."""
    return f'sqlite:///{os.path.abspath(os.path.join(search_dir, STUDY_FILE))}'


def open_storage(url: Optional[str],
                 heartbeat_interval: int = 60,
                 heartbeat_grace_period: int = 180,
                 sqlite_timeout: float = 60.0) -> Optional[optuna.storages.BaseStorage]:
    """Opens the Optuna storage of ``url``; creates the folder of a SQLite or journal file.

    Args:
        url (str, optional): ``journal:PATH``, or a SQLAlchemy database URL
            (``sqlite:///PATH``, ``postgresql://...``, ``mysql://...``). None gives an in-memory
            study that lives as long as the process.
        heartbeat_interval (int): seconds between a running trial's heartbeats in a database.
            Defaults to 60.
        heartbeat_grace_period (int): seconds without a heartbeat before a running trial is
            marked failed (and its parameters enqueued again). Defaults to 180.
        sqlite_timeout (float): seconds to wait for a locked SQLite file. Defaults to 60.0.
    """
    if url is None:
        return None
    if url.startswith(JOURNAL_PREFIX):
        path = os.path.abspath(url[len(JOURNAL_PREFIX):])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return JournalStorage(JournalFileBackend(path))
    engine_kwargs = None
    parsed = make_url(url)
    if parsed.get_backend_name() == 'sqlite' and parsed.database:
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine_kwargs = dict(connect_args=dict(timeout=sqlite_timeout))
    with optuna_experimental_features():
        return RDBStorage(url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                          grace_period=heartbeat_grace_period,
                          heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback())


def describe_storage(url: Optional[str]) -> str:
    """``url`` with any password hidden, for logs and result files."""
    if url is None:
        return 'in-memory'
    if url.startswith(JOURNAL_PREFIX):
        return url
    return make_url(url).render_as_string(hide_password=True)
