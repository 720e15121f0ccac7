"""A throw-away PostgreSQL 15 cluster on 127.0.0.1 (the same recipe as
tests/conftest_db.py): initdb into a temporary directory, run as the postgres OS
user when we are root, stopped and deleted on exit."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_OS_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_pg_user(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", PG_OS_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], what: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


@contextmanager
def throwaway_postgres(max_connections: int = 200) -> Iterator[str]:
    """Yield the URL of the ``postgres`` database of a fresh cluster."""
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).exists()]
    if missing:
        raise PostgresUnavailable(f"PostgreSQL 15 binaries missing in {PG_BIN} ({', '.join(missing)}): "
                                  "apt-get install postgresql, set PG_BIN, or pass DATABASE_URL")
    tmp = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    datadir, sockdir = tmp / "data", tmp / "sock"
    sockdir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(tmp, PG_OS_USER)
        shutil.chown(sockdir, PG_OS_USER)
    port = _free_port()
    started = False
    try:
        _run(_as_pg_user([str(PG_BIN / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                          "--locale=C.UTF-8", "--no-sync"]), "initdb")
        # Durability off: a throw-away benchmark server, not a deployment (docs/deploy.md has real settings).
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockdir} "
                f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}")
        _run(_as_pg_user([str(PG_BIN / "pg_ctl"), "-D", str(datadir), "-o", opts, "-l", str(tmp / "server.log"),
                          "-w", "-t", "60", "start"]), "pg_ctl start")
        started = True
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(_as_pg_user([str(PG_BIN / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop"]),
                           capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def admin(server_url: str, sql: str) -> None:
    import psycopg

    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def fresh_database(server_url: str, name: str) -> str:
    """(Re)create database ``name`` on the server of ``server_url``; return its URL."""
    admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(server_url, f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    return server_url.rsplit("/", 1)[0] + "/" + name
