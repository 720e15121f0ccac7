"""Load test on loopback: simulated users against gunicorn (the production entry
``wsgi:server`` with gunicorn.conf.py) on PostgreSQL, with sign-in.

    python -m benchmarks.loadtest [--users 20] [--duration 60] [--regions 1000] [--format table|json]

Bounded and self-stopping: every request has a timeout, users stop at the
deadline, and the whole run is abandoned 60 s after it. Binds 127.0.0.1 only.
A throw-away PostgreSQL server is started unless DATABASE_URL names one (then a
database ``loadtest`` is created on it).

Each user signs in once, then repeats, with a random think time in between, one
of: open an overview (page + layout + callbacks), change the quarter, open an
indicator's detail, open the regions ranking (70 % for the latest quarter). Every
HTTP request counts; an error is any status other than 200/204 or a failed request.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import statistics
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests

from . import payloads
from .browser import gunicorn
from .measure import percentile

SCHEME = "anning"
USER, PASSWORD = "loadtest", "load-test-" + secrets.token_hex(4)
ACTIONS = (("overview", 0.3), ("quarter", 0.3), ("detail", 0.25), ("regions", 0.15))
TIMEOUT = 30
LATEST_SHARE = 0.7  # of the ranking views: the latest quarter


@dataclass
class Record:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list = field(default_factory=list)   # (action, ms, ok)
    actions: list = field(default_factory=list)    # (action, ms, ok)
    errors: list = field(default_factory=list)     # first messages

    def add(self, kind: list, action: str, ms: float, ok: bool, why: str = "") -> None:
        with self.lock:
            kind.append((action, ms, ok))
            if not ok and len(self.errors) < 20:
                self.errors.append(f"{action}: {why}")


class SimUser:
    def __init__(self, base: str, regions: list[str], quarters: list[str], indicators: list[str], rec: Record,
                 seed: int, think: float):
        self.base, self.regions, self.quarters, self.indicators = base, regions, quarters, indicators
        self.rec, self.rng, self.think = rec, random.Random(seed), think
        self.http = requests.Session()
        self.http.headers["Accept-Encoding"] = "gzip"
        self.cb: payloads.Callbacks | None = None
        self.view = (regions[0], quarters[-1])

    def _call(self, action: str, method: str, path: str, **kw) -> requests.Response | None:
        t = time.perf_counter()
        try:
            r = self.http.request(method, self.base + path, timeout=TIMEOUT, **kw)
            ok, why = r.status_code in (200, 204), f"HTTP {r.status_code} {path}"
        except requests.RequestException as exc:
            r, ok, why = None, False, f"{type(exc).__name__} {path}"
        self.rec.add(self.rec.requests, action, (time.perf_counter() - t) * 1000, ok, why)
        return r if ok else None

    def sign_in(self) -> None:
        page = self.http.get(self.base + "/login", timeout=TIMEOUT)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        r = self.http.post(self.base + "/login", timeout=TIMEOUT, allow_redirects=False,
                           data={"username": USER, "password": PASSWORD, "csrf_token": token.group(1) if token else ""})
        if r.status_code != 302:
            raise RuntimeError(f"sign-in failed: HTTP {r.status_code}")
        self.cb = payloads.Callbacks(self.http.get(self.base + "/_dash-dependencies", timeout=TIMEOUT).json())

    def _post(self, action: str, body) -> bool:
        ok = True
        for b in body if isinstance(body, list) else [body]:
            ok &= self._call(action, "POST", payloads.UPDATE_PATH, json=b) is not None
        return ok

    def _page(self, action: str, path: str, search: str, marker: str) -> bool:
        """What a browser asks for on opening a page: the HTML, then the layout (preloaded,
        with the page as Referer, so it carries the page: ``marker`` is an id in it) and the
        callback graph."""
        ok = self._call(action, "GET", path + search) is not None
        layout = self._call(action, "GET", "/_dash-layout", headers={"Referer": self.base + path + search})
        ok &= layout is not None and marker in layout.text
        return ok & (self._call(action, "GET", "/_dash-dependencies") is not None)

    def act(self, action: str) -> bool:
        region, quarter = self.view
        if action == "overview":
            region, quarter = self.rng.choice(self.regions), self.rng.choice(self.quarters)
            self.view = (region, quarter)
            search = "?" + urlencode({"scheme": SCHEME, "region": region, "q": quarter})
            ok = self._page(action, "/", search, "ov-board")
            # The board comes with the layout; the figures' callback is the initial one.
            return ok & self._post(action, payloads.overview(self.cb, SCHEME, region, quarter)[1])
        if action == "quarter":
            quarter = self.rng.choice(self.quarters)
            self.view = (region, quarter)
            return self._post(action, payloads.overview(self.cb, SCHEME, region, quarter))
        if action == "detail":
            ind = self.rng.choice(self.indicators)
            search = "?" + urlencode({"region": region, "q": quarter})
            ok = self._page(action, f"/indicator/{ind}", search, "dt-chart")
            return ok & self._post(action, payloads.detail(self.cb, ind, region, quarter))
        # The ranking is mostly watched for the latest quarter; sometimes an earlier one.
        quarter = self.quarters[-1] if self.rng.random() < LATEST_SHARE else self.rng.choice(self.quarters)
        ok = self._page(action, "/regions", f"?scheme={SCHEME}&q={quarter}", "rn-table")
        return ok & self._post(action, payloads.regions(self.cb, SCHEME, quarter, page=self.rng.randint(1, 3)))

    def run(self, deadline: float, each_action: bool = False) -> None:
        """Random actions until ``deadline``; with ``each_action`` every kind once first, however
        long that takes (the smoke test checks every path, whatever the machine's speed)."""
        names, weights = zip(*ACTIONS)
        first = list(names) if each_action else []
        while first or time.monotonic() < deadline:
            action = first.pop(0) if first else self.rng.choices(names, weights)[0]
            t = time.perf_counter()
            ok = self.act(action)
            self.rec.add(self.rec.actions, action, (time.perf_counter() - t) * 1000, ok, "action failed")
            pause = self.rng.uniform(0, 2 * self.think)
            if pause:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))


