"""A throw-away PostgreSQL server for tests: ``initdb`` + ``pg_ctl`` on a free loopback port in a temporary folder.

Needs the server binaries (Debian: ``apt-get install postgresql``; `.ci/run` installs them when absent); no system
service is used. As root, the server runs as the ``postgres`` user (PostgreSQL refuses to run as root).
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from typing import List, Optional

USER = 'adaptcls'
"""The database superuser that initdb creates (trust authentication on the loopback interface only)."""


def server_binaries() -> Optional[str]:
    """The folder of ``initdb`` and ``pg_ctl``: on the PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    on_path = shutil.which('initdb')
    if on_path and shutil.which('pg_ctl'):
        return os.path.dirname(os.path.realpath(on_path))
    folders = sorted(glob.glob('/usr/lib/postgresql/*/bin'), key=lambda path: int(path.split('/')[-2]))
    return next((folder for folder in reversed(folders) if os.path.isfile(os.path.join(folder, 'pg_ctl'))), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One server in its own temporary folder; :meth:`remove` stops it and deletes the folder."""

    def __init__(self, binaries: str) -> None:
        self.binaries = binaries
        self.root = tempfile.mkdtemp(prefix='adaptcls-postgres-')
        os.chmod(self.root, 0o755)  # the postgres user reads it when the tests run as root
        self.data = os.path.join(self.root, 'data')
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, 'postgres', 'postgres')
        self._run('initdb', '-D', self.data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--no-sync')

    def url(self, database: str = 'postgres') -> str:
        """``postgresql://`` URL of ``database`` (no driver named: adaptcls picks psycopg 3)."""
        return f'postgresql://{USER}@127.0.0.1:{self.port}/{database}'

    def start(self) -> None:
        options = f'-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off'
        self._run('pg_ctl', '-D', self.data, '-l', os.path.join(self.root, 'server.log'), '-o', options, '-w',
                  'start')

    def stop(self) -> None:
        self._run('pg_ctl', '-D', self.data, '-m', 'fast', '-w', 'stop')

    def create_database(self, name: str) -> str:
        """Creates ``name``; returns its URL."""
        import psycopg
        with psycopg.connect(f'host=127.0.0.1 port={self.port} user={USER} dbname=postgres',
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        try:
            self._run('pg_ctl', '-D', self.data, '-m', 'immediate', '-w', 'stop')
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = os.path.join(self.root, 'server.log')
        return open(path).read() if os.path.isfile(path) else ''

    def _run(self, tool: str, *args: str) -> None:
        command: List[str] = [os.path.join(self.binaries, tool), *args]
        if self.as_root:
            command = ['runuser', '-u', 'postgres', '--', *command]
        subprocess.run(command, check=True, capture_output=True, text=True, cwd=self.root)
