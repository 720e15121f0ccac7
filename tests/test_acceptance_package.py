"""验收材料包 (dashboard/acceptance/package.py) and ``python -m dashboard acceptance`` on the demo:
every member's hash against the manifest, the index lists every evidence path in the zip."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from docx import Document

from dashboard import Settings, create_app
from dashboard.__main__ import main as dashboard_main
from dashboard.acceptance import collect, package
from data.evidence import Office
from tests import evidence_files as f

SCHEME, REGION = "anning", "安宁市"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("acceptance")
    url = f"sqlite:///{d / 'demo.db'}"
    app = create_app(Settings(database_url=url, demo=True, secret_key="t", login_disabled=True))
    return {"service": app.server.extensions["monitor"]["service"], "url": url}


def index_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def check_package(data: bytes) -> tuple[zipfile.ZipFile, dict]:
    """Every member but the manifests is in the manifest with its size and SHA-256, recomputed here."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.testzip() is None
    manifest = json.loads(zf.read(package.MANIFEST))
    listed = {m["path"]: m for m in manifest["files"]}
    assert set(zf.namelist()) == set(listed) | {package.MANIFEST, package.SUMS}
    for name, m in listed.items():
        body = zf.read(name)
        assert (len(body), hashlib.sha256(body).hexdigest()) == (m["size"], m["sha256"]), name
    sums = dict(reversed(line.split("  ", 1)) for line in zf.read(package.SUMS).decode().splitlines())
    assert sums == {p: m["sha256"] for p, m in listed.items()}
    return zf, manifest


def test_demo_package_hashes_and_index(demo):
    service = demo["service"]
    progress = []
    buf = io.BytesIO()
    package.build_package(service, SCHEME, REGION, buf, progress=lambda *a: progress.append(a))
    zf, manifest = check_package(buf.getvalue())
    checklist = collect.gather(service, SCHEME, REGION)
    stored = [e for files in checklist.evidence.values() for e in files]
    evidence = [n for n in zf.namelist() if n.startswith(package.EVIDENCE_ROOT + "/")]
    assert len(evidence) == len(stored) >= 5
    # Each evidence member is the stored file itself: its hash is the one recorded at upload.
    assert sorted(m["sha256"] for m in manifest["files"] if m["path"] in evidence) == sorted(e.sha256 for e in stored)
    # 佐证材料/<维度>/<指标>/<文件>
    row = next(r for r in checklist.rows if checklist.evidence.get(r.indicator_id))
    assert any(n.startswith(f"{package.EVIDENCE_ROOT}/{row.dimension}/{row.name}/") for n in evidence)
    text = index_text(zf.read(package.INDEX))
    for path in evidence:
        assert path in text
    for r in checklist.rows:
        assert r.name in text and r.clause in text
    assert "里程碑已完成但无佐证文件" in text and "有数值但无佐证材料" in text
    # Anning keeps ledgers: their workbook goes in, a sheet per ledger indicator.
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(zf.read(package.LEDGERS)), read_only=True)
    assert len(book.sheetnames) == sum(1 for i in service.indicators(SCHEME) if i.ledger) >= 1
    assert "台账行数" in text or "台账" in text
    assert progress[0][0] == 0 and progress[-1][0] == progress[-1][1] == len(stored) + 3


def test_ledgers_duplicate_names_and_a_missing_file(demo, tmp_path):
    service = demo["service"]
    ind = next(r for r in collect.gather(service, SCHEME, REGION).rows if r.kind != "milestone")
    office = Office("office")
    # Two files of the same name (and one of a dangerous name) for one indicator.
    a = service.evidence.add(office, ind.indicator_id, REGION, "2025Q1", "通知.pdf", f.pdf("one"))
    service.evidence.add(office, ind.indicator_id, REGION, "2025Q2", "通知.pdf", f.pdf("two"))
    service.evidence.add(office, ind.indicator_id, REGION, "2025Q2", "..通知:原件.pdf", f.pdf("three"))
    gone = service.evidence.add(office, ind.indicator_id, REGION, "2025Q3", "丢失.pdf", f.pdf("four"))
    service.evidence.path(gone).unlink()
    try:
        calls = []

        def ledgers(svc, scheme_id, region):
            calls.append((scheme_id, region))
            return b"PK-not-really-a-workbook"

        buf = io.BytesIO()
        package.build_package(service, SCHEME, REGION, buf, ledgers_xlsx=ledgers)
        zf, _ = check_package(buf.getvalue())
        assert calls == [(SCHEME, REGION)] and zf.read(package.LEDGERS) == b"PK-not-really-a-workbook"
        folder = f"{package.EVIDENCE_ROOT}/{ind.dimension}/{ind.name}/"
        names = sorted(n[len(folder):] for n in zf.namelist() if n.startswith(folder))
        assert {"通知.pdf", "通知(2).pdf", "通知_原件.pdf"} <= set(names)
        assert "丢失.pdf" not in names
        text = index_text(zf.read(package.INDEX))
        assert "存储中找不到该文件" in text and "台账.xlsx" in text
        assert "原名“..通知:原件.pdf”" in text and "原名“通知.pdf”" in text     # renamed in the zip: said so
    finally:
        for e in service.evidence.rows(SCHEME, ind.indicator_id, REGION, include_removed=False):
            if e.uploaded_by == "office":
                service.evidence.remove(office, e.id, "测试结束")
    assert a.id


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "_.._etc_passwd"), ("a\\b:c*?.pdf", "a_b_c_.pdf"), ("", "_"), ("...", "_"),
    ("关" * 100 + ".pdf", "关" * 76 + ".pdf"),
])
def test_safe_part(name, expected):
    assert package.safe_part(name) == expected


def test_unique_name_ignores_case():
    used: set = set()
    assert [package.unique_name(n, used) for n in ("A.pdf", "a.PDF", "a.pdf", "b")] == \
        ["A.pdf", "a(2).PDF", "a(3).pdf", "b"]


# ---------------------------------------------------------------- command line

def test_cli_writes_the_package(demo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", demo["url"])
    out = tmp_path / "验收.zip"
    assert dashboard_main(["acceptance", "--scheme", SCHEME, "--region", REGION, "--out", str(out)]) == 0, \
        capsys.readouterr().err
    assert f"已生成 {out}" in capsys.readouterr().out
    check_package(out.read_bytes())
    # A directory: the file is named after region and quarter.
    assert dashboard_main(["acceptance", "--scheme", SCHEME, "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("安宁市_验收材料包_*.zip"))) == 1


@pytest.mark.parametrize("argv,code,message", [
    (["--scheme", "nope"], 2, "未知方案“nope”"),
    (["--scheme", SCHEME, "--region", "火星市"], 2, "没有地区“火星市”"),
])
def test_cli_rejects_unknown_scheme_and_region(demo, tmp_path, monkeypatch, capsys, argv, code, message):
    monkeypatch.setenv("DATABASE_URL", demo["url"])
    assert dashboard_main(["acceptance", *argv, "--out", str(tmp_path / "p.zip")]) == code
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_unwritable_path(demo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", demo["url"])
    assert dashboard_main(["acceptance", "--scheme", SCHEME, "--out", str(tmp_path / "missing" / "p.zip")]) == 1
    assert "输出目录不存在" in capsys.readouterr().err
    # A directory nobody can create files in (root included): the message, and no file.
    assert dashboard_main(["acceptance", "--scheme", SCHEME, "--out", "/proc/验收材料包.zip"]) == 1
    assert "无法写入 /proc/验收材料包.zip" in capsys.readouterr().err
    assert not (tmp_path / "p.zip").exists()
