"""Backup, restore, integrity check and export (issue 20), on SQLite and a real PostgreSQL server."""
from __future__ import annotations

import errno
import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from data import backup
from data.__main__ import main
from data.backup import BackupError
from data.db import current_revision, head_revision, make_engine, upgrade
from data.demo import load_demo
from data.store import Store
from indicators.registry import load_registry

pytest_plugins = ["tests.conftest_db"]

REGISTRY = load_registry()
UNIT_OF = {i.id: i.reporting_unit for i in REGISTRY.indicators.values()}


def demo_store(url: str) -> Store:
    """The demo dataset on ``url``, plus a real user with a password hash."""
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    load_demo(store, REGISTRY)
    store.add_user("zhang", "admin", password_hash="pbkdf2:secret-hash", display_name="张三")
    return store


def table_digests(path: Path) -> dict[str, str]:
    """SHA-256 of every table member: equal digests are equal data, row for row."""
    with zipfile.ZipFile(path) as zf:
        members = json.loads(zf.read("manifest.json"))["members"]
    return {n: m["sha256"] for n, m in members.items() if n.startswith("tables/")}


def rewrite(src: Path, dst: Path, change) -> None:
    """Copy an archive, passing each (name, bytes) through ``change``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, change(name, zin.read(name)))


@pytest.fixture
def demo_archive(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    store = demo_store(f"sqlite:///{d / 'demo.db'}")
    path = d / "demo.zip"
    backup.write_backup(store.engine, path)
    store.dispose()
    return path


def _round_trip(src_url, dst_url, tmp_path):
    src = demo_store(src_url)
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    backup.write_backup(src.engine, first)
    dst = make_engine(dst_url)
    summary = backup.restore(dst, first)
    assert summary["tables"]["revision"] > 900
    backup.write_backup(dst, second)
    assert table_digests(first) == table_digests(second)
    # The ids and authors users see survive, and new rows get fresh ids (PostgreSQL's sequences moved on).
    restored = Store(dst)
    assert restored.get_user("zhang").display_name == "张三"
    original = src.history("anning_invention_grants_annual", region="安宁市")
    assert [(r.user, r.at, r.new_value) for r in restored.history("anning_invention_grants_annual", region="安宁市")] \
        == [(r.user, r.at, r.new_value) for r in original]
    restored.add_user("li", "viewer")
    assert restored.get_user("li").id == src.get_user("zhang").id + 1
    ref = restored.reference_rows("anning", "安宁市")[0]
    restored.save_reference("anning", "安宁市", ref.series_id, ref.period, (ref.value or 0) + 1, "王五", ref.version)
    src.dispose()
    dst.dispose()


def test_demo_sqlite_to_postgresql_and_back_keeps_every_row(sqlite_url, pg_url, tmp_path):
    _round_trip(sqlite_url, pg_url, tmp_path)


def test_demo_postgresql_to_sqlite_keeps_every_row(sqlite_url, pg_url, tmp_path):
    _round_trip(pg_url, sqlite_url, tmp_path)


def test_archive_holds_manifest_revision_and_no_password_unless_asked(tmp_path, sqlite_url):
    store = demo_store(sqlite_url)
    plain, full = tmp_path / "plain.zip", tmp_path / "full.zip"
    manifest = backup.write_backup(store.engine, plain)
    backup.write_backup(store.engine, full, with_credentials=True)
    assert manifest["revision"] == head_revision() and manifest["tables"]["users"]["rows"] == 1
    arc = backup.open_archive(plain)
    assert [u["password_hash"] for u in arc.rows("users")] == [""]
    arc.close()
    target = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    backup.restore(target, full)
    assert Store(target).get_user("zhang").password_hash == "pbkdf2:secret-hash"
    store.dispose()
    target.dispose()


def test_backup_reads_one_snapshot_while_the_app_writes(db_url, tmp_path, monkeypatch):
    store = demo_store(db_url)
    version, writer = store.data_version(), Store(make_engine(db_url))
    read = backup._rows
    done = []

    def rows_then_write(conn, table):
        out = list(read(conn, table))
        if not done:  # after the first table: another connection saves a value
            ref = writer.reference_rows("anning", "安宁市")[0]
            writer.save_reference("anning", "安宁市", ref.series_id, ref.period, (ref.value or 0) + 1, "王五",
                                  ref.version)
            done.append(1)
        return out

    monkeypatch.setattr(backup, "_rows", rows_then_write)
    backup.write_backup(store.engine, tmp_path / "b.zip")
    arc = backup.open_archive(tmp_path / "b.zip")
    meta = {r["key"]: r["value"] for r in arc.rows("meta")}
    assert done and meta["data_version"] == str(version)
    assert "王五" not in {r["user_name"] for r in arc.rows("revision")}
    arc.close()
    assert store.data_version() == version + 1
    writer.dispose()
    store.dispose()


def test_restore_upgrades_an_archive_of_an_older_revision(tmp_path):
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, "0001")
    with old.begin() as c:
        c.execute(text("INSERT INTO users (id, username, display_name, role, units, schemes, password_hash, active, "
                       "failed_count, created_at) VALUES (7, 'zhao', '赵六', 'viewer', '[]', '[]', 'h', 1, 0, "
                       "'2025-01-02 03:04:05.000000')"))
    manifest = backup.write_backup(old, tmp_path / "old.zip")
    assert manifest["revision"] == "0001"
    target = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(target)  # an empty database already at head is rebuilt at the archive's revision first
    assert main(["--url", str(target.url), "restore", str(tmp_path / "old.zip")]) == 0
    assert current_revision(target) == head_revision()
    u = Store(target).get_user("zhao")
    assert (u.id, u.display_name, u.session_gen, u.demo, u.created_at.year) == (7, "赵六", 0, False, 2025)
    old.dispose()
    target.dispose()


# ------------------------------------------------------------------ bad input

def _restore_cli(url, path, capsys, *extra) -> tuple[int, str]:
    rc = main(["--url", url, "restore", str(path), *extra])
    return rc, capsys.readouterr().err


def _empty(url) -> bool:
    engine = make_engine(url)
    try:
        return not any(backup.row_counts(engine).values())
    finally:
        engine.dispose()


def test_truncated_archive_is_refused(demo_archive, tmp_path, sqlite_url, capsys):
    cut = tmp_path / "cut.zip"
    cut.write_bytes(demo_archive.read_bytes()[: demo_archive.stat().st_size // 2])
    rc, err = _restore_cli(sqlite_url, cut, capsys)
    assert rc == 1 and "不完整或已损坏" in err and "Traceback" not in err
    assert _empty(sqlite_url)


def test_member_changed_after_writing_is_refused(demo_archive, tmp_path, sqlite_url, capsys):
    bad = tmp_path / "bad.zip"
    rewrite(demo_archive, bad, lambda n, b: b.replace(b'"new_value":', b'"new_value":1', 1)
            if n == "tables/revision.jsonl" else b)
    rc, err = _restore_cli(sqlite_url, bad, capsys)
    assert rc == 1 and "tables/revision.jsonl 校验失败" in err
    assert _empty(sqlite_url)


def test_archive_of_a_newer_revision_is_refused(demo_archive, tmp_path, sqlite_url, capsys):
    newer = tmp_path / "newer.zip"

    def bump(name, data):
        if name != "manifest.json":
            return data
        m = json.loads(data)
        m["revision"] = "9999"
        return json.dumps(m).encode()

    rewrite(demo_archive, newer, bump)
    rc, err = _restore_cli(sqlite_url, newer, capsys)
    assert rc == 1 and "较新的数据库结构版本 9999" in err
    assert _empty(sqlite_url)


def test_restore_refuses_a_database_with_data_unless_forced(demo_archive, db_url, capsys):
    assert _restore_cli(db_url, demo_archive, capsys)[0] == 0
    store = Store(make_engine(db_url))
    store.add_user("extra", "viewer")
    rc, err = _restore_cli(db_url, demo_archive, capsys)
    assert rc == 1 and "目标数据库不是空的" in err and "--force" in err
    assert store.get_user("extra") is not None
    assert _restore_cli(db_url, demo_archive, capsys, "--force")[0] == 0
    assert store.get_user("extra") is None and store.is_demo()
    store.dispose()


def test_interrupted_restore_leaves_the_target_empty(demo_archive, db_url):
    engine = make_engine(db_url)

    def fail(table):
        if table == "revision":  # after most tables were inserted
            raise OSError("connection lost")

    with pytest.raises(OSError):
        backup.restore(engine, demo_archive, after_table=fail)
    assert not any(backup.row_counts(engine).values())
    backup.restore(engine, demo_archive)  # and a second attempt then succeeds
    assert backup.row_counts(engine)["revision"] > 900
    engine.dispose()


def test_a_full_disk_leaves_no_file_under_the_final_name(tmp_path, sqlite_url, monkeypatch, capsys):
    demo_store(sqlite_url).dispose()
    write = backup._add_member
    calls = []

    def fills_up(*args):
        calls.append(1)
        if len(calls) == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(*args)

    monkeypatch.setattr(backup, "_add_member", fills_up)
    out = tmp_path / "out" / "b.zip"
    rc = main(["--url", sqlite_url, "backup", "--out", str(out)])
    assert rc == 1 and "磁盘空间不足" in capsys.readouterr().err
    assert list(out.parent.iterdir()) == []
    assert Store(make_engine(sqlite_url)).last_backup() is None


def test_backup_of_a_database_without_schema_is_refused(tmp_path, capsys):
    rc = main(["--url", f"sqlite:///{tmp_path / 'none.db'}", "backup", "--out", str(tmp_path / "x.zip")])
    assert rc == 1 and "尚未建立结构" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


# ------------------------------------------------------------------ scheduled backups

def test_retention_keeps_newest_per_day_week_and_month():
    start = datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc)
    times = {f"b{i:03d}": start + timedelta(days=i) for i in range(120)}
    times["b119-late"] = times["b119"] + timedelta(hours=3)
    keep = backup.to_keep(times, 7, 4, 12)
    days = {f"b{i:03d}" for i in range(113, 119)} | {"b119-late"}
    sundays = {n for n, t in times.items() if t.isoweekday() == 7 and t >= start + timedelta(days=95)}
    month_ends = {"b030", "b058", "b089"}  # Jan 31, Feb 28, Mar 31 (April's newest is among the days)
    assert keep == days | sundays | month_ends
    assert backup.to_keep(times, 0, 0, 0) == {"b119-late"}


def test_backup_dir_applies_retention_and_records_the_last_backup(tmp_path, sqlite_url, capsys):
    demo_store(sqlite_url).dispose()
    d = tmp_path / "backups"
    d.mkdir()
    (d / "notes.txt").write_text("not a backup")
    engine = make_engine(sqlite_url)
    for day in range(1, 4):
        backup.backup_to_dir(engine, d, (2, 0, 0), now=datetime(2026, 3, day, 2, tzinfo=timezone.utc))
    assert sorted(p.name for p in d.iterdir()) == ["monitor-20260302-020000.zip", "monitor-20260303-020000.zip",
                                                   "notes.txt"]
    assert main(["--url", sqlite_url, "backup", "--dir", str(d), "--keep", "1,0,0"]) == 0
    out = capsys.readouterr().out
    assert "已按保留规则删除旧备份" in out
    names = [p.name for p in d.iterdir() if p.suffix == ".zip"]
    assert len(names) == 1
    info = Store(engine).last_backup()
    assert info["file"] == names[0] and info["bytes"] == (d / names[0]).stat().st_size
    assert main(["--url", sqlite_url, "backup", "--dir", str(d), "--keep", "7,4"]) == 1
    assert "--keep 格式错误" in capsys.readouterr().err
    engine.dispose()


def test_backup_notice_warns_after_two_days():
    now = datetime(2026, 3, 5, 12, tzinfo=timezone.utc)
    text_, warn = backup.backup_notice(None, now)
    assert warn and "尚无备份记录" in text_
    info = {"at": "2026-03-04T02:00:00+00:00", "bytes": 3 * 1024 * 1024, "file": "monitor-20260304-020000.zip"}
    text_, warn = backup.backup_notice(info, now)
    assert not warn and "3.0 MB" in text_ and "monitor-20260304-020000.zip" in text_
    text_, warn = backup.backup_notice({**info, "at": "2026-03-03T02:00:00+00:00"}, now)
    assert warn and "已超过两天" in text_


def test_admin_page_shows_the_last_backup(tmp_path):
    from dashboard import Settings, create_app
    from dashboard.pages import users

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", secret_key="test", login_disabled=True))
    service = app.server.extensions["monitor"]["service"]
    with app.server.test_request_context("/admin/users"):
        assert "尚无备份记录" in str(users.layout(service, "").children)
        service.store.record_backup({"at": datetime.now(timezone.utc).isoformat(), "bytes": 2048, "file": "x.zip"})
        page = str(users.layout(service, "").children)
    assert "最近一次备份" in page and "2.0 KB" in page and "已超过两天" not in page


# ------------------------------------------------------------------ integrity check

def test_check_passes_on_the_demo(db_url, capsys):
    demo_store(db_url).dispose()
    assert main(["--url", db_url, "check"]) == 0
    assert "检查通过" in capsys.readouterr().out


def test_check_names_each_kind_of_damage(db_url, capsys):
    from data.integrity import check

    store = demo_store(db_url)
    with store.engine.begin() as c:
        obs_id, ind = c.execute(text("SELECT id, indicator_id FROM observation WHERE scheme_id='anning' "
                                     "ORDER BY id LIMIT 1")).one()
        c.execute(text("UPDATE observation SET value = value + 1000 WHERE id = :i"), {"i": obs_id})
        sub_id, unit = c.execute(text("SELECT id, unit FROM submission WHERE state = 'approved' "
                                      "ORDER BY id LIMIT 1")).one()
        c.execute(text("UPDATE submission SET state = 'draft' WHERE id = :i"), {"i": sub_id})
    problems = check(store.engine, UNIT_OF)
    assert any(p.startswith("当前值与修改记录不符") and ind in p for p in problems)
    assert any(p.startswith("报送状态与记录不符") and unit in p and "应为已审核" in p for p in problems)
    assert main(["--url", db_url, "check"]) == 1
    captured = capsys.readouterr()
    assert "当前值与修改记录不符" in captured.out and "检查未通过" in captured.err
    store.dispose()


def test_check_finds_a_change_after_the_lock_and_a_broken_reference(sqlite_url):
    from data.integrity import check

    store = demo_store(sqlite_url)
    sub = store.submissions_in_state("anning", "approved")[0]
    ind = next(i for i in REGISTRY.scheme_indicators("anning") if i.reporting_unit == sub.unit)
    with store.engine.begin() as c:
        rid = c.execute(text("SELECT id FROM region WHERE scheme_id='anning' AND name=:n"), {"n": sub.region}).scalar()
        obs = c.execute(text("SELECT id, value FROM observation WHERE indicator_id=:i AND region_id=:r AND period=:p"),
                        {"i": ind.id, "r": rid, "p": str(sub.period)}).one()
        c.execute(text("INSERT INTO revision (observation_id, indicator_id, region_id, period, old_value, new_value, "
                       "old_note, new_note, user_name, at, reason, source) VALUES (:o, :i, :r, :p, :v, :v, '', '', "
                       "'黑客', '2099-01-01 00:00:00.000000', '', 'form')"),
                  {"o": obs.id, "i": ind.id, "r": rid, "p": str(sub.period), "v": obs.value})
        c.exec_driver_sql("PRAGMA foreign_keys=OFF")
    with store.engine.connect() as c:
        c.exec_driver_sql("PRAGMA foreign_keys=OFF")
        c.execute(text("UPDATE reference_value SET region_id = 999 WHERE id = 1"))
        c.commit()
    problems = check(store.engine, UNIT_OF)
    assert any(p.startswith("锁定后被修改") and ind.id in p and "黑客" in p for p in problems)
    assert any(p.startswith("外键错误:reference_value 第 1 行的 region_id=999") for p in problems)
    store.dispose()


def test_check_verifies_evidence_files(tmp_path):
    from data.integrity import check_evidence_files

    (tmp_path / "a.pdf").write_bytes(b"pdf")
    import hashlib

    good = hashlib.sha256(b"pdf").hexdigest()
    assert check_evidence_files([("a.pdf", good)], tmp_path) == []
    assert check_evidence_files([("a.pdf", "0" * 64), ("b.pdf", good)], tmp_path) == [
        "佐证材料已被改动(SHA-256 不符):a.pdf", "佐证材料缺失:b.pdf"]


def test_evidence_files_travel_in_the_archive(tmp_path, sqlite_url, monkeypatch, capsys):
    demo_store(sqlite_url).dispose()
    src = tmp_path / "evidence"
    (src / "2025Q1").mkdir(parents=True)
    (src / "2025Q1" / "证明.pdf").write_bytes(b"%PDF-1.4 evidence")
    monkeypatch.setenv("EVIDENCE_DIR", str(src))
    assert main(["--url", sqlite_url, "backup", "--out", str(tmp_path / "e.zip")]) == 0
    # Without EVIDENCE_DIR the files go where the app keeps them for that database.
    from data.evidence import default_evidence_dir

    target = f"sqlite:///{tmp_path / 't.db'}"
    monkeypatch.delenv("EVIDENCE_DIR")
    assert _restore_cli(target, tmp_path / "e.zip", capsys)[0] == 0
    default = Path(default_evidence_dir(target))
    assert (default / "2025Q1" / "证明.pdf").read_bytes() == b"%PDF-1.4 evidence"
    target2 = f"sqlite:///{tmp_path / 't2.db'}"
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "restored"))
    assert _restore_cli(target2, tmp_path / "e.zip", capsys)[0] == 0
    assert (tmp_path / "restored" / "2025Q1" / "证明.pdf").read_bytes() == b"%PDF-1.4 evidence"


def test_check_finds_a_missing_or_changed_evidence_file(tmp_path, sqlite_url):
    """The evidence feature's own files: the demo's pass; a changed and a deleted one are named."""
    from dashboard import Settings, create_app
    from data.evidence import stored_name
    from data.integrity import check

    app = create_app(Settings(database_url=sqlite_url, demo=True, secret_key="k" * 40, login_disabled=True))
    service = app.server.extensions["monitor"]["service"]
    root = Path(app.server.extensions["monitor"]["settings"].resolved_evidence_dir())
    rows = service.evidence.rows()
    assert len(rows) >= 2
    assert check(service.store.engine, UNIT_OF, root) == []
    first, second = rows[0].sha256, next(r.sha256 for r in rows if r.sha256 != rows[0].sha256)
    (root / stored_name(first)).write_bytes(b"changed")
    (root / stored_name(second)).unlink()
    problems = check(service.store.engine, UNIT_OF, root)
    assert f"佐证材料已被改动(SHA-256 不符):{stored_name(first)}" in problems
    assert f"佐证材料缺失:{stored_name(second)}" in problems


# ------------------------------------------------------------------ export for people

def test_export_writes_every_value_with_its_history(tmp_path, sqlite_url, capsys):
    from openpyxl import load_workbook

    store = demo_store(sqlite_url)
    out = tmp_path / "all.xlsx"
    assert main(["--url", sqlite_url, "export", "--format", "xlsx", "--out", str(out)]) == 0
    wb = load_workbook(out, read_only=True)
    an, lz = REGISTRY.schemes["anning"].short_name, REGISTRY.schemes["luzhou"].short_name
    assert wb.sheetnames == ["说明", an, lz, "报送审核记录"]
    with store.engine.connect() as c:
        per_scheme = dict(c.execute(text("SELECT r.scheme_id, COUNT(*) FROM revision v JOIN region r "
                                         "ON v.region_id = r.id GROUP BY r.scheme_id")).all())
        events = c.execute(text("SELECT COUNT(*) FROM submission_event")).scalar()
    rows = list(wb[an].iter_rows(values_only=True))
    assert rows[0][:7] == ("地区", "类别", "指标或序列编号", "指标名称", "计量单位", "报告期", "当前值")
    assert len(rows) - 1 == per_scheme["anning"]
    assert len(list(wb[lz].iter_rows())) - 1 == per_scheme["luzhou"]
    assert len(list(wb["报送审核记录"].iter_rows())) - 1 == events
    hist = store.history("anning_invention_grants_annual", region="安宁市")
    mine = [r for r in rows[1:] if r[2] == "anning_invention_grants_annual" and r[5] == str(hist[-1].period)]
    assert mine and mine[-1][10] == hist[-1].new_value and mine[-1][12] == hist[-1].user
    store.dispose()