class CpuMeter:
    """CPU seconds spent while the users run by this process (the load generator), the gunicorn
    processes, the PostgreSQL server's backends and its background processes (autovacuum
    after the bulk load, checkpointer) and the whole machine (/proc/stat), so that a run says
    what the requests cost and what else ran meanwhile. Processes are sampled every half
    second from a thread, so one that ends meanwhile (an autovacuum worker) still counts."""

    PERIOD = 0.5

    def __init__(self, pg_port: int | None):
        import psutil

        self.psutil, self.pg_port = psutil, pg_port
        self.first: dict = {}   # pid -> (kind, CPU s when first seen; 0 if it started after us)
        self.last: dict = {}    # pid -> CPU s when last seen
        self.machine0, self.t0 = self._machine(), time.monotonic()
        self._sample(initial=True)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _machine(self) -> float:
        t = self.psutil.cpu_times()
        return t.user + t.system + getattr(t, "nice", 0) + getattr(t, "irq", 0) + getattr(t, "softirq", 0)

    def _procs(self):
        me = self.psutil.Process()
        yield "load generator", me
        for p in me.children(recursive=True):
            yield "gunicorn", p
        if self.pg_port:
            for p in self.psutil.process_iter(["name", "cmdline"]):
                cmd = " ".join(p.info["cmdline"] or [])
                if p.info["name"] == "postgres" and f"-p {self.pg_port} " in cmd + " ":
                    yield "postgresql other", p
                    for c in p.children():
                        try:
                            title = " ".join(c.cmdline())
                        except self.psutil.Error:
                            continue
                        kind = ("postgresql autovacuum" if "autovacuum" in title else
                                "postgresql backends" if title.startswith("postgres: postgres ") else
                                "postgresql other")
                        yield kind, c
                    break

    def _sample(self, initial: bool = False) -> None:
        for kind, p in self._procs():
            try:
                t = p.cpu_times()
            except self.psutil.Error:
                continue
            used = t.user + t.system
            if p.pid not in self.first:
                self.first[p.pid] = (kind, used if initial else 0.0)
            self.last[p.pid] = used

    def _loop(self) -> None:
        while not self.done.wait(self.PERIOD):
            self._sample()

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        self._sample()
        wall, machine = time.monotonic() - self.t0, self._machine() - self.machine0
        kinds = ("load generator", "gunicorn", "postgresql backends", "postgresql autovacuum", "postgresql other")
        used = dict.fromkeys(kinds, 0.0)
        for pid, (kind, start) in self.first.items():
            used[kind] += self.last[pid] - start
        out = {"wall_s": round(wall, 1), "cores": len(os.sched_getaffinity(0)),
               **{k.replace(" ", "_") + "_s": round(v, 1) for k, v in used.items()},
               "machine_s": round(machine, 1), "rest_of_machine_s": round(machine - sum(used.values()), 1)}
        return out


def _stats(samples: list[tuple]) -> dict:
    ms = [m for _, m, _ in samples]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1),
            "errors": sum(1 for _, _, ok in samples if not ok)}


