"""Finding 3 (anyone could lock any account) and 17 (attempts not rate-limited, log
unbounded): growing delays per address and per name that never lock the owner out."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import event

from dashboard import accounts
from tests.test_auth import login

from .conftest import ADMIN_PASSWORD, PASSWORD, client_from, store_of


def attempt(app, ip, username, password):
    return login(client_from(app, ip), username, password)


def test_an_attacker_cannot_lock_out_the_only_admin(app, clock):
    attacker = "203.0.113.7"
    for i in range(40):
        r = attempt(app, attacker, "boss", "guess-%d" % i)
        assert r.status_code in (401, 429)
        clock.advance(seconds=1)
    r = attempt(app, attacker, "boss", ADMIN_PASSWORD)  # even the right password waits on the attacker's client
    assert r.status_code == 429 and "后再试" in r.get_data(as_text=True)
    # The owner, from a client that has not failed, signs in at once.
    r = attempt(app, "10.1.2.3", "boss", ADMIN_PASSWORD)
    assert r.status_code == 302


def test_delays_grow_and_a_waiting_client_is_answered_without_a_password_check(app, clock, monkeypatch):
    ip = "198.51.100.1"
    for _ in range(accounts.NAME_FREE - 1):
        assert attempt(app, ip, "leader", "wrong-one").status_code == 401
    waits = []
    for _ in range(5):
        assert attempt(app, ip, "leader", "wrong-one").status_code == 401
        r = attempt(app, ip, "leader", "wrong-one")
        assert r.status_code == 429
        waits.append(int(r.headers["Retry-After"]))
        assert f"请{waits[-1]}秒后再试" in r.get_data(as_text=True)
        clock.advance(seconds=waits[-1])
    assert waits == [1, 2, 4, 8, 16]
    # While it waits, nothing is checked (no scrypt work to tie up a worker, no guess tested) and nothing sleeps.
    assert attempt(app, ip, "leader", "wrong-one").status_code == 401  # now it must wait 32 s
    checked = []
    monkeypatch.setattr(accounts, "password_matches", lambda h, p: checked.append(p) or False)
    assert attempt(app, ip, "leader", PASSWORD).status_code == 429
    assert checked == []


def test_the_delay_is_capped(app, clock):
    assert accounts.throttle_delay(accounts.NAME_FREE - 1, accounts.NAME_FREE) == 0
    assert accounts.throttle_delay(accounts.NAME_FREE, accounts.NAME_FREE) == 1
    assert accounts.throttle_delay(1000, accounts.NAME_FREE) == accounts.MAX_DELAY
    assert "15分钟" in accounts.wait_message(accounts.MAX_DELAY)


def test_one_address_trying_many_names_is_slowed(app, clock):
    ip = "192.0.2.50"
    for i in range(accounts.CLIENT_FREE):
        assert attempt(app, ip, f"name{i}", "pw-%d" % i).status_code == 401
    r = attempt(app, ip, "leader", PASSWORD)
    assert r.status_code == 429
    assert attempt(app, "192.0.2.51", "leader", PASSWORD).status_code == 302  # another address is not


def test_unknown_and_known_names_answer_the_same_way(app, clock, monkeypatch):
    real = accounts.password_matches
    calls = []
    monkeypatch.setattr(accounts, "password_matches", lambda h, p: calls.append(h) or real(h, p))
    answers = {}
    for name, ip in (("leader", "10.9.0.1"), ("no-such-user", "10.9.0.2")):
        seen = []
        for _ in range(accounts.NAME_FREE + 1):
            r = attempt(app, ip, name, "wrong-password")
            body = re.sub(r'name="csrf_token" value="[^"]+"', "", r.get_data(as_text=True)).replace(name, "NAME")
            seen.append((r.status_code, body, r.headers.get("Retry-After")))
        answers[name] = seen
    assert answers["leader"] == answers["no-such-user"]
    # Same work: one scrypt check per attempt that was not refused for waiting, for both.
    assert len(calls) == 2 * accounts.NAME_FREE
    assert all(h.startswith("scrypt:") for h in calls)


def test_a_success_or_a_password_reset_ends_the_names_delay(app, clock):
    ip = "10.3.0.1"
    for _ in range(accounts.NAME_FREE):
        attempt(app, ip, "leader", "wrong-pw")
    assert attempt(app, ip, "leader", PASSWORD).status_code == 429
    assert "leader" in accounts.name_waits(store_of(app), ["leader", "boss"])
    accounts.reset_password(store_of(app), "leader", "a-new-long-pass-9")
    assert accounts.name_waits(store_of(app), ["leader"]) == {}
    assert attempt(app, ip, "leader", "a-new-long-pass-9").status_code == 302


def test_the_sign_in_log_is_bounded(app, clock):
    store = store_of(app)
    for i in range(12):
        store.record_login("x", False, "1.2.3.4", at=clock.now + timedelta(seconds=i), keep_rows=5)
    assert store.login_event_count() == 5
    store.record_login("x", True, "1.2.3.4", at=clock.now + timedelta(days=100))
    assert store.login_event_count() == 1  # the others are older than LOG_KEEP_DAYS


def test_sign_in_works_when_the_log_cannot_be_written(app, clock, caplog):
    """Finding 6 (sign-in part): a read-only database must not stop anyone signing in."""
    engine = store_of(app).engine
    event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA query_only=ON"))
    engine.dispose()  # new connections: read-only from now on
    with caplog.at_level(logging.ERROR, logger="dashboard.auth"):
        c = client_from(app, "10.5.0.1")
        assert login(c, "leader", PASSWORD).status_code == 302
        assert c.get("/_dash-layout").status_code == 200
        assert login(client_from(app, "10.5.0.2"), "leader", "wrong-pw").status_code == 401
    assert "sign-in bookkeeping failed" in caplog.text
    assert store_of(app).login_events() == []  # indeed nothing could be written
