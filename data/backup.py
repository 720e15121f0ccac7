"""Portable backups: one zip archive, the same for SQLite and PostgreSQL.

Archive layout (format 1)::

    manifest.json          format, schema (Alembic) revision, time, tables with row counts and
                           columns, SHA-256 and size of every other member
    tables/<table>.jsonl   one JSON object per row, keys sorted, rows in primary-key order;
                           times as UTC ISO strings, dates as ISO dates, numbers as JSON numbers
    evidence/<path>        the evidence files under EVIDENCE_DIR, when that directory exists

The tables are read from the database itself (reflection), not from the models, so an archive
holds every table of the revision it was made at, including tables added by later features
(evidence metadata, registry versions). The rows are read in one read transaction (a snapshot),
so the archive is consistent while the app is writing. Restore rebuilds the schema at the
archive's revision, inserts every row in one transaction and then runs the migrations up to head.
See docs/backup.md.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy import Engine

from .db import current_revision, upgrade
from .store import LAST_BACKUP_KEY

FORMAT = "ipr-monitor-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "tables/"
EVIDENCE_PREFIX = "evidence/"
ALEMBIC_TABLE = "alembic_version"
# Scheduled backups in --dir are named like this; retention only ever deletes files of this form.
NAME_PATTERN = re.compile(r"^monitor-(\d{8}-\d{6})\.zip$")
NAME_FORMAT = "monitor-%Y%m%d-%H%M%S.zip"
STALE_AFTER = timedelta(days=2)
_CHUNK = 1 << 16


class BackupError(Exception):
    """A refusal or failure whose message (Chinese) is shown to the user as it is."""


# ------------------------------------------------------------------ values <-> JSON

def _utc_iso(v: Any) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, str):  # SQLite keeps times as text, in UTC
        v = datetime.fromisoformat(v)
    if v.tzinfo is None:
        v = v.replace(tzinfo=timezone.utc)
    return v.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _kind(col_type: sa.types.TypeEngine) -> str:
    if isinstance(col_type, sa.DateTime):
        return "datetime"
    if isinstance(col_type, sa.Date):
        return "date"
    if isinstance(col_type, sa.Boolean):
        return "bool"
    if isinstance(col_type, sa.JSON):
        return "json"
    if isinstance(col_type, sa.Integer):
        return "int"
    if isinstance(col_type, sa.Numeric):  # Float is a Numeric
        return "number"
    return "text"


def to_json(kind: str, v: Any) -> Any:
    """A raw driver value as the archive stores it (the same for both databases)."""
    if v is None:
        return None
    if kind == "datetime":
        return _utc_iso(v)
    if kind == "date":
        return v if isinstance(v, str) else v.isoformat()
    if kind == "bool":
        return bool(v)
    if kind == "json":
        return json.loads(v) if isinstance(v, (str, bytes)) else v
    if kind == "int":
        return int(v)
    if kind == "number":
        return float(v)
    return v


def from_json(kind: str, v: Any) -> Any:
    """An archive value as the typed (reflected) column accepts it."""
    if v is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(v).astimezone(timezone.utc)
    if kind == "date":
        return date.fromisoformat(v)
    return v


# ------------------------------------------------------------------ reading the database

def _reflect(conn) -> sa.MetaData:
    md = sa.MetaData()
    md.reflect(conn)
    return md


def data_tables(md: sa.MetaData) -> list[sa.Table]:
    """Every table but Alembic's, parents before children."""
    return [t for t in md.sorted_tables if t.name != ALEMBIC_TABLE]


