"""``python -m data evidence add|list``: the page's checks, from the command line."""
from __future__ import annotations

import json

import pytest

from data.__main__ import main
from tests import evidence_files as f

IND = "anning_invention_grants_annual"


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "ev"))
    return tmp_path


def write(path, data: bytes):
    path.write_bytes(data)
    return str(path)


def listed(capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["evidence", "list", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_add_then_list(env, capsys):
    path = write(env / "授权清单.pdf", f.pdf())
    assert main(["evidence", "add", IND, "2025Q2", path, "--note", "第二季度", "--user", "张三",
                 "--today", "2025-07-15"]) == 0
    assert "已添加佐证材料 #1:授权清单.pdf" in capsys.readouterr().out
    [row] = listed(capsys)
    assert (row["indicator_id"], row["period"], row["region"], row["note"], row["uploaded_by"]) == \
        (IND, "2025Q2", "安宁市", "第二季度", "张三")
    assert (env / "ev" / row["sha256"][:2] / row["sha256"]).read_bytes() == f.pdf()
    assert main(["evidence", "list", "--indicator", IND]) == 0
    assert "授权清单.pdf" in capsys.readouterr().out


@pytest.mark.parametrize("name,make,words", [
    ("程序.pdf", f.exe, "可执行程序"), ("炸弹.docx", f.zip_bomb_docx, "疑似压缩炸弹"), ("空.pdf", lambda: b"", "空文件"),
])
def test_bad_files_are_refused_and_nothing_stored(env, capsys, name, make, words):
    path = write(env / name, make())
    assert main(["evidence", "add", IND, "2025Q2", path, "--today", "2025-07-15"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("未添加:") and words in err
    assert listed(capsys) == [] and not (env / "ev").exists()


def test_unknown_indicator_and_bad_period(env, capsys):
    path = write(env / "a.pdf", f.pdf())
    assert main(["evidence", "add", "nope", "2025Q2", path]) == 1
    assert "未知指标编号" in capsys.readouterr().err
    assert main(["evidence", "add", IND, "2025-06", path]) == 1
    assert "格式错误" in capsys.readouterr().err
    assert main(["evidence", "add", IND, "2025Q2", str(env / "missing.pdf")]) == 2
    assert "无法读取文件" in capsys.readouterr().err
