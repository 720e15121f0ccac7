"""``python -m data`` commands, called through ``main(argv)`` on a temporary SQLite file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from data.__main__ import main
from data.db import current_revision, head_revision, make_engine
from data.store import Store

pytest_plugins = ["tests.conftest_db"]

ROOT = Path(__file__).resolve().parent.parent
IND = "anning_invention_grants_annual"


@pytest.fixture
def db(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    # `demo` never uses DATABASE_URL (issue 14, finding 15): point both at the test file.
    monkeypatch.setenv("DEMO_DATABASE_URL", url)
    return url


def open_store(url) -> Store:
    return Store(make_engine(url))


def test_init_twice_is_idempotent(db, capsys):
    assert main(["init"]) == 0
    assert "已创建数据库结构" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert "已是最新结构" in capsys.readouterr().out
    store = open_store(db)
    assert current_revision(store.engine) == head_revision() and store.data_version() == 0
    store.dispose()


def test_demo_twice_is_idempotent(db, capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "anning:已载入示例数据" in out and "luzhou:已载入示例数据" in out
    store = open_store(db)
    version, obs = store.data_version(), store.observations("anning", "安宁市")
    assert store.is_demo() and obs
    assert main(["demo"]) == 0
    assert "示例数据已存在" in capsys.readouterr().out
    assert store.data_version() == version and store.observations("anning", "安宁市") == obs
    store.dispose()


def test_demo_refuses_real_data(db, capsys, tmp_path):
    f = tmp_path / "v.csv"
    f.write_text(f"indicator_id,period,value\n{IND},2024Q1,3\n", encoding="utf-8")
    assert main(["import", str(f), "--today", "2024-11-20"]) == 0
    assert main(["demo"]) == 1
    assert "正式填报数据" in capsys.readouterr().err


def test_import_history_and_dry_run(db, capsys, tmp_path):
    f = tmp_path / "values.csv"
    f.write_text(f"指标编号,报告期,填报值,备注\n{IND},2024Q1,12,\n{IND},2024Q2,10,二季度\n", encoding="utf-8-sig")
    assert main(["import", str(f), "--dry-run", "--today", "2024-11-20"]) == 0
    out = capsys.readouterr().out
    assert "预览(未写入)" in out and "新增2条" in out
    assert main(["history", IND, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    assert main(["import", str(f), "--user", "张三", "--today", "2024-11-20"]) == 0
    assert "已写入:新增2条" in capsys.readouterr().out
    f.write_text(f"indicator_id,period,value,note\n{IND},2024Q1,13,更正\n", encoding="utf-8")
    assert main(["import", str(f), "--user", "李四", "--today", "2024-11-20"]) == 0
    capsys.readouterr()

    assert main(["history", IND, "--period", "2024Q1", "--format", "json"]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert [(h["old_value"], h["new_value"], h["user"], h["source"], h["period"]) for h in hist] == [
        (None, 12.0, "张三", "import", "2024Q1"), (12.0, 13.0, "李四", "import", "2024Q1")]
    assert hist[1]["new_note"] == "更正" and hist[0]["region"] == "安宁市"
    assert main(["history", IND, "--region", "安宁市"]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert len(table) == 4 and "李四" in table[-1]


def test_import_errors_exit_nonzero_with_row_numbers(db, capsys, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(f"indicator_id,period,value\n{IND},2024Q1,12\nnope,2024Q1,1\n{IND},2024Q2,abc\n", encoding="utf-8")
    assert main(["import", str(f), "--today", "2024-11-20"]) == 1
    err = capsys.readouterr().err
    assert "第3行:未知指标编号“nope”" in err and "第4行:填报值“abc”不是有效数字" in err
    assert "未写入任何数据" in err
    store = open_store(db)
    assert store.data_version() == 0 and store.observations("anning", "安宁市") == {}
    store.dispose()


def test_import_refuses_big_file_without_reading_it(db, capsys, tmp_path):
    f = tmp_path / "big.csv"
    with open(f, "wb") as fh:
        fh.truncate(6 * 1024 * 1024)
    assert main(["import", str(f)]) == 1
    assert "上限为5 MB" in capsys.readouterr().err


def test_history_rejects_unknown_indicator_and_bad_period(db, capsys):
    assert main(["history", "no_such_indicator"]) == 2
    assert "未知指标编号" in capsys.readouterr().err
    assert main(["history", IND, "--period", "2024-06"]) == 2
    assert "报告期格式错误" in capsys.readouterr().err


def test_template_command(db, capsys, tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", "anning", "市市场监管局", "2024Q3", str(out)]) == 0
    assert out.exists() and "已生成填报模板" in capsys.readouterr().out
    assert main(["template", "nosuch", "x", "2024Q3", str(out)]) == 2


def test_runs_as_a_module_from_another_directory(db, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "data", "init"], cwd=tmp_path, capture_output=True, text=True,
                          env={"DATABASE_URL": db, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "数据库结构" in proc.stdout


def test_import_on_a_locked_database_says_so_without_a_traceback(db, capsys, tmp_path, monkeypatch):
    import sqlite3

    assert main(["init"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("DB_LOCK_TIMEOUT", "0.2")
    f = tmp_path / "values.csv"
    f.write_text(f"指标编号,报告期,填报值\n{IND},2024Q1,12\n", encoding="utf-8-sig")
    holder = sqlite3.connect(db.removeprefix("sqlite:///"))
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        rc = main(["import", str(f), "--today", "2024-11-20"])
    finally:
        holder.rollback()
        holder.close()
    err = capsys.readouterr().err
    assert rc == 3
    assert "数据库暂时不可用,未写入任何数据" in err and "Traceback" not in err
    store = open_store(db)
    assert store.observations("anning", "安宁市") == {}
    store.dispose()
