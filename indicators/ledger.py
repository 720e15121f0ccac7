"""The rules of ledgers (台账), pure functions shared by the store, the pages and the exports.

* A 统一社会信用代码 is checked with its check digit (GB 32100-2015).
* A row is checked against its ledger's columns (name required, dates, lengths).
* The count a ledger gives for a quarter, in the terms of the reported value: a stock
  indicator counts the rows valid at quarter end (its date on or before the quarter's end,
  not voided, not ended on or before it); a flow indicator (当季新增) counts the rows whose
  date falls in the quarter (and not voided).
* Duplicates (the same credit code, or the same name, twice in a unit's ledger or in the
  ledgers of two units of one indicator; the same credit code in two regions' ledgers) and a
  reported value that differs from its ledger are flagged, never refused: the ledger is a record, the flags say what to look at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Optional

from .model import Indicator, Ledger, Reporting
from .periods import Quarter

# GB 32100-2015: 18 characters of 0-9 and A-Z without I, O, S, V, Z; the 18th is the check character.
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
NAME_MAX = 200
TEXT_MAX = 200
REMOVE_REASON_MAX = 200


def check_char(first17: str) -> str:
    """The check character of the first 17 characters of a credit code."""
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(first17, CODE_WEIGHTS))
    return CODE_CHARS[(31 - total % 31) % 31]


def normalize_code(raw: Any) -> str:
    """Spaces removed, upper case (the code is printed in capitals; people type it in any case)."""
    return "".join(str(raw or "").split()).upper()


def credit_code_problem(code: str) -> Optional[str]:
    """Why ``code`` (normalised) is not a valid 统一社会信用代码, or None."""
    if len(code) != 18:
        return f"统一社会信用代码“{code}”应为18位,实为{len(code)}位"
    bad = sorted({c for c in code if c not in CODE_CHARS})
    if bad:
        return (f"统一社会信用代码“{code}”含有不允许的字符“{''.join(bad)}”"
                "(只能是数字和除I、O、S、V、Z以外的大写字母)")
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码“{code}”校验位错误(第18位应为{expected}),请核对是否抄错"
    return None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(raw: Any) -> Optional[date]:
    """A date from a form or a spreadsheet cell (a date, 2024-05-01, 2024/5/1, 2024年5月1日,
    20240501); None when it is not one."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = "".join(str(raw or "").split())
    if text.endswith("00:00:00"):
        text = text[:-8]
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class CheckedRow:
    """A row that passed :func:`check_row`: its values by column key (dates as ISO text),
    and the three that the store keeps in their own columns."""

    values: dict[str, str]
    name: str
    code: Optional[str]
    valid_from: date


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return " ".join(str(raw).split())


def check_row(ledger: Ledger, raw: Mapping[str, Any], latest: Optional[date] = None) -> tuple[Optional[CheckedRow], list[str]]:
    """Check one row (values by column key) against ``ledger``; (row, []) or (None, problems).
    ``latest``: the last date a row may carry (the end of the quarter it is entered for)."""
    problems: list[str] = []
    values: dict[str, str] = {}
    name, code, valid_from = "", None, None
    for col in ledger.columns:
        cell = raw.get(col.key)
        if col.type == "date":
            if cell in (None, "") or (isinstance(cell, str) and not cell.strip()):
                problems.append(f"缺少{col.label}")
                continue
            d = parse_date(cell)
            if d is None:
                problems.append(f"{col.label}“{_text(cell)}”不是有效日期(应如2024-05-01)")
                continue
            if d.year < 1950:
                problems.append(f"{col.label}{d.isoformat()}过早,请核对")
                continue
            if latest is not None and d > latest:
                problems.append(f"{col.label}{d.isoformat()}晚于{latest.isoformat()}(所选季度末),"
                                "不能登记尚未生效的条目")
                continue
            values[col.key] = d.isoformat()
            valid_from = d
            continue
        text = normalize_code(cell) if col.type == "credit_code" else _text(cell)
        if not text:
            if col.required or col.type == "name":
                problems.append(f"缺少{col.label}")
            values[col.key] = ""
            continue
        limit = NAME_MAX if col.type == "name" else TEXT_MAX
        if len(text) > limit:
            problems.append(f"{col.label}过长(共{len(text)}字),最多{limit}字")
            continue
        if col.type == "credit_code":
            problem = credit_code_problem(text)
            if problem:
                problems.append(problem)
                continue
            code = text
        if col.type == "name":
            name = text
        values[col.key] = text
    if problems:
        return None, problems
    return CheckedRow(values, name, code, valid_from), []


