"""User accounts without Flask: password hashing, the rules for new users and
passwords, the sign-in check with lockout, and the demo accounts.

Shared by the sign-in routes (:mod:`dashboard.auth`), the users page and
``python -m dashboard users``, so the three agree on every rule.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from data.store import DuplicateError, Store, StoreError, UserRow
from indicators.registry import Registry

from .permissions import ROLE_LABELS, ROLES

log = logging.getLogger("dashboard.auth")

LOCK_AFTER = 5                      # consecutive failed sign-ins ...
LOCK_MINUTES = 15                   # ... lock the account this long
MIN_PASSWORD = 8
DEMO_PASSWORD = "demo"
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")

MSG_BAD_LOGIN = "用户名或密码错误。"
MSG_LOCKED = f"账号已锁定,请{LOCK_MINUTES}分钟后再试。"
MSG_DISABLED = "账号已停用,请联系领导小组办公室。"
MSG_EMPTY_LOGIN = "请输入用户名和密码。"


def now_utc() -> datetime:
    """The clock of every sign-in rule (tests monkeypatch it)."""
    return datetime.now(timezone.utc)


def hash_password(password: str) -> str:
    # Werkzeug's default is scrypt with a random salt.
    return generate_password_hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash, password)


# ------------------------------------------------------------------ rules

def password_problem(password: Optional[str], demo: bool = False) -> Optional[str]:
    """Why ``password`` may not be used, or None. The demo allows short ones ("demo")."""
    if not password:
        return "密码不能为空。"
    if password != password.strip():
        return "密码首尾不能有空格。"
    if not demo and len(password) < MIN_PASSWORD:
        return f"密码至少需要{MIN_PASSWORD}个字符。"
    return None


def assignable_units(registry: Registry, scheme_id: Optional[str] = None) -> list[str]:
    """Every unit that may be assigned to a reporter: lead and responsible units
    (an indicator's reporting unit is its first lead unit)."""
    seen: dict[str, None] = {}
    for ind in registry.indicators.values():
        if scheme_id is None or ind.scheme == scheme_id:
            for u in ind.all_units:
                seen.setdefault(u, None)
    return list(seen)


def user_problems(registry: Optional[Registry], role: str, units: Iterable[str], schemes: Iterable[str]) -> list[str]:
    """What is wrong with a role/units/schemes assignment (Chinese, for the UI and the CLI)."""
    units, schemes = list(units or []), list(schemes or [])
    problems = []
    if role not in ROLES:
        problems.append(f"角色必须是:{'、'.join(f'{r}({ROLE_LABELS[r]})' for r in ROLES)}。")
    elif role == "reporter" and not units:
        problems.append("填报员必须至少指定一个负责单位。")
    if registry is not None:
        known_units = set(assignable_units(registry))
        unknown = [u for u in units if u not in known_units]
        if unknown:
            problems.append(f"指标库中没有这些单位:{'、'.join(unknown)}。")
        unknown = [s for s in schemes if s not in registry.schemes]
        if unknown:
            problems.append(f"没有这些方案:{'、'.join(unknown)}(可选:{'、'.join(registry.schemes)})。")
    return problems


def new_user_problems(store: Store, registry: Optional[Registry], username: str, role: str, units: Iterable[str],
                      schemes: Iterable[str], password: Optional[str], demo: bool = False) -> list[str]:
    problems = []
    username = (username or "").strip()
    if not username:
        problems.append("用户名不能为空。")
    elif not USERNAME_RE.match(username):
        problems.append("用户名只能由英文字母、数字和 _ . @ - 组成,长度2至64个字符。")
    elif store.get_user(username) is not None:
        problems.append(f"用户名“{username}”已存在。")
    problems += user_problems(registry, role, units, schemes)
    pw = password_problem(password, demo)
    if pw:
        problems.append(pw)
    return problems


def create_user(store: Store, registry: Optional[Registry], username: str, role: str, password: str,
                display_name: str = "", units: Iterable[str] = (), schemes: Iterable[str] = (),
                demo: bool = False) -> UserRow:
    """Validate and add a user; raises StoreError with every problem in the message."""
    units, schemes = list(units or []), list(schemes or [])
    problems = new_user_problems(store, registry, username, role, units, schemes, password, demo)
    if problems:
        raise StoreError("".join(problems))
    # Viewers and admins carry no units: the assignment only means something for reporters.
    if role != "reporter":
        units, schemes = [], []
    return store.add_user(username.strip(), role, hash_password(password), (display_name or "").strip(),
                          units, schemes)


def reset_password(store: Store, username: str, password: str, demo: bool = False) -> UserRow:
    """Set a new password and lift a lockout. The old sessions end (see auth.session_id)."""
    problem = password_problem(password, demo)
    if problem:
        raise StoreError(problem)
    return store.update_user(username, password_hash=hash_password(password), failed_count=0, locked_until=None)


# ------------------------------------------------------------------ sign-in

@dataclass(frozen=True)
class SignIn:
    user: Optional[UserRow]   # set only when signed in
    error: str = ""


def authenticate(store: Store, username: str, password: str, ip: str = "") -> SignIn:
    """Check a sign-in attempt, count failures, lock after LOCK_AFTER of them, log
    every attempt (store and logger). Messages never tell an unknown user from a wrong password."""
    username = (username or "").strip()
    if not username or not password:
        return SignIn(None, MSG_EMPTY_LOGIN)
    now = now_utc()
    # Printable only: a typed name must not forge extra lines in the log.
    logged_name = "".join(ch if ch.isprintable() else "?" for ch in username)[:64]
    row = store.get_user(username)
    if row is None:
        # Spend the time of a real check so response times do not reveal which names exist.
        password_matches(_dummy_hash(), password)
        return _failed(store, logged_name, ip, "unknown user", MSG_BAD_LOGIN)
    if row.locked_until is not None and row.locked_until > now:
        return _failed(store, logged_name, ip, "locked", MSG_LOCKED)
    if not password_matches(row.password_hash, password):
        count = row.failed_count + 1
        if count >= LOCK_AFTER:
            store.update_user(row.username, failed_count=0, locked_until=now + timedelta(minutes=LOCK_MINUTES))
            return _failed(store, logged_name, ip, f"wrong password, locked for {LOCK_MINUTES} min", MSG_LOCKED)
        store.update_user(row.username, failed_count=count)
        return _failed(store, logged_name, ip, f"wrong password ({count}/{LOCK_AFTER})", MSG_BAD_LOGIN)
    if not row.active:
        return _failed(store, logged_name, ip, "disabled", MSG_DISABLED)
    if row.failed_count or row.locked_until is not None:
        row = store.update_user(row.username, failed_count=0, locked_until=None)
    store.record_login(row.username, True, ip, at=now)
    log.info("sign-in ok: user=%s ip=%s", row.username, ip)
    return SignIn(row)


def _failed(store: Store, username: str, ip: str, why: str, message: str) -> SignIn:
    store.record_login(username, False, ip, at=now_utc())
    log.warning("sign-in refused: user=%s ip=%s reason=%s", username, ip, why)
    return SignIn(None, message)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-password")


# ------------------------------------------------------------------ demo accounts

@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    units: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()


def demo_accounts(registry: Registry) -> list[DemoAccount]:
    """admin, viewer and, for every scheme, one reporter per unit that enters values
    (an indicator's reporting unit), named ``<scheme>_r01``, ``<scheme>_r02``..."""
    out = [DemoAccount("admin", "admin", "领导小组办公室(演示)"), DemoAccount("viewer", "viewer", "领导(演示)")]
    for sid in registry.schemes:
        units = list(dict.fromkeys(i.reporting_unit for i in registry.scheme_indicators(sid)))
        for n, unit in enumerate(units, 1):
            out.append(DemoAccount(f"{sid}_r{n:02d}", "reporter", unit, (unit,), (sid,)))
    return out


def ensure_demo_users(store: Store, registry: Registry) -> list[str]:
    """Create the missing demo accounts (password "demo"); never touches existing
    ones. Call only in demo mode. Returns the usernames created."""
    created = []
    pw_hash = None
    for acc in demo_accounts(registry):
        if store.get_user(acc.username) is not None:
            continue
        # One hash for all: the demo password is public anyway, and scrypt is slow on purpose.
        pw_hash = pw_hash or hash_password(DEMO_PASSWORD)
        try:
            store.add_user(acc.username, acc.role, pw_hash, acc.display_name, acc.units, acc.schemes)
        except (DuplicateError, IntegrityError):  # another worker created it meanwhile
            continue
        created.append(acc.username)
    if created:
        log.info("demo accounts created: %s", ", ".join(created))
    return created
