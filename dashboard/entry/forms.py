"""What the entry, review and reference pages do, apart from Dash.

The page modules only gather component values and render results; every rule
(who may do what, which quarters, validation, all-or-nothing saving, the import
preview) lives here, so tests call these functions directly. Nothing here
writes SQL: everything goes through ``service.store``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Optional

from data import importer
from data.store import (ConflictError, EditsRejected, ImportRejected, InvalidValueError, LockedError, StoreError,
                        SubmissionRow, TransitionError, ValueEdit)
from indicators.limits import NOTE_MAX, REASON_MAX, note_problem, reason_problem
from indicators.model import REPORTING_LABELS, UNIT_DECIMALS, Indicator, Kind, ReferenceSeries, Reporting
from indicators.periods import Quarter, quarter_range
from indicators.values import NumberError, check_value, parse_number, plausibility, same_value

from .. import permissions
from ..components import fmt_value
from ..permissions import Forbidden, Identity, require_admin, require_reporter_region
from . import reporting
from .reporting import UnitStatus

# Times are shown in Beijing time, whatever the server's zone.
BEIJING = timezone(timedelta(hours=8))
STATE_TEXT = {"draft": "草稿", "submitted": "已报送", "approved": "已审核锁定"}
MAX_NOTE, MAX_REASON = NOTE_MAX, REASON_MAX  # the inputs' maxlength; the server checks indicators.limits
DONE_LABELS = {"1": "已完成", "0": "未完成"}
DATE_PREFIX = "完成日期:"
EVIDENCE_PREFIX = "佐证材料:"
# Kinds whose status is measured along a line from the baseline (indicators/status.py).
BASELINE_KINDS = (Kind.cumulative, Kind.share, Kind.range, Kind.relative_reference, Kind.relative_baseline)


class Refused(Exception):
    """The request cannot be carried out; the message is Chinese, for the page."""


# ---------------------------------------------------------------- who and what

def identity() -> Optional[Identity]:
    """The signed-in user (dashboard.auth). Pages call this, so tests can patch it to play a reporter."""
    return permissions.current_identity()


def today_date() -> date:
    return datetime.now(BEIJING).date()


def local_time(dt: Optional[datetime]) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def short_time(dt: Optional[datetime]) -> str:
    """"11-23 20:14" this year, "2025-11-23" before: fits a narrow column."""
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    local = dt.astimezone(BEIJING)
    return local.strftime("%m-%d %H:%M") if local.year == today_date().year else local.strftime("%Y-%m-%d")


def entry_quarters(service, scheme_id: str, today: Optional[date] = None) -> list[Quarter]:
    """Quarters one may report: from the scheme's start to the current quarter
    (which may not have ended yet); never a future one. Oldest first."""
    scheme = service.scheme(scheme_id)
    first = Quarter.containing(scheme.period.start.first_day)
    return quarter_range(first, Quarter.containing(today or today_date()))


def default_entry_quarter(quarters: list[Quarter], today: Optional[date] = None) -> Quarter:
    """The quarter just ended (what is normally being reported), else the last offered."""
    ended = Quarter.latest_ended(today or today_date())
    return ended if ended in quarters else quarters[-1]


def quarter_label(q: Quarter, today: Optional[date] = None) -> str:
    return q.label + ("(本季度,尚未结束)" if q == Quarter.containing(today or today_date()) else "")


def scheme_units(service, scheme_id: str) -> list[str]:
    """Reporting units of a scheme, in registry order (the main unit first)."""
    return service.reporting_units(scheme_id)


def visible_units(ident: Optional[Identity], service, scheme_id: str) -> list[str]:
    """Units whose form the user may open: a reporter its own, everyone else all (read-only
    unless admin)."""
    if ident is None:
        return []
    units = scheme_units(service, scheme_id)
    if ident.role == "reporter":
        return [u for u in units if ident.can_report(scheme_id, u)]
    return units


def unit_indicators(service, scheme_id: str, unit: str, quarter: Quarter) -> list[Indicator]:
    """The indicators a unit enters for a quarter: the form's rows and the Excel template's."""
    return service.unit_indicators(scheme_id, unit, quarter)


@dataclass(frozen=True)
class FormContext:
    scheme_id: str
    region: str
    quarter: Quarter
    unit: str

    def to_dict(self) -> dict:
        return {"scheme": self.scheme_id, "region": self.region, "quarter": str(self.quarter), "unit": self.unit}

    @classmethod
    def from_dict(cls, d: Optional[dict]) -> "FormContext":
        if not d:
            raise Refused("请先选择方案、季度和填报单位。")
        try:
            return cls(str(d["scheme"]), str(d["region"]), Quarter.parse(d["quarter"]), str(d["unit"]))
        except (KeyError, ValueError, TypeError):
            raise Refused("页面参数无效,请刷新页面后重试。")


def check_context(service, ctx: FormContext, today: Optional[date] = None) -> list[Indicator]:
    """The server's own check of what the browser sent; returns the unit's indicators."""
    if ctx.scheme_id not in service.registry.schemes:
        raise Refused("未知方案。")
    if ctx.region not in service.regions(ctx.scheme_id):
        raise Refused(f"未知地区“{ctx.region}”。")
    if ctx.quarter not in entry_quarters(service, ctx.scheme_id, today):
        raise Refused(f"{ctx.quarter.label}不在可填报的季度内(方案起始至本季度)。")
    if ctx.unit not in scheme_units(service, ctx.scheme_id):
        raise Refused(f"“{ctx.unit}”不是本方案的填报单位。")
    return unit_indicators(service, ctx.scheme_id, ctx.unit, ctx.quarter)


def submission_state(service, ctx: FormContext) -> tuple[str, Optional[SubmissionRow]]:
    sub = service.store.submission(ctx.scheme_id, ctx.region, ctx.unit, ctx.quarter)
    return (sub.state if sub else "draft"), sub


def may_edit(ident: Optional[Identity], ctx: FormContext, state: str) -> bool:
    return ident is not None and ident.can_report_region(ctx.scheme_id, ctx.unit, ctx.region) and state == "draft"


def visible_regions(ident: Optional[Identity], service, scheme_id: str) -> list[str]:
    """Regions the entry page offers: a reporter bound to regions (users.regions) sees only those."""
    regions = service.regions(scheme_id)
    if ident is None or ident.role != "reporter" or not ident.regions:
        return regions
    return [r for r in regions if r in ident.regions]


def state_refusal(ctx: FormContext, state: str) -> Optional[str]:
    if state == "approved":
        return f"{ctx.unit}{ctx.quarter.label}的数据已审核锁定,不能修改;如需修改,请联系办公室退回。"
    if state == "submitted":
        return f"{ctx.unit}{ctx.quarter.label}的数据已报送,正在等待审核;如需修改,请联系办公室退回。"
    return None


def unit_status(service, ctx: FormContext, today: Optional[date] = None) -> UnitStatus:
    """The form's unit and quarter by the one rule (dashboard.entry.reporting)."""
    return service.unit_statuses(ctx.scheme_id, ctx.region, ctx.quarter, today or today_date(), [ctx.unit])[0]


