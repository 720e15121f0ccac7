"""Database commands.

    python -m data init                      create or upgrade the schema
    python -m data demo [--force]            init + load the demo dataset
    python -m data import FILE [--dry-run] [--user NAME] [--region NAME]
    python -m data history INDICATOR_ID [--period 2024Q2] [--region NAME] [--format json|table]
    python -m data template SCHEME UNIT PERIOD OUT.xlsx [--region NAME]
    python -m data status --scheme anning --as-of 2024-06-30 [--region NAME] [--format json|table]
    python -m data backup (--out FILE | --dir DIR [--keep 7,4,12]) [--with-credentials]
    python -m data restore FILE [--force]
    python -m data check
    python -m data export --format xlsx --out FILE
    python -m data snapshot (--rebuild [--workers N] | --check) [--scheme ID]
    python -m data evidence add INDICATOR_ID PERIOD FILE [--region R] [--note TEXT] [--user NAME]
    python -m data evidence list [--indicator ID] [--region R] [--period P] [--format json|table]
    python -m data scheme list | export --scheme S [--version N] --out F.yaml
    python -m data scheme publish F.yaml --effective YYYY-MM-DD --reason TEXT [--by USER]
    python -m data scheme adjust INDICATOR_ID VALUE --effective YYYY-MM-DD --reason TEXT [--by USER]

Backups, restore, the move to PostgreSQL and scheduling: docs/backup.md.

Evidence files are kept in EVIDENCE_DIR (default: next to a SQLite database, e.g.
instance/monitor-evidence; instance/evidence for a server database), at most
EVIDENCE_MAX_MB (20) each; ``evidence add`` acts as the office and runs the page's checks.

The database is ``--url``, else the environment's DATABASE_URL, else
sqlite:///instance/monitor.db (relative to the repository root). ``demo`` uses
``--url``, else DEMO_DATABASE_URL, else sqlite:///instance/demo.db — never
DATABASE_URL — and refuses a database that holds real users or values unless
``--force``, so the demo never fills the real database by accident.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from typing import Optional

from .db import DEFAULT_URL, current_revision, head_revision, make_engine, normalize_url, upgrade

DEMO_DEFAULT_URL = "sqlite:///instance/demo.db"


def _url(args, demo: bool = False) -> str:
    if args.url:
        return args.url
    env = os.environ
    if demo:
        # Never DATABASE_URL: that is the real database (issue 14, finding 15).
        return env.get("DEMO_DATABASE_URL") or DEMO_DEFAULT_URL
    return env.get("DATABASE_URL") or DEFAULT_URL


def _shown(url: str) -> str:
    return normalize_url(url).render_as_string(hide_password=True)


def _open(url: str):
    """Engine with the schema brought up to date, and the revision found before."""
    engine = make_engine(url)
    before = current_revision(engine)
    upgrade(engine)
    return engine, before


def _registry():
    from indicators.registry import load_registry

    return load_registry()


def cmd_init(args) -> int:
    url = _url(args)
    engine, before = _open(url)
    head = head_revision()
    engine.dispose()
    if before == head:
        print(f"数据库已是最新结构(版本 {head}):{_shown(url)}")
    elif before is None:
        print(f"已创建数据库结构(版本 {head}):{_shown(url)}")
    else:
        print(f"已将数据库结构从版本 {before} 升级到 {head}:{_shown(url)}")
    return 0


def cmd_demo(args) -> int:
    from .demo import load_demo
    from .errors import StoreError
    from .store import Store

    url = _url(args, demo=True)
    engine, before = _open(url)
    print(("已创建" if before is None else "已检查") + f"数据库结构:{_shown(url)}")
    store = Store(engine)
    real = demo_refusal(store)
    if real and not args.force:
        engine.dispose()
        print(f"错误:{real},不能载入示例数据(确需载入请加 --force)。数据库:{_shown(url)}", file=sys.stderr)
        return 1
    try:
        registry = _registry()
        summary = load_demo(store, registry, evidence=_evidence(store, url, registry))
    except StoreError as exc:
        print(f"错误:{exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for scheme_id, info in summary.items():
        status = info.get("status")
        if status == "loaded":
            print(f"{scheme_id}:已载入示例数据 {info['observations']} 条({info['quarters']}),"
                  f"参照值 {info['references']} 条")
        elif status == "already loaded":
            print(f"{scheme_id}:示例数据已存在,未重复载入")
        else:
            print(f"{scheme_id}:指标库中没有该方案,已跳过")
    return 0


def demo_refusal(store) -> Optional[str]:
    """Why this database looks real (users not made by the demo, or values entered
    other than by the demo loader), or None."""
    real_users = [u.username for u in store.list_users() if not u.demo]
    if real_users:
        return f"数据库中已有正式用户({'、'.join(real_users[:5])}{'等' if len(real_users) > 5 else ''})"
    if store.has_non_demo_data():
        return "数据库中已有正式填报数据"
    return None


def cmd_import(args) -> int:
    from .importer import import_file
    from .store import Store

    url = _url(args)
    engine, _ = _open(url)
    try:
        today = date.fromisoformat(args.today) if args.today else None
        preview = import_file(Store(engine), _registry(), args.file, user=args.user, region=args.region,
                              today=today, dry_run=args.dry_run)
    finally:
        engine.dispose()
    if preview.errors:
        for e in preview.errors:
            print(e, file=sys.stderr)
        print(preview.summary(), file=sys.stderr)
        return 1
    for c in preview.changed:  # unchanged rows only count in the summary
        print(c.describe())
    for w in preview.warnings:
        print(f"提示:{w}")
    print(preview.summary())
    return 0


def _history_rows(rows) -> list[dict]:
    return [{
        "indicator_id": r.indicator_id, "region": r.region, "period": str(r.period) if r.period else None,
        "old_value": r.old_value, "new_value": r.new_value, "old_note": r.old_note, "new_note": r.new_note,
        "user": r.user, "at": r.at.isoformat(), "reason": r.reason, "source": r.source,
    } for r in rows]


def cmd_history(args) -> int:
    from .store import Store

    ind_id = args.indicator_id
    if ":" not in ind_id and ind_id not in _registry().indicators:
        print(f"未知指标编号:{ind_id}", file=sys.stderr)
        return 2
    period = None
    if args.period:
        from indicators.periods import Quarter
        try:
            period = Quarter.parse(args.period)
        except ValueError:
            print(f"报告期格式错误:{args.period}(应为如2024Q2)", file=sys.stderr)
            return 2
    engine, _ = _open(_url(args))
    try:
        rows = Store(engine).history(ind_id, region=args.region, period=period)
    finally:
        engine.dispose()
    data = _history_rows(rows)
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not data:
        print("没有修改记录")
        return 0

    def v(x):
        return "—" if x is None else f"{x:g}"
    print("时间(UTC)\t地区\t报告期\t原值\t新值\t修改人\t来源\t原因\t备注")
    for d, r in zip(data, rows):
        print("\t".join([r.at.strftime("%Y-%m-%d %H:%M:%S"), d["region"], d["period"] or "—", v(d["old_value"]),
                         v(d["new_value"]), d["user"], d["source"], d["reason"] or "—", d["new_note"] or "—"]))
    return 0


def cmd_template(args) -> int:
    from .importer import write_template
    from .store import Store

    registry = _registry()
    if args.scheme not in registry.schemes:
        print(f"未知方案:{args.scheme}", file=sys.stderr)
        return 2
    region = args.region or registry.schemes[args.scheme].region
    engine, _ = _open(_url(args))
    try:
        with open(args.out, "wb") as fh:
            unit = None if args.unit in ("all", "全部") else args.unit
            n = write_template(registry, args.scheme, region, unit, args.period, Store(engine), fh)
    finally:
        engine.dispose()
    print(f"已生成填报模板 {args.out}:{n} 个指标")
    return 0


def _safely(fn):
    """Run a backup/restore/check/export step: a refusal or a database that cannot be reached is
    one clear line on stderr and exit status 1, never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from .backup import BackupError

    try:
        return fn()
    except BackupError as exc:
        print(f"错误:{exc}", file=sys.stderr)
    except SQLAlchemyError as exc:
        print(f"错误:数据库操作失败:{str(exc.orig if getattr(exc, 'orig', None) else exc).strip().splitlines()[0]}",
              file=sys.stderr)
    except OSError as exc:
        print(f"错误:{exc.strerror or exc}:{exc.filename or ''}", file=sys.stderr)
    return 1


