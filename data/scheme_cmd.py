"""``python -m data scheme``: registry versions (方案版本) from the command line.

    python -m data scheme list [--scheme S]
    python -m data scheme export --scheme S [--version N] --out FILE.yaml
    python -m data scheme publish FILE.yaml --effective YYYY-MM-DD --reason TEXT [--by USER]
    python -m data scheme adjust INDICATOR_ID VALUE --effective YYYY-MM-DD --reason TEXT [--by USER]

Publishing validates the file with the registry loader's rules (the messages name indicator and
field), refuses an effective date before the current version's, stores the version with who and
when, and the running app uses it at its next request (docs/workbench.md, "Registry versions").
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def add_parser(sub, url_of, open_db) -> argparse.ArgumentParser:
    """``url_of(args)``/``open_db(url)``: the database rules of ``python -m data``."""
    p = sub.add_parser("scheme", help="方案版本:列出、导出YAML、发布新版本、调整目标")
    cmds = p.add_subparsers(dest="scheme_command", required=True)
    ls = cmds.add_parser("list", help="列出各方案的版本(发布人、时间、生效日期、依据)")
    ls.add_argument("--scheme")
    exp = cmds.add_parser("export", help="把一个方案版本导出为YAML文件(默认当前版本)")
    exp.add_argument("--scheme", required=True)
    exp.add_argument("--version", type=int)
    exp.add_argument("--out", required=True)
    pub = cmds.add_parser("publish", help="把YAML文件发布为方案的新版本(先按指标库规则校验)")
    pub.add_argument("file")
    adj = cmds.add_parser("adjust", help="调整一个指标的目标值(生成方案的新版本)")
    adj.add_argument("indicator_id")
    adj.add_argument("value", type=float)
    for c in (pub, adj):
        c.add_argument("--effective", required=True, help="生效日期 YYYY-MM-DD")
        c.add_argument("--reason", required=True, help="依据(如调整文件的名称和文号)")
        c.add_argument("--by", default="命令行", help="记入发布记录的发布人")
    for c in (ls, exp, pub, adj):
        c.set_defaults(func=lambda args: run(args, url_of, open_db))
    return p


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"生效日期“{text}”无法识别,应为 YYYY-MM-DD,如 2024-06-30") from None


def run(args, url_of, open_db) -> int:
    from indicators.registry import load_registry
    from indicators.versions import ACTION_LABELS, VersionRefused

    from .errors import StoreError
    from .scheme_versions import adjust_target, export_text, load_history, publish_text
    from .store import Store

    base = load_registry()
    engine, _ = open_db(url_of(args))
    store = Store(engine)
    try:
        cmd = args.scheme_command
        if cmd == "list":
            history = load_history(store, base)
            for sid, versions in history.versions_by_scheme.items():
                if args.scheme and sid != args.scheme:
                    continue
                print(f"{sid} {versions[-1].scheme.short_name}")
                for v in versions:
                    when = v.published_at.strftime("%Y-%m-%d %H:%M") if v.published_at else "—"
                    print("\t".join([f"  第{v.version}版", f"{v.effective_from.isoformat()}起",
                                     ACTION_LABELS.get(v.action, v.action), v.published_by or "系统", when,
                                     v.reason or "—"]) + ("\t(当前)" if v is versions[-1] else ""))
            return 0
        if cmd == "export":
            text = export_text(load_history(store, base), args.scheme, args.version)
            Path(args.out).write_text(text, encoding="utf-8")
            print(f"已导出 {args.scheme} {'第' + str(args.version) + '版' if args.version else '当前版本'} → {args.out}")
            return 0
        effective = _date(args.effective)
        if cmd == "publish":
            try:
                text = Path(args.file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                print(f"无法读取文件 {args.file}:{exc}", file=sys.stderr)
                return 2
            rec = publish_text(store, base, text, effective, args.reason, args.by, name=Path(args.file).name)
        else:
            rec = adjust_target(store, base, args.indicator_id, args.value, effective, args.reason, args.by)
        print(f"已发布方案 {rec.scheme_id} 第{rec.version}版,{rec.effective_from.isoformat()}起生效"
              f"(发布人 {rec.published_by},依据:{rec.reason})")
        return 0
    except (VersionRefused, StoreError, ValueError) as exc:
        print(f"未发布:{exc}" if args.scheme_command in ("publish", "adjust") else f"错误:{exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
