"""CPU time per request of the load test, by kind, in one process:

    python -m benchmarks.request_cost [--regions 1000] [--actions 300] [--url URL] [--format table|json]

The load test's own simulated user (:class:`benchmarks.loadtest.SimUser`: the same
HTML, ``_dash-layout`` with Referer, ``_dash-dependencies`` and callbacks) drives the
app through Flask's test client instead of HTTP, with the production settings
(gunicorn.conf.py's ``settle``, compression, sign-in). Each request's thread CPU time
is taken around the app's WSGI call, so other processes on the machine do not count
(wall time under load does). Reported per request kind: CPU mean / p50 / p95 and the
bytes sent (compressed); per action, the CPU of all its requests; and the CPU the
load test's mix costs per request. gunicorn's own HTTP work is not in it.

Without ``--url`` a throw-away PostgreSQL server gets the synthetic province;
``--url`` reuses a database that the load test's loading left (``synthetic.build``).
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

from .measure import percentile

BASE = "http://localhost"  # the test client's host: the Referer must name it


@dataclass
class Cost:
    samples: dict = field(default_factory=dict)   # kind -> [(cpu_ms, bytes, database_cpu_ms)]
    current: str = ""                             # the action being run
    postmaster: object = None                     # psutil.Process of the database server, if known

    def add(self, kind: str, cpu_ms: float, size: int, db_ms: float) -> None:
        self.samples.setdefault(kind, []).append((cpu_ms, size, db_ms))

    def database_cpu_s(self) -> float:
        """CPU seconds of the PostgreSQL server's processes so far (clock ticks of 10 ms: only
        a mean over many requests means something)."""
        if self.postmaster is None:
            return 0.0
        total = 0.0
        for p in [self.postmaster, *self.postmaster.children()]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except Exception:  # noqa: BLE001 - a backend that just ended
                pass
        return total


class _Response:
    """What SimUser reads of a ``requests`` response."""

    def __init__(self, resp):
        self.status_code = resp.status_code
        self.headers = resp.headers
        raw = resp.get_data()
        self.size = len(raw)
        self.content = gzip.decompress(raw) if resp.headers.get("Content-Encoding") == "gzip" else raw

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.content)


def _kind(method: str, path: str, body) -> str:
    if path.startswith("/_dash-layout"):
        return "layout"
    if path.startswith("/_dash-dependencies"):
        return "dependencies"
    if path.startswith("/_dash-update-component") and isinstance(body, dict):
        out = body.get("output", "")
        return "callback " + (out.strip(".").split(".", 1)[0] if out else "?")
    if path.startswith("/login"):
        return f"{method} /login"
    return "page HTML"


class TestClientSession:
    """The part of ``requests.Session`` SimUser uses, on Flask's test client; times each call."""

    def __init__(self, client, cost: Cost):
        self.client, self.cost, self.headers = client, cost, {}

    def request(self, method, url, timeout=None, headers=None, json=None, data=None, allow_redirects=True):
        path = url[len(BASE):] if url.startswith(BASE) else url
        hdrs = {**self.headers, **(headers or {})}
        db = self.cost.database_cpu_s()
        t = time.thread_time()
        resp = self.client.open(path, method=method, headers=hdrs, json=json, data=data,
                                follow_redirects=allow_redirects)
        resp.get_data()  # a streamed body is produced here
        cpu = (time.thread_time() - t) * 1000
        db = (self.cost.database_cpu_s() - db) * 1000
        out = _Response(resp)
        action = self.cost.current
        if action:
            self.cost.add(f"{action}: {_kind(method, path, json)}", cpu, out.size, db)
        return out

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)


def _stats(samples: list) -> dict:
    cpu = [c for c, _, _ in samples]
    return {"n": len(cpu), "cpu_mean_ms": round(statistics.fmean(cpu), 2),
            "cpu_p50_ms": round(statistics.median(cpu), 2), "cpu_p95_ms": round(percentile(cpu, 95), 2),
            "database_cpu_mean_ms": round(statistics.fmean(d for _, _, d in samples), 1),
            "bytes_mean": round(statistics.fmean(s for _, s, _ in samples))}


def _postmaster(url: str):
    """The PostgreSQL server listening on ``url``'s port on this machine, or None."""
    import psutil
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if not u.drivername.startswith("postgresql") or u.host not in ("127.0.0.1", "localhost"):
        return None
    for p in psutil.process_iter(["name", "cmdline"]):
        if p.info["name"] == "postgres" and f"-p {u.port} " in " ".join(p.info["cmdline"] or []) + " ":
            return p
    return None


