"""User accounts without Flask: password hashing, the rules for new users and
passwords (one password policy), the sign-in check with its throttling, and the
demo accounts.

Shared by the sign-in routes (:mod:`dashboard.auth`), the users page and
``python -m dashboard users``, so the three agree on every rule.
"""
from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Optional, TypeVar

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from data.store import DuplicateError, Store, StoreError, UserRow
from indicators.registry import Registry

from .permissions import ROLE_LABELS, ROLES

log = logging.getLogger("dashboard.auth")

# Throttling (docs/security.md): after NAME_FREE failures for one user name, and after
# CLIENT_FREE failures from one address, each further failure doubles a wait (1 s, 2 s,
# 4 s ... at most MAX_DELAY) before the next attempt is even checked. The name's wait
# binds only clients that have themselves failed for that name, so the owner, signing
# in from a client that has not failed, gets in while an attacker keeps the name "locked".
NAME_FREE = 5
CLIENT_FREE = 10
MAX_DELAY = 15 * 60                 # seconds
FORGET_AFTER = timedelta(hours=24)  # a throttle row not updated this long starts again from 0
LOG_KEEP_DAYS = 90                  # sign-in log: rows kept this long ...
LOG_KEEP_ROWS = 100_000             # ... and at most this many
MIN_PASSWORD = 8
MIN_ADMIN_PASSWORD = 12
MAX_PASSWORD = 128
MIN_STRENGTH = 2                    # zxcvbn score 0-1: a common password, or found within ~10^6 guesses
DEMO_PASSWORD = "demo"
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")

MSG_BAD_LOGIN = "用户名或密码错误。"
MSG_DISABLED = "账号已停用,请联系领导小组办公室。"
MSG_EMPTY_LOGIN = "请输入用户名和密码。"
MSG_WEAK = "密码过于常见或容易猜到(如12345678、password、键盘上连续的字符、含用户名),请换一个更难猜的密码。"


def now_utc() -> datetime:
    """The clock of every sign-in rule (tests monkeypatch it)."""
    return datetime.now(timezone.utc)


def hash_password(password: str) -> str:
    # Werkzeug's default is scrypt with a random salt.
    return generate_password_hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash, password)


# ------------------------------------------------------------------ rules

def min_password_length(role: str) -> int:
    return MIN_ADMIN_PASSWORD if role == "admin" else MIN_PASSWORD


def password_problem(password: Optional[str], demo: bool = False, role: str = "viewer",
                     user_inputs: Iterable[str] = ()) -> Optional[str]:
    """The password policy, for the CLI and the users page alike: why ``password`` may
    not be used, or None. At least 8 characters (12 for admins), and not common or
    easily guessed: zxcvbn (Dropbox's estimator, with its lists of common passwords,
    names, words and keyboard patterns) must rate it 2 or more. ``user_inputs`` (the
    username, the display name) count as known words. The demo allows anything ("demo")."""
    if not password:
        return "密码不能为空。"
    if password != password.strip():
        return "密码首尾不能有空格。"
    if demo:
        return None
    minimum = min_password_length(role)
    if len(password) < minimum:
        return f"{'管理员' if role == 'admin' else ''}密码至少需要{minimum}个字符。"
    if len(password) > MAX_PASSWORD:
        return f"密码不能超过{MAX_PASSWORD}个字符。"
    if zxcvbn(password, user_inputs=[u for u in user_inputs if u])["score"] < MIN_STRENGTH:
        return MSG_WEAK
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


def known_regions(store: Store, registry: Registry) -> list[str]:
    """Every region a reporter may be bound to: each scheme's own region and those in the database."""
    seen: dict[str, None] = {}
    for sid, scheme in registry.schemes.items():
        for name in [scheme.region, *store.regions(sid)]:
            seen.setdefault(name, None)
    return list(seen)


def user_problems(registry: Optional[Registry], role: str, units: Iterable[str], schemes: Iterable[str],
                  regions: Iterable[str] = (), known: Optional[Iterable[str]] = None) -> list[str]:
    """What is wrong with a role/units/schemes/regions assignment (Chinese, for the UI and
    the CLI). ``known``: the regions that exist (None: not checked)."""
    units, schemes, regions = list(units or []), list(schemes or []), list(regions or [])
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
    if known is not None:
        known = list(known)
        unknown = [r for r in regions if r not in known]
        if unknown:
            problems.append(f"没有这些地区:{'、'.join(unknown)}(可选:{'、'.join(known)})。")
    return problems