def status_text(st: UnitStatus, names: Optional[dict] = None) -> str:
    """The sentence at the top of the form (who and when by display name)."""
    names = names or {}
    h = st.handover

    def who(user: str) -> str:
        return names.get(user, user)

    if st.state == reporting.APPROVED and h:
        return f"已审核锁定({who(h.approved_by)} {local_time(h.approved_at)}),数据不能再修改。"
    if st.state == reporting.SUBMITTED and h:
        return f"已报送({who(h.submitted_by)} {local_time(h.submitted_at)}),等待办公室审核。"
    if st.state == reporting.RETURNED and h:
        # The page shows the reason just below in its own notice; the to-do list and
        # the review view use this one sentence.
        return f"已退回({who(h.last_user)} {local_time(h.last_at)}),原因:{h.last_reason}。请修改后重新报送。"
    return "草稿:尚未报送。保存草稿后,全部指标填写完毕再点“报送”。"


def deadline_text(st: UnitStatus, today: Optional[date] = None) -> str:
    today = today or today_date()
    head = f"报送期限:{day_label(st.deadline)}"
    if st.late:
        return head + f"(已逾期{(today - st.deadline).days}天)"
    if st.state in reporting.OPEN_STATES and today <= st.deadline:
        return head + f"(还剩{(st.deadline - today).days}天)"
    return head


# ---------------------------------------------------------------- one row

@dataclass(frozen=True)
class RowInput:
    """What the form holds for one indicator (raw text, never parsed by the browser)."""

    raw: Any = None          # number input (non-milestones)
    done: Optional[str] = None  # "1" / "0" / None (milestones)
    done_date: str = ""
    evidence: str = ""
    note: str = ""
    confirm: bool = False    # "备注仍适用": the stored note still explains this value

    def fingerprint(self) -> list:
        return [self.raw, self.done, self.done_date or "", self.evidence or "", self.note or ""]


@dataclass(frozen=True)
class RowMeta:
    """What the row showed when rendered: the stored row's version, value and note, and
    last quarter's value (for the live plausibility hint)."""

    version: Optional[int] = None
    value: Optional[float] = None
    note: str = ""
    prev: Optional[float] = None

    def to_dict(self) -> dict:
        return {"version": self.version, "value": self.value, "note": self.note, "prev": self.prev}

    @classmethod
    def from_dict(cls, d: Optional[dict]) -> "RowMeta":
        d = d or {}
        version = d.get("version")
        return cls(int(version) if isinstance(version, (int, float)) and not isinstance(version, bool) else None,
                   _num(d.get("value")), str(d.get("note") or ""), _num(d.get("prev")))

    @classmethod
    def of(cls, row, prev: Optional[float]) -> "RowMeta":
        return cls(row.version, row.value, row.note or "", prev) if row else cls(None, None, "", prev)


def _num(v) -> Optional[float]:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def plain_number(v: Optional[float]) -> str:
    """A stored number as the user would type it (no separators, no trailing zeros)."""
    if v is None:
        return ""
    text = format(Decimal(repr(round(float(v), 6))).normalize(), "f")
    return text


def compose_milestone_note(done: Optional[str], done_date: str, evidence: str, note: str) -> str:
    """Completion date and evidence go into the stored note, one per line (the inputs are
    single-line, so lines cannot be confused)."""
    lines = []
    if done == "1" and (done_date or "").strip():
        lines.append(DATE_PREFIX + done_date.strip())
    if done == "1" and (evidence or "").strip():
        lines.append(EVIDENCE_PREFIX + evidence.strip())
    if (note or "").strip():
        lines.append(note.strip())
    return "\n".join(lines)


def parse_milestone_note(note: str) -> tuple[str, str, str]:
    """(completion date, evidence, the rest) of a stored milestone note."""
    done_date = evidence = ""
    rest = []
    for line in (note or "").split("\n"):
        if line.startswith(DATE_PREFIX) and not done_date:
            done_date = line[len(DATE_PREFIX):]
        elif line.startswith(EVIDENCE_PREFIX) and not evidence:
            evidence = line[len(EVIDENCE_PREFIX):]
        else:
            rest.append(line)
    return done_date, evidence, "\n".join(rest).strip()


