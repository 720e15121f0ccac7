"""`status` command from a CSV file: JSON and table output, and every error exits non-zero with a message."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from data.__main__ import main as data_main
from indicators import status_cli

SCHEME_YAML = """
scheme:
  id: t
  name: 测试方案
  short_name: 测试
  region: 测试县
  document: {title: 测试方案, issuer: 测试县人民政府, date: 2022-01-01}
  period: {start: 2022-01, end: 2026-12}
  stages:
    - {id: early, name: 前期, start: 2022-01, end: 2023-12}
    - {id: late, name: 后期, start: 2024-01}
  dimensions: [创造]
  reference_series:
    - {id: t_province_avg, name: 全省平均, unit: 件/万人}
indicators:
  - {id: t_grants, name: 发明专利年授权量, dimension: 创造, unit: 件, kind: annual, target: {value: 40},
     start: 2023-01, deadline: 2025-12-31, stage: late, reporting: flow, responsible_units: [甲局], clause: 一, quote: 原文}
  - {id: t_stock, name: 有效商标量, dimension: 创造, unit: 件, kind: cumulative, target: {value: 700},
     baseline: {value: 400, as_of: 2022-12-31},
     start: 2023-01, deadline: 2025-12-31, stage: late, reporting: stock, responsible_units: [乙局], clause: 一, quote: 原文}
  - {id: t_density, name: 每万人发明专利拥有量, dimension: 创造, unit: 件/万人, kind: relative_reference,
     target: {factor: 2, reference: t_province_avg}, baseline: {value: 3, as_of: 2022-12-31},
     start: 2023-01, deadline: 2025-12-31, stage: late, reporting: stock, responsible_units: [乙局], clause: 一, quote: 原文}
  - {id: t_report, name: 专利分析报告, dimension: 创造, unit: 项, kind: milestone, target: {value: 1},
     start: 2023-01, deadline: 2025-06-30, stage: late, reporting: stock, responsible_units: [甲局], clause: 一, quote: 原文}
