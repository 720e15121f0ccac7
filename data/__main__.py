"""Database commands.

    python -m data init                      create or upgrade the schema
    python -m data demo [--force]            init + load the demo dataset
    python -m data import FILE [--dry-run] [--user NAME] [--region NAME]
    python -m data history INDICATOR_ID [--period 2024Q2] [--region NAME] [--format json|table]
    python -m data template SCHEME UNIT PERIOD OUT.xlsx [--region NAME]
    python -m data evidence add INDICATOR_ID PERIOD FILE [--region R] [--note TEXT] [--user NAME]
    python -m data evidence list [--indicator ID] [--region R] [--period P] [--format json|table]

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


def _evidence(store, url: str, registry=None):
    from .evidence import Evidence, default_evidence_dir

    directory = os.environ.get("EVIDENCE_DIR", "").strip() or default_evidence_dir(url)
    return Evidence(store, registry or _registry(), directory, float(os.environ.get("EVIDENCE_MAX_MB") or 20))


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
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
