"""The benchmark cannot rot, and the gunicorn set-up holds: no timing is asserted here."""
from __future__ import annotations

import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import requests

from benchmarks import browser, payloads, synthetic
from dashboard.components import fmt_number
from data.db import make_engine
from data.store import Store
from indicators.model import Kind
from indicators.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
RESULT_KEYS = {"overview_p50_ms", "overview_p95_ms", "detail_p95_ms", "save_p95_ms", "cold_start_s", "rss_mb"}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x == x


def test_benchmark_json_has_every_key():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--regions", "1", "--quarters", "4", "--calls", "3",
                           "--loads", "1", "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert len(out["results"]) == 1
    row = out["results"][0]
    assert row["regions"] == 1 and row["backend"] == "sqlite"
    assert RESULT_KEYS <= set(row) and all(_number(row[k]) and row[k] > 0 for k in RESULT_KEYS)
    for key in ("page_ready_ms", "hello_ready_ms", "hello_headers_ready_ms", "page_ready_ratio",
                "page_ready_ratio_same_headers", "headers_ratio"):
        assert _number(out[key]) and out[key] > 0, key
    target = [t for t in out["targets"] if t["target"].startswith("page ready")]
    assert len(target) == 1 and target[0]["value"] == out["page_ready_ratio_same_headers"]
    assert out["machine"]["nproc"] >= 1


def test_benchmark_without_browser_and_table_format():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--regions", "2", "--quarters", "3", "--calls", "2",
                           "--no-browser", "--format", "table"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^\s+2\s+sqlite\s", proc.stdout, re.M), proc.stdout


def test_load_test_runs_every_action_without_errors():
    """A short load test (gunicorn, throw-away PostgreSQL, sign-in): every kind of user action
    happens and every request succeeds, each page's layout carrying the page itself."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.loadtest", "--users", "3", "--duration", "4",
                           "--regions", "3", "--think", "0.2", "--each-action", "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["errors"] == 0 and out["stuck_users"] == 0, out.get("error_samples")
    # --each-action: every user did each of the four actions, whatever the machine's speed: three
    # pages (page, layout, dependencies, a callback: four requests each) and one quarter callback.
    assert out["requests"] >= 3 * (3 * 4 + 1)
    assert {a: s["n"] > 0 and s["errors"] == 0 for a, s in out["action"].items()} == \
        {"overview": True, "quarter": True, "detail": True, "regions": True}


def test_bulk_cost_reports_the_cpu_of_every_part():
    from benchmarks import bulkcost
    from data import bulk

    insert = bulk._insert
    out = bulkcost.run(20, workers=1, quarters=4)
    assert bulk._insert is insert                       # the step timers are taken off again
    assert out["values"] > 0 and out["revisions"] >= out["values"]
    assert out["postgresql_cpu"] > 0 and out["client_cpu"] > 0 and out["workers_cpu"] >= 0
    assert out["total_cpu"] == round(out["client_cpu"] + out["workers_cpu"] + out["postgresql_cpu"], 2)
    assert {"_insert observation", "_write_revisions"} <= {s["step"] for s in out["steps"]}


def test_gunicorn_config_imports():
    cfg = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert cfg["workers"] >= 1 and cfg["threads"] >= 1 and cfg["worker_class"] == "gthread"
    assert re.fullmatch(r"[\w.:]+:\d+", cfg["bind"])
    assert callable(cfg["post_worker_init"]) and callable(cfg["settle"])


def test_gunicorn_workers_agree_and_compress(tmp_path):
    """Three workers: after a save, every worker's next answer shows the new value
    (caches key on data_version in the database); Dash's JSON is gzip-compressed."""
    registry = load_registry()
    url = f"sqlite:///{tmp_path / 'w.db'}"
    ds = synthetic.build(url, registry, 2, 4)
    region, q = ds.regions[0], ds.quarters[-1]
    ind = next(i for i in registry.scheme_indicators("anning") if i.kind is Kind.cumulative)
    with browser.gunicorn("benchmarks.apps:monitor()", {"BENCH_DATABASE_URL": url}, workers=3) as base:
        deps = requests.get(base + "/_dash-dependencies", timeout=30).json()
        body = payloads.detail(payloads.Callbacks(deps), ind.id, region, str(q))

        def shown() -> set[str]:
            seen = set()
            for _ in range(12):  # fresh connections: spread over the workers
                r = requests.post(base + payloads.UPDATE_PATH, json=body, timeout=30,
                                  headers={"Connection": "close", "Accept-Encoding": "gzip"})
                assert r.status_code == 200 and r.headers.get("Content-Encoding") == "gzip"
                seen.add(json.dumps(r.json()["response"]["dt-values"], ensure_ascii=False))
            return seen

        before = shown()
        assert len(before) == 1
        store = Store(make_engine(url))
        row = store.observation(ind.id, region, q)
        new = (row.value or 0) + 7
        store.save_value(ind, region, q, new, row.note, "测试", row.version)
        store.dispose()
        after = shown()
        assert len(after) == 1 and after != before
        assert fmt_number(new, ind.decimals) in next(iter(after))
        layout = requests.get(base + "/_dash-layout", headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert layout.status_code == 200 and layout.headers.get("Content-Encoding") == "gzip"


def test_hello_world_with_headers_is_served_as_the_monitor():
    """The page-ready floor carries exactly the monitor's response headers (same function), and
    Dash's own hello world none of them."""
    from benchmarks import apps
    from dashboard.security import response_headers

    with_headers = apps.hello_with_headers().test_client().get("/")
    bare = apps.hello().test_client().get("/")
    assert with_headers.status_code == bare.status_code == 200
    policy = response_headers([])
    for name in policy:
        assert with_headers.headers.get(name), name
        assert name == "Server" or name not in bare.headers, name
    assert with_headers.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert with_headers.headers["Cache-Control"] == "no-store"
    assert "script-src 'self' 'sha256-" in with_headers.headers["Content-Security-Policy"]