"""

GOOD_CSV = """indicator_id,period,value,note
t_grants,2024Q1,10,
t_grants,2024Q2,10,二季度
t_stock,2024Q2,720,
t_density,2024Q2,10,
t_province_avg,2024Q2,5,参照值
t_report,2024Q1,1,已印发
"""


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    d = tmp_path / "schemes"
    d.mkdir()
    (d / "t.yaml").write_text(SCHEME_YAML, encoding="utf-8")
    return d


def write(tmp_path: Path, text: str, bom: bool = False) -> Path:
    path = tmp_path / "values.csv"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def cli(registry_dir: Path, *args: str) -> int:
    return status_cli.main(["--registry", str(registry_dir), *args])


@pytest.mark.parametrize("bom", [False, True])
def test_json_output(registry_dir, tmp_path, capsys, bom):
    path = write(tmp_path, GOOD_CSV, bom=bom)
    assert cli(registry_dir, "--scheme", "t", "--as-of", "2024-06-30", "--format", "json", "--observations", str(path)) == 0
    rows = json.loads(capsys.readouterr().out)
    by_id = {r["indicator_id"]: r for r in rows}
    assert [r["indicator_id"] for r in rows] == ["t_grants", "t_stock", "t_density", "t_report"]
    assert by_id["t_grants"]["status"] == "on_track" and by_id["t_grants"]["actual"] == 20
    assert by_id["t_grants"]["name"] == "发明专利年授权量" and by_id["t_grants"]["status_label"] == "正常"
    assert by_id["t_stock"]["status"] == "achieved"
    assert by_id["t_density"]["status"] == "achieved" and by_id["t_density"]["target"] == 10
    assert by_id["t_report"]["status"] == "achieved"
    assert by_id["t_stock"]["period"] == "2024Q2"


def test_table_output(registry_dir, tmp_path, capsys):
    path = write(tmp_path, GOOD_CSV)
    assert cli(registry_dir, "--scheme", "t", "--as-of", "2024-07-15", "--observations", str(path),
               "--format", "table") == 0
    out = capsys.readouterr().out.splitlines()
    assert "2024年第2季度" in out[0]
    header, rule, *rows = out[1:]
    assert header.split() == ["指标", "名称", "状态", "实际值", "目标值", "进度"]
    assert set(rule.replace(" ", "")) == {"-"}
    grants = next(r for r in rows if r.startswith("t_grants"))
    assert "正常" in grants and "20件" in grants and "40件" in grants and grants.endswith("100%")
    # the columns line up: status labels start at the same display column in every row
    col = status_cli._width(header[:header.index("状态")])
    for r in rows:
        assert status_cli._width(r[:r.index(r.split()[2])]) == col


def test_stale_rows_marked(registry_dir, tmp_path, capsys):
    path = write(tmp_path, "indicator_id,period,value\nt_stock,2024Q1,600\n")
    assert cli(registry_dir, "--scheme", "t", "--as-of", "2024-06-30", "--observations", str(path)) == 0
    out = capsys.readouterr().out
    assert "未填报*" in out and "最近一次" in out


ERRORS = [
    ("unknown-scheme", ["--scheme", "nope", "--as-of", "2024-06-30"], GOOD_CSV, "unknown scheme 'nope'"),
    ("bad-date", ["--scheme", "t", "--as-of", "2024-13-01"], GOOD_CSV, "bad --as-of date"),
    ("bad-date-text", ["--scheme", "t", "--as-of", "yesterday"], GOOD_CSV, "expected YYYY-MM-DD"),
    ("missing-columns", ["--scheme", "t", "--as-of", "2024-06-30"], "indicator_id,quarter,value\nt_grants,2024Q1,1\n",
     "missing column(s) period"),
    ("empty-file", ["--scheme", "t", "--as-of", "2024-06-30"], "", "empty file"),
    ("bad-period", ["--scheme", "t", "--as-of", "2024-06-30"], "indicator_id,period,value\nt_grants,2024-Q5,1\n",
     "line 2: bad period '2024-Q5'"),
    ("non-number", ["--scheme", "t", "--as-of", "2024-06-30"],
     "indicator_id,period,value\nt_grants,2024Q1,10\nt_grants,2024Q2,十\n", "line 3: value '十'"),
    ("nan-value", ["--scheme", "t", "--as-of", "2024-06-30"], "indicator_id,period,value\nt_grants,2024Q1,nan\n",
     "is not a number"),
    ("unknown-indicator", ["--scheme", "t", "--as-of", "2024-06-30"], "indicator_id,period,value\nt_nope,2024Q1,1\n",
     "line 2: unknown indicator id 't_nope'"),
    ("milestone-not-0-1", ["--scheme", "t", "--as-of", "2024-06-30"], "indicator_id,period,value\nt_report,2024Q1,2\n",
     "milestone t_report takes 1 (done) or 0"),
    ("duplicate", ["--scheme", "t", "--as-of", "2024-06-30"],
     "indicator_id,period,value\nt_grants,2024Q1,1\nt_grants,2024q1,2\n", "line 3: duplicate value"),
]


@pytest.mark.parametrize("args,csv_text,message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_exit_non_zero(registry_dir, tmp_path, capsys, args, csv_text, message):
    path = write(tmp_path, csv_text)
    assert cli(registry_dir, *args, "--observations", str(path)) != 0
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_missing_file(registry_dir, tmp_path, capsys):
    assert cli(registry_dir, "--scheme", "t", "--as-of", "2024-06-30", "--observations", str(tmp_path / "no.csv")) == 1
    assert "observations file not found" in capsys.readouterr().err


def test_missing_database_is_not_created(registry_dir, capsys, monkeypatch, tmp_path):
    missing = tmp_path / "none.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    assert data_main(["status", "--registry", str(registry_dir), "--scheme", "t", "--as-of", "2024-06-30"]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "DATABASE_URL" in err
    assert not missing.exists()


def test_database_without_schema(registry_dir, capsys, monkeypatch, tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{empty}")
    assert data_main(["status", "--registry", str(registry_dir), "--scheme", "t", "--as-of", "2024-06-30"]) == 1
    assert "python -m data init" in capsys.readouterr().err


def test_the_domain_command_reads_no_database_it_asks_for_a_file(registry_dir, capsys):
    # The stored values are read by `python -m data status`; without --observations argparse says so.
    assert cli(registry_dir, "--scheme", "t", "--as-of", "2024-06-30") == 2
    assert "--observations" in capsys.readouterr().err


def test_the_domain_package_imports_no_data_layer_dash_or_sql():
    import ast
    root = Path(status_cli.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                assert name.split(".")[0] not in ("data", "dashboard", "dash", "sqlalchemy", "flask"), (path.name, name)


def test_missing_required_argument(registry_dir, capsys):
    assert cli(registry_dir, "--as-of", "2024-06-30") == 2
    assert "--scheme" in capsys.readouterr().err


def test_invalid_registry(tmp_path, capsys):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "x.yaml").write_text("scheme: [", encoding="utf-8")
    assert status_cli.main(["--registry", str(d), "--scheme", "t", "--as-of", "2024-06-30",
                            "--observations", str(d / "v.csv")]) == 1
    assert "指标库有误" in capsys.readouterr().err


def test_add_parser_wires_subcommand(registry_dir, tmp_path, capsys):
    import argparse
    parser = argparse.ArgumentParser(prog="python -m indicators")
    status_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["status", "--registry", str(registry_dir), "--scheme", "t", "--as-of", "2024-06-30",
                              "--format", "json", "--observations", str(write(tmp_path, GOOD_CSV))])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)[0]["indicator_id"] == "t_grants"
