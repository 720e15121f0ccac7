"""Quarters (reporting periods) and months, the time units of the schemes.

A period is written ``2024Q2`` everywhere (files, URLs, database); the UI reads
it as ``2024年第2季度``.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

_PERIOD_RE = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4:
            raise ValueError(f"季度应为 1 到 4,不是 {self.q}")
        # One int to compare: the engine compares quarters millions of times (the status
        # snapshot), and comparing ints beats the generated comparison of (year, q) tuples.
        object.__setattr__(self, "_i", self.year * 4 + self.q)

    def __lt__(self, other: "Quarter") -> bool:
        try:
            return self._i < other._i
        except AttributeError:
            return NotImplemented

    def __le__(self, other: "Quarter") -> bool:
        try:
            return self._i <= other._i
        except AttributeError:
            return NotImplemented

    def __gt__(self, other: "Quarter") -> bool:
        try:
            return self._i > other._i
        except AttributeError:
            return NotImplemented

    def __ge__(self, other: "Quarter") -> bool:
        try:
            return self._i >= other._i
        except AttributeError:
            return NotImplemented

    def __hash__(self) -> int:
        # Quarters key the engine's series dicts: hashing one int beats the generated
        # hash of a (year, q) tuple (a ranking of 1,000 regions hashes two million).
        return self.year * 4 + self.q

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        return _parse_quarter(str(text))

    @classmethod
    def containing(cls, d: date) -> "Quarter":
        return _quarter(d.year, (d.month - 1) // 3 + 1)

    @classmethod
    def latest_ended(cls, as_of: date) -> "Quarter":
        """The latest quarter ending on or before ``as_of`` (the evaluation quarter)."""
        q = cls.containing(as_of)
        return q if q.end == as_of else q.prev()

    # Computed once per instance: the status engine asks for them in its inner loops
    # (cached_property writes the instance __dict__, which a frozen dataclass allows).
    @cached_property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @cached_property
    def end(self) -> date:
        m = 3 * self.q
        return date(self.year, m, calendar.monthrange(self.year, m)[1])

    def next(self) -> "Quarter":
        return _quarter(self.year + 1, 1) if self.q == 4 else _quarter(self.year, self.q + 1)

    def prev(self) -> "Quarter":
        return _quarter(self.year - 1, 4) if self.q == 1 else _quarter(self.year, self.q - 1)

    def __add__(self, n: int) -> "Quarter":
        idx = self.index + n
        return _quarter(idx // 4, idx % 4 + 1)

    def __sub__(self, other: "Quarter") -> int:
        return self.index - other.index

    @property
    def index(self) -> int:
        return self.year * 4 + self.q - 1

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.q}季度"


@lru_cache(maxsize=4096)
def _parse_quarter(text: str) -> Quarter:
    # Cached: every stored value's period is parsed on each read, and a Quarter is immutable.
    m = _PERIOD_RE.match(text)
    if not m:
        raise ValueError(f"期间 {text!r} 格式有误,应如 2024Q2")
    return _quarter(int(m.group(1)), int(m.group(2)))


@lru_cache(maxsize=4096)
def _quarter(year: int, q: int) -> Quarter:
    # One instance per quarter for arithmetic, parsing and containing(): its cached start/end
    # are computed once, and dict lookups find the very key object (no __eq__ call).
    return Quarter(year, q)


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    return [first + i for i in range(last - first + 1)] if last >= first else []


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, as the documents date stages (``2022-08``)."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        m = _MONTH_RE.match(str(text))
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"月份 {text!r} 格式有误,应如 2022-08")
        return cls(int(m.group(1)), int(m.group(2)))

    @cached_property  # as Quarter.start/end: asked for in the engine's loops (stage lookups)
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD`` strictly (command-line ``--as-of``)."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise ValueError(f"日期 {text!r} 格式有误,应如 2025-06-30(YYYY-MM-DD)") from exc
