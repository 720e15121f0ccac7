"""Finding 13: one password policy (common passwords refused, 12 characters for admins)
for the command line and the users page; finding 14: the SECRET_KEY rule of wsgi.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import accounts
from dashboard.__main__ import main as dashboard_main
from dashboard.pages import users as users_page
from dashboard.settings import secret_key_problem
from tests.test_auth import add_user_body, call, login

from .conftest import ADMIN_PASSWORD, client_from, store_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("password,role", [
    ("12345678", "viewer"), ("12345678", "admin"), ("password", "reporter"), ("qwertyuiop12", "admin"),
    ("password1234", "admin"), ("abcd1234", "reporter"), ("11111111", "viewer"),
])
def test_common_or_short_passwords_are_refused(password, role):
    assert accounts.password_problem(password, role=role) is not None


def test_admins_need_twelve_characters():
    assert accounts.password_problem("Xk9#mQ2v", role="reporter") is None
    assert "管理员密码至少需要12个字符" in accounts.password_problem("Xk9#mQ2v", role="admin")
    assert accounts.password_problem("Zq7!vR2#mL9p", role="admin") is None


def test_the_username_is_no_password():
    assert accounts.password_problem("zhangsan2024", role="viewer", user_inputs=["zhangsan"]) == accounts.MSG_WEAK


def test_the_demo_keeps_its_password():
    assert accounts.password_problem("demo", demo=True) is None


def test_cli_refuses_12345678_for_an_admin(tmp_path, monkeypatch, capsys):
    import io

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    for pw, expected in (("12345678", "至少需要12个字符"), ("123456789012", "过于常见")):
        monkeypatch.setattr("sys.stdin", io.StringIO(pw + "\n"))
        assert dashboard_main(["users", "add", "office", "--role", "admin", "--password-stdin"]) == 1
        assert expected in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("long-office-pass-7\n"))
    assert dashboard_main(["users", "add", "office", "--role", "admin", "--password-stdin"]) == 0


def test_users_page_applies_the_same_policy(app):
    c = client_from(app)
    assert login(c, "boss", ADMIN_PASSWORD).status_code == 302
    r = call(c, add_user_body(app, "newadmin", role="admin", password="12345678"))
    assert "管理员密码至少需要12个字符" in text_of(r)
    r = call(c, add_user_body(app, "newbie", role="viewer", password="password1"))
    assert "过于常见" in text_of(r)
    assert store_of(app).get_user("newadmin") is None and store_of(app).get_user("newbie") is None
    with pytest.raises(Exception, match="至少需要12个字符"):
        accounts.reset_password(store_of(app), "boss", "12345678")


def text_of(resp) -> str:
    return json.dumps(resp.get_json(), ensure_ascii=False)


def run_wsgi(tmp_path, secret):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'w.db'}"
    if secret is not None:
        env["SECRET_KEY"] = secret
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("secret", [None, "", "x", "a" * 31])
def test_wsgi_refuses_to_start_without_a_long_secret_key(tmp_path, secret):
    r = run_wsgi(tmp_path, secret)
    assert r.returncode == 2 and "SECRET_KEY" in r.stderr and "32" in r.stderr
    assert not (tmp_path / "w.db").exists()  # refused before touching the database


def test_wsgi_starts_with_a_long_secret_key(tmp_path):
    assert secret_key_problem("a" * 32) is None
    r = run_wsgi(tmp_path, "0123456789abcdef" * 4)
    assert r.returncode == 0, r.stderr