def new_user_problems(store: Store, registry: Optional[Registry], username: str, role: str, units: Iterable[str],
                      schemes: Iterable[str], password: Optional[str], demo: bool = False,
                      regions: Iterable[str] = (), display_name: str = "") -> list[str]:
    problems = []
    username = (username or "").strip()
    if not username:
        problems.append("用户名不能为空。")
    elif not USERNAME_RE.match(username):
        problems.append("用户名只能由英文字母、数字和 _ . @ - 组成,长度2至64个字符。")
    elif store.get_user(username) is not None:
        problems.append(f"用户名“{username}”已存在。")
    problems += user_problems(registry, role, units, schemes, regions,
                              known_regions(store, registry) if registry is not None else None)
    # None: the password is not known yet (the CLI checks the rest before asking for it).
    pw = password_problem(password, demo, role, (username, display_name)) if password is not None else None
    if pw:
        problems.append(pw)
    return problems


def create_user(store: Store, registry: Optional[Registry], username: str, role: str, password: str,
                display_name: str = "", units: Iterable[str] = (), schemes: Iterable[str] = (),
                demo: bool = False, regions: Iterable[str] = ()) -> UserRow:
    """Validate and add a user; raises StoreError with every problem in the message."""
    units, schemes, regions = list(units or []), list(schemes or []), list(regions or [])
    problems = new_user_problems(store, registry, username, role, units, schemes, password, demo, regions,
                                 display_name)
    if problems:
        raise StoreError("".join(problems))
    # Viewers and admins carry no units: the assignment only means something for reporters.
    if role != "reporter":
        units, schemes, regions = [], [], []
    return store.add_user(username.strip(), role, hash_password(password), (display_name or "").strip(),
                          units, schemes, regions=regions)


def reset_password(store: Store, username: str, password: str, demo: bool = False) -> UserRow:
    """Set a new password (the policy of the user's role) and lift the sign-in delays of
    the name. The store ends every open session of the user (a new session generation)."""
    row = store.get_user(username)
    if row is None:
        raise StoreError(f"用户“{username}”不存在。")
    problem = password_problem(password, demo, row.role, (row.username, row.display_name))
    if problem:
        raise StoreError(problem)
    row = store.update_user(username, password_hash=hash_password(password), failed_count=0, locked_until=None)
    _best_effort("clearing the sign-in delays", store.throttle_clear, [throttle_keys(username, "").name])
    return row


# ------------------------------------------------------------------ sign-in

@dataclass(frozen=True)
class SignIn:
    user: Optional[UserRow]   # set only when signed in
    error: str = ""
    wait: int = 0             # seconds before the next attempt is checked (throttled)


@dataclass(frozen=True)
class ThrottleKeys:
    client: str   # every failure from this address
    name: str     # every failure for this user name, from anywhere
    pair: str     # failures of this address for this name


def throttle_keys(username: str, ip: str) -> ThrottleKeys:
    name, ip = username.strip().lower()[:64], (ip or "")[:64]
    return ThrottleKeys(f"ip:{ip}", f"name:{name}", f"pair:{ip}|{name}")


def throttle_delay(failures: int, free: int) -> int:
    """Seconds to wait after the ``failures``-th failure: none for the first ``free - 1``,
    then 1, 2, 4 ... up to MAX_DELAY."""
    if failures < free:
        return 0
    return min(2 ** min(failures - free, 20), MAX_DELAY)


def wait_seconds(state: dict, keys: ThrottleKeys, now: datetime) -> int:
    """How long this client must wait before its attempt is checked: the address's own
    wait, and the name's wait only if this client has failed for this name."""
    untils = [state.get(keys.client, (0, None))[1]]
    if state.get(keys.pair, (0, None))[0] > 0:
        untils.append(state.get(keys.name, (0, None))[1])
    latest = max((u for u in untils if u is not None), default=None)
    return max(0, math.ceil((latest - now).total_seconds())) if latest is not None else 0