def _rows(conn, table: sa.Table) -> Iterator[dict]:
    """Rows of ``table`` as archive dicts, in primary-key order. Read through untyped columns so
    both databases hand over their raw values, which :func:`to_json` makes identical."""
    kinds = {c.name: _kind(c.type) for c in table.columns}
    raw = sa.table(table.name, *[sa.column(n) for n in kinds])
    pk = [c.name for c in table.primary_key.columns]
    if pk and all(kinds[k] == "int" for k in pk):  # streamed: the revision table may be large
        q = sa.select(raw).order_by(*[raw.c[k] for k in pk])
        for r in conn.execute(q, execution_options={"yield_per": 2000}):
            yield {n: to_json(kinds[n], v) for n, v in zip(kinds, r)}
        return
    out = [{n: to_json(kinds[n], v) for n, v in zip(kinds, r)} for r in conn.execute(sa.select(raw))]
    # Text keys are sorted here, not by ORDER BY, which would follow each database's collation.
    key = pk or sorted(kinds)
    out.sort(key=lambda d: tuple((d[k] is None, str(d[k])) for k in key))
    yield from out


def _jsonl(rows: Iterable[dict], counted: list[int]) -> Iterator[bytes]:
    """JSON lines in chunks of 1000 rows; ``counted[0]`` ends as the number of rows."""
    batch: list[bytes] = []
    for r in rows:
        batch.append(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        counted[0] += 1
        if len(batch) == 1000:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)


def _snapshot(engine: Engine):
    """A connection inside one read transaction: every table is read from the same snapshot."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        conn = engine.connect()
        # pysqlite starts no transaction for SELECTs; BEGIN makes WAL keep one snapshot until the end.
        conn.exec_driver_sql("BEGIN")
    return conn


def evidence_dir(database_url: Optional[str] = None) -> Optional[Path]:
    """Where the database's evidence files live (data.evidence.evidence_dir), None without a URL
    and without EVIDENCE_DIR."""
    from .evidence import evidence_dir as resolve

    return resolve(database_url) if database_url or os.environ.get("EVIDENCE_DIR", "").strip() else None


def _evidence_files(root: Optional[Path]) -> list[tuple[str, Path]]:
    if root is None or not root.is_dir():
        return []
    return sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _add_member(zf: zipfile.ZipFile, members: dict, name: str, chunks: Iterable[bytes], now: datetime) -> None:
    """The one writer of archive members: streams ``chunks`` and records their SHA-256 and size."""
    info = zipfile.ZipInfo(name, date_time=now.astimezone(timezone.utc).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    h, n = hashlib.sha256(), 0
    with zf.open(info, "w", force_zip64=True) as out:
        for chunk in chunks:
            out.write(chunk)
            h.update(chunk)
            n += len(chunk)
    members[name] = {"sha256": h.hexdigest(), "bytes": n}


def _write_zip(fh, engine: Engine, with_credentials: bool, evidence_root: Optional[Path], now: datetime) -> dict:
    members: dict[str, dict] = {}
    tables: dict[str, dict] = {}
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf, _snapshot(engine) as conn:
        revision = conn.execute(sa.text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar() \
            if sa.inspect(conn).has_table(ALEMBIC_TABLE) else None
        if revision is None:
            raise BackupError("数据库尚未建立结构(请先运行 python -m data init),没有可备份的数据")
        for table in data_tables(_reflect(conn)):
            rows = _rows(conn, table)
            if table.name == "meta":  # the time of the last backup belongs to the database it was made of
                rows = (r for r in rows if r.get("key") != LAST_BACKUP_KEY)
            if table.name == "users" and not with_credentials:
                rows = ({**r, "password_hash": ""} if "password_hash" in r else r for r in rows)
            counted = [0]
            _add_member(zf, members, f"{TABLES_DIR}{table.name}.jsonl", _jsonl(rows, counted), now)
            tables[table.name] = {"rows": counted[0], "columns": {c.name: _kind(c.type) for c in table.columns}}
        conn.rollback()
        for rel, path in _evidence_files(evidence_root):
            _add_member(zf, members, EVIDENCE_PREFIX + rel, _file_chunks(path), now)
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "created_at": _utc_iso(now),
                    "revision": revision, "database": engine.dialect.name, "with_credentials": with_credentials,
                    "tables": tables, "members": members}
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    return manifest


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_output(out: Path | str) -> Iterator[BinaryIO]:
    """A file handle whose content appears under ``out`` only when the block completes: written to
    a temporary name in the same directory, fsynced, then renamed. On any failure (a full disk) the
    temporary file is removed, so no partial file ever carries the final name."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)  # mkstemp's mode 0600 stays: the file holds every user's data
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise BackupError(f"磁盘空间不足,未能写完 {out.name},没有留下不完整的文件:{out.parent}") from exc
        raise
    _fsync_dir(out.parent)


