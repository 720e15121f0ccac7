"""python -m benchmarks --regions 1,100,1000 [--backend sqlite|postgresql|sqlite,postgresql] [--extra postgresql:3000]
                     [--browser-runs 10] [--loadtest-json FILE] --format json|table

For each backend and region count: a fresh database with synthetic data
(regions × the Anning indicators × quarters), then one fresh process measures
cold start, the overview / detail callbacks and saves (p50, p95), the regions
page and its peak RSS. Then headless Chromium compares the overview's page-ready
time with a hello-world Dash page's, on the largest dataset of the first backend.

PostgreSQL: a throw-away server is started (and removed) unless DATABASE_URL
names one; then databases ``bench_<n>`` are created on it (needs CREATEDB).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
# Done when the JSON meets these (issue 19, "National scale: 3,000 regions"):
# (key of a results row, backend or None for any, regions, limit, text).
TARGETS = [
    ("regions_page_first_ms", "sqlite", 1000, 300.0, "地区排名 first request of a quarter ≤ 300 ms at 1,000 regions"),
    ("regions_page_first_ms", "postgresql", 1000, 300.0,
     "地区排名 first request of a quarter ≤ 300 ms at 1,000 regions"),
    ("regions_page_first_ms", "postgresql", 3000, 600.0,
     "地区排名 first request of a quarter ≤ 600 ms at 3,000 regions"),
    ("overview_p95_ms", "sqlite", 100, 50.0, "overview p95 ≤ 50 ms at 100 regions"),
    ("overview_p95_ms", "postgresql", 3000, 100.0, "overview p95 ≤ 100 ms at 3,000 regions"),
    ("rss_mb", None, 3000, 400.0, "peak RSS per worker ≤ 400 MB at 3,000 regions"),
    ("bulk_s", "postgresql", 3000, 60.0, "bulk load of 3,000 regions (values and snapshot, one transaction) ≤ 60 s"),
    ("load_s", "postgresql", 3000, 60.0, "bulk load of 3,000 regions with the status snapshot ≤ 60 s"),
]
PAGE_RATIO_TARGET = 1.2
LOADTEST_TARGET = (150.0, 1000, "load test p95 ≤ 150 ms, 20 users, 1,000 regions")


def _ints(text: str) -> list[int]:
    out = [int(x) for x in text.split(",") if x.strip()]
    if not out or any(n < 1 for n in out):
        raise argparse.ArgumentTypeError("expected e.g. 1,100,1000")
    return out


def _backends(text: str) -> list[str]:
    out = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in out if x not in BACKENDS]
    if not out or bad:
        raise argparse.ArgumentTypeError(f"backend must be one of {', '.join(BACKENDS)} (comma-separated)")
    return out


def _extra(text: str) -> tuple[str, int]:
    backend, _, n = text.partition(":")
    if backend not in BACKENDS or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError("expected backend:regions, e.g. postgresql:3000")
    return backend, int(n)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--regions", type=_ints, default=[1, 100, 1000], help="region counts, e.g. 1,100,1000")
    ap.add_argument("--backend", type=_backends, default=["sqlite"], help="sqlite, postgresql or both: sqlite,postgresql")
    ap.add_argument("--format", choices=("json", "table"), default="table")
    ap.add_argument("--quarters", type=int, default=16, help="quarters of data per region (default 16)")
    ap.add_argument("--calls", type=int, default=30, help="timed calls per callback (default 30)")
    ap.add_argument("--loads", type=int, default=15, help="browser loads per page (default 15, median)")
    ap.add_argument("--extra", type=_extra, action="append", default=[],
                    help="more points for one backend, e.g. postgresql:3000 (repeatable)")
    ap.add_argument("--browser-runs", type=int, default=1,
                    help="page-ready comparisons to run (default 1; the issue's figure: median of 10)")
    ap.add_argument("--loadtest-json", help="a `python -m benchmarks.loadtest --format json` result to check too")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium page-ready comparison")
    ap.add_argument("--out", help="also write the JSON to this file")
    args = ap.parse_args(argv)
    if args.quarters < 2 or args.calls < 1 or args.loads < 1 or args.browser_runs < 1:
        ap.error("--quarters ≥ 2, --calls ≥ 1, --loads ≥ 1, --browser-runs ≥ 1")
    return args


def machine() -> dict:
    def cpu_model() -> str:
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or platform.machine()

    def mem_gb() -> float:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
        except OSError:
            pass
        return 0.0

    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "-"

    chromium = "-"
    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                                  timeout=20).stdout.strip() or "-"
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {
        "nproc": os.cpu_count(), "memory_gb": mem_gb(), "cpu": cpu_model(), "os": platform.platform(),
        "python": platform.python_version(), "chromium": chromium,
        "packages": {p: version(p) for p in ("dash", "Flask", "Flask-Compress", "plotly", "SQLAlchemy", "psycopg",
                                             "gunicorn", "selenium")},
    }


def _measure(url: str, calls: int) -> dict:
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.measure", "--url", url, "--t0", repr(t0),
                           "--calls", str(calls)], cwd=str(ROOT), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pg_server(stack: ExitStack) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        return url
    from .pgserver import throwaway_postgres

    return stack.enter_context(throwaway_postgres())


def run(args: argparse.Namespace, log=lambda msg: print(msg, file=sys.stderr, flush=True)) -> dict:
    from indicators.periods import Quarter
    from indicators.registry import load_registry

    from . import synthetic

    registry = load_registry()
    results: list[dict] = []
    browser: dict = {"page_ready_ms": None, "hello_ready_ms": None, "hello_headers_ready_ms": None,
                     "page_ready_ratio_same_headers": None, "page_ready_ratio": None}
    with ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="bench-"))
        stack.callback(shutil.rmtree, tmp, True)
        points = [(b, n) for b in args.backend for n in args.regions]
        points += [p for p in args.extra if p not in points]
        servers: dict = {}
        browser_at = (args.backend[0], max(args.regions))
        for backend, n in points:
            if backend == "postgresql" and backend not in servers:
                servers[backend] = _pg_server(stack)
            server = servers.get(backend)
            if backend == "sqlite":
                url = f"sqlite:///{tmp / f'bench_{n}.db'}"
            else:
                from .pgserver import fresh_database

                url = fresh_database(server, f"bench_{n}")
            log(f"[{backend} {n} regions] loading synthetic data ...")
            t = time.perf_counter()
            ds = synthetic.build(url, registry, n, args.quarters)
            load_s = time.perf_counter() - t
            log(f"[{backend} {n} regions] {ds.summary.observations:,} values and the status snapshot in "
                f"{ds.bulk_s:.1f} s (one bulk load); measuring ...")
            m = _measure(url, args.calls)
            row = {
                "regions": n, "backend": backend,
                "overview_p50_ms": m["overview"]["p50"], "overview_p95_ms": m["overview"]["p95"],
                "detail_p50_ms": m["detail"]["p50"], "detail_p95_ms": m["detail"]["p95"],
                "save_p50_ms": m["save"]["p50"], "save_p95_ms": m["save"]["p95"],
                "cold_start_s": m["cold_start_s"], "rss_mb": m["rss_mb"],
                "regions_page_first_ms": m["regions_page"]["first_ms"],
                "regions_page_p95_ms": m["regions_page"]["p95"],
                "observations": ds.summary.observations, "load_s": round(load_s, 1), "bulk_s": ds.bulk_s,
                "snapshot_s": ds.snapshot_s,
            }
            results.append(row)
            log(f"[{backend} {n} regions] overview p95 {row['overview_p95_ms']} ms, rss {row['rss_mb']} MB")
            if (backend, n) == browser_at and not args.no_browser:
                from . import browser as chromium

                q = str(min(ds.quarters[-1], Quarter.latest_ended(date.today())))
                runs = []
                with chromium.browser_lock():
                    for i in range(args.browser_runs):
                        log(f"[{backend} {n} regions] page ready in Chromium vs hello world, run {i + 1}/"
                            f"{args.browser_runs} ({args.loads} loads each) ...")
                        runs.append(chromium.compare(url, ds.regions, q, args.loads))
                # The run with the median ratio (the figure: median of 10 runs).
                browser = sorted(runs, key=lambda r: r["page_ready_ratio_same_headers"])[(len(runs) - 1) // 2]
                for key in ("page_ready_ratio_same_headers", "page_ready_ratio", "headers_ratio"):
                    browser[key + "_runs"] = [r[key] for r in runs]
                browser["page_ready_at"] = {"regions": n, "backend": backend}
    out = {"results": results, **browser, "machine": machine(),
           "settings": {"quarters": args.quarters, "calls": args.calls, "loads": args.loads}}
    if args.loadtest_json:
        out["loadtest"] = json.loads(Path(args.loadtest_json).read_text(encoding="utf-8"))
    out["targets"] = check_targets(out)
    return out


def check_targets(out: dict) -> list[dict]:
    """Every target of the issue's table: measured (value, met) or not measured in this run."""
    checks = []
    for key, backend, n, limit, text in TARGETS:
        rows = [r for r in out["results"] if r["regions"] == n and (backend is None or r["backend"] == backend)]
        for row in rows:
            checks.append({"target": text, "backend": row["backend"], "value": row[key], "limit": limit,
                           "met": row[key] <= limit})
        if not rows:
            checks.append({"target": text, "backend": backend, "value": None, "limit": limit, "met": None})
    # Against hello world served with the same response headers (benchmarks/browser.py compare).
    ratio = out.get("page_ready_ratio_same_headers")
    runs = out.get("page_ready_ratio_same_headers_runs") or []
    checks.append({"target": f"page ready ≤ {PAGE_RATIO_TARGET} × hello world with the same headers "
                             f"(median of {len(runs) or 0} runs)",
                   "value": ratio, "limit": PAGE_RATIO_TARGET,
                   "met": None if ratio is None else ratio <= PAGE_RATIO_TARGET})
    limit, n, text = LOADTEST_TARGET
    lt = out.get("loadtest")
    p95 = lt["request"].get("p95_ms") if lt and lt.get("regions") == n else None
    checks.append({"target": text, "backend": "postgresql", "value": p95, "limit": limit,
                   "met": None if p95 is None else p95 <= limit})
    return checks


