"""Engines and schema migration.

The caller decides the URL (the app defaults to ``sqlite:///instance/monitor.db``);
relative SQLite paths are resolved against the repository root so that nothing
depends on the working directory.
"""
from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import StaticPool

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///instance/monitor.db"


def normalize_url(url: str | URL) -> URL:
    """Map postgres:// and postgresql:// to psycopg 3; make SQLite paths absolute."""
    u = make_url(str(url)) if not isinstance(url, URL) else url
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:" \
            and not u.database.startswith("file:"):
        path = Path(u.database)
        if not path.is_absolute():
            path = REPO_ROOT / path
        u = u.set(database=str(path))
    return u


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL cannot corrupt the file; it only risks the last commit on power loss.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
    finally:
        cur.close()


def lock_timeout_default() -> float:
    """Seconds a statement waits for another writer's lock before it fails (DB_LOCK_TIMEOUT,
    default 5): a locked database then gives a message within seconds, not after 30."""
    try:
        return max(0.1, float(os.environ.get("DB_LOCK_TIMEOUT", "5")))
    except ValueError:
        return 5.0


def make_engine(url: str | URL, lock_timeout: float | None = None) -> Engine:
    """An engine whose waits for locks are bounded by ``lock_timeout`` seconds (SQLite's busy
    timeout, PostgreSQL's lock_timeout); PostgreSQL statements are also bounded by
    DB_STATEMENT_TIMEOUT seconds when set (0 or unset: no bound)."""
    u = normalize_url(url)
    wait = lock_timeout_default() if lock_timeout is None else lock_timeout
    if u.get_backend_name() == "sqlite":
        in_memory = not u.database or u.database == ":memory:"
        kwargs: dict = {"connect_args": {"timeout": wait}}
        if in_memory:
            # One shared connection, otherwise every connection sees its own empty database.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = f"-c lock_timeout={int(wait * 1000)}"
    statement = float(os.environ.get("DB_STATEMENT_TIMEOUT", "0") or 0)
    if statement > 0:
        options += f" -c statement_timeout={int(statement * 1000)}"
    return create_engine(u, pool_pre_ping=True, connect_args={"options": options})


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini); ``url`` is used only when
    no connection is handed over in ``config.attributes['connection']``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url",
                            normalize_url(url).render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> Engine:
    """Bring the schema to ``revision`` (idempotent). Returns the engine used."""
    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return engine


def current_revision(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