def write_backup(engine: Engine, out: Path | str, with_credentials: bool = False,
                 evidence_root: Optional[Path] = None, now: Optional[datetime] = None) -> dict:
    """Write the archive to ``out`` (atomically, see :func:`atomic_output`). Returns the manifest
    plus ``bytes`` (the archive's size)."""
    now = now or datetime.now(timezone.utc)
    with atomic_output(out) as fh:
        manifest = _write_zip(fh, engine, with_credentials, evidence_root, now)
    return {**manifest, "bytes": Path(out).stat().st_size}


# ------------------------------------------------------------------ scheduled backups and retention

def parse_keep(text: str) -> tuple[int, int, int]:
    """"7,4,12" -> (daily, weekly, monthly)."""
    parts = [p.strip() for p in (text or "").split(",")]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise BackupError(f"--keep 格式错误:{text}(应为 日,周,月 三个非负整数,如 7,4,12)")
    d, w, m = (int(p) for p in parts)
    return d, w, m


def backup_time(name: str) -> Optional[datetime]:
    m = NAME_PATTERN.match(name)
    return datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc) if m else None


def to_keep(times: dict[str, datetime], daily: int, weekly: int, monthly: int) -> set[str]:
    """Names to keep: the newest backup of each of the last ``daily`` days that have one, of the
    last ``weekly`` ISO weeks and of the last ``monthly`` months (as restic's --keep-*), and
    always the newest of all."""
    newest_first = sorted(times, key=lambda n: times[n], reverse=True)
    keep = set(newest_first[:1])
    for count, bucket in ((daily, lambda t: t.date()), (weekly, lambda t: t.isocalendar()[:2]),
                          (monthly, lambda t: (t.year, t.month))):
        seen: set = set()
        for name in newest_first:
            b = bucket(times[name])
            if b not in seen:
                if len(seen) == count:
                    break
                seen.add(b)
                keep.add(name)
    return keep


def backup_to_dir(engine: Engine, directory: Path | str, keep: tuple[int, int, int], with_credentials: bool = False,
                  evidence_root: Optional[Path] = None, now: Optional[datetime] = None) -> tuple[Path, dict, list[Path]]:
    """A new ``monitor-YYYYmmdd-HHMMSS.zip`` in ``directory``, then retention: returns the new
    file, its manifest and the old backups deleted (only files named like backups are touched)."""
    directory = Path(directory)
    now = now or datetime.now(timezone.utc)
    out = directory / now.astimezone(timezone.utc).strftime(NAME_FORMAT)
    manifest = write_backup(engine, out, with_credentials, evidence_root, now)
    times = {p.name: t for p in directory.iterdir() if (t := backup_time(p.name)) is not None}
    removed = []
    for name in sorted(set(times) - to_keep(times, *keep)):
        (directory / name).unlink(missing_ok=True)
        removed.append(directory / name)
    return out, manifest, removed


# ------------------------------------------------------------------ the admin page's notice

def _size(n: int) -> str:
    for unit, f in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= f:
            return f"{n / f:.1f} {unit}"
    return f"{n} B"


def backup_notice(info: Optional[dict], now: datetime) -> tuple[str, bool]:
    """(text, is_warning) for the admin page from the recorded last backup ({"at", "bytes", "file"})."""
    if not info or not info.get("at"):
        return "尚无备份记录:请按 docs/backup.md 设置每日定时备份。", True
    at = datetime.fromisoformat(info["at"])
    text = f"最近一次备份:{at.astimezone().strftime('%Y-%m-%d %H:%M')},{_size(int(info.get('bytes') or 0))}"
    if info.get("file"):
        text += f"({info['file']})"
    if now - at > STALE_AFTER:
        return f"{text}。已超过两天没有备份,请检查定时备份。", True
    return text + "。", False


