"""Finding 15: demo data and demo accounts cannot reach a production database or server."""
from __future__ import annotations

from sqlalchemy import text

from data import __main__ as data_cli
from data.db import make_engine, upgrade
from data.store import Store
from dashboard import accounts
from tests.test_auth import login

from .conftest import PASSWORD, client_from, make_app, store_of


def test_data_demo_never_uses_database_url(tmp_path, monkeypatch):
    real, demo = tmp_path / "real.db", tmp_path / "demo.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{real}")
    monkeypatch.delenv("DEMO_DATABASE_URL", raising=False)
    monkeypatch.setattr(data_cli, "DEMO_DEFAULT_URL", f"sqlite:///{demo}")
    assert data_cli.main(["demo"]) == 0
    assert not real.exists() and Store(make_engine(f"sqlite:///{demo}")).is_demo()


def test_data_demo_refuses_a_database_with_real_users_unless_forced(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    store = Store(upgrade(url))
    accounts.create_user(store, None, "office", "admin", "long-office-pass-7")
    assert data_cli.main(["--url", url, "demo"]) == 1
    assert "正式用户" in capsys.readouterr().err and not store.is_demo()
    assert data_cli.main(["--url", url, "demo", "--force"]) == 0
    assert store.is_demo()


def test_demo_accounts_do_not_sign_in_on_a_server_not_in_demo_mode(tmp_path):
    demo_app = make_app(tmp_path, demo=True)
    c = client_from(demo_app)
    assert login(c, "admin", "demo").status_code == 302
    assert c.get("/_dash-layout").status_code == 200
    # The same database served without --demo: admin/demo is refused, and so is the open session.
    real_app = make_app(tmp_path, demo=False)
    assert login(client_from(real_app, "10.0.0.3"), "admin", "demo").status_code == 401
    thief = client_from(real_app, "10.0.0.4")
    thief.set_cookie("ipm_session", c.get_cookie("ipm_session").value)
    assert thief.get("/_dash-layout").status_code == 401
    # A real user added to that database signs in as usual.
    accounts.create_user(store_of(real_app), None, "leader", "viewer", PASSWORD)
    assert login(client_from(real_app, "10.0.0.5"), "leader").status_code == 302


def test_migration_marks_the_users_of_an_old_demo_database_as_demo(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = upgrade(url, revision="0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO meta (key, value) VALUES ('demo', '1')"))
        c.execute(text("INSERT INTO users (username, display_name, role, units, schemes, password_hash, active, "
                       "failed_count, created_at) VALUES ('admin', 'a', 'admin', '[]', '[]', 'x', 1, 0, "
                       "'2025-01-01 00:00:00')"))
    upgrade(engine)
    row = Store(engine).get_user("admin")
    assert row.demo and row.session_gen == 0 and row.regions == []