_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def parse_day(text: str) -> Optional[date]:
    """2025-06-30, 2025/6/30, 2025.6.30 or 2025年6月30日; None if not a date."""
    m = _DATE_RE.match(text or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def day_label(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass
class RowCheck:
    value: Optional[float]
    note: str                 # the note to store
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed: bool = False
    explained: bool = False   # the free note was written in this edit (or confirmed still to apply)
    stale_note: bool = False  # the note is the stored one, not (yet) confirmed for this value

    @property
    def blocking(self) -> bool:
        return bool(self.errors) or (bool(self.warnings) and not self.explained)

    def messages(self) -> list[tuple[str, str]]:
        out = [("error", e) for e in self.errors]
        if self.warnings:
            text = "、".join(self.warnings)
            out.append(("note", f"{text}(已在备注中说明)") if self.explained
                       else ("warning", f"{text},请在备注中说明本次数值的原因(或勾选“备注仍适用”)") if self.stale_note
                       else ("warning", f"{text},请在备注中说明"))
        return out


def check_row(ind: Indicator, inp: RowInput, meta: RowMeta, prev: Optional[float], quarter: Quarter,
              today: Optional[date] = None) -> RowCheck:
    """Validate one row. Hard errors block; plausibility warnings need the note filled.
    Rules that only make sense for new input (dates, evidence, warnings) apply to changed rows."""
    today = today or today_date()
    free = (inp.note or "").strip()
    if ind.kind is Kind.milestone:
        done = inp.done if inp.done in ("1", "0") else None
        value = None if done is None else float(done)
        raw_date = (inp.done_date or "").strip()
        day = parse_day(raw_date) if raw_date else None
        note = compose_milestone_note(done, day.isoformat() if day else raw_date, inp.evidence or "", free)
        old_free = parse_milestone_note(meta.note)[2]
        chk = RowCheck(value, note, explained=bool(free) and (free != old_free or bool(inp.confirm)))
        chk.stale_note = bool(free) and not chk.explained
        chk.changed = not same_value(value, meta.value) or note != meta.note
        if chk.changed and done == "1":
            latest = min(quarter.end, today)
            if not raw_date:
                chk.errors.append("请填写完成日期")
            elif day is None:
                chk.errors.append("完成日期格式不正确,应如2025-06-30")
            elif day > today:
                chk.errors.append("完成日期不能晚于今天")
            elif day > latest:
                chk.errors.append(f"完成日期晚于本报告期末({day_label(latest)}),应在之后的季度填报为已完成")
            if not (inp.evidence or "").strip():
                chk.errors.append("请填写佐证材料(如文件名称、文号)")
        if chk.changed and value is None and meta.value is not None and not free:
            chk.errors.append("清空已填内容须在备注中说明原因")
        if chk.changed and value == 0 and prev is not None and prev >= 1:
            chk.warnings.append("上季度已填报完成,本季度改为未完成")
        _check_note(chk)
        return chk

    checked = check_value(ind, inp.raw if not isinstance(inp.raw, str) else inp.raw.strip())
    # An old note explained the old value: a warning needs a note written now, or the
    # reporter's word that the stored one still applies.
    chk = RowCheck(checked.value, free, list(checked.errors),
                   explained=bool(free) and (free != meta.note or bool(inp.confirm)))
    chk.stale_note = bool(free) and not chk.explained
    if checked.errors:
        chk.changed = True
        return chk
    chk.changed = not same_value(checked.value, meta.value) or free != meta.note
    if chk.changed and checked.value is None and meta.value is not None and not free:
        chk.errors.append("清空已填数值须在备注中说明原因")
    if chk.changed and checked.value is not None:
        chk.warnings.extend(plausibility(ind, checked.value, prev))
    _check_note(chk)
    return chk


def _check_note(chk: "RowCheck") -> None:
    # A changed row only: a long note stored before the limit must not block saving other rows.
    problem = note_problem(chk.note) if chk.changed else None
    if problem:
        chk.errors.append(problem)


def kind_hint(ind: Indicator) -> str:
    """What the row asks for: the quarter's flow or the stock at quarter end, and the unit."""
    if ind.kind is Kind.milestone:
        return "里程碑:是否已完成(已完成须填完成日期,如2025-06-30,和佐证材料)"
    if ind.kind is Kind.rate and ind.reporting is Reporting.flow:
        return f"填报当季比率,单位:{ind.unit}"
    decimals = "只能填整数" if ind.decimals == 0 else f"最多{ind.decimals}位小数"
    return f"{REPORTING_LABELS[ind.reporting.value]},单位:{ind.unit}({decimals})"


def stored_messages(ind: Indicator, row, prev: Optional[float]) -> list[tuple[str, str]]:
    """A stored value's plausibility warnings, for the form as first shown and for the
    reviewer: marked explained when the stored note says why."""
    if row is None or row.value is None or ind.kind is Kind.milestone:
        return []
    warns = plausibility(ind, row.value, prev)
    if not warns:
        return []
    text = "、".join(warns)
    return [("note", f"{text}(备注:{row.note})")] if (row.note or "").strip() else [("warning", f"{text},未说明原因")]


@dataclass(frozen=True)
class CarriedMilestone:
    """A milestone recorded done in an earlier quarter (later forms ask nothing of it)."""

    quarter: Quarter
    done_date: str
    evidence: str

    def text(self) -> str:
        parts = [f"{self.quarter.label}填报完成"]
        if self.done_date:
            parts.append(f"完成日期{self.done_date}")
        if self.evidence:
            parts.append(f"佐证:{self.evidence}")
        return ",".join(parts)


def carried_milestones(service, ctx: "FormContext", inds: list[Indicator]) -> dict[str, CarriedMilestone]:
    """The form's milestones done before its quarter, with when and the evidence given then."""
    done = service.milestones_done_before(ctx.scheme_id, ctx.region, ctx.quarter)
    out = {}
    for ind in inds:
        if ind.id not in done:
            continue
        rows = [r for r in service.store.observation_rows(ind.id, ctx.region)
                if r.period < ctx.quarter and r.value is not None and r.value >= 1]
        if rows:
            first = rows[0]
            done_date, evidence, _ = parse_milestone_note(first.note)
            out[ind.id] = CarriedMilestone(first.period, done_date, evidence)
    return out


@dataclass(frozen=True)
class Pasted:
    values: dict[str, str]   # indicator id -> text, for the rows filled
    dropped: int             # lines beyond the last row
    message: str


def distribute_paste(row_ids: list[str], start: Optional[str], text: Optional[str],
                     max_lines: int = 1000) -> Optional[Pasted]:
    """A column pasted from Excel into the value input of row ``start``: line k goes to the
    k-th value row from there (rows without a number input, such as milestones, are not
    in ``row_ids``). Each value is checked on its own afterwards, as if typed. None when
    there is nothing to distribute."""
    if not isinstance(text, str) or not isinstance(start, str) or start not in row_ids:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:max_lines + 1]
    while lines and not lines[-1].strip():
        lines.pop()  # Excel ends a copied column with a line break
    if not lines:
        return None
    # A copied row of cells arrives tab-separated: take its first cell (the value column).
    lines = [line.split("\t")[0].strip() for line in lines]
    targets = row_ids[row_ids.index(start):]
    values = dict(zip(targets, lines))
    dropped = max(0, len(lines) - len(targets))
    message = f"已粘贴{len(values)}行,请核对各行提示后保存草稿。"
    if dropped:
        message = (f"粘贴了{len(lines)}行,从该行起只有{len(targets)}个数值输入框:已填入{len(values)}行,"
                   f"多出的{dropped}行未填入,请核对。")
    return Pasted(values, dropped, message)


# ---------------------------------------------------------------- save and submit

@dataclass
class FormOutcome:
    ok: bool
    alert: tuple[str, str]                          # (bootstrap colour, text)
    rows: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # id -> [(level, text)]
    metas: dict[str, RowMeta] = field(default_factory=dict)             # rows whose meta changed
    current: dict[str, Any] = field(default_factory=dict)               # id -> ObservationRow now stored
    saved: int = 0
    submitted: bool = False


def _refused(text: str) -> FormOutcome:
    return FormOutcome(False, ("danger", text))


def conflict_text(ind: Indicator, current) -> str:
    if current is None:
        return "保存冲突:该值已被他人删除,请刷新后再改。"
    return (f"保存冲突:该值已被{current.entered_by or '他人'}于{local_time(current.updated_at)}修改为"
            f"{fmt_value(current.value, ind)}。您填写的内容仍保留在输入框中;核对后如仍需修改,请再次保存。")


def save_form(service, ident: Optional[Identity], ctx: FormContext, inputs: dict[str, RowInput],
              metas: dict[str, RowMeta], reason: str = "", today: Optional[date] = None) -> FormOutcome:
    """保存草稿: validate every row; save the changed rows in one transaction, or none."""
    today = today or today_date()
    try:
        require_reporter_region(ident, ctx.scheme_id, ctx.unit, ctx.region)
        inds = check_context(service, ctx, today)
    except (Forbidden, Refused) as exc:
        return _refused(str(exc))
    state, _ = submission_state(service, ctx)
    refusal = state_refusal(ctx, state)
    if refusal:
        return _refused(refusal)
    by_id = {i.id: i for i in inds}
    foreign = [i for i in inputs if i not in by_id]
    if foreign:
        return _refused(f"无权填报:指标{'、'.join(foreign)}不属于{ctx.unit}{ctx.quarter.label}的填报范围。")

    prev_rows = service.store.observations_at(ctx.scheme_id, ctx.region, ctx.quarter.prev())
    earlier = service.milestones_done_before(ctx.scheme_id, ctx.region, ctx.quarter)
    out = FormOutcome(True, ("success", ""))
    checks: dict[str, RowCheck] = {}
    reason = (reason or "").strip()
    for ind_id, inp in inputs.items():
        prev = prev_rows.get(ind_id)
        meta = metas.get(ind_id, RowMeta())
        chk = check_row(by_id[ind_id], inp, meta, prev.value if prev else None, ctx.quarter, today)
        if chk.changed and ind_id in earlier and meta.version is None and not reason:
            # Done in an earlier quarter: a change now corrects that record.
            chk.errors.append("该里程碑已于之前季度填报完成;如需更正,请在“修改原因”中写明原因")
        checks[ind_id] = chk
        msgs = chk.messages()
        if msgs:
            out.rows[ind_id] = msgs
    bad = [i for i, c in checks.items() if c.blocking]
    if bad:
        n_err = sum(bool(checks[i].errors) for i in bad)
        n_warn = len(bad) - n_err
        parts = ([f"{n_err}项填写有误"] if n_err else []) + ([f"{n_warn}项需要在备注中说明"] if n_warn else [])
        out.ok = False
        out.alert = ("danger", f"未保存:{','.join(parts)}。请按各行提示修改后再保存。")
        return out

    changed = [i for i, c in checks.items() if c.changed]
    if not changed:
        out.alert = ("info", "没有需要保存的修改。")
        return out
    problem = reason_problem((reason or "").strip())
    if problem:
        return _refused(f"未保存:{problem}。")
    edits = [ValueEdit(by_id[i], ctx.region, ctx.quarter, checks[i].value, checks[i].note,
                       metas.get(i, RowMeta()).version, (reason or "").strip()) for i in changed]
    try:
        stored = service.store.save_values(edits, ident.username, source="form")
    except EditsRejected as exc:
        out.ok = False
        conflicts = 0
        for idx, err in exc.problems:
            ind_id = changed[idx]
            ind = by_id[ind_id]
            if isinstance(err, ConflictError):
                conflicts += 1
                cur = err.current
                out.rows[ind_id] = [("error", conflict_text(ind, cur))]
                # The row now knows the stored version: a second save is a deliberate overwrite.
                out.metas[ind_id] = RowMeta.of(cur, metas.get(ind_id, RowMeta()).prev)
                out.current[ind_id] = cur
            else:
                out.rows[ind_id] = [("error", str(err))]
        if any(isinstance(e, LockedError) for _, e in exc.problems):
            out.alert = ("danger", "未保存:" + next(str(e) for _, e in exc.problems if isinstance(e, LockedError)))
        elif conflicts:
            out.alert = ("danger", f"未保存:{conflicts}项已被他人修改(见各行提示),本次修改均未写入。")
        else:
            out.alert = ("danger", "未保存:" + str(exc))
        return out
    except StoreError as exc:
        return _refused("未保存:" + str(exc))
    for ind_id, row in zip(changed, stored):
        out.metas[ind_id] = RowMeta.of(row, metas.get(ind_id, RowMeta()).prev)
        out.current[ind_id] = row
        out.rows[ind_id] = [m for m in out.rows.get(ind_id, []) if m[0] == "note"] + [("ok", "已保存")]
    out.saved = len(changed)
    out.alert = ("success", f"已保存{len(changed)}项。")
    return out


def submit_form(service, ident: Optional[Identity], ctx: FormContext, inputs: dict[str, RowInput],
                metas: dict[str, RowMeta], reason: str = "", today: Optional[date] = None) -> FormOutcome:
    """报送: save what changed (as 保存草稿), then require every indicator to have a value
    or a note explaining the gap, then submit."""
    out = save_form(service, ident, ctx, inputs, metas, reason, today)
    if not out.ok:
        if out.alert[1].startswith("未保存"):
            out.alert = ("danger", "未报送。" + out.alert[1])
        return out
    missing = unit_status(service, ctx, today).missing
    if missing:
        for ind_id in missing:
            out.rows[ind_id] = [("error", "尚未填写:请填写数值,或在备注中说明未填原因")]
        out.ok = False
        saved = f"已保存{out.saved}项;" if out.saved else ""
        out.alert = ("danger", f"{saved}未报送:还有{len(missing)}项未填写(见标红的行)。")
        return out
    try:
        service.store.submit(ctx.scheme_id, ctx.region, ctx.unit, ctx.quarter, ident.username)
    except StoreError as exc:
        out.ok = False
        out.alert = ("danger", "未报送:" + str(exc))
        return out
    out.submitted = True
    saved = f"已保存{out.saved}项并" if out.saved else "已"
    out.alert = ("success", f"{saved}报送{ctx.unit}{ctx.quarter.label}的数据,等待办公室审核。")
    return out


def form_dirty(service, ctx: FormContext, inputs: dict[str, RowInput], metas: dict[str, RowMeta]) -> list[str]:
    """Names of indicators whose on-screen input differs from what was stored when shown."""
    inds = service.registry.indicators
    out = []
    for ind_id, inp in inputs.items():
        ind = inds.get(ind_id)
        if ind is not None and check_row(ind, inp, metas.get(ind_id, RowMeta()), None, ctx.quarter).changed:
            out.append(ind.name)
    return out


# ---------------------------------------------------------------- Excel

@dataclass
class UploadResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list = field(default_factory=list)      # data.store.Change, in file order
    skipped: int = 0
    fingerprint: str = ""
    committed: bool = False

    @property
    def changed(self) -> list:
        return [c for c in self.changes if c.action != "unchanged"]

    def summary(self) -> str:
        if self.errors:
            return f"文件有{importer.error_total(self.errors)}个问题,不能导入,未写入任何数据。请修改文件后重新上传。"
        n_new, n_upd, n_same = importer.action_counts(self.changes)
        head = "已导入" if self.committed else ("预览(尚未写入)" if self.changed else "文件与已存数据相同,无需导入")
        skipped = f",空值跳过{self.skipped}行" if self.skipped else ""
        return f"{head}:新增{n_new}条,修改{n_upd}条,不变{n_same}条{skipped}。"


def template_bytes(service, ident: Optional[Identity], ctx: FormContext,
                   today: Optional[date] = None) -> tuple[str, bytes]:
    """(file name, xlsx bytes) of the unit's prefilled template; raises Forbidden/Refused."""
    import io

    require_reporter_region(ident, ctx.scheme_id, ctx.unit, ctx.region)
    check_context(service, ctx, today)
    buf = io.BytesIO()
    importer.write_template(service.registry, ctx.scheme_id, ctx.region, ctx.unit, ctx.quarter, service.store, buf)
    return f"填报模板_{service.scheme(ctx.scheme_id).short_name}_{ctx.unit}_{ctx.quarter}.xlsx", buf.getvalue()


def decode_upload(contents: Optional[str]) -> bytes:
    """The bytes of a dcc.Upload ``contents`` data URL; the size is checked before decoding."""
    if not contents or not isinstance(contents, str):
        raise Refused("没有收到文件,请重新选择。")
    _, sep, b64 = contents.partition(",")
    if not sep:
        raise Refused("没有收到文件内容,请重新选择。")
    size = len(b64) * 3 // 4 - b64[-2:].count("=")
    if size > importer.MAX_BYTES:
        raise Refused(f"文件过大({size / 1024 / 1024:.2f} MB),上限为5 MB。未写入任何数据。")
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("文件内容无法读取(上传数据损坏),请重新选择文件。")


_ROW_RE = re.compile(r"^第(\d+)行")


def _row_no(msg: str) -> int:
    m = _ROW_RE.match(msg)
    return int(m.group(1)) if m else 0


def _listed(errors: list[str]) -> list[str]:
    """Problems in the file's row order, the first MAX_ERRORS of them and a count of the rest."""
    return importer.limit_errors(sorted(errors, key=_row_no))


def _plan_upload(service, ident: Optional[Identity], scheme_id: str, region: str, contents: Optional[str],
                 filename: str, today: date) -> tuple[UploadResult, list]:
    if ident is None:
        raise Forbidden("请先登录。")
    if ident.role not in ("admin", "reporter"):
        raise Forbidden("只读账号不能导入数据。")
    if scheme_id not in service.registry.schemes or region not in service.regions(scheme_id):
        raise Refused("页面参数无效,请刷新页面后重试。")
    data = decode_upload(contents)
    try:
        raw = importer.read_file(data, filename or "")
    except importer.ImportFileError as exc:
        return UploadResult(False, [str(exc)]), []
    if not raw:
        return UploadResult(False, ["文件中没有数据行(第1行为表头,数据从第2行开始)。"]), []
    # check_rows applies the submitted-quarter rule; the store, when planning, the lock.
    rows, errors, warnings, skipped = importer.check_rows(raw, service.registry, service.store, region, today)
    good = []
    for r in rows:
        ind = r.indicator
        where = f"第{r.row}行:"
        if ind.scheme != scheme_id:
            errors.append(f"{where}指标{ind.id}不属于当前方案({service.scheme(scheme_id).short_name})")
            continue
        if not ident.can_report(scheme_id, ind.reporting_unit):
            errors.append(f"{where}无权填报“{ind.reporting_unit}”的指标{ind.id}")
            continue
        if not ident.can_report_region(scheme_id, ind.reporting_unit, region):
            errors.append(f"{where}无权填报“{region}”的数据")
            continue
        good.append(r)
    if not errors:
        try:
            changes = service.store.import_rows(good, ident.username, source="import", dry_run=True)
        except ImportRejected as exc:
            errors.extend(exc.errors)
    if errors:
        return UploadResult(False, _listed(errors), warnings, skipped=skipped), []
    digest = hashlib.sha256(data).hexdigest()
    plan = [(c.indicator_id, str(c.period), c.old_value, c.new_value, c.old_note, c.new_note, c.action)
            for c in changes]
    fingerprint = hashlib.sha256((digest + json.dumps(plan, ensure_ascii=False)).encode()).hexdigest()
    return UploadResult(True, [], warnings, changes, skipped, fingerprint), good


def preview_upload(service, ident: Optional[Identity], scheme_id: str, region: str, contents: Optional[str],
                   filename: str = "", today: Optional[date] = None) -> UploadResult:
    """Check an uploaded file completely and plan its changes; writes nothing."""
    try:
        result, _ = _plan_upload(service, ident, scheme_id, region, contents, filename, today or today_date())
    except (Forbidden, Refused) as exc:
        return UploadResult(False, [str(exc)])
    return result


def commit_upload(service, ident: Optional[Identity], scheme_id: str, region: str, contents: Optional[str],
                  filename: str, previewed: str, today: Optional[date] = None) -> UploadResult:
    """Write the previewed file: every row or none, and only if nothing changed since the preview."""
    try:
        result, rows = _plan_upload(service, ident, scheme_id, region, contents, filename, today or today_date())
    except (Forbidden, Refused) as exc:
        return UploadResult(False, [str(exc)])
    if not result.ok:
        return result
    if not previewed or result.fingerprint != previewed:
        return UploadResult(False, ["预览之后数据已发生变化(他人修改了数据或文件已更换),请重新上传并核对预览。"])
    if not result.changed:
        return result
    try:
        service.store.import_rows(rows, ident.username, source="import")
    except ImportRejected as exc:
        return UploadResult(False, _listed(exc.errors))
    except StoreError as exc:
        return UploadResult(False, [str(exc)])
    result.committed = True
    return result


# ---------------------------------------------------------------- review (审核)

def approve_unit(service, ident: Optional[Identity], scheme_id: str, region: str, quarter: Quarter,
                 unit: str, expected_version: Optional[int] = None) -> str:
    """审核通过 (locks the unit's quarter). ``expected_version``: the submission the reviewer
    saw; if it changed since, the store refuses. Returns the message; raises Forbidden or StoreError."""
    require_admin(ident)
    if unit not in scheme_units(service, scheme_id):
        raise Refused(f"“{unit}”不是本方案的填报单位。")
    service.store.approve(scheme_id, region, unit, quarter, ident.username, expected_version)
    return f"已审核通过{unit}{quarter.label}的数据,该季度已锁定。"


def reopen_unit(service, ident: Optional[Identity], scheme_id: str, region: str, quarter: Quarter, unit: str,
                reason: str, expected_version: Optional[int] = None) -> str:
    """退回 (approved or submitted → draft); a reason is required."""
    require_admin(ident)
    if not (reason or "").strip():
        raise TransitionError("退回须填写原因。")
    problem = reason_problem(reason.strip(), "退回原因")
    if problem:
        raise Refused(f"{problem}。")
    if unit not in scheme_units(service, scheme_id):
        raise Refused(f"“{unit}”不是本方案的填报单位。")
    service.store.reopen(scheme_id, region, unit, quarter, ident.username, reason, expected_version)
    return f"已退回{unit}{quarter.label}的数据(原因:{reason.strip()}),该单位可以重新修改后报送。"


def set_deadline(service, ident: Optional[Identity], scheme_id: Optional[str], days: Any) -> str:
    """The office sets a scheme's 报送期限 (days after each quarter ends)."""
    require_admin(ident)
    if scheme_id not in service.registry.schemes:
        raise Refused("未知方案。")
    if isinstance(days, bool):
        days = None
    try:
        checked = reporting.check_deadline_days(days)
    except ValueError as exc:
        raise Refused(str(exc) + "。") from None
    service.set_deadline_days(scheme_id, checked)
    return f"已将{service.scheme(scheme_id).short_name}方案的报送期限设为每季度结束后第{checked}天。"


# ---------------------------------------------------------------- to-do lists (待办)

MAX_TODO_REGIONS = 20   # a reporter bound to no region in a province: the first 20 (the page says so)
MAX_TODO_ROWS = 200


@dataclass(frozen=True)
class TodoItem:
    scheme_id: str
    region: str
    status: UnitStatus

    @property
    def href(self) -> str:
        from .. import urlstate

        return "/entry" + urlstate.build(scheme=self.scheme_id, region=self.region, q=str(self.status.quarter),
                                         unit=self.status.unit)


def reporter_todo(service, ident: Optional[Identity], today: Optional[date] = None) -> tuple[list[TodoItem], bool]:
    """A reporter's forms: every form of the quarter being reported (whatever its state),
    and every earlier quarter its unit still owes (never handed in, or returned by the
    office). Returns (items, truncated). The states come from the one rule (unit_statuses)."""
    today = today or today_date()
    if ident is None or ident.role != "reporter":
        return [], False
    items: list[TodoItem] = []
    truncated = False
    for sid in service.registry.schemes:
        units = visible_units(ident, service, sid)
        if not units:
            continue
        quarters = entry_quarters(service, sid, today)
        current = default_entry_quarter(quarters, today)
        regions = [r for r in service.regions(sid) if _may_region(ident, sid, r)]
        if len(regions) > MAX_TODO_REGIONS:
            regions, truncated = regions[:MAX_TODO_REGIONS], True
        # Handed in (submitted or approved): nothing to do unless it is the current quarter.
        closed = {(x.region, x.unit, x.period) for state in ("submitted", "approved")
                  for x in service.store.submissions_in_state(sid, state)}
        for region in regions:
            for q in quarters:
                if q > current:
                    continue
                mine = [u for u in units if q == current or (region, u, q) not in closed]
                if mine:
                    items.extend(TodoItem(sid, region, st) for st in service.unit_statuses(sid, region, q, today, mine)
                                 if st.total and (q == current or st.owes))
    order = {reporting.RETURNED: 0, reporting.NOT_STARTED: 1, reporting.DRAFT: 1, reporting.SUBMITTED: 2,
             reporting.APPROVED: 3}
    items.sort(key=lambda it: (order[it.status.state], not it.status.late, it.status.quarter, it.scheme_id,
                               it.region, it.status.unit))
    return items, truncated


def _may_region(ident: Identity, scheme_id: str, region: str) -> bool:
    return any(ident.can_report_region(scheme_id, u, region) for u in ident.units)


@dataclass(frozen=True)
class OfficeTodo:
    waiting: list        # (scheme id, SubmissionRow): handed in, waiting for review (every quarter), oldest first
    late: list           # (scheme id, region, UnitStatus) of the quarter being reported, past its deadline
    quarter_of: dict     # scheme id -> the quarter being reported
    late_total: int


def office_todo(service, ident: Optional[Identity], today: Optional[date] = None) -> OfficeTodo:
    """The office's to-do: submissions to review, and units late with the quarter being reported."""
    today = today or today_date()
    if ident is None or not ident.is_admin:
        return OfficeTodo([], [], {}, 0)
    waiting, late, quarter_of, late_total = [], [], {}, 0
    for sid in service.registry.schemes:
        waiting.extend((sid, x) for x in service.store.submissions_in_state(sid, "submitted"))
        current = quarter_of[sid] = default_entry_quarter(entry_quarters(service, sid, today), today)
        if today <= reporting.report_deadline(current, service.deadline_days(sid)):
            continue
        handed = {(x.region, x.unit) for st in ("submitted", "approved")
                  for x in service.store.submissions_in_state(sid, st, current)}
        units = [u for u in service.reporting_units(sid) if service.unit_indicators(sid, u, current)]
        # Late units of every region from the submissions alone (cheap at province scale);
        # the full state (returned, draft, not started) only for the rows shown.
        owing = [(r, u) for r in service.regions(sid) for u in units if (r, u) not in handed]
        late_total += len(owing)
        shown = owing[:MAX_TODO_ROWS]
        for region in dict.fromkeys(r for r, _ in shown):
            mine = [u for r, u in shown if r == region]
            late.extend((sid, region, st) for st in service.unit_statuses(sid, region, current, today, mine)
                        if st.late)
    waiting.sort(key=lambda t: (t[1].period, t[1].submitted_at or datetime.min.replace(tzinfo=timezone.utc)))
    return OfficeTodo(waiting, late, quarter_of, late_total)


# ---------------------------------------------------------------- baselines and reference series

def baseline_indicators(service, scheme_id: str) -> list[Indicator]:
    """Indicators whose status is measured from a baseline."""
    return [i for i in service.indicators(scheme_id) if i.kind in BASELINE_KINDS]


def check_baseline_input(ind: Indicator, raw_value: Any, raw_as_of: str,
                         today: Optional[date] = None) -> tuple[Optional[float], Optional[date], list[str]]:
    today = today or today_date()
    checked = check_value(ind, raw_value.strip() if isinstance(raw_value, str) else raw_value)
    errors = list(checked.errors)
    if checked.empty:
        errors.append("请填写基期值")
    as_of = parse_day(raw_as_of or "")
    if not (raw_as_of or "").strip():
        errors.append("请填写基期日期")
    elif as_of is None:
        errors.append("基期日期格式不正确,应如2022-06-30")
    elif as_of > today:
        errors.append("基期日期不能晚于今天")
    return checked.value, as_of, errors


def reference_decimals(series: ReferenceSeries) -> int:
    return UNIT_DECIMALS.get(series.unit, 2)


def check_reference_input(series: ReferenceSeries, raw: Any) -> tuple[Optional[float], list[str]]:
    """Same checks as a reported value, except that a percentage here is a growth rate
    (增速/增长率), which may be negative or above 100%."""
    text = raw.strip().removesuffix("%").removesuffix("\uff05") if isinstance(raw, str) else raw
    try:
        d = parse_number(text)
    except NumberError as exc:
        return None, [str(exc)]
    if d is None:
        return None, []
    errors = []
    if d < 0 and series.unit != "%":
        errors.append("数量不能为负数")
    n = reference_decimals(series)
    exp = d.normalize().as_tuple().exponent
    if isinstance(exp, int) and -exp > n:
        errors.append("最多保留0位小数(只能填写整数)" if n == 0 else f"最多保留{n}位小数")
    return (None if errors else float(d)), errors


@dataclass
class AdminOutcome:
    ok: bool
    alert: tuple[str, str]
    rows: dict[Any, list[tuple[str, str]]] = field(default_factory=dict)
    metas: dict[Any, dict] = field(default_factory=dict)
    saved: int = 0


def save_baselines(service, ident: Optional[Identity], scheme_id: str, region: str,
                   inputs: dict[str, tuple[Any, str, str]], metas: dict[str, dict],
                   today: Optional[date] = None) -> AdminOutcome:
    """inputs: indicator id -> (value, as_of text, note); metas: id -> {"version", "value", "as_of", "note"}.
    Every changed row is checked before any is saved."""
    try:
        require_admin(ident)
    except Forbidden as exc:
        return AdminOutcome(False, ("danger", str(exc)))
    inds = {i.id: i for i in baseline_indicators(service, scheme_id)}
    out = AdminOutcome(True, ("success", ""))
    todo = []
    for ind_id, (raw, raw_as_of, note) in inputs.items():
        ind = inds.get(ind_id)
        if ind is None:
            return AdminOutcome(False, ("danger", f"指标{ind_id}不属于本方案。"))
        meta = metas.get(ind_id) or {}
        note = (note or "").strip()
        untouched = (plain_number(_num(meta.get("value"))) == (str(raw or "").strip())
                     and (meta.get("as_of") or "") == (raw_as_of or "").strip() and (meta.get("note") or "") == note)
        if untouched or (not str(raw or "").strip() and not (raw_as_of or "").strip() and meta.get("version") is None):
            continue
        value, as_of, errors = check_baseline_input(ind, raw, raw_as_of, today)
        if problem := note_problem(note):
            errors.append(problem)
        if errors:
            out.rows[ind_id] = [("error", e) for e in errors]
            continue
        todo.append((ind, value, as_of, note, meta.get("version")))
    if out.rows:
        out.ok = False
        out.alert = ("danger", f"未保存:{len(out.rows)}项基期值填写有误。")
        return out
    return _save_each(out, todo, lambda t: service.store.save_baseline(
        t[0], region, t[1], t[2], ident.username, t[4], note=t[3], source="form"),
        key=lambda t: t[0].id, meta=lambda row: {"version": row.version, "value": row.value,
                                                 "as_of": row.as_of.isoformat(), "note": row.note})


def save_references(service, ident: Optional[Identity], scheme_id: str, region: str,
                    inputs: dict[tuple[str, str], Any], metas: dict[tuple[str, str], dict],
                    today: Optional[date] = None) -> AdminOutcome:
    """inputs: (series id, period) -> raw text; metas: the same key -> {"version", "value"}."""
    try:
        require_admin(ident)
    except Forbidden as exc:
        return AdminOutcome(False, ("danger", str(exc)))
    scheme = service.scheme(scheme_id)
    series = {s.id: s for s in scheme.reference_series}
    allowed = {str(q) for q in entry_quarters(service, scheme_id, today)}
    out = AdminOutcome(True, ("success", ""))
    todo = []
    for (sid, period), raw in inputs.items():
        if sid not in series or period not in allowed:
            return AdminOutcome(False, ("danger", f"参照值{sid} {period}不在本方案的可填报范围内。"))
        meta = metas.get((sid, period)) or {}
        if plain_number(_num(meta.get("value"))) == str(raw or "").strip():
            continue
        value, errors = check_reference_input(series[sid], raw)
        if not errors and value is None:
            errors = ["参照值不能清空;如数值有误请改为正确的数值"]
        if errors:
            out.rows[(sid, period)] = [("error", e) for e in errors]
            continue
        todo.append(((sid, period), value, meta.get("version")))
    if out.rows:
        out.ok = False
        out.alert = ("danger", f"未保存:{len(out.rows)}个参照值填写有误。")
        return out
    return _save_each(out, todo, lambda t: service.store.save_reference(
        scheme_id, region, t[0][0], t[0][1], t[1], ident.username, t[2], source="form"),
        key=lambda t: t[0], meta=lambda row: {"version": row.version, "value": row.value})


def _save_each(out: AdminOutcome, todo: list, save, key, meta) -> AdminOutcome:
    """Save checked values one by one; a conflict stops nothing else but is reported on its row."""
    if not todo:
        out.alert = ("info", "没有需要保存的修改。")
        return out
    failed = 0
    for t in todo:
        try:
            row = save(t)
        except ConflictError as exc:
            failed += 1
            out.rows[key(t)] = [("error", str(exc) + "。您填写的值仍保留在输入框中,再次保存即以您的值为准。")]
            if exc.current is not None:
                out.metas[key(t)] = meta(exc.current)
            continue
        except (InvalidValueError, StoreError) as exc:
            failed += 1
            out.rows[key(t)] = [("error", str(exc))]
            continue
        out.saved += 1
        out.metas[key(t)] = meta(row)
        out.rows[key(t)] = [("ok", "已保存")]
    out.ok = failed == 0
    out.alert = (("success", f"已保存{out.saved}项。") if out.ok
                 else ("danger", f"已保存{out.saved}项;{failed}项未保存(见各行提示)。"))
    return out
