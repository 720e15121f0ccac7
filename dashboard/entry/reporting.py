"""Who still owes what: the one rule behind the form's counts, the 审核 page, the
责任单位 chase list (催报) and the to-do lists (待办).

Pure: it takes plain data (the unit's indicators, what is stored for the quarter,
milestones already done earlier, the submission and its last event) and gives
each unit's state, the rows it still owes, its deadline and whether it is late.
:mod:`dashboard.entry_forms` gathers the data through the store; pages render.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Optional

from indicators.periods import Quarter

DEFAULT_DEADLINE_DAYS = 15  # 报送期限: the 15th day after the quarter ends, unless the office sets another
MAX_DEADLINE_DAYS = 90

# Form states, in the order a reporter meets them.
NOT_STARTED, DRAFT, SUBMITTED, RETURNED, APPROVED = "not_started", "draft", "submitted", "returned", "approved"
FORM_STATE_TEXT = {NOT_STARTED: "未开始", DRAFT: "草稿", SUBMITTED: "已报送", RETURNED: "已退回",
                   APPROVED: "已审核锁定"}
FORM_STATE_COLOR = {NOT_STARTED: "light", DRAFT: "secondary", SUBMITTED: "primary", RETURNED: "danger",
                    APPROVED: "success"}
OPEN_STATES = (NOT_STARTED, DRAFT, RETURNED)  # the unit still has to act


def report_deadline(quarter: Quarter, days: int = DEFAULT_DEADLINE_DAYS) -> date:
    """The last day to 报送 a quarter: ``days`` days after it ends (Q1 with 15: April 15)."""
    return quarter.end + timedelta(days=days)


def check_deadline_days(raw) -> int:
    """The office's setting (whole days after the quarter's end); ValueError with a Chinese message."""
    try:
        days = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValueError("报送期限须为整数天数") from None
    if not 1 <= days <= MAX_DEADLINE_DAYS:
        raise ValueError(f"报送期限须在季度结束后1至{MAX_DEADLINE_DAYS}天之间")
    return days


@dataclass(frozen=True)
class Stored:
    """What is stored for one indicator in the quarter."""

    value: Optional[float]
    note: str = ""


@dataclass(frozen=True)
class Handover:
    """The unit's submission for the quarter and its last event (None: never submitted)."""

    state: str                      # draft | submitted | approved (the store's states)
    version: int = 0
    last_action: str = ""           # submit | approve | reopen
    last_user: str = ""
    last_at: Optional[datetime] = None
    last_reason: str = ""
    submitted_by: str = ""
    submitted_at: Optional[datetime] = None
    approved_by: str = ""
    approved_at: Optional[datetime] = None


@dataclass(frozen=True)
class UnitStatus:
    unit: str
    quarter: Quarter
    indicators: tuple[str, ...]     # ids the unit reports this quarter, in form order
    entered: tuple[str, ...]        # a value this quarter
    explained: tuple[str, ...]      # no value, a note saying why
    carried: tuple[str, ...]        # milestones done in an earlier quarter: nothing to ask
    missing: tuple[str, ...]        # still owed
    state: str                      # one of FORM_STATE_TEXT
    deadline: date
    late: bool
    handover: Optional[Handover]

    @property
    def total(self) -> int:
        return len(self.indicators)

    @property
    def done(self) -> int:
        return self.total - len(self.missing)

    @property
    def state_text(self) -> str:
        return FORM_STATE_TEXT[self.state]

    @property
    def owes(self) -> bool:
        """The unit still has to act: rows to fill, or the form to 报送."""
        return self.state in OPEN_STATES and bool(self.indicators)

    @property
    def returned_reason(self) -> str:
        return self.handover.last_reason if self.state == RETURNED and self.handover else ""


def handover_state(state: Optional[str], last_action: Optional[str] = None) -> str:
    """approved | submitted | returned | draft from the store's submission state (None: no
    submission) and its last event: a draft whose last event is a 退回 was returned."""
    if state in (APPROVED, SUBMITTED):
        return state
    return RETURNED if last_action == "reopen" else DRAFT


def form_state(handover: Optional[Handover], anything_stored: bool) -> str:
    state = handover_state(handover.state, handover.last_action) if handover is not None else DRAFT
    if state == DRAFT and not anything_stored:
        return NOT_STARTED
    return state


def unit_status(unit: str, quarter: Quarter, indicator_ids: Iterable[str], stored: Mapping[str, Stored],
                done_before: Iterable[str], handover: Optional[Handover], today: date,
                deadline_days: int = DEFAULT_DEADLINE_DAYS) -> UnitStatus:
    """One unit's quarter. A row is owed unless it has a value, a note explaining the gap,
    or is a milestone done in an earlier quarter (and not reported again this quarter)."""
    ids = tuple(indicator_ids)
    earlier = set(done_before)
    entered, explained, carried, missing = [], [], [], []
    for i in ids:
        row = stored.get(i)
        if row is not None and row.value is not None:
            entered.append(i)
        elif row is not None and row.note.strip():
            explained.append(i)
        elif i in earlier:
            carried.append(i)
        else:
            missing.append(i)
    state = form_state(handover, any(i in stored for i in ids))
    deadline = report_deadline(quarter, deadline_days)
    return UnitStatus(unit, quarter, ids, tuple(entered), tuple(explained), tuple(carried), tuple(missing), state,
                      deadline, bool(ids) and state in OPEN_STATES and today > deadline, handover)


def summary(statuses: Iterable[UnitStatus]) -> dict[str, int]:
    """How many units are in each state (every state present, zeros included)."""
    out = {s: 0 for s in FORM_STATE_TEXT}
    for st in statuses:
        out[st.state] += 1
    return out
