"""``python -m dashboard acceptance --scheme S --region R --out FILE.zip``: the acceptance package
(验收材料包) from the command line, as the page's button builds it.

Exit status: 0 written, 1 database/build/write failure, 2 bad arguments (unknown scheme or region).
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path
from typing import Callable, Optional

from ..report_cli import EXIT_OK, EXIT_USAGE, _fail, _open_service, _target, scheme_region


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "acceptance", help="生成验收材料包(zip)",
        description="生成某方案、某地区的验收材料包:索引(Word)、按维度和指标分文件夹的佐证材料、台账、"
                    "每个文件的SHA-256清单。")
    p.add_argument("--scheme", required=True, help="方案编号,如 anning")
    p.add_argument("--region", help="地区名称(默认:方案所属地区)")
    p.add_argument("--out", required=True, help="输出文件(.zip);给目录时按“地区_验收材料包_季度.zip”命名")
    p.add_argument("--demo", action="store_true", help="读取示例数据库(DEMO_DATABASE_URL)而非正式数据库")
    p.set_defaults(func=run)
    return p


def attach(service, settings) -> None:
    """The evidence files and the marks a service needs for the checklist (create_app does the same)."""
    from data.acceptance import AcceptanceMarks
    from data.evidence import Evidence

    service.evidence = Evidence(service.store, lambda: service.registry, settings.resolved_evidence_dir(),
                                settings.evidence_max_mb)
    service.acceptance = AcceptanceMarks(service.store, lambda: service.registry)


def run(args: argparse.Namespace, ledgers_xlsx: Optional[Callable] = None) -> int:
    from data.backup import BackupError

    from ..settings import Settings
    from . import package, rules

    settings = Settings.from_env(demo=bool(getattr(args, "demo", False)))
    service, error = _open_service(settings.database_url)
    if error:
        return _fail(error)
    try:
        attach(service, settings)
        region, problem = scheme_region(service, args.scheme, args.region)
        if problem:
            return _fail(problem, EXIT_USAGE)
        quarter = rules.judged_quarter(service.scheme(args.scheme), date.today())
        path = _target(args.out, package.package_filename(service.scheme(args.scheme), region, quarter))
        if not path.parent.is_dir():
            return _fail(f"输出目录不存在:{path.parent}")
        if path.is_dir() or not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            return _fail(f"无法写入 {path}:没有写入权限")
        started = time.monotonic()
        try:
            manifest = package.write_package(service, args.scheme, region, path, ledgers_xlsx=ledgers_xlsx)
        except (package.PackageError, BackupError) as exc:
            return _fail(str(exc))
        except OSError as exc:
            return _fail(f"无法写入 {path}:{exc.strerror or exc}")
    finally:
        service.store.dispose()
    n = sum(1 for f in manifest["files"] if f["path"].startswith(package.EVIDENCE_ROOT + "/"))
    print(f"已生成 {Path(path)}({region},评价季度{quarter.label},{len(service.indicators(args.scheme))}项指标,"
          f"佐证材料{n}份,用时{time.monotonic() - started:.1f}秒)")
    return EXIT_OK
