"""``python -m data export --format xlsx``: everything stored, for people and the archive (档案).

One sheet per scheme with one row per change of every value (填报值, 参照值, 基期值), each row
carrying the value's current state, so the workbook is readable and filterable without the app;
a sheet of every 报送/审核/退回 event; a first sheet saying what the workbook holds.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import BinaryIO, Optional

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Engine, select

from .models import BaselineValue, Observation, ReferenceValue, Region, Revision, Submission, SubmissionEvent
from .store import BASELINE_PREFIX, REF_PREFIX, STATE_LABELS

HISTORY_HEADER = ("地区", "类别", "指标或序列编号", "指标名称", "计量单位", "报告期", "当前值", "当前备注",
                  "修改时间(UTC)", "原值", "新值", "修改后备注", "修改人", "来源", "原因")
EVENT_HEADER = ("方案", "地区", "责任单位", "报告期", "当前状态", "操作", "操作人", "时间(UTC)", "原因")
SOURCE_LABELS = {"form": "页面填报", "import": "文件导入", "correction": "更正", "demo": "示例数据"}
ACTION_LABELS = {"submit": "报送", "approve": "审核通过", "reopen": "退回"}


def _sheet_title(text: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", text)[:28] or "方案"
    base, n = title, 2
    while title in taken:
        title, n = f"{base}{n}", n + 1
    taken.add(title)
    return title


def _t(dt) -> Optional[str]:
    if dt is None:
        return None
    if dt.tzinfo is None:  # SQLite hands back UTC without the zone
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def export_xlsx(engine: Engine, registry, fh: BinaryIO, now: Optional[datetime] = None) -> dict[str, int]:
    """Write the workbook to ``fh``; returns rows written per sheet."""
    with engine.connect() as conn:
        regions = {rid: (scheme, name) for rid, scheme, name in conn.execute(
            select(Region.id, Region.scheme_id, Region.name))}
        current: dict[tuple, tuple] = {}
        for o in conn.execute(select(Observation)):
            current[(o.indicator_id, o.region_id, o.period)] = (o.value, o.note or "")
        for r in conn.execute(select(ReferenceValue)):
            current[(REF_PREFIX + r.series_id, r.region_id, r.period)] = (r.value, "")
        for b in conn.execute(select(BaselineValue)):
            current[(BASELINE_PREFIX + b.indicator_id, b.region_id, "")] = (b.value, f"基期日期 {b.as_of}"
                                                                             + (f";{b.note}" if b.note else ""))
        revisions = conn.execute(select(Revision.indicator_id, Revision.region_id, Revision.period, Revision.at,
                                        Revision.old_value, Revision.new_value, Revision.new_note, Revision.user,
                                        Revision.source, Revision.reason).order_by(Revision.id)).all()
        events = conn.execute(
            select(Submission.scheme_id, Submission.region_id, Submission.unit, Submission.period, Submission.state,
                   SubmissionEvent.action, SubmissionEvent.user, SubmissionEvent.at, SubmissionEvent.reason)
            .join(Submission, SubmissionEvent.submission_id == Submission.id).order_by(SubmissionEvent.id)).all()

    by_scheme: dict[str, list[tuple]] = {}
    for ind_id, rid, period, at, old, new, note, user, source, reason in revisions:
        scheme_id, region = regions.get(rid, ("", str(rid)))
        if ind_id.startswith(REF_PREFIX):
            kind, key = "参照值", ind_id[len(REF_PREFIX):]
        elif ind_id.startswith(BASELINE_PREFIX):
            kind, key = "基期值", ind_id[len(BASELINE_PREFIX):]
        else:
            kind, key = "填报值", ind_id
        ind = registry.indicators.get(key)
        cur_value, cur_note = current.get((ind_id, rid, period), (None, "(已无当前值)"))
        by_scheme.setdefault(scheme_id, []).append((
            region, kind, key, ind.name if ind else "", ind.unit if ind else "", period or "—", cur_value, cur_note,
            _t(at), old, new, note, user, SOURCE_LABELS.get(source, source), reason))

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    taken: set[str] = set()
    counts: dict[str, int] = {}

    def sheet(title: str, header: tuple, rows: list[tuple], widths: dict[str, int]) -> None:
        ws = wb.create_sheet(_sheet_title(title, taken))
        for col, w in widths.items():
            ws.column_dimensions[col].width = w
        ws.freeze_panes = "A2"
        ws.append([_bold(ws, h, bold) for h in header])
        for r in rows:
            ws.append(list(r))
        counts[ws.title] = len(rows)

    schemes = sorted(by_scheme, key=lambda s: (s not in registry.schemes, s))
    about = [("导出时间(UTC)", _t(now or datetime.now(timezone.utc)))]
    for s in schemes:
        name = registry.schemes[s].name if s in registry.schemes else s
        about.append((f"方案 {s}", f"{name}:{len(by_scheme[s])} 条修改记录"))
    about += [("说明", "每个方案一张表:每行是一次修改(新增也是一次修改),同一数值的各次修改按时间先后排列,"
                      "“当前值”为导出时数据库中的值。“报送审核记录”表列出全部报送、审核、退回操作。")]
    sheet("说明", ("项目", "内容"), about, {"A": 18, "B": 100})
    for s in schemes:
        rows = sorted(by_scheme[s], key=lambda r: (r[0], r[1], r[2], r[5], r[8] or ""))
        title = registry.schemes[s].short_name if s in registry.schemes else (s or "未知方案")
        sheet(title, HISTORY_HEADER, rows, {"A": 12, "C": 34, "D": 40, "I": 20, "M": 16, "O": 30})
    event_rows = [(sch, regions.get(rid, ("", str(rid)))[1], unit, period, STATE_LABELS.get(state, state),
                   ACTION_LABELS.get(action, action), user, _t(at), reason)
                  for sch, rid, unit, period, state, action, user, at, reason in events]
    sheet("报送审核记录", EVENT_HEADER, event_rows, {"C": 24, "G": 16, "H": 20, "I": 30})
    wb.save(fh)
    return counts


def _bold(ws, text: str, font: Font):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.font = font
    return cell