def last_backup_info(manifest: dict, out: Path) -> dict:
    return {"at": manifest["created_at"], "bytes": manifest["bytes"], "file": Path(out).name}


# ------------------------------------------------------------------ reading and checking an archive

@dataclass
class Archive:
    path: Path
    manifest: dict
    zf: zipfile.ZipFile = field(repr=False)

    @property
    def revision(self) -> str:
        return self.manifest["revision"]

    def rows(self, table: str) -> Iterator[dict]:
        with self.zf.open(f"{TABLES_DIR}{table}.jsonl") as fh:
            for line in fh:
                yield json.loads(line)

    def evidence(self) -> list[str]:
        return sorted(n[len(EVIDENCE_PREFIX):] for n in self.manifest["members"] if n.startswith(EVIDENCE_PREFIX))

    def close(self) -> None:
        self.zf.close()


def _member_sha(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def open_archive(path: Path | str) -> Archive:
    """Open and verify an archive: complete zip, our manifest, every member present with its
    SHA-256 and size, no member the manifest does not list, row counts as recorded."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件:{path}")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"备份文件不完整或已损坏(不是完整的 zip 归档,可能在复制或写入时被截断):{path}") from exc
    try:
        try:
            manifest = json.loads(zf.read(MANIFEST))
        except KeyError as exc:
            raise BackupError(f"不是本系统的备份文件(缺少 {MANIFEST}):{path}") from exc
        except (ValueError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise BackupError(f"备份文件的清单({MANIFEST})已损坏:{path}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(f"不是本系统的备份文件(清单格式不符):{path}")
        if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
            raise BackupError(f"备份文件格式版本 {manifest.get('format_version')} 比本程序支持的 {FORMAT_VERSION} 新,"
                              "请先升级程序再恢复")
        members = manifest.get("members") or {}
        names = set(zf.namelist()) - {MANIFEST}
        if names - set(members):
            raise BackupError(f"备份中有清单未列出的文件:{'、'.join(sorted(names - set(members))[:5])}")
        for name, info in sorted(members.items()):
            if name not in names:
                raise BackupError(f"备份不完整:缺少 {name}")
            try:
                sha, n = _member_sha(zf, name)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                raise BackupError(f"备份中的 {name} 已损坏,无法读取(文件可能被截断或改动)") from exc
            if sha != info.get("sha256") or n != info.get("bytes"):
                raise BackupError(f"备份中的 {name} 校验失败(SHA-256 与清单不符):备份写入后被改动或已损坏,拒绝恢复")
        for table, info in (manifest.get("tables") or {}).items():
            if f"{TABLES_DIR}{table}.jsonl" not in members:
                raise BackupError(f"备份不完整:缺少表 {table} 的数据")
        return Archive(path, manifest, zf)
    except BaseException:
        zf.close()
        raise


# ------------------------------------------------------------------ restore

def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from .db import alembic_config

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


# Meta rows every database has (the migration writes data_version): not data of their own.
_HOUSEKEEPING_META = ("data_version", LAST_BACKUP_KEY)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows of data in every table but Alembic's (meta's housekeeping rows not counted): all zero
    in an empty database, even one whose schema is already created."""
    with engine.connect() as conn:
        out = {}
        for t in data_tables(_reflect(conn)):
            q = sa.select(sa.func.count()).select_from(t)
            if t.name == "meta" and "key" in t.c:
                q = q.where(t.c.key.not_in(_HOUSEKEEPING_META))
            out[t.name] = conn.execute(q).scalar()
        return out


def _fix_sequences(conn, tables: list[sa.Table]) -> None:
    """PostgreSQL: explicit ids leave the sequences behind; move each past its table's largest id."""
    for t in tables:
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        col = pk[0].name
        seq = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": col}).scalar()
        if seq:
            conn.execute(sa.text(f'SELECT setval(:s, COALESCE((SELECT MAX("{col}") FROM "{t.name}"), 0) + 1, false)'),
                         {"s": seq})


BATCH = 1000


def restore(engine: Engine, path: Path | str, force: bool = False, evidence_root: Optional[Path] = None,
            after_table: Optional[Callable[[str], None]] = None) -> dict:
    """Restore an archive into ``engine``'s database: all rows in one transaction (the target stays
    as it was if anything fails), then the migrations from the archive's revision up to head.
    Refuses a non-empty database unless ``force``, a damaged archive and a newer schema revision.
    ``after_table`` is called after each table's rows are inserted (tests interrupt there)."""
    from .db import head_revision

    arc = open_archive(path)
    try:
        manifest, rev = arc.manifest, arc.revision
        if not _known_revision(rev):
            raise BackupError(f"备份来自较新的数据库结构版本 {rev}(本程序最高为 {head_revision()}),"
                              "请先把程序升级到与备份同样新的版本再恢复")
        if arc.evidence() and evidence_root is None:
            raise BackupError("备份中含有佐证材料文件,请先设置 EVIDENCE_DIR(佐证材料目录)再恢复")
        filled = {t: n for t, n in row_counts(engine).items() if n}
        if filled and not force:
            shown = "、".join(f"{t} {n} 行" for t, n in sorted(filled.items())[:4])
            raise BackupError(f"目标数据库不是空的({shown}),恢复会覆盖其中的全部数据;确需覆盖请加 --force")
        if current_revision(engine) != rev:
            if sa.inspect(engine).get_table_names():  # a schema of another revision: rebuild at the archive's
                with engine.begin() as conn:
                    md = _reflect(conn)
                    md.drop_all(conn)
            upgrade(engine, rev)
        with engine.begin() as conn:
            tables = data_tables(_reflect(conn))
            names = {t.name for t in tables}
            unknown = set(manifest["tables"]) - names
            if unknown:
                raise BackupError(f"备份中的表 {'、'.join(sorted(unknown))} 在版本 {rev} 的数据库结构中不存在,无法恢复")
            for t in reversed(tables):
                conn.execute(t.delete())
            for t in tables:
                if t.name not in manifest["tables"]:
                    continue
                kinds = {c.name: _kind(c.type) for c in t.columns}
                extra = set(manifest["tables"][t.name]["columns"]) - set(kinds)
                if extra:
                    raise BackupError(f"备份中表 {t.name} 的列 {'、'.join(sorted(extra))} 在目标数据库中不存在")
                batch: list[dict] = []
                for row in arc.rows(t.name):
                    batch.append({k: from_json(kinds[k], v) for k, v in row.items()})
                    if len(batch) >= BATCH:
                        conn.execute(t.insert(), batch)
                        batch = []
                if batch:
                    conn.execute(t.insert(), batch)
                if after_table:
                    after_table(t.name)
            if conn.dialect.name == "postgresql":
                _fix_sequences(conn, tables)
        if rev != head_revision():
            upgrade(engine)
        if evidence_root is not None:
            _restore_evidence(arc, evidence_root)
        return {"revision": rev, "head": head_revision(), "tables": {t: i["rows"] for t, i in manifest["tables"].items()},
                "evidence": len(arc.evidence()), "with_credentials": bool(manifest.get("with_credentials"))}
    finally:
        arc.close()


def _restore_evidence(arc: Archive, root: Path) -> None:
    for rel in arc.evidence():
        target = (root / rel).resolve()
        if root.resolve() not in target.parents:  # a crafted name must not escape the directory
            raise BackupError(f"备份中的佐证材料路径不合法:{rel}")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, arc.zf.open(EVIDENCE_PREFIX + rel) as src:
                while chunk := src.read(_CHUNK):
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
