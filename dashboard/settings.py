"""Settings from the environment (12-factor); tests pass their own."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from data.evidence import default_evidence_dir

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


MIN_SECRET_KEY = 32


def _flag(value) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _proxies(value) -> int:
    """TRUST_PROXY: a count of proxies in front of the app; "1"/"true" mean one."""
    value = (value or "").strip().lower()
    if value.isdigit():
        return int(value)
    return 1 if _flag(value) else 0


def _seconds(value, default: int) -> int:
    """A whole number of seconds from the environment; at least 60 (a result must outlive the
    browser's polling), refused loudly at start rather than misread."""
    value = (value or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 60:
        raise ValueError(f"EXPORT_CACHE_SECONDS must be a whole number of seconds, at least 60 (got {value!r})")
    return int(value)


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` cannot sign production sessions, or None. Every worker must share
    one key, and a short one can be guessed offline from any cookie."""
    if not key:
        return "SECRET_KEY is not set: set it to a random string of at least 32 characters " \
               "(e.g. `openssl rand -hex 32`), the same for every worker."
    if len(key) < MIN_SECRET_KEY:
        return f"SECRET_KEY is too short ({len(key)} characters): use at least {MIN_SECRET_KEY} random characters " \
               "(e.g. `openssl rand -hex 32`)."
    return None


def request_limit_mb(max_request_mb: float | None, evidence_max_mb: float) -> float:
    """The request body limit: MAX_REQUEST_MB when set, else what one evidence file of
    EVIDENCE_MAX_MB needs inside Dash's JSON (base64: 4/3, plus 3 MB for the rest of the
    request: 29.7 MB for 20 MB), so a file a little over the limit still arrives and gets
    the clear message, and nothing much larger does."""
    if max_request_mb:
        return max_request_mb
    return evidence_max_mb * 4 / 3 + 3


def default_database_url(demo: bool = False) -> str:
    name = "demo.db" if demo else "monitor.db"
    return f"sqlite:///{INSTANCE / name}"


@dataclass
class Settings:
    database_url: str = field(default_factory=default_database_url)
    host: str = "127.0.0.1"
    port: int = 8050
    secret_key: str = ""
    demo: bool = False
    # Minutes of inactivity after which a session expires.
    session_minutes: int = 30
    # Hours after sign-in after which a session ends however active it was.
    session_max_hours: float = 12
    # Mark the session cookie Secure always (otherwise only on HTTPS requests).
    cookie_secure: bool = False
    # Number of reverse proxies whose X-Forwarded-For/-Proto headers are trusted (0: none).
    trust_proxy: int = 0
    # Set by tests that drive the UI without signing in first.
    login_disabled: bool = False
    # Largest request body; None: derived from evidence_max_mb (request_limit_mb).
    max_request_mb: float | None = None
    # Evidence files (佐证材料): where their bytes are kept (by SHA-256) and the largest accepted.
    evidence_dir: str = ""   # empty: default_evidence_dir(database_url)
    evidence_max_mb: float = 20
    # Seconds a write waits for another writer's lock before the page says so (data.db).
    db_lock_timeout: float = 5
    # The scheme pages show when the address names none; empty: the registry's first.
    default_scheme: str = ""
    # Background exports (dashboard/background.py): the diskcache directory of the default
    # manager, or Celery with this broker (e.g. redis://localhost:6379/0) when set.
    export_cache_dir: str = str(INSTANCE / "export-cache")
    export_cache_seconds: int = 3600
    celery_broker_url: str = ""
    celery_result_backend: str = ""

    @classmethod
    def from_env(cls, demo: bool = False) -> "Settings":
        env = os.environ
        # The demo never touches the real database: it has its own URL.
        if demo:
            url = env.get("DEMO_DATABASE_URL") or default_database_url(demo=True)
        else:
            url = env.get("DATABASE_URL") or default_database_url()
        return cls(
            database_url=url,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8050")),
            secret_key=env.get("SECRET_KEY", ""),
            demo=demo,
            session_minutes=int(env.get("SESSION_MINUTES", "30")),
            session_max_hours=float(env.get("SESSION_MAX_HOURS", "12")),
            cookie_secure=_flag(env.get("SESSION_COOKIE_SECURE")),
            trust_proxy=_proxies(env.get("TRUST_PROXY")),
            max_request_mb=float(env["MAX_REQUEST_MB"]) if env.get("MAX_REQUEST_MB") else None,
            evidence_dir=env.get("EVIDENCE_DIR", "").strip(),
            evidence_max_mb=float(env.get("EVIDENCE_MAX_MB", "20")),
            db_lock_timeout=float(env.get("DB_LOCK_TIMEOUT", "5")),
            default_scheme=env.get("DEFAULT_SCHEME", "").strip(),
            export_cache_dir=env.get("EXPORT_CACHE_DIR") or str(INSTANCE / "export-cache"),
            export_cache_seconds=_seconds(env.get("EXPORT_CACHE_SECONDS"), 3600),
            celery_broker_url=env.get("CELERY_BROKER_URL", "").strip(),
            celery_result_backend=env.get("CELERY_RESULT_BACKEND", "").strip(),
        )

    def resolved_evidence_dir(self) -> str:
        return self.evidence_dir or default_evidence_dir(self.database_url)

    def resolved_secret(self) -> str:
        # Without SECRET_KEY sessions do not survive a restart and workers
        # disagree: fine for a demo, documented for deployment.
        return self.secret_key or secrets.token_hex(32)