def cmd_backup(args) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from . import backup
    from .store import Store

    url = _url(args)
    if bool(args.out) == bool(args.dir):
        print("错误:请给出 --out FILE(一个文件)或 --dir DIR(定时备份目录)二者之一", file=sys.stderr)
        return 2

    def run() -> int:
        engine = make_engine(url)  # no migration: a backup reads the database as it is
        try:
            if args.dir:
                out, manifest, removed = backup.backup_to_dir(engine, args.dir, backup.parse_keep(args.keep),
                                                              args.with_credentials, backup.evidence_dir(url))
            else:
                out, removed = args.out, []
                manifest = backup.write_backup(engine, out, args.with_credentials, backup.evidence_dir(url))
            try:
                Store(engine).record_backup(backup.last_backup_info(manifest, out))
            except SQLAlchemyError as exc:  # e.g. a read-only role: the archive itself is complete
                print(f"提示:备份已完成,但未能把备份时间记入数据库(管理页面看不到这次备份):{exc.orig or exc}",
                      file=sys.stderr)
        finally:
            engine.dispose()
        rows = sum(t["rows"] for t in manifest["tables"].values())
        print(f"已备份 {_shown(url)} 到 {out}:{len(manifest['tables'])} 张表 {rows} 行,"
              f"结构版本 {manifest['revision']},{manifest['bytes']} 字节"
              + ("" if args.with_credentials else "(不含密码)"))
        for p in removed:
            print(f"已按保留规则删除旧备份 {p}")
        return 0

    return _safely(run)


