"""``python -m dashboard report``: write the Word or Excel review report from the command line.

    python -m dashboard report --scheme anning --as-of 2025-06-30 --format docx --out reports/

The database is DATABASE_URL (default instance/monitor.db); ``--demo`` reads the
demo database instead. Exit status: 0 written, 1 database/render/write failure,
2 bad arguments (unknown scheme or region, bad date).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Optional

from indicators.periods import Quarter, parse_date

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers) -> argparse.ArgumentParser:
    from .reports import FORMATS

    p = subparsers.add_parser(
        "report", help="生成工作进展报告(Word 或 Excel)",
        description="生成某方案、某地区截至某日(取该日或之前最近一个已结束的季度)的工作进展报告。",
    )
    p.add_argument("--scheme", required=True, help="方案编号,如 anning")
    p.add_argument("--as-of", required=True, dest="as_of", metavar="YYYY-MM-DD",
                   help="截至日期;按该日或之前最近结束的季度评价")
    p.add_argument("--region", help="地区名称(默认:方案所属地区)")
    p.add_argument("--format", required=True, choices=FORMATS, dest="fmt", help="docx 或 xlsx")
    p.add_argument("--out", required=True, help="输出文件;给目录时按“地区_季度_进展报告.格式”命名")
    p.add_argument("--demo", action="store_true", help="读取示例数据库(DEMO_DATABASE_URL)而非正式数据库")
    p.set_defaults(func=run)
    return p


def _fail(message: str, code: int = EXIT_FAIL) -> int:
    print(f"错误:{message}", file=sys.stderr)
    return code


def _open_service(url: str):
    """A MonitorService on an existing, migrated database, or an error message."""
    from sqlalchemy.exc import SQLAlchemyError

    from data.db import current_revision, make_engine, normalize_url
    from data.store import Store
    from indicators.registry import RegistryInvalid, load_registry

    from .service import MonitorService

    try:
        u = normalize_url(url)
    except Exception as exc:  # noqa: BLE001 - any malformed URL
        return None, f"数据库地址无效:{exc}"
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:") and not Path(u.database).exists():
        return None, f"数据库文件不存在:{u.database}(请先初始化数据库,或用 DATABASE_URL 指定)"
    try:
        registry = load_registry()
    except RegistryInvalid as exc:
        return None, f"指标库有误:{exc}"
    try:
        engine = make_engine(u)
        if current_revision(engine) is None:
            return None, f"数据库尚未初始化:{u.render_as_string(hide_password=True)}"
    except SQLAlchemyError as exc:
        return None, f"无法连接数据库:{exc.__class__.__name__}: {exc}"
    return MonitorService(registry, Store(engine)), None



def scheme_region(service, scheme_id: str, region: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """(the region, None), or (None, the Chinese message) for an unknown scheme or region; no
    region given: the scheme's default region (every command that takes --scheme/--region)."""
    if scheme_id not in service.registry.schemes:
        return None, f"未知方案“{scheme_id}”。可选:{'、'.join(sorted(service.registry.schemes))}"
    region = region or service.default_region(scheme_id)
    regions = service.regions(scheme_id)
    if region not in regions:
        return None, f"方案“{scheme_id}”下没有地区“{region}”。已有地区:{'、'.join(regions)}"
    return region, None


def _target(out: str, filename: str) -> Path:
    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)):
        return path / filename
    return path


def run(args: argparse.Namespace, today: Optional[date] = None) -> int:
    from . import reports
    from .settings import Settings

    try:
        as_of = parse_date(args.as_of)
    except ValueError:
        return _fail(f"日期“{args.as_of}”格式不对,应为 YYYY-MM-DD,如 2025-06-30", EXIT_USAGE)
    today = today or date.today()
    if as_of > today:
        return _fail(f"截至日期 {as_of.isoformat()} 晚于今天({today.isoformat()})", EXIT_USAGE)

    url = Settings.from_env(demo=bool(getattr(args, "demo", False))).database_url
    service, error = _open_service(url)
    if error:
        return _fail(error)
    try:
        region, problem = scheme_region(service, args.scheme, args.region)
        if problem:
            return _fail(problem, EXIT_USAGE)
        quarter = Quarter.latest_ended(as_of)
        path = _target(args.out, reports.report_filename(service, args.scheme, region, quarter, args.fmt))
        if not path.parent.is_dir():
            return _fail(f"输出目录不存在:{path.parent}")
        if path.is_dir() or not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            return _fail(f"无法写入 {path}")
        started = time.monotonic()
        # Built in memory first: a failure never leaves half a file behind.
        buf = io.BytesIO()
        try:
            data = reports.build_report(service, args.scheme, region, quarter, args.fmt, buf)
        except reports.ReportError as exc:
            return _fail(str(exc))
        try:
            path.write_bytes(buf.getvalue())
        except OSError as exc:
            return _fail(f"无法写入 {path}:{exc.strerror or exc}")
    finally:
        service.store.dispose()
    print(f"已生成 {path}({region},截至{quarter.label},{len(data.lines)}项指标,"
          f"用时{time.monotonic() - started:.1f}秒)")
    return EXIT_OK
