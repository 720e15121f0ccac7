"""Database fixtures (a pytest plugin: ``pytest_plugins = ["tests.conftest_db"]``).

``db_url`` runs a test twice: on a SQLite file and on a real PostgreSQL 15 server,
each time on a fresh, empty database. ``store`` is a migrated :class:`data.store.Store`
on it. The PostgreSQL server is a throw-away cluster started once per session.
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_OS_USER = "postgres"
_db_counter = itertools.count(1)


def _check_pg_available() -> None:
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).exists()]
    if missing:
        pytest.fail(f"PostgreSQL 15 binaries missing in {PG_BIN} ({', '.join(missing)}); "
                    "install Debian's postgresql-15 package (apt-get install postgresql) "
                    "or set PG_BIN. The store tests must also run on PostgreSQL.", pytrace=False)
    if os.geteuid() == 0:
        if subprocess.run(["id", PG_OS_USER], capture_output=True).returncode != 0:
            pytest.fail(f"OS user {PG_OS_USER!r} missing: it is needed to run PostgreSQL as non-root "
                        "(Debian's postgresql package creates it).", pytrace=False)
        if shutil.which("runuser") is None:
            pytest.fail("runuser not found: needed to start PostgreSQL as the postgres user.", pytrace=False)


@pytest.fixture(scope="session")
def pg_server():
    """Start a throw-away PostgreSQL cluster; yield the URL of its ``postgres`` database."""
    from benchmarks.pgserver import PostgresUnavailable, throwaway_postgres  # one recipe for tests and benchmark

    _check_pg_available()
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


def _pg_admin(server_url: str, sql: str) -> None:
    import psycopg

    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    for attempt in range(3):
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql)
            return
        except psycopg.errors.ObjectInUse:  # template busy: retry shortly
            time.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"could not run {sql!r}")


@pytest.fixture
def pg_url(pg_server):
    """A fresh empty PostgreSQL database, dropped after the test."""
    name = f"t{os.getpid()}_{next(_db_counter)}"
    _pg_admin(pg_server, f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    _pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh empty database on each back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    from data.db import make_engine, upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine):
    """A :class:`data.store.Store` on a migrated fresh database (SQLite and PostgreSQL)."""
    from data.store import Store

    return Store(engine)


@pytest.fixture
def sqlite_store(sqlite_url):
    from data.db import make_engine, upgrade
    from data.store import Store

    eng = make_engine(sqlite_url)
    upgrade(eng)
    yield Store(eng)
    eng.dispose()