def table(out: dict) -> str:
    cols = [("regions", "regions"), ("backend", "backend"), ("overview_p50_ms", "ov p50"),
            ("overview_p95_ms", "ov p95"), ("detail_p95_ms", "detail p95"), ("save_p95_ms", "save p95"),
            ("cold_start_s", "cold s"), ("rss_mb", "RSS MB"), ("regions_page_first_ms", "rank 1st"),
            ("regions_page_p95_ms", "rank p95")]
    rows = [[h for _, h in cols]] + [[str(r[k]) for k, _ in cols] for r in out["results"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("(times in ms unless marked; rank = the 地区排名 page callback, first call and warm p95)")
    if out.get("page_ready_ms") is not None:
        at = out.get("page_ready_at", {})
        lines.append(f"page ready {out['page_ready_ms']} ms vs hello world with the same headers "
                     f"{out['hello_headers_ready_ms']} ms: ratio {out['page_ready_ratio_same_headers']}; vs Dash's "
                     f"hello world {out['hello_ready_ms']} ms: {out['page_ready_ratio']} "
                     f"({at.get('regions')} regions, {at.get('backend')})")
    for t in out.get("targets", []):
        mark = "n/a   " if t["met"] is None else ("met   " if t["met"] else "MISSED")
        where = f" [{t['backend']}]" if t.get("backend") else ""
        lines.append(f"{mark} {t['target']}{where}: {t['value']} (limit {t['limit']})")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    out = run(args)
    text = json.dumps(out, ensure_ascii=False, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text if args.format == "json" else table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