def cmd_restore(args) -> int:
    from . import backup

    url = _url(args)

    def run() -> int:
        engine = make_engine(url)
        try:
            summary = backup.restore(engine, args.file, force=args.force, evidence_root=backup.evidence_dir(url))
        finally:
            engine.dispose()
        rows = sum(summary["tables"].values())
        print(f"已从 {args.file} 恢复到 {_shown(url)}:{len(summary['tables'])} 张表 {rows} 行"
              + (f",佐证材料 {summary['evidence']} 个" if summary["evidence"] else ""))
        if summary["revision"] != summary["head"]:
            print(f"已将数据库结构从备份的版本 {summary['revision']} 升级到 {summary['head']}")
        if not summary["with_credentials"]:
            print("备份不含密码:用户需由管理员重设密码后才能登录(python -m dashboard users reset 用户名)")
        return 0

    return _safely(run)


def cmd_check(args) -> int:
    from .backup import evidence_dir
    from .integrity import check

    url = _url(args)

    def run() -> int:
        engine = make_engine(url)
        try:
            rev, head = current_revision(engine), head_revision()
            if rev != head:
                print(f"错误:数据库结构版本为 {rev or '(空)'},不是最新的 {head},请先运行 python -m data init",
                      file=sys.stderr)
                return 1
            unit_of = {i.id: i.reporting_unit for i in _registry().indicators.values()}
            problems = check(engine, unit_of, evidence_dir(url))
        finally:
            engine.dispose()
        for p in problems:
            print(p)
        if problems:
            print(f"检查未通过:发现 {len(problems)} 处问题:{_shown(url)}", file=sys.stderr)
            return 1
        print(f"检查通过:外键、当前值与修改记录、报送锁定{'、佐证材料' if evidence_dir(url) else ''}均无问题:{_shown(url)}")
        return 0

    return _safely(run)


def cmd_export(args) -> int:
    from .backup import atomic_output
    from .export import export_xlsx

    url = _url(args)

    def run() -> int:
        engine, _ = _open(url)
        try:
            with atomic_output(args.out) as fh:
                counts = export_xlsx(engine, _registry(), fh)
        finally:
            engine.dispose()
        print(f"已导出到 {args.out}:" + ",".join(f"{k} {v} 行" for k, v in counts.items()))
        return 0

    return _safely(run)


