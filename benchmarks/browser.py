"""Page-ready time in headless Chromium: the overview against a hello-world Dash
page (as Dash serves it, and with the monitor's response headers), in the same
browser run, all served by gunicorn with gunicorn.conf.py.

"Ready" is measured inside the page: a MutationObserver, installed before any
page script runs (CDP Page.addScriptToEvaluateOnNewDocument), records
``performance.now()`` (ms since navigation start) when the overview board's
first light (``#ov-board [data-status]``) or the hello page's text appears.
Polling from Python only collects the number, so its interval does not count.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode

from .apps import HELLO_ID

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BENCH_CHROMEDRIVER", "/usr/bin/chromedriver")
READY_SELECTOR = "#ov-board [data-status]"

OBSERVER_JS = """
(function () {
  window.__ready = null;
  function ready() {
    if (document.querySelector(%(board)s)) return true;
    var h = document.getElementById(%(hello)s);
    return !!(h && h.textContent.trim());
  }
  var obs = new MutationObserver(function () {
    if (window.__ready === null && ready()) { window.__ready = performance.now(); obs.disconnect(); }
  });
  obs.observe(document, {childList: true, subtree: true, characterData: true});
})();
""" % {"board": repr(READY_SELECTOR), "hello": repr(HELLO_ID)}


@contextmanager
def browser_lock() -> Iterator[None]:
    """Hold the file lock BENCH_BROWSER_LOCK names (if any) while Chromium runs: on a shared
    machine browser runs must not overlap, but the rest of the benchmark need not wait."""
    path = os.environ.get("BENCH_BROWSER_LOCK")
    if not path:
        yield
        return
    import fcntl

    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 1) -> Iterator[str]:
    """Serve ``app_spec`` (e.g. "benchmarks.apps:hello()") on 127.0.0.1; yield its base URL."""
    port = _free_port()
    full = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers),
            "GUNICORN_ACCESSLOG": "", "GUNICORN_LOGLEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app_spec],
                            cwd=str(ROOT), env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {proc.stderr.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not up after {timeout:.0f} s")


def chrome(width: int = 1366, height: int = 768):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--disable-component-update", "--no-first-run", "--lang=zh-CN",
                f"--window-size={width},{height}"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def _ready_ms(driver, url: str, timeout: float = 60) -> float:
    driver.get(url)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = driver.execute_script("return window.__ready")
        if v is not None:
            return float(v)
        time.sleep(0.02)
    raise RuntimeError(f"{url}: not ready after {timeout:.0f} s")


SETTLE_S = 0.5


def _rest(driver, settle: float) -> None:
    """Leave the page for about:blank, then wait: the next measured load neither tears
    down the previous page (which would count in its time) nor shares the CPU with it."""
    driver.get("about:blank")
    time.sleep(settle)


# The apps of compare(): key -> gunicorn app spec (the monitor's gets BENCH_DATABASE_URL).
COMPARED = {"page": "benchmarks.apps:monitor()", "hello": "benchmarks.apps:hello()",
            "hello_headers": "benchmarks.apps:hello_with_headers()"}


def compare(database_url: str, regions: list[str], quarter: str, loads: int = 5, settle: float = SETTLE_S) -> dict:
    """Median page-ready of the overview, of Dash's hello world and of hello world served with the
    monitor's response headers, over ``loads`` loads each (after one unmeasured warm-up round), in
    one browser. The order of the three is rotated on every round, so that each follows each of the
    others equally often: which page came before decides whether Chromium can reuse a renderer
    process (Cross-Origin-Opener-Policy, docs/performance.md).

    After each load the browser goes to about:blank and rests ``settle`` seconds, so
    that no page is measured while the previous one still works or is torn down (the
    overview's figures load plotly.js and call the server after the board is ready;
    without the rest that work fell on the following hello-world load and flattered
    the ratio).

    ``page_ready_ratio_same_headers`` (page / hello world with the same headers) is the target's
    figure; ``page_ready_ratio`` (page / Dash's hello world) is the one measured before, and
    ``headers_ratio`` what the headers alone cost hello world."""
    samples: dict[str, list[float]] = {k: [] for k in COMPARED}
    with ExitStack() as stack:
        urls = {k: stack.enter_context(gunicorn(spec, {"BENCH_DATABASE_URL": database_url} if k == "page" else {}))
                for k, spec in COMPARED.items()}
        driver = chrome()
        stack.callback(driver.quit)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER_JS})
        keys = list(COMPARED)
        for i in range(loads + 1):
            # A different region on every load: the server computes it afresh.
            region = regions[(i * 7919) % len(regions)]
            page_url = urls["page"] + "/?" + urlencode({"scheme": "anning", "region": region, "q": quarter})
            for k in keys[i % len(keys):] + keys[:i % len(keys)]:
                ms = _ready_ms(driver, page_url if k == "page" else urls[k] + "/")
                _rest(driver, settle)
                if i:  # the first round warms the browser cache and the servers
                    samples[k].append(ms)
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {"page_ready_ms": round(med["page"], 1), "hello_ready_ms": round(med["hello"], 1),
            "hello_headers_ready_ms": round(med["hello_headers"], 1),
            "page_ready_ratio_same_headers": round(med["page"] / med["hello_headers"], 2),
            "page_ready_ratio": round(med["page"] / med["hello"], 2),
            "headers_ratio": round(med["hello_headers"] / med["hello"], 2),
            "page_ready_samples": [round(x, 1) for x in samples["page"]],
            "hello_ready_samples": [round(x, 1) for x in samples["hello"]],
            "hello_headers_ready_samples": [round(x, 1) for x in samples["hello_headers"]]}


def dash_floor(loads: int = 15, settle: float = SETTLE_S) -> dict:
    """Median page-ready of the same text as plain HTML, as Dash's hello world and as hello world
    with the overview's Dash components (``benchmarks.apps``), alternating as in :func:`compare`.
    hello / plain is Dash's own start-up (renderer, React, the layout and dependencies
    requests); hello_dcc / hello what the overview's Dash components add to it."""
    apps = ("plain", "hello", "hello_dcc")
    samples: dict[str, list[float]] = {a: [] for a in apps}
    with gunicorn("benchmarks.apps:plain()", {}) as plain, gunicorn("benchmarks.apps:hello()", {}) as hello, \
            gunicorn("benchmarks.apps:hello_dcc()", {}) as hello_dcc:
        urls = {"plain": plain, "hello": hello, "hello_dcc": hello_dcc}
        driver = chrome()
        try:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER_JS})
            for i in range(loads + 1):
                for a in apps:
                    ms = _ready_ms(driver, urls[a] + "/")
                    _rest(driver, settle)
                    if i:   # the first round warms the browser cache and the servers
                        samples[a].append(ms)
        finally:
            driver.quit()
    med = {a: statistics.median(samples[a]) for a in apps}
    return {**{f"{a}_ready_ms": round(med[a], 1) for a in apps},
            "dash_floor_ratio": round(med["hello"] / med["plain"], 2),
            "dcc_ratio": round(med["hello_dcc"] / med["hello"], 2),
            **{f"{a}_samples": [round(x, 1) for x in samples[a]] for a in apps}}


if __name__ == "__main__":
    # python -m benchmarks.browser [loads]: plain HTML, Dash's hello world, and with the overview's components.
    import json

    with browser_lock():
        out = dash_floor(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    print(json.dumps(out, indent=2))
