"""Settings from the environment (12-factor); tests pass their own."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


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
    # Set by tests that drive the UI without signing in first.
    login_disabled: bool = False
    # Largest request body (a 5 MB upload arrives base64-encoded, 6.7 MB, inside Dash's JSON).
    max_request_mb: float = 8
    # Seconds a write waits for another writer's lock before the page says so (data.db).
    db_lock_timeout: float = 5

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
            max_request_mb=float(env.get("MAX_REQUEST_MB", "8")),
            db_lock_timeout=float(env.get("DB_LOCK_TIMEOUT", "5")),
        )

    def resolved_secret(self) -> str:
        # Without SECRET_KEY sessions do not survive a restart and workers
        # disagree: fine for a demo, documented for deployment.
        return self.secret_key or secrets.token_hex(32)
