"""Who may do what. Every callback that reads or writes checks here, on the server;
hiding a button is never the protection.

Roles: ``admin`` (the office: everything, approval and locking, users, baselines
and reference series), ``reporter`` (entry and submission for its own units and
schemes), ``viewer`` (read-only pages).
"""
from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_report(self, scheme_id: str, unit: str) -> bool:
        if self.is_admin:
            return True
        if self.role != "reporter":
            return False
        return unit in self.units and (not self.schemes or scheme_id in self.schemes)


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


def current_identity() -> Identity | None:
    """The signed-in user of this request (see dashboard.auth)."""
    from .auth import identity_of_request

    return identity_of_request()