# ---------------------------------------------------------------- counting

@dataclass(frozen=True)
class Entry:
    """What counting and the duplicate checks need of a stored row."""

    id: int
    name: str
    code: Optional[str]
    valid_from: date
    region: str = ""
    removed: bool = False
    valid_until: Optional[date] = None   # removed with an end date: valid before it; removed without: void
    unit: str = ""                       # the unit whose ledger lists it

    @property
    def void(self) -> bool:
        return self.removed and self.valid_until is None

    def valid_on(self, d: date) -> bool:
        if self.void or self.valid_from > d:
            return False
        return self.valid_until is None or self.valid_until > d


def count_for(reporting: Reporting, entries: Iterable[Entry], q: Quarter) -> int:
    """The ledger's figure for ``q`` in the terms of the reported value (see the module docstring)."""
    if reporting is Reporting.flow:
        return sum(1 for e in entries if not e.void and q.start <= e.valid_from <= q.end)
    return sum(1 for e in entries if e.valid_on(q.end))


def current(entries: Iterable[Entry]) -> list[Entry]:
    """The rows not removed."""
    return [e for e in entries if not e.removed]


def duplicate_flags(entries: Iterable[Entry], item: str = "企业") -> list[str]:
    """Rows of one region's ledgers of an indicator (every unit's) that appear twice: the same
    credit code or the same name among the rows not removed, in one unit's ledger or in two."""
    rows = current(entries)
    out = []
    for what, key in (("统一社会信用代码", lambda e: e.code), ("名称", lambda e: e.name)):
        seen: dict[str, list[Entry]] = {}
        for e in rows:
            k = key(e)
            if k:
                seen.setdefault(k, []).append(e)
        for k, group in seen.items():
            if len(group) < 2 or (what == "名称" and len({e.code for e in group if e.code}) > 1):
                continue
            label = k if what == "名称" else f"{k}({group[0].name})"
            units = list(dict.fromkeys(e.unit for e in group if e.unit))
            if len(units) > 1:
                out.append(f"台账重复:{what}“{label}”同时登记在{'、'.join(units)}的台账中,同一{item}只应计一次。")
            else:
                out.append(f"台账重复:{what}“{label}”出现{len(group)}次,同一{item}只应登记一次。")
    return out


def cross_region_flags(region: str, entries_by_region: Mapping[str, Iterable[Entry]]) -> list[str]:
    """Credit codes of ``region``'s ledger that another region's ledger of the same indicator
    also lists (an enterprise counted twice)."""
    mine = {e.code: e for e in current(entries_by_region.get(region, ())) if e.code}
    out = []
    for other, entries in sorted(entries_by_region.items()):
        if other == region:
            continue
        for e in current(entries):
            if e.code in mine:
                out.append(f"台账重复:统一社会信用代码“{e.code}”({mine[e.code].name})也登记在{other}的台账中。")
    return out


def mismatch_flag(ind: Indicator, reported: Optional[float], count: int, q: Quarter) -> Optional[str]:
    """The reported value of ``q`` differs from the ledger's count (None when they agree or
    nothing was reported)."""
    if reported is None or abs(reported - count) < 1e-9:
        return None
    what = "当季新增" if ind.reporting is Reporting.flow else "季末有效"
    return (f"{q.label}填报值{reported:g}{ind.unit}与台账不一致:台账{what}{count}{ind.unit}"
            f"(相差{reported - count:+g})。")


def invalid_code_flags(entries: Iterable[Entry]) -> list[str]:
    """Stored codes that fail the check (rows written before a check existed, or by hand)."""
    out = []
    for e in current(entries):
        if e.code:
            problem = credit_code_problem(e.code)
            if problem:
                out.append(f"“{e.name}”的{problem}。")
    return out


def flags(ind: Indicator, region: str, entries_by_region: Mapping[str, list[Entry]], q: Quarter,
          reported: Optional[float]) -> list[str]:
    """Everything to look at in ``region``'s ledger of ``ind`` for ``q``, in Chinese."""
    mine = entries_by_region.get(region, [])
    item = ind.ledger.item if ind.ledger else "企业"
    out = []
    if not mine:
        if reported:   # nothing ever entered: the ledger is missing, not merely different
            out.append(f"尚未登记台账:{q.label}填报值{reported:g}{ind.unit},台账中没有任何{item}。")
    else:
        m = mismatch_flag(ind, reported, count_for(ind.reporting, mine, q), q)
        if m:
            out.append(m)
    out += duplicate_flags(mine, item)
    out += cross_region_flags(region, entries_by_region)
    out += invalid_code_flags(mine)
    return out