def measure(url: str, registry, regions: list[str], quarters: list[str], actions: int, seed: int = 7) -> dict:
    from dashboard import Settings, accounts, create_app
    from data.db import make_engine
    from data.store import Store

    from . import loadtest
    from .measure import settle

    store = Store(make_engine(url))
    if store.get_user(loadtest.USER) is None:
        store.add_user(loadtest.USER, "viewer", password_hash=accounts.hash_password(loadtest.PASSWORD),
                       display_name="负载测试")
    else:
        store.update_user(loadtest.USER, password_hash=accounts.hash_password(loadtest.PASSWORD))
    store.dispose()
    app = create_app(Settings(database_url=url, secret_key="k" * 40, demo=False))
    settle()
    cost = Cost(postmaster=_postmaster(url))
    rec = loadtest.Record()
    inds = [i.id for i in registry.scheme_indicators(loadtest.SCHEME)]
    user = loadtest.SimUser(BASE, regions, quarters, inds, rec, seed=seed, think=0)
    user.http = TestClientSession(app.server.test_client(), cost)
    user.http.headers["Accept-Encoding"] = "gzip"
    user.sign_in()
    names, weights = zip(*loadtest.ACTIONS)
    # Warm-up: every kind a few times (first requests build per-process caches), not counted.
    for name in names * 3:
        user.act(name)
    cost.samples.clear()
    per_action: dict = {}
    rng = random.Random(seed)
    for _ in range(actions):
        name = rng.choices(names, weights)[0]
        cost.current = name
        t = time.thread_time()
        if not user.act(name):
            raise RuntimeError(f"{name} failed: {rec.errors[-1:]}")
        per_action.setdefault(name, []).append((time.thread_time() - t) * 1000)
        cost.current = ""
    every = [c for s in cost.samples.values() for c, _, _ in s]
    db = [d for s in cost.samples.values() for _, _, d in s]
    return {
        "regions": len(regions), "actions": actions,
        "requests": {k: _stats(v) for k, v in sorted(cost.samples.items())},
        "action_cpu_mean_ms": {k: round(statistics.fmean(v), 1) for k, v in per_action.items()},
        "cpu_per_request_ms": round(statistics.fmean(every), 2),
        "database_cpu_per_request_ms": round(statistics.fmean(db), 2),
        "requests_per_action": round(len(every) / actions, 2),
    }


def run(args) -> dict:
    from indicators.registry import load_registry

    from . import synthetic
    from .pgserver import fresh_database, throwaway_postgres

    registry = load_registry()
    with ExitStack() as stack:
        if args.url:
            url = args.url
        else:
            url = fresh_database(stack.enter_context(throwaway_postgres()), "requestcost")
            print(f"loading {args.regions} regions ...", file=sys.stderr, flush=True)
            synthetic.build(url, registry, args.regions, args.quarters)
        regions = [synthetic.region_name(i) for i in range(1, args.regions + 1)]
        quarters = [str(q) for q in synthetic.quarters_for(registry, args.quarters)]
        return measure(url, registry, regions, quarters, args.actions)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.request_cost", description=__doc__.split("\n\n")[0])
    ap.add_argument("--regions", type=int, default=1000)
    ap.add_argument("--quarters", type=int, default=16)
    ap.add_argument("--actions", type=int, default=300)
    ap.add_argument("--url", help="a database the synthetic province was loaded into (with --regions/--quarters)")
    ap.add_argument("--format", choices=("json", "table"), default="table")
    args = ap.parse_args(argv)
    out = run(args)
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"{out['regions']} regions, {out['actions']} actions: CPU per request {out['cpu_per_request_ms']} ms "
          f"(mix of the load test, {out['requests_per_action']} requests per action)")
    print(f"database CPU per request {out['database_cpu_per_request_ms']} ms")
    print(f"{'request (CPU ms of the app; of the database)':42s} {'n':>5s} {'mean':>8s} {'p50':>8s} {'p95':>8s} "
          f"{'db mean':>8s} {'bytes':>9s}")
    for k, s in out["requests"].items():
        print(f"{k:42s} {s['n']:5d} {s['cpu_mean_ms']:8.2f} {s['cpu_p50_ms']:8.2f} {s['cpu_p95_ms']:8.2f} "
              f"{s['database_cpu_mean_ms']:8.1f} {s['bytes_mean']:9d}")
    for k, v in out["action_cpu_mean_ms"].items():
        print(f"  action {k}: {v} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
