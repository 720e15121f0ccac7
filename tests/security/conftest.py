"""Fixtures of the hardening tests: a real (non-demo) app with one user per role, a
clock the sign-in rules read, and test clients that come from a given address."""
from __future__ import annotations


import pytest

from dashboard import Settings, accounts, create_app

PASSWORD = "correct-horse-1"
ADMIN_PASSWORD = "office-admin-pass-1"




def make_app(tmp_path, **kw):
    kw.setdefault("secret_key", "k" * 32)
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'sec.db'}", **kw))


def store_of(app):
    return app.server.extensions["monitor"]["store"]


@pytest.fixture
def app(tmp_path):
    """boss: the only admin; leader: a viewer; rep: a reporter of the first Anning indicator's unit."""
    app = make_app(tmp_path)
    store, registry = store_of(app), app.server.extensions["monitor"]["registry"]
    unit = registry.scheme_indicators("anning")[0].reporting_unit
    accounts.create_user(store, registry, "boss", "admin", ADMIN_PASSWORD, "办公室")
    accounts.create_user(store, registry, "leader", "viewer", PASSWORD, "县领导")
    accounts.create_user(store, registry, "rep", "reporter", PASSWORD, unit, [unit], ["anning"])
    return app


def client_from(app, ip="127.0.0.1"):
    c = app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    return c
