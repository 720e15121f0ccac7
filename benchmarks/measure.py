"""One benchmark configuration, run in its own process so that cold start and
peak RSS are those of a fresh server process:

    python -m benchmarks.measure --url URL --t0 EPOCH --calls 30

Prints one JSON object. Callbacks are timed server-side through Flask's test
client (the full Dash request path: JSON decoding, callback, serialisation,
compression), without a network in between.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import runpy
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

SCHEME = "anning"
ROOT = Path(__file__).resolve().parent.parent
ACCEPT = {"Accept-Encoding": "gzip, deflate, br"}


def settle() -> None:
    """gunicorn.conf.py's post-load step, so the benchmark measures the production set-up."""
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["settle"]()


def peak_rss_mb() -> float:
    """Peak resident set of this process. VmHWM, not getrusage: Linux carries ru_maxrss
    over exec, so a child of a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (no interpolation: with 30 samples p95 is the 29th)."""
    xs = sorted(samples)
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[int(k)]


def _timed(n: int, call: Callable[[int], None]) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def _ms(samples: list[float]) -> dict:
    return {"p50": round(statistics.median(samples), 2), "p95": round(percentile(samples, 95), 2),
            "max": round(max(samples), 2), "n": len(samples)}


def run(url: str, t0: float, calls: int, seed: int, regions_page: bool) -> dict:
    from dashboard import Settings, create_app

    from . import payloads

    app = create_app(Settings(database_url=url, secret_key="bench", login_disabled=True))
    settle()  # what gunicorn.conf.py's post_worker_init does in production
    client = app.server.test_client()
    cb = payloads.Callbacks(client.get("/_dash-dependencies").get_json())
    service = app.server.extensions["monitor"]["service"]
    regions = service.regions(SCHEME)
    quarters = [str(q) for q in service.quarters(SCHEME, regions[0])]
    rng = random.Random(seed)

    def post(body) -> None:
        for b in body if isinstance(body, list) else [body]:
            r = client.post(payloads.UPDATE_PATH, json=b, headers=ACCEPT)
            if r.status_code != 200:
                raise RuntimeError(f"{b['output'][:60]}: HTTP {r.status_code} {r.data[:300]!r}")

    post(payloads.overview(cb, SCHEME, rng.choice(regions), quarters[-1]))
    cold_start = time.time() - t0

    # Every call a random region and quarter: mostly cold per-indicator caches, as for
    # an office clicking through its counties.
    overview = _timed(calls, lambda i: post(payloads.overview(cb, SCHEME, rng.choice(regions), rng.choice(quarters))))
    inds = service.indicators(SCHEME)
    post(payloads.detail(cb, inds[0].id, regions[0], quarters[-1]))  # first detail: lazy imports
    detail = _timed(calls, lambda i: post(payloads.detail(cb, rng.choice(inds).id, rng.choice(regions),
                                                          rng.choice(quarters))))
    store = service.store
    numeric = [i for i in inds if i.kind.value != "milestone"]

    def save(i: int) -> None:
        ind, region, q = rng.choice(numeric), rng.choice(regions), rng.choice(quarters[:-1])
        row = store.observation(ind.id, region, q)
        old = row.value if row and row.value is not None else 0.0
        new = round(old - 1 if (ind.unit == "%" and old >= 99) else old + 1, ind.decimals)
        t = time.perf_counter()
        store.save_value(ind, region, q, new, row.note if row else "", "benchmark", row.version if row else None,
                         reason="基准测试")
        saves.append((time.perf_counter() - t) * 1000)

    saves: list[float] = []
    for i in range(calls):
        save(i)

    out = {"cold_start_s": round(cold_start, 3), "overview": _ms(overview), "detail": _ms(detail),
           "save": _ms(saves)}
    if regions_page:
        q = quarters[-2]
        t = time.perf_counter()
        post(payloads.regions(cb, SCHEME, q))
        first = (time.perf_counter() - t) * 1000
        warm = _timed(calls, lambda i: post(payloads.regions(cb, SCHEME, q, page=1 + i % 3)))
        out["regions_page"] = {"first_ms": round(first, 1), **_ms(warm)}
    out["rss_mb"] = peak_rss_mb()
    out["regions"] = len(regions)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.measure")
    ap.add_argument("--url", required=True)
    ap.add_argument("--t0", type=float, required=True, help="time.time() when the parent started this process")
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-regions-page", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.url, args.t0, args.calls, args.seed, not args.no_regions_page)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
