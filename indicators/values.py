"""Checks on a single reported value (pure; used by the entry forms and the importer).

``check_value`` gives hard errors (the value cannot be saved); ``plausibility``
gives warnings that need a note (备注) before the value is saved.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Optional, Union

from .model import Direction, Indicator, Kind, Reporting

Raw = Union[str, int, float, Decimal, None]

# Reported text may carry thousands separators or full-width digits from office software.
_FULLWIDTH = str.maketrans("0123456789.-+,", "0123456789.-+,")
GROWTH_FACTOR = 3  # a value above 3× last quarter's asks for an explanation


@dataclass(frozen=True)
class ValueCheck:
    value: Optional[float]           # None when empty or invalid
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def empty(self) -> bool:
        return self.value is None and not self.errors


def _parse(raw: Raw) -> tuple[Optional[Decimal], bool]:
    """(number, is_empty); number None and not empty means not a number."""
    if raw is None:
        return None, True
    if isinstance(raw, bool):
        return None, False
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw), False
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None, False
        # repr gives the shortest text that round-trips: 0.1+0.2 is not "0.30000000000000004" here
        return Decimal(repr(raw)), False
    text = str(raw).strip().translate(_FULLWIDTH).replace(",", "").replace(" ", "")
    if not text:
        return None, True
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None, False
    return (d, False) if d.is_finite() else (None, False)


def _decimals(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def check_value(indicator: Indicator, raw: Raw) -> ValueCheck:
    if indicator.unit == "%" and isinstance(raw, str):
        raw = raw.strip().rstrip("%%")  # "95%" in a percentage cell
    d, empty = _parse(raw)
    if empty:
        return ValueCheck(None, [])
    if d is None:
        return ValueCheck(None, ["不是有效数字"])
    errors: list[str] = []
    if indicator.kind is Kind.milestone:
        if d not in (0, 1):
            errors.append("里程碑只能填写1(已完成)或0(未完成)")
    else:
        if d < 0:
            errors.append("数量不能为负数")
        if indicator.unit == "%" and d > 100:
            errors.append("百分比不能超过100%")
        n = indicator.decimals
        if _decimals(d) > n:
            errors.append("最多保留0位小数(只能填写整数)" if n == 0 else f"最多保留{n}位小数")
    return ValueCheck(None if errors else float(d), errors)


def plausibility(indicator: Indicator, value: Optional[float], previous: Optional[float]) -> list[str]:
    """Warnings against last quarter's value; each must be explained in the note."""
    if value is None or previous is None:
        return []
    warnings: list[str] = []
    increasing = indicator.direction is Direction.increase
    if indicator.reporting is Reporting.stock and increasing and indicator.unit != "%" and value < previous:
        warnings.append("存量较上季度下降")
    if indicator.kind is not Kind.milestone and previous > 0 and value > GROWTH_FACTOR * previous:
        warnings.append(f"超过上季度的{GROWTH_FACTOR}倍")
    return warnings