def run(args) -> dict:
    from dashboard import accounts
    from data.db import make_engine
    from data.store import Store
    from indicators.registry import load_registry

    from . import synthetic
    from .pgserver import admin, fresh_database, throwaway_postgres

    registry = load_registry()
    with ExitStack() as stack:
        server = os.environ.get("DATABASE_URL", "")
        if not server.startswith(("postgres://", "postgresql")):
            server = stack.enter_context(throwaway_postgres())
        url = fresh_database(server, "loadtest")
        print(f"loading {args.regions} regions ...", file=sys.stderr, flush=True)
        ds = synthetic.build(url, registry, args.regions, args.quarters)
        # What autovacuum does within a minute or two of a bulk load (planner statistics, hint
        # bits, visibility map): without it the first minute's rankings ran with plans for empty
        # tables and PostgreSQL took 8–13 ms of CPU per request instead of 3 (docs/performance.md,
        # "Load test: cost per request"). The load test measures serving, not that minute.
        admin(url, "VACUUM (ANALYZE)")
        store = Store(make_engine(url))
        store.add_user(USER, "viewer", password_hash=accounts.hash_password(PASSWORD), display_name="负载测试")
        store.dispose()
        env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)}
        workers = args.workers or None
        with gunicorn("wsgi:server", env, workers=workers or _default_workers()) as base:
            rec = Record()
            quarters = [str(q) for q in ds.quarters]
            inds = [i.id for i in registry.scheme_indicators(SCHEME)]
            users = [SimUser(base, ds.regions, quarters, inds, rec, seed=i, think=args.think)
                     for i in range(args.users)]
            for u in users:
                u.sign_in()
            print(f"{args.users} users for {args.duration} s against {base} ...", file=sys.stderr, flush=True)
            cpu = CpuMeter(urlsplit(url).port)
            start = time.monotonic()
            deadline = start + args.duration
            threads = [threading.Thread(target=u.run, args=(deadline, args.each_action), daemon=True)
                       for u in users]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=max(0.0, deadline + 60 - time.monotonic()))
            elapsed = time.monotonic() - start
            cpu_s = cpu.stop()
            stuck = sum(t.is_alive() for t in threads)
    by_action = {a: _stats([x for x in rec.actions if x[0] == a]) for a, _ in ACTIONS}
    return {
        "users": args.users, "duration_s": round(elapsed, 1), "think_s": args.think, "regions": args.regions,
        "quarters": args.quarters, "mix": dict(ACTIONS), "ranking_latest_share": LATEST_SHARE,
        "backend": "postgresql", "workers": workers or _default_workers(), "stuck_users": stuck,
        "requests": len(rec.requests), "throughput_rps": round(len(rec.requests) / elapsed, 1),
        "actions": len(rec.actions), "actions_per_s": round(len(rec.actions) / elapsed, 2),
        "request": _stats(rec.requests), "action": by_action,
        "errors": sum(1 for _, _, ok in rec.requests if not ok), "error_samples": rec.errors,
        "cpu": {**cpu_s, **{f"{k}_ms_per_request": round(cpu_s[f"{k}_s"] * 1000 / max(1, len(rec.requests)), 1)
                            for k in ("load_generator", "gunicorn", "postgresql_backends")}},
    }


def _default_workers() -> int:
    import runpy
    from pathlib import Path

    return runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))["workers"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.loadtest", description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    ap.add_argument("--regions", type=int, default=1000)
    ap.add_argument("--quarters", type=int, default=16)
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between actions, s (default 1)")
    ap.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    ap.add_argument("--each-action", action="store_true",
                    help="every user does each kind of action once before the random mix (smoke tests)")
    ap.add_argument("--format", choices=("json", "table"), default="table")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args(argv)
    if not (1 <= args.users <= 200 and 1 <= args.duration <= 3600):
        ap.error("--users 1..200, --duration 1..3600")
    out = run(args)
    text = json.dumps(out, ensure_ascii=False, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    if args.format == "json":
        print(text)
    else:
        r = out["request"]
        print(f"{out['users']} users, {out['duration_s']} s, {out['workers']} workers, {out['regions']} regions "
              f"(PostgreSQL): {out['requests']} requests, {out['throughput_rps']} req/s, "
              f"p50 {r.get('p50_ms')} ms, p95 {r.get('p95_ms')} ms, errors {out['errors']}")
        for a, s in out["action"].items():
            print(f"  {a:9s} n={s['n']:5d}  p50 {s.get('p50_ms')} ms  p95 {s.get('p95_ms')} ms  errors {s.get('errors')}")
    return 0 if out["errors"] == 0 and out["stuck_users"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
