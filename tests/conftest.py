"""Shared fixtures. Browser tests use Debian's Chromium through dash[testing]."""
import itertools
import os
import shutil
import socket
from datetime import datetime, timedelta, timezone

import pytest
from selenium.webdriver.chrome.options import Options

CHROMIUM = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")


def pytest_setup_options():
    """dash[testing] hook: Debian's Chromium, no background traffic, a fixed window."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1366,768", "--lang=zh-CN"):
        options.add_argument(arg)
    return options


# dash[testing] numbers its servers from 58050 upwards, inside Linux's ephemeral range (32768-60999),
# where chromedriver also takes its own port: a test once drew chromedriver's port and the browser
# opened chromedriver instead of the app. Ports from 21000 are outside that range; each is checked
# free on both loopback addresses, because Chromium may resolve "localhost" to ::1.
_PORTS = itertools.count(21000 + os.getpid() % 2000)


def _port_free(port):
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError as error:
                if family == socket.AF_INET6 and error.errno == 99:  # no IPv6 loopback here
                    continue
                return False
    return True


@pytest.fixture(autouse=True)
def _dash_server_port():
    from dash.testing.application_runners import BaseDashRunner

    BaseDashRunner._next_port = next(p for p in _PORTS if _port_free(p))


@pytest.fixture
def demo_app(tmp_path):
    """A fresh app on a temporary SQLite database loaded with the demo dataset."""
    from dashboard import Settings, create_app

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", demo=True, secret_key="test",
                        login_disabled=True)
    return create_app(settings)


class Clock:
    """A settable clock for the sign-in and session rules (accounts.now_utc)."""

    def __init__(self):
        self.now = datetime(2025, 7, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch):
    from dashboard import accounts

    c = Clock()
    monkeypatch.setattr(accounts, "now_utc", c)
    return c


def pytest_sessionfinish(session, exitstatus):
    """End the child processes tests left behind. Dash's DiskcacheManager forks a process per
    background job; forked from this many-threaded test process (servers, browsers), a child can
    deadlock on a lock another thread held at the fork, and multiprocessing's exit handler would
    then wait for it forever: the suite would pass and never end."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass
