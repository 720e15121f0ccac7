"""``python -m dashboard users ...``: manage accounts from the command line.

There is no default password: the first admin is created here::

    python -m dashboard users add office --role admin --display-name 领导小组办公室
    python -m dashboard users add scj01 --role reporter --unit 市市场监管局 --scheme anning --region 安宁市
    python -m dashboard users list
    python -m dashboard users disable scj01
    python -m dashboard users enable scj01
    python -m dashboard users reset scj01          # new password, ends sign-in delays and sessions

Passwords are asked twice (hidden); ``--password-stdin`` reads one line from
standard input instead (for scripts). The database is DATABASE_URL (Settings.from_env()).
"""
from __future__ import annotations

import getpass
import sys
from typing import Optional

from data.store import NotFoundError, Store, StoreError

from . import accounts
from .permissions import ROLE_LABELS, ROLES


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("users", help="manage user accounts (用户管理)",
                              description="用户管理: add, list, disable, enable, reset.")
    sub = p.add_subparsers(dest="users_command", required=True)

    a = sub.add_parser("add", help="add a user (the first admin is created this way)")
    a.add_argument("name", help="username (letters, digits, _ . @ -)")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--unit", action="append", default=[], help="unit a reporter enters for (repeatable)")
    a.add_argument("--scheme", action="append", default=[], help="scheme id a reporter may enter (repeatable; "
                                                                  "none: all schemes)")
    a.add_argument("--region", action="append", default=[], help="region a reporter may report for (repeatable; "
                                                                  "none: all regions)")
    a.add_argument("--display-name", default="", help="name shown in the app (default: the username)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.set_defaults(func=_add)

    ls = sub.add_parser("list", help="list users")
    ls.set_defaults(func=_list)

    d = sub.add_parser("disable", help="disable a user (they can no longer sign in; open sessions end)")
    d.add_argument("name")
    d.set_defaults(func=lambda args: _set_active(args, False))

    e = sub.add_parser("enable", help="enable a disabled user")
    e.add_argument("name")
    e.set_defaults(func=lambda args: _set_active(args, True))

    r = sub.add_parser("reset", help="set a new password (ends the sign-in delays of the name and the user's sessions)")
    r.add_argument("name")
    r.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    r.set_defaults(func=_reset)


def _store() -> Store:
    from data.db import upgrade

    from .settings import Settings

    settings = Settings.from_env()
    return Store(upgrade(settings.database_url))


def _registry():
    from indicators.registry import load_registry

    return load_registry()


def _err(message: str) -> int:
    print(f"错误:{message}", file=sys.stderr)
    return 1


def _read_password(from_stdin: bool) -> Optional[str]:
    """The new password, or None when the two entries differ."""
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = getpass.getpass("密码: ")
    second = getpass.getpass("再次输入密码: ")
    return first if first == second else None


def _add(args) -> int:
    store, registry = _store(), _registry()
    problems = accounts.new_user_problems(store, registry, args.name, args.role, args.unit, args.scheme, None,
                                          regions=args.region)
    if problems:  # before asking for a password that would be thrown away
        return _err("".join(problems))
    password = _read_password(args.password_stdin)
    if password is None:
        return _err("两次输入的密码不一致。")
    try:
        row = accounts.create_user(store, registry, args.name, args.role, password, args.display_name,
                                   args.unit, args.scheme, regions=args.region)
    except StoreError as exc:
        return _err(str(exc))
    print(f"已新增用户 {row.username}({ROLE_LABELS[row.role]})")
    return 0


def _list(args) -> int:
    store = _store()
    users = store.list_users()
    if not users:
        print("还没有用户。新增第一个管理员:python -m dashboard users add NAME --role admin")
        return 0
    for u in users:
        state = "停用" if not u.active else "启用"
        extra = ""
        if u.role == "reporter":
            extra = (f"  单位:{'、'.join(u.units)}  方案:{'、'.join(u.schemes) or '全部'}"
                     f"  地区:{'、'.join(u.regions) or '全部'}")
        print(f"{u.username}\t{u.role}\t{state}\t{u.display_name}{extra}")
    return 0


def _set_active(args, active: bool) -> int:
    store = _store()
    row = store.get_user(args.name)
    if row is None:
        return _err(f"用户“{args.name}”不存在。")
    if not active and row.role == "admin" and row.active and not any(
            u.role == "admin" and u.active and u.username != row.username for u in store.list_users()):
        return _err("至少需要保留一名启用的管理员。")
    store.update_user(args.name, active=active)
    print(f"已{'启用' if active else '停用'}用户 {args.name}")
    return 0


def _reset(args) -> int:
    store = _store()
    if store.get_user(args.name) is None:
        return _err(f"用户“{args.name}”不存在。")
    password = _read_password(args.password_stdin)
    if password is None:
        return _err("两次输入的密码不一致。")
    try:
        accounts.reset_password(store, args.name, password)
    except (StoreError, NotFoundError) as exc:
        return _err(str(exc))
    print(f"已重置用户 {args.name} 的密码")
    return 0