def cmd_snapshot(args) -> int:
    """Recompute the status snapshot from the values, or compare it with a fresh evaluation."""
    import time

    from indicators.snapshot import Evaluator

    from .scheme_versions import load_history
    from .store import Store

    url = _url(args)

    def run() -> int:
        engine, _ = _open(url)
        try:
            registry = _registry()
            if args.scheme and args.scheme not in registry.schemes:
                print(f"错误:未知方案 {args.scheme}(可选:{', '.join(registry.schemes)})", file=sys.stderr)
                return 2
            store = Store(engine)
            # The published registry versions: rows as the service computes them (issue 17).
            store.set_snapshot_evaluator(Evaluator(registry, load_history(store, registry)))
            schemes = [args.scheme] if args.scheme else list(registry.schemes)
            if args.rebuild:
                t = time.perf_counter()
                rows = store.rebuild_snapshot(schemes, workers=max(1, args.workers))
                print(f"状态快照已重建:{rows:,} 行,用时 {time.perf_counter() - t:.1f} 秒:{_shown(url)}")
                return 0
            problems = [p for sid in schemes for p in store.snapshot_check(sid)]
            for p in problems[:50]:
                print(p)
            if problems:
                print(f"状态快照与重新评价不一致:{len(problems)} 处,请运行 python -m data snapshot --rebuild",
                      file=sys.stderr)
                return 1
            print(f"状态快照与重新评价完全一致:{_shown(url)}")
            return 0
        finally:
            engine.dispose()

    return _safely(run)


def _evidence(store, url: str, registry=None):
    from .evidence import Evidence, evidence_dir
    from .scheme_versions import load_history

    # The registry in force: a scheme or indicator published in the database counts too.
    registry = registry or load_history(store, _registry()).registry
    return Evidence(store, registry, evidence_dir(url), float(os.environ.get("EVIDENCE_MAX_MB") or 20))


