"""Who may do what. Every callback that reads or writes checks here, on the server;
hiding a button is never the protection.

Roles: ``admin`` (the office: everything, approval and locking, users, baselines
and reference series), ``reporter`` (entry and submission for its own units and
schemes), ``viewer`` (read-only pages).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

ROLES = ("admin", "reporter", "viewer")
ROLE_LABELS = {"admin": "办公室管理员", "reporter": "填报员", "viewer": "只读(领导)"}


class Forbidden(Exception):
    """Raised when the signed-in user may not do this; the message is Chinese, for the UI."""


@dataclass(frozen=True)
class Identity:
    username: str
    display_name: str
    role: str
    units: tuple[str, ...] = field(default_factory=tuple)
    schemes: tuple[str, ...] = field(default_factory=tuple)  # empty: every scheme
    regions: tuple[str, ...] = field(default_factory=tuple)  # empty: every region

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_report(self, scheme_id: str, unit: str) -> bool:
        if self.is_admin:
            return True
        if self.role != "reporter":
            return False
        return unit in self.units and (not self.schemes or scheme_id in self.schemes)

    def can_report_region(self, scheme_id: str, unit: str, region: str) -> bool:
        """May enter and submit ``unit``'s figures of ``scheme_id`` for ``region``? Admins always may."""
        if not self.can_report(scheme_id, unit):
            return False
        return self.is_admin or not self.regions or region in self.regions


def require_reporter_region(identity: Identity | None, scheme_id: str, unit: str, region: str) -> Identity:
    """require_reporter, and the region is one the reporter is bound to (users.regions)."""
    identity = require_reporter(identity, scheme_id, unit)
    if not identity.can_report_region(scheme_id, unit, region):
        raise Forbidden(f"您没有填报“{region}”数据的权限。")
    return identity


def require_admin(identity: Identity | None) -> Identity:
    if identity is None:
        raise Forbidden("请先登录。")
    if not identity.is_admin:
        raise Forbidden("只有领导小组办公室管理员可以进行此操作。")
    return identity


def require_reporter(identity: Identity | None, scheme_id: str, unit: str) -> Identity:
    if identity is None:
        raise Forbidden("请先登录。")
    if not identity.can_report(scheme_id, unit):
        raise Forbidden(f"您没有填报“{unit}”指标的权限。")
    return identity


def require_role(identity: Identity | None, role: str) -> Identity:
    """``role``: "viewer" (anyone signed in), "reporter" (reporters and admins) or "admin"."""
    if identity is None:
        raise Forbidden("请先登录。")
    if role == "admin":
        return require_admin(identity)
    if role == "reporter" and identity.role not in ("admin", "reporter"):
        raise Forbidden("只有填报员或领导小组办公室管理员可以进行此操作。")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return identity


def allowed(identity: Identity | None, role: Optional[str]) -> bool:
    """May ``identity`` see a page that requires ``role`` (None: anyone signed in)?"""
    try:
        require_role(identity, role or "viewer")
    except Forbidden:
        return False
    return True


def guarded(role: str = "viewer", refused: Optional[Callable[[str], Any]] = None):
    """Guard a Dash callback on the server. Put it *under* ``@app.callback``::

        @app.callback(Output(MSG, "children"), Input(SAVE, "n_clicks"), ...)
        @guarded("reporter", refused=lambda msg: dbc.Alert(msg, color="danger"))
        def save(n, scheme_id, unit, ...):
            who = require_reporter(current_identity(), scheme_id, unit)
            store.save_value(..., user=who.username, ...)

    The role is checked before the body runs; a :class:`Forbidden` raised inside
    the body (e.g. by require_reporter) is handled the same way: ``refused(message)``
    is returned as the callback's outputs. Without ``refused`` the Forbidden
    propagates and the server answers 403 (see dashboard.auth).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                require_role(current_identity(), role)
                return fn(*args, **kwargs)
            except Forbidden as exc:
                if refused is None:
                    raise
                return refused(str(exc))
        return inner
    return wrap


def current_identity() -> Identity | None:
    """The signed-in user of this request (see dashboard.auth)."""
    from .auth import identity_of_request

    return identity_of_request()
