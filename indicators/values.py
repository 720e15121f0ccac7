"""A value read and written: the one parser, the one formatter, and the checks on a
reported value (pure; used by the entry forms, the importer, the engine, pages and exports).

``check_value`` gives hard errors (the value cannot be saved); ``plausibility``
gives warnings that need a note (备注) before the value is saved. ``fmt_number`` /
``fmt_quantity`` write every figure the product shows; Excel cells carry the number
itself with :func:`excel_number_format`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Optional, Union

from .model import Direction, Indicator, Kind, Reporting

Raw = Union[str, int, float, Decimal, None]

# Reported text may carry full-width digits and punctuation from office software.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋，", "0123456789.-+,")
# A number as a person writes it: digits, optionally grouped by commas in thousands
# positions only (1,234 and 12,345.6), an optional decimal part. Anything else
# (7,75 / 1,5 / 1.2.3 / "12 142" from a pasted column) is refused rather than guessed.
_NUMBER_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
# Above this a figure is a typo (or an attack), not a county's statistic; it also keeps
# every stored value inside NUMERIC(20,6) and inside the exact range of a double.
MAX_ABS_VALUE = Decimal(10) ** 12
GROWTH_FACTOR = 3  # a value above 3× last quarter's asks for an explanation


COUNT_FRACTION_DIGITS = 2  # a count's derived amount (45 × 1/2 = 22.5) keeps its fraction


def fmt_number(x: Optional[float], decimals: int) -> str:
    """A figure with thousands separators and at most its unit's decimals, trailing zeros dropped
    (1,234 · 92% · 1.5亿元); a count (0 decimals) shows a derived fraction such as 22.5."""
    if x is None:
        return "—"
    if decimals == 0 and abs(x - round(x)) < 1e-6:
        return f"{int(round(x)):,}"
    text = f"{x:,.{max(decimals, COUNT_FRACTION_DIGITS if decimals == 0 else 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_quantity(x: Optional[float], indicator: Indicator) -> str:
    """A figure and its unit, no space between (34件, 92%, 1.5亿元); "—" when there is none."""
    return "—" if x is None else fmt_number(x, indicator.decimals) + indicator.unit


def excel_number_format(indicator: Indicator, suffix: str = "") -> str:
    """The number format of a spreadsheet cell holding a figure of ``indicator``: the number stays a
    number (sums and sorting work), with its unit's decimals (fixed: Excel would show "92." for
    an optional-digit format) and its unit and ``suffix`` as text."""
    decimals = indicator.decimals
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    literal = (indicator.unit + suffix).replace('"', "")
    return f'{digits}"{literal}"' if literal else digits


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


class NumberError(ValueError):
    """The text is not a number this product accepts; the message is Chinese, for the user."""


def parse_number(raw: Raw) -> Optional[Decimal]:
    """The one number parser (form, Excel/CSV import, commands): None when empty,
    else a finite Decimal; raises :class:`NumberError` with the reason."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise NumberError("不是有效数字")
    if isinstance(raw, (int, Decimal)):
        d = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise NumberError("不是有效数字")
        # repr gives the shortest text that round-trips: 0.1+0.2 is not "0.30000000000000004" here
        d = Decimal(repr(raw))
    else:
        text = str(raw).strip().translate(_FULLWIDTH)
        if not text:
            return None
        if not _NUMBER_RE.fullmatch(text):
            raise NumberError(_why_not(text))
        try:
            d = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise NumberError("不是有效数字")
    if not d.is_finite():
        raise NumberError("不是有效数字")
    if abs(d) >= MAX_ABS_VALUE:
        raise NumberError("数值过大(不能超过1万亿),请核对")
    return d


def _why_not(text: str) -> str:
    if re.search(r"\d\s+\d", text):
        return "不是有效数字:数字中间有空格(一格只填一个数;粘贴一列数请逐行粘贴)"
    if "," in text and re.fullmatch(r"[+-]?[\d,]+(?:\.\d+)?", text):
        return "不是有效数字:千位分隔符位置不对(应如1,234或12,345.6)"
    if text.count(".") > 1:
        return "不是有效数字:有多个小数点"
    return "不是有效数字"


def same_value(a: Optional[float], b: Optional[float]) -> bool:
    """Equal as stored (6 decimals). Absolute, not relative: at 10^11 a change of 1 is a change."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 5e-7


def _decimals(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def check_value(indicator: Indicator, raw: Raw) -> ValueCheck:
    if indicator.unit == "%" and isinstance(raw, str):
        raw = raw.strip().removesuffix("%").removesuffix("\uff05").rstrip()  # "95%" in a percentage cell
    try:
        d = parse_number(raw)
    except NumberError as exc:
        return ValueCheck(None, [str(exc)])
    if d is None:
        return ValueCheck(None, [])
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
