"""`python -m data status`: the statuses from the values stored in the database at DATABASE_URL."""
import json
import subprocess
import sys
from pathlib import Path

from data.db import make_engine, upgrade
from data.demo import load_demo
from data.store import Store
from indicators.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]


def test_status_from_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = make_engine(url)
    upgrade(engine)
    registry = load_registry()
    load_demo(Store(engine), registry)
    engine.dispose()
    proc = subprocess.run([sys.executable, "-m", "data", "status", "--scheme", "anning", "--as-of", "2024-06-30",
                           "--format", "json"], cwd=ROOT, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["indicator_id"] for r in rows} == {i.id for i in registry.scheme_indicators("anning")}
    assert all(r["period"] == "2024Q2" for r in rows)
    assert {r["status"] for r in rows} - {"not_due"}, "values were read: not everything is not_due"


def test_status_unknown_scheme_and_bad_date(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PATH": "/usr/bin:/bin"}
    for args in (["--scheme", "nowhere", "--as-of", "2024-06-30"], ["--scheme", "anning", "--as-of", "2024-13-01"]):
        proc = subprocess.run([sys.executable, "-m", "data", "status", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and proc.stderr.strip()
