"""``python -m indicators validate|export``: exit codes, messages and the three export formats."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import types
from pathlib import Path

import openpyxl
import pytest
import yaml

from indicators import export
from indicators.cli import build_parser, main
from indicators.registry import load_registry

REPO = Path(__file__).resolve().parents[1]
BOM = b"\xef\xbb\xbf"


def scheme_file(scheme_id: str, *indicators: dict) -> dict:
    return {
        "scheme": {
            "id": scheme_id, "name": "测试方案", "short_name": "测试", "region": "测试县",
            "document": {"title": "测试方案", "issuer": "测试县人民政府", "date": "2024-01-15"},
            "period": {"start": "2024-01", "end": "2025-12"},
            "stages": [{"id": "implement", "name": "组织实施", "start": "2024-01", "end": "2025-12"}],
            "dimensions": ["创造"],
        },
        "indicators": list(indicators),
    }


def indicator(ind_id: str, **changes) -> dict:
    base = {
        "id": ind_id, "name": "发明专利拥有量", "dimension": "创造", "unit": "件", "kind": "cumulative",
        "target": {"value": 100}, "deadline": "2025-12-31", "stage": "implement", "reporting": "stock",
        "lead_units": ["县科技局"], "responsible_units": ["县市场监管局", "县财政局"],
        "clause": "三(一)1", "quote": "发明专利拥有量达到100件以上。",
    }
    base.update(changes)
    return base


def write(directory: Path, name: str, data: dict) -> None:
    (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def small_dir(tmp_path) -> Path:
    """Two schemes, three indicators, one of them with a formula-like name."""
    d = tmp_path / "schemes"
    d.mkdir()
    write(d, "a.yaml", scheme_file("alpha", indicator("alpha_one"),
                                   indicator("alpha_two", name="=cmd|' /C calc'!A0", kind="range",
                                             target={"min": 2, "max": 3}, unit="家")))
    write(d, "b.yaml", scheme_file("beta", indicator("beta_one", lead_units=[])))
    return d


@pytest.fixture
def bad_dir(tmp_path) -> Path:
    d = tmp_path / "bad"
    d.mkdir()
    write(d, "good.yaml", scheme_file("alpha", indicator("alpha_one")))
    write(d, "broken.yaml", scheme_file("beta", indicator("beta_one", unit="吨")))
    return d


# --- validate --------------------------------------------------------------------------------

def test_validate_real_registry(capsys):
    reg = load_registry()
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"OK: {len(reg.schemes)} schemes, {len(reg.indicators)} indicators"


def test_validate_small_dir(small_dir, capsys):
    assert main(["validate", "--dir", str(small_dir)]) == 0
    assert capsys.readouterr().out.strip() == "OK: 2 schemes, 3 indicators"


def test_validate_bad_dir_lists_errors(bad_dir, capsys):
    assert main(["validate", "--dir", str(bad_dir)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "broken.yaml:指标 beta_one、字段 unit:未知单位 '吨'" in captured.err
    assert "good.yaml" not in captured.err


def test_validate_missing_dir(tmp_path, capsys):
    assert main(["validate", "--dir", str(tmp_path / "nowhere")]) == 1
    assert "没有找到方案文件" in capsys.readouterr().err


def test_validate_via_python_m():
    reg = load_registry()
    proc = subprocess.run([sys.executable, "-m", "indicators", "validate"], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"OK: {len(reg.schemes)} schemes, {len(reg.indicators)} indicators"


def test_validate_via_python_m_bad_dir(bad_dir):
    proc = subprocess.run([sys.executable, "-m", "indicators", "validate", "--dir", str(bad_dir)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 1
    assert "broken.yaml" in proc.stderr


# --- export json -----------------------------------------------------------------------------

def test_export_json_real_registry(capsysbinary):
    reg = load_registry()
    assert main(["export", "--format", "json"]) == 0
    doc = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    assert len(doc["indicators"]) == len(reg.indicators)
    assert [s["id"] for s in doc["schemes"]] == list(reg.schemes)
    for item in doc["indicators"]:
        assert item["id"] in reg.indicators and item["scheme"] in reg.schemes
        assert item["scheme"] == reg.indicators[item["id"]].scheme
        # every field of the model, not a subset
        assert set(item) == set(reg.indicators[item["id"]].model_dump(mode="json"))


def test_export_json_one_scheme_to_file(small_dir, tmp_path):
    out = tmp_path / "beta.json"
    assert main(["export", "--format", "json", "--dir", str(small_dir), "--scheme", "beta", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [s["id"] for s in doc["schemes"]] == ["beta"]
    assert [i["id"] for i in doc["indicators"]] == ["beta_one"]
    assert doc["indicators"][0]["target"]["value"] == 100
    assert doc["schemes"][0]["period"] == {"start": "2024-01", "end": "2025-12"}


def test_export_json_keeps_chinese_readable(small_dir, tmp_path):
    out = tmp_path / "all.json"
    main(["export", "--format", "json", "--dir", str(small_dir), "--out", str(out)])
    assert "发明专利拥有量" in out.read_text(encoding="utf-8")


# --- export csv ------------------------------------------------------------------------------

def read_csv(data: bytes) -> list[dict]:
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_export_csv_real_registry_stdout(capsysbinary):
    reg = load_registry()
    assert main(["export", "--format", "csv"]) == 0
    data = capsysbinary.readouterr().out
    rows = read_csv(data)
    header = data.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == list(export.COLUMNS)
    assert len(rows) == len(reg.indicators)
    assert {r["id"] for r in rows} == set(reg.indicators)


def test_export_csv_flattened_columns(small_dir, tmp_path):
    out = tmp_path / "r.csv"
    assert main(["export", "--format", "csv", "--dir", str(small_dir), "--out", str(out)]) == 0
    rows = {r["id"]: r for r in read_csv(out.read_bytes())}
    assert len(rows) == 3
    one = rows["alpha_one"]
    assert one["scheme"] == "alpha" and one["target.value"] == "100" and one["target.min"] == ""
    assert one["responsible_units"] == "县市场监管局、县财政局"
    assert one["lead_units"] == "县科技局" and one["reporting_unit"] == "县科技局"
    assert rows["beta_one"]["reporting_unit"] == "县市场监管局"
    assert rows["alpha_two"]["target.min"] == "2" and rows["alpha_two"]["target.max"] == "3"
    assert one["baseline.value"] == "" and one["deadline"] == "2025-12-31"


# --- export xlsx -----------------------------------------------------------------------------

def test_export_xlsx(small_dir, tmp_path):
    out = tmp_path / "r.xlsx"
    assert main(["export", "--format", "xlsx", "--dir", str(small_dir), "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["indicators"]
    header = [c.value for c in ws[1]]
    assert header == list(export.COLUMNS)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == ws.dimensions
    assert ws.max_row == 1 + 3
    rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["alpha_two"]["name"] == "'=cmd|' /C calc'!A0"
    assert ws.cell(row=3, column=header.index("name") + 1).data_type == "s"  # a string, not a formula
    assert rows["alpha_one"]["target.value"] == 100
    assert rows["alpha_one"]["responsible_units"] == "县市场监管局、县财政局"
    assert [r[0] for r in wb["schemes"].iter_rows(min_row=2, values_only=True)] == ["alpha", "beta"]
    assert wb["schemes"].freeze_panes == "A2"


def test_export_xlsx_real_registry_count(tmp_path):
    out = tmp_path / "all.xlsx"
    assert main(["export", "--format", "xlsx", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["indicators"]
    assert ws.max_row - 1 == len(load_registry().indicators)


def test_export_xlsx_without_out_is_usage_error(capsys):
    assert main(["export", "--format", "xlsx"]) == 2
    assert "--out" in capsys.readouterr().err


# --- bad arguments ---------------------------------------------------------------------------

def test_unknown_format_exits_2(capsys):
    assert main(["export", "--format", "xml"]) == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_unknown_scheme_exits_2(small_dir, capsys):
    assert main(["export", "--format", "json", "--dir", str(small_dir), "--scheme", "gamma"]) == 2
    err = capsys.readouterr().err
    assert "unknown scheme 'gamma'" in err and "alpha, beta" in err


def test_no_subcommand_exits_2(capsys):
    assert main([]) == 2
    assert "required" in capsys.readouterr().err


def test_export_of_invalid_registry_exits_1(bad_dir, capsys):
    assert main(["export", "--format", "json", "--dir", str(bad_dir)]) == 1
    assert "broken.yaml" in capsys.readouterr().err


# --- the status subcommand is wired in when status_cli exists -------------------------------

def test_status_subcommand_is_added_from_status_cli(monkeypatch):
    def add_parser(subparsers):
        p = subparsers.add_parser("status")
        p.set_defaults(func=lambda args: 7)

    monkeypatch.setitem(sys.modules, "indicators.status_cli", types.SimpleNamespace(add_parser=add_parser))
    assert main(["status"]) == 7
    assert build_parser().parse_args(["status"]).command == "status"


# --- export module directly ------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=x", "'\t=x"), ("安宁", "安宁"), ("a=b", "a=b"), ("", ""), (-5, -5), (None, None), (2.5, 2.5),
])
def test_escape_cell(value, expected):
    assert export.escape_cell(value) == expected


def test_registry_rows_filters_by_scheme(small_dir):
    reg = load_registry(small_dir)
    assert [r["id"] for r in export.registry_rows(reg)] == ["alpha_one", "alpha_two", "beta_one"]
    assert [r["id"] for r in export.registry_rows(reg, "beta")] == ["beta_one"]
    assert all(tuple(r) == export.COLUMNS for r in export.registry_rows(reg))
    with pytest.raises(export.UnknownScheme):
        export.registry_rows(reg, "gamma")


def test_writers_accept_text_and_binary_streams(small_dir):
    reg = load_registry(small_dir)
    text, raw = io.StringIO(), io.BytesIO()
    export.write_csv(reg, text)
    export.write_csv(reg, raw)
    assert raw.getvalue().startswith(BOM)
    assert text.getvalue().encode("utf-8") == raw.getvalue()
    text, raw = io.StringIO(), io.BytesIO()
    export.write_json(reg, text, "alpha")
    export.write_json(reg, raw, "alpha")
    assert json.loads(text.getvalue()) == json.loads(raw.getvalue().decode("utf-8"))
    buf = io.BytesIO()
    export.write_xlsx(reg, buf)
    assert openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["indicators"].max_row == 4