def cmd_evidence_add(args) -> int:
    from .evidence import EvidenceRefused, Office
    from .store import Store

    try:
        with open(args.file, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        print(f"无法读取文件 {args.file}:{exc.strerror}", file=sys.stderr)
        return 2
    url = _url(args)
    engine, _ = _open(url)
    try:
        ev = _evidence(Store(engine), url)
        today = date.fromisoformat(args.today) if args.today else None
        row = ev.add(Office(args.user), args.indicator_id, args.region, args.period, os.path.basename(args.file),
                     data, args.note or "", today=today)
    except EvidenceRefused as exc:
        print(f"未添加:{exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    extra = "(该季度已报送/审核,由办公室补充,已记录)" if row.state_at_upload != "draft" else ""
    print(f"已添加佐证材料 #{row.id}:{row.name}({row.size_text},{row.content_type})"
          f" → {row.indicator_id} {row.region} {row.period}{extra}")
    return 0


def cmd_evidence_list(args) -> int:
    from .store import Store

    url = _url(args)
    engine, _ = _open(url)
    try:
        rows = _evidence(Store(engine), url).rows(indicator_id=args.indicator, region=args.region, period=args.period)
    finally:
        engine.dispose()
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("没有佐证材料")
        return 0
    print("编号\t指标\t地区\t报告期\t文件名\t大小\t上传人\t上传时间(UTC)\t状态\t备注")
    for r in rows:
        state = f"已移除({r.removed_by},{r.remove_reason})" if r.removed else "有效"
        print("\t".join([str(r.id), r.indicator_id, r.region, str(r.period), r.name, r.size_text, r.uploaded_by,
                         r.uploaded_at.strftime("%Y-%m-%d %H:%M:%S"), state, r.note or "—"]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m data", description="数据库命令:建库、示例数据、导入、修改记录")
    p.add_argument("--url", help="数据库地址(默认取环境变量 DATABASE_URL)")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="创建或升级数据库结构(可重复执行)").set_defaults(func=cmd_init)
    demo = sub.add_parser("demo", help="建库并载入示例数据(可重复执行;默认库 DEMO_DATABASE_URL 或 instance/demo.db)")
    demo.add_argument("--force", action="store_true", help="数据库中已有正式用户或数据时也载入(慎用)")
    demo.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", help="从CSV或XLSX文件导入填报值(全部成功或全部不写入)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="只检查并显示将要做的修改,不写入")
    imp.add_argument("--user", default="命令行导入", help="记入修改记录的用户名")
    imp.add_argument("--region", help="地区(默认取方案的地区)")
    imp.add_argument("--today", help=argparse.SUPPRESS)  # tests: fix "the current quarter"
    imp.set_defaults(func=cmd_import)

    his = sub.add_parser("history", help="查看一个指标的修改记录")
    his.add_argument("indicator_id", help="指标编号;参照值用 ref:序列编号,基期值用 baseline:指标编号")
    his.add_argument("--period")
    his.add_argument("--region")
    his.add_argument("--format", choices=("json", "table"), default="table")
    his.set_defaults(func=cmd_history)

    tpl = sub.add_parser("template", help="生成某单位某季度的XLSX填报模板")
    tpl.add_argument("scheme")
    tpl.add_argument("unit")
    tpl.add_argument("period")
    tpl.add_argument("out")
    tpl.add_argument("--region")
    tpl.set_defaults(func=cmd_template)

    bak = sub.add_parser("backup", help="把整个数据库备份为一个可移植的归档(zip),见 docs/backup.md")
    bak.add_argument("--out", help="备份文件")
    bak.add_argument("--dir", help="定时备份目录:文件名按时间生成,并按 --keep 删除旧备份")
    bak.add_argument("--keep", default="7,4,12", help="--dir 的保留规则:每日,每周,每月的份数(默认 7,4,12)")
    bak.add_argument("--with-credentials", action="store_true", help="连同用户的密码散列一起备份(默认不含)")
    bak.set_defaults(func=cmd_backup)

    res = sub.add_parser("restore", help="从备份归档恢复到空数据库(SQLite 或 PostgreSQL)")
    res.add_argument("file")
    res.add_argument("--force", action="store_true", help="目标数据库已有数据时也恢复(其中数据全部被替换)")
    res.set_defaults(func=cmd_restore)

    sub.add_parser("check", help="检查数据完整性(外键、当前值与修改记录、锁定后修改、佐证材料)").set_defaults(
        func=cmd_check)

    exp = sub.add_parser("export", help="导出全部数据及修改记录,供存档和查阅(无需本系统即可打开)")
    exp.add_argument("--format", choices=("xlsx",), default="xlsx")
    exp.add_argument("--out", required=True)
    exp.set_defaults(func=cmd_export)
    snap = sub.add_parser("snapshot", help="状态快照(各地区各季度的指标状态,派生数据):重建或核对")
    what = snap.add_mutually_exclusive_group(required=True)
    what.add_argument("--rebuild", action="store_true", help="按已存数据重新计算全部状态快照")
    what.add_argument("--check", action="store_true", help="与重新评价的结果逐行核对(不写入)")
    snap.add_argument("--scheme", help="只处理一个方案(默认全部)")
    snap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="重建时并行计算的进程数(默认CPU核数)")
    snap.set_defaults(func=cmd_snapshot)
    from .status_cmd import add_parser as add_status
    add_status(sub, _url)
    from .scheme_cmd import add_parser as add_scheme
    add_scheme(sub, _url, _open)

    ev = sub.add_parser("evidence", help="佐证材料:添加、列出").add_subparsers(dest="evidence_command", required=True)
    add = ev.add_parser("add", help="添加一个佐证材料文件(与页面上传相同的检查;以办公室身份记录)")
    add.add_argument("indicator_id")
    add.add_argument("period", help="季度,如2025Q2")
    add.add_argument("file")
    add.add_argument("--region", help="地区(默认取方案的地区)")
    add.add_argument("--note", default="")
    add.add_argument("--user", default="命令行", help="记入记录的上传人")
    add.add_argument("--today", help=argparse.SUPPRESS)  # tests: fix "the current quarter"
    add.set_defaults(func=cmd_evidence_add)
    lst = ev.add_parser("list", help="列出佐证材料(含已移除的)")
    lst.add_argument("--indicator")
    lst.add_argument("--region")
    lst.add_argument("--period")
    lst.add_argument("--format", choices=("json", "table"), default="table")
    lst.set_defaults(func=cmd_evidence_list)
    return p


def main(argv: Optional[list[str]] = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SQLAlchemyError as exc:
        # A locked, read-only or unreachable database: one sentence, no traceback. Every
        # write runs in one transaction, so nothing was written.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        print(f"数据库暂时不可用,未写入任何数据,请稍后重试({reason})。", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
