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
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError, ProgrammingError

from adaptcls.errors import UserInputError

JOURNAL_PREFIX = 'journal:'
"""``journal:PATH``: Optuna's append-only journal file, safe on a shared (NFS) file system."""

SCHEMA_RETRIES = 5
"""Attempts to open a database storage whose tables another process is creating at the same moment (PostgreSQL
refuses the second ``CREATE``: a unique violation on ``alembic_version``); the tables exist on the next attempt."""
SCHEMA_RETRY_SECONDS = 1.0
"""Pause between those attempts."""
STUDY_FILE = 'study.db'
STORAGE_FORMS = ('use sqlite:///PATH/study.db, journal:PATH (safe on NFS), or a database URL such as '
                 'postgresql://USER:PASSWORD@HOST/DB or mysql+pymysql://USER:PASSWORD@HOST/DB')
"""The storage forms that the error messages list."""


class StorageURLError(UserInputError):
    """A ``--storage`` value that cannot hold a study; the message says which form to use."""


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

    Raises:
        StorageURLError: ``url`` is not a storage URL, is an in-memory SQLite database, names a database kind
            or driver that is not installed, cannot be connected to, or its folder cannot be created.
    """
    if url is None:
        return None
    if url.startswith(JOURNAL_PREFIX):
        path = url[len(JOURNAL_PREFIX):]
        if not path or path.endswith(os.sep) or os.path.isdir(path):
            raise StorageURLError(f'--storage "{url}": journal: needs a file path, e.g. journal:/shared/study.log.')
        path = os.path.abspath(path)
        _make_folder(url, os.path.dirname(path))
        return JournalStorage(JournalFileBackend(path))
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except ArgumentError:
        raise StorageURLError(f'--storage "{url}" is not a storage URL; {STORAGE_FORMS}.') from None
    engine_kwargs = None
    if parsed.drivername == 'postgresql':  # no driver named: SQLAlchemy's default is psycopg2, ours psycopg 3
        url = parsed.set(drivername=postgresql_driver()).render_as_string(hide_password=False)
    if backend == 'sqlite':
        if not parsed.database or parsed.database == ':memory:':
            raise StorageURLError(f'--storage "{url}" is an in-memory SQLite database, which no other process (and no '
                                  'resumed search) can see; give a file: sqlite:///PATH/study.db.')
        _make_folder(url, os.path.dirname(os.path.abspath(parsed.database)))
        engine_kwargs = dict(connect_args=dict(timeout=sqlite_timeout))
    try:
        return _rdb_storage(url, engine_kwargs, heartbeat_interval, heartbeat_grace_period)
    except NoSuchModuleError:
        raise StorageURLError(f'--storage "{describe_storage(url)}": unknown database kind "{backend}"; '
                              f'{STORAGE_FORMS}.') from None
    except ImportError as error:
        raise StorageURLError(f'--storage "{describe_storage(url)}": the Python driver for {backend} is not installed '
                              f'({error}); install it (postgresql: pip install \'adaptcls[postgres]\', mysql: '
                              'pymysql) or use sqlite:///PATH.') from None
    except OperationalError as error:
        raise StorageURLError(f'--storage "{describe_storage(url)}": cannot open the database '
                              f'({str(error.orig).splitlines()[0] if error.orig else error}); check the host, port, '
                              'user and password, or use sqlite:///PATH.') from None


def _rdb_storage(url: str, engine_kwargs, heartbeat_interval: int, heartbeat_grace_period: int) -> RDBStorage:
    """Optuna's RDBStorage, retried while another process creates the same tables (workers started together on an
    empty database)."""
    import time
    for attempt in range(SCHEMA_RETRIES):
        try:
            with optuna_experimental_features():
                return RDBStorage(url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                                  grace_period=heartbeat_grace_period,
                                  heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback())
        except (IntegrityError, ProgrammingError):
            if attempt == SCHEMA_RETRIES - 1:
                raise
            time.sleep(SCHEMA_RETRY_SECONDS)


def postgresql_driver() -> str:
    """SQLAlchemy's dialect+driver name for a ``postgresql://`` URL that names no driver: psycopg 3 (the
    ``adaptcls[postgres]`` extra) when installed, else psycopg2 (SQLAlchemy's default)."""
    import importlib.util
    return 'postgresql+psycopg' if importlib.util.find_spec('psycopg') else 'postgresql+psycopg2'


def _make_folder(url: str, folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise StorageURLError(f'--storage "{url}": cannot create the folder "{folder}" of the study file '
                              f'({error.strerror}); give a path you can write to.') from None


def describe_storage(url: Optional[str]) -> str:
    """``url`` with any password hidden, for logs and result files."""
    if url is None:
        return 'in-memory'
    if url.startswith(JOURNAL_PREFIX):
        return url
    return make_url(url).render_as_string(hide_password=True)
