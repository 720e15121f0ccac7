"""WSGI entry for gunicorn: ``gunicorn -c gunicorn.conf.py wsgi:server``.

Refuses to start without a SECRET_KEY of at least 32 characters: without one every
worker signs sessions with its own random key, and a short one can be guessed.
"""
import sys

from dashboard import Settings, create_app
from dashboard.settings import secret_key_problem

settings = Settings.from_env(demo=False)
_problem = secret_key_problem(settings.secret_key)
if _problem:
    print(f"启动失败:{_problem}", file=sys.stderr, flush=True)
    raise SystemExit(2)
app = create_app(settings)
server = app.server
# The Celery app of the export jobs when CELERY_BROKER_URL is set (docs/reports.md):
#   celery -A wsgi:celery_app worker
celery_app = getattr(app._background_manager, "handle", None) if settings.celery_broker_url else None  # noqa: SLF001