def wait_message(seconds: int) -> str:
    if seconds >= 120:
        return f"登录尝试过于频繁,请{math.ceil(seconds / 60)}分钟后再试。"
    return f"登录尝试过于频繁,请{seconds}秒后再试。"


T = TypeVar("T")


def _best_effort(what: str, fn: Callable[..., T], *args, **kwargs) -> Optional[T]:
    """Run a bookkeeping write (log row, throttle counters); a database that cannot be
    written (read-only, locked) must not stop anyone from signing in: log it, go on."""
    try:
        return fn(*args, **kwargs)
    except SQLAlchemyError:
        log.error("sign-in bookkeeping failed (%s); continuing", what, exc_info=True)
        return None


def authenticate(store: Store, username: str, password: str, ip: str = "", demo: bool = False) -> SignIn:
    """Check a sign-in attempt with throttling per address and per name (see the constants
    above), log every attempt (store and logger). Unknown names and wrong passwords get
    the same answer after the same work (a scrypt check against a dummy hash); a demo
    account signs in only when ``demo`` (the server runs in demo mode)."""
    username = (username or "").strip()
    if not username or not password:
        return SignIn(None, MSG_EMPTY_LOGIN)
    now = now_utc()
    # Printable only: a typed name must not forge extra lines in the log.
    logged_name = "".join(ch if ch.isprintable() else "?" for ch in username)[:64]
    keys = throttle_keys(logged_name, ip)
    state = _best_effort("reading the throttle", store.throttles, [keys.client, keys.name, keys.pair],
                         now - FORGET_AFTER) or {}
    wait = wait_seconds(state, keys, now)
    if wait:
        # Refused before any password check: cheap for us, and no guess is tested.
        _failed(store, logged_name, ip, f"throttled, {wait} s to wait", wait_message(wait), now)
        return SignIn(None, wait_message(wait), wait)
    row = store.get_user(username)
    # Spend the time of a real check for unknown names too, so that timing does not reveal which names exist.
    ok = password_matches(row.password_hash if row is not None else _dummy_hash(), password) and row is not None
    if ok and row.demo and not demo:
        ok, why = False, "demo account outside demo mode"
    else:
        why = "unknown user" if row is None else "wrong password"
    if not ok:
        def until(key: str, failures: int) -> Optional[datetime]:
            free = NAME_FREE if key == keys.name else CLIENT_FREE
            return now + timedelta(seconds=throttle_delay(failures, free)) if key != keys.pair else None
        counts = _best_effort("counting the failure", store.throttle_fail, [keys.client, keys.name, keys.pair],
                              now, now - FORGET_AFTER, until) or {}
        return _failed(store, logged_name, ip, f"{why} (name {counts.get(keys.name, '?')}, "
                                               f"address {counts.get(keys.client, '?')} failures)",
                       MSG_BAD_LOGIN, now)
    if not row.active:
        return _failed(store, logged_name, ip, "disabled", MSG_DISABLED, now)
    # The owner got in: the name's delays end for everyone; the address's stay (they count other names too).
    _best_effort("clearing the throttle", store.throttle_clear, [keys.name, keys.pair])
    _best_effort("writing the sign-in log", store.record_login, row.username, True, ip, now, LOG_KEEP_DAYS,
                 LOG_KEEP_ROWS)
    log.info("sign-in ok: user=%s ip=%s", row.username, ip)
    return SignIn(row)


def name_waits(store: Store, usernames: Iterable[str]) -> dict[str, datetime]:
    """{username: until} for the names whose failed clients must wait now (for 用户管理)."""
    now = now_utc()
    names = {throttle_keys(u, "").name: u for u in usernames}
    state = store.throttles(names, now - FORGET_AFTER)
    return {names[k]: until for k, (_n, until) in state.items() if until is not None and until > now}


def _failed(store: Store, username: str, ip: str, why: str, message: str, now: datetime) -> SignIn:
    _best_effort("writing the sign-in log", store.record_login, username, False, ip, now, LOG_KEEP_DAYS,
                 LOG_KEEP_ROWS)
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
            store.add_user(acc.username, acc.role, pw_hash, acc.display_name, acc.units, acc.schemes, demo=True)
        except (DuplicateError, IntegrityError):  # another worker created it meanwhile
            continue
        created.append(acc.username)
    if created:
        log.info("demo accounts created: %s", ", ".join(created))
    return created
