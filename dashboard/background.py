"""Slow exports (the Word report, 导出PDF) as Dash background callbacks, off the request thread.

The manager (docs/reports.md): a :class:`dash.DiskcacheManager` by default (jobs run in a
child process; results in a diskcache directory, ``EXPORT_CACHE_DIR``, default
instance/export-cache); a :class:`dash.CeleryManager` when ``CELERY_BROKER_URL`` is set
(Redis, e.g. ``redis://localhost:6379/0``; Celery is imported only then, it is not a
default requirement).

Who asked: a job runs outside the request (another process, or a Celery worker), where
Flask-Login's session does not exist. The signed-in user is therefore read *in the
request* that queues the job, by a Dash ``custom_data`` hook, and handed to the job in
its callback context (plain data, as Celery serialises it to JSON); the job checks the
permission with that identity before it reads anything (:func:`export_job`). The
request itself already passed the sign-in guard (dashboard/auth.py: no session, 401),
and so does every poll for the result.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import os
import weakref
from pathlib import Path
from typing import Callable, Optional

from dash import callback_context, hooks

from .permissions import Forbidden, Identity, current_identity, require_role

log = logging.getLogger("dashboard.background")

IDENTITY_KEY = "monitor_identity"
FAILED = "导出失败:服务器内部错误,请稍后重试;如仍失败,请联系系统管理员。"
RUNNING_TEXT = "正在生成…"


def callback_manager(settings):
    """The background callback manager the settings ask for (see the module doc)."""
    if settings.celery_broker_url:
        from celery import Celery  # noqa: PLC0415 - optional: only with CELERY_BROKER_URL
        from dash import CeleryManager

        celery_app = Celery("dashboard", broker=settings.celery_broker_url,
                            backend=settings.celery_result_backend or settings.celery_broker_url)
        return CeleryManager(celery_app, expire=settings.export_cache_seconds)
    import diskcache
    from dash import DiskcacheManager

    path = Path(settings.export_cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(path)), expire=settings.export_cache_seconds)


def running(buttons, indicator: str) -> list:
    """Dash ``running=``: the export buttons disabled and 正在生成… shown while a job runs."""
    from dash import Output

    return [(Output(b, "disabled"), True, False) for b in buttons] + [(Output(indicator, "children"), RUNNING_TEXT, "")]


def export_controls(buttons, indicator: str, message: str, download: str) -> list:
    """The running indicator, the message and the download of a page's export row."""
    from dash import dcc, html

    return [html.Span(id=indicator, className="export-running small text-muted ms-2", role="status"),
            html.Div(id=message, className="d-inline-block ms-2 small"), dcc.Download(id=download)]


def identity_data(identity: Optional[Identity]) -> Optional[dict]:
    """An identity as plain JSON-able data (for the job's context)."""
    return dataclasses.asdict(identity) if identity is not None else None


def identity_from(data) -> Optional[Identity]:
    """The identity handed to a job, or None (signed out, or a context without one)."""
    if not isinstance(data, dict):
        return None
    fields = {f.name for f in dataclasses.fields(Identity)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in fields}
    try:
        return Identity(**values)
    except TypeError:
        return None


@hooks.custom_data(IDENTITY_KEY)
def _request_identity(_ctx):
    # Runs in the request of every callback (cheap: Flask-Login has loaded the user already).
    return identity_data(current_identity())


def job_identity() -> Optional[Identity]:
    """The user who queued the running job (or of the running ordinary callback)."""
    return identity_from((callback_context.custom_data or {}).get(IDENTITY_KEY))


def export_job(role: str, failed: Callable[[str], tuple]):
    """Guard a background export callback: put it under ``@app.callback(..., background=True)``.

    In the job: the identity handed in must hold ``role`` (a Forbidden gives ``failed(message)``);
    any error gives ``failed(<Chinese message>)``, never a bare 500.
    ``failed(message)`` returns the callback's outputs for a message.
    """
    from .printing import PrintError
    from .reports import ReportError

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                require_role(job_identity(), role)
                return fn(*args, **kwargs)
            except (Forbidden, ReportError, PrintError) as exc:
                return failed(str(exc))
            except Exception:  # noqa: BLE001 - the user gets a message, the log the trace
                log.exception("background export %s failed", fn.__name__)
                return failed(FAILED)
        return inner
    return wrap


def dispose_after_fork(engine) -> None:
    """A forked child (a diskcache job, a gunicorn worker) opens its own database connections:
    SQLAlchemy's advice, ``engine.dispose(close=False)`` in the child, leaves the parent's alone."""
    ref = weakref.ref(engine)  # the app's lifetime, not the process's, decides how long the engine lives

    def child():
        engine = ref()
        if engine is not None:
            engine.dispose(close=False)
    os.register_at_fork(after_in_child=child)
