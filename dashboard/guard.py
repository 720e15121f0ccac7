"""No request answers a bare HTTP 500: what a callback or a page raises becomes a Chinese message.

* Every Dash callback (present and future: Dash's app-wide ``on_error``, set in the factory)
  that raises shows a message in the shell's one global alert (``dash.set_props``) and
  changes none of its own outputs; the error is logged with the callback's outputs:

  - a database error (locked, read-only, gone, timed out) -> :data:`MSG_DB`;
  - a value of the wrong type or an unknown id sent by the browser (a hand-made request,
    a stale page) -> :data:`MSG_INPUT`;
  - a :class:`data.errors.StoreError` (its message is written for users) -> that message;
  - anything else -> :data:`MSG_INTERNAL`.

  ``Forbidden`` is left to :mod:`dashboard.auth` (403) and ``PreventUpdate`` to Dash.
* Flask error handlers do the same for everything outside callbacks: a request body over
  ``MAX_CONTENT_LENGTH`` -> 413, a database error -> 503, anything else -> 500, each with a
  Chinese message (JSON for Dash's endpoints, a short page otherwise).
"""
from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import set_props
from dash.exceptions import CallbackException, InvalidCallbackReturnValue
from flask import jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from data.errors import StoreError

from .permissions import Forbidden

log = logging.getLogger("dashboard.guard")

ALERT_ID = "global-alert"
MSG_DB = "数据库暂时不可用,未保存,请稍后重试"
MSG_INPUT = "页面参数无效,请刷新页面后重试"
MSG_INTERNAL = "服务器出错,操作未完成。请刷新页面后重试;如仍出错,请联系系统管理员。"
# Wrong types and unknown ids sent to a callback end in one of these (and a request body that
# does not match the callback's definition in Dash's CallbackException).
INPUT_ERRORS = (TypeError, ValueError, LookupError, AttributeError)


def too_large_message(limit_bytes: int, evidence_mb: float = 20) -> str:
    return (f"提交的内容过大(上限{limit_bytes / 1024 / 1024:.0f} MB),未保存。导入的数据文件不能超过5 MB;"
            f"佐证材料每个不能超过{evidence_mb:g} MB,多个文件合计较大时请分批上传。")


def alert_component() -> dbc.Alert:
    """The shell's one alert for messages of callbacks that failed."""
    return dbc.Alert(id=ALERT_ID, is_open=False, dismissable=True, color="danger", className="global-alert")


def classify(exc: BaseException) -> tuple[str, int]:
    """(message for the user, HTTP status outside callbacks) of an exception nobody handled."""
    if isinstance(exc, SQLAlchemyError):
        return MSG_DB, 503
    if isinstance(exc, StoreError):
        return str(exc), 409
    if isinstance(exc, INPUT_ERRORS) or (isinstance(exc, CallbackException)
                                         and not isinstance(exc, InvalidCallbackReturnValue)):
        return MSG_INPUT, 400
    return MSG_INTERNAL, 500


def _callback_name() -> str:
    try:
        body = request.get_json(silent=True) or {}
    except Exception:  # pragma: no cover - no request
        return "?"
    return str(body.get("output", "?"))[:200] if isinstance(body, dict) else "?"


def _log(exc: BaseException, where: str, status: int) -> None:
    if isinstance(exc, StoreError):
        log.warning("%s refused: %s", where, exc)
    elif status == 400:
        log.warning("%s: invalid input (%s: %s)", where, type(exc).__name__, exc, exc_info=exc)
    else:
        log.error("%s failed: %s: %s", where, type(exc).__name__, exc, exc_info=exc)


def on_callback_error(exc: Exception):
    """Dash's ``on_error`` for every callback of the app (see the module doc)."""
    if isinstance(exc, Forbidden):
        raise exc
    message, status = classify(exc)
    _log(exc, f"callback {_callback_name()}", status)
    set_props(ALERT_ID, {"children": message, "is_open": True,
                         "color": "warning" if isinstance(exc, StoreError) else "danger"})
    return None  # Dash: no update of the callback's own outputs


def _is_api(path: str) -> bool:
    return path.startswith("/_dash-") or path.startswith("/_reload-hash")


def _answer(message: str, status: int):
    if _is_api(request.path):
        resp = jsonify({"error": message})
    else:
        resp = _page(message)
    resp.status_code = status
    return resp


def _page(message: str):
    from html import escape

    from flask import make_response

    html = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>出错了</title></head>'
            f'<body style="font-family:sans-serif;margin:3em"><p>{escape(message)}</p>'
            '<p><a href="/">返回总览</a></p></body></html>')
    return make_response(html)


def install(app) -> None:
    """Flask error handlers and the request size limit on ``app.server``."""
    server = app.server

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(exc):
        limit = server.config.get("MAX_CONTENT_LENGTH") or 0
        log.warning("request too large: path=%s length=%s", request.path, request.content_length)
        settings = server.extensions.get("monitor", {}).get("settings")
        return _answer(too_large_message(limit, getattr(settings, "evidence_max_mb", 20)), 413)

    @server.errorhandler(Exception)
    def _uncaught(exc):
        if isinstance(exc, HTTPException):
            return exc  # 404, 405, ...: Werkzeug's own answer
        message, status = classify(exc)
        _log(exc, f"{request.method} {request.path}", status)
        return _answer(message, status)
