"""The throw-away PostgreSQL server of the shared-search tests (tests/lr_search/postgres_server.py)."""
import pytest

from tests.lr_search.postgres_server import PostgresServer, server_binaries


@pytest.fixture(scope='module')
def postgres():
    """A running PostgreSQL server for the module's tests, removed afterwards."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip('PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql '
                    '(.ci/run installs it)')
    pytest.importorskip('psycopg', reason="the driver is not installed: pip install 'adaptcls[postgres]'")
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server
    finally:
        server.remove()
