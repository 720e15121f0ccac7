"""Start-up of app.py: a bad registry stops it with a message naming file, indicator and field."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bad_registry_stops_startup(tmp_path):
    good = (ROOT / "indicators" / "schemes" / "anning.yaml").read_text(encoding="utf-8")
    bad = good.replace("unit: 件\n", "unit: 斤\n", 1)
    assert bad != good
    (tmp_path / "anning.yaml").write_text(bad, encoding="utf-8")
    env = dict(os.environ, REGISTRY_DIR=str(tmp_path), DEMO_DATABASE_URL=f"sqlite:///{tmp_path / 'd.db'}")
    proc = subprocess.run([sys.executable, "app.py", "--demo", "--port", "8799"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "anning.yaml" in proc.stderr and "字段 unit" in proc.stderr and "斤" in proc.stderr
    assert "anning_invention_grants_annual" in proc.stderr
    assert not (tmp_path / "d.db").exists(), "nothing is written when the registry is invalid"
