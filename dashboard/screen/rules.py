"""The wall screen's rules (数据大屏), pure functions on plain data (no Dash, no SQL).

- :func:`group_by_dimension`: the indicators by the scheme's dimensions, worst status first.
- :func:`paginate`: the groups packed into screen pages of ``columns`` × ``rows`` slots
  (a group title takes one slot, each indicator one); a group too long for the room left
  in a column goes on in the next one under a "(续)" title. The page cycles through the
  pages when there is more than one.
- :func:`latest_changes`: which revisions to list: changes of the scheme's indicator values
  (a changed value or a value cleared; a note-only edit is not news), the newest change of
  each indicator only (a wall has room for a few lines: one indicator should not fill them), newest first.
- :func:`last_update`: the time of the newest revision of any kind.
- :func:`timeline`: the stages as segments of one bar with the as-of marker.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional, Sequence

from indicators.statuses import SEVERITY, Status

COLUMNS = 2           # indicator columns on the screen
ROWS = 16             # slots per column (a group title or an indicator each); app.css .screen-col
CHANGES = 8           # latest changes listed


@dataclass(frozen=True)
class Chunk:
    """Part of one group in one column: ``items[start:stop]`` of group ``group``."""

    group: int
    title: str
    start: int
    stop: int
    continued: bool  # the group began in an earlier column or page

    @property
    def slots(self) -> int:
        return 1 + self.stop - self.start


def group_by_dimension(dimensions: Sequence[str], rows: Iterable, dimension_of, status_of) -> list[tuple[str, list]]:
    """[(dimension, rows)] in the scheme's dimension order, each worst status first (as the
    overview's board), empty dimensions left out; a row whose dimension is not listed goes
    last under its own name."""
    rank = {s: i for i, s in enumerate(SEVERITY)}
    order = list(dict.fromkeys(dimensions))
    by_dim: dict[str, list] = {}
    for row in rows:
        dim = dimension_of(row)
        if dim not in order:
            order.append(dim)
        by_dim.setdefault(dim, []).append(row)
    return [(d, sorted(by_dim[d], key=lambda r: rank[Status(status_of(r))])) for d in order if by_dim.get(d)]


def paginate(sizes: Sequence[tuple[str, int]], columns: int = COLUMNS, rows: int = ROWS) -> list[list[list[Chunk]]]:
    """Pages of columns of chunks for groups of the given (title, size).

    A group starts in the current column when its title and at least one row fit there
    and it fits whole, or when it would not fit whole in an empty column either (then it
    is split); otherwise it starts in the next column. No column holds more than ``rows``
    slots; every row appears exactly once, in order.
    """
    if columns < 1 or rows < 2:
        raise ValueError("a screen page needs at least one column of two slots")
    cols: list[list[Chunk]] = [[]]
    free = rows

    def next_column():
        nonlocal free
        cols.append([])
        free = rows

    for g, (title, size) in enumerate(sizes):
        start, continued = 0, False
        if size <= 0:
            continue
        if free < 2 or (1 + size > free and 1 + size <= rows):
            if cols[-1]:
                next_column()
        while start < size:
            if free < 2:
                next_column()
            stop = min(size, start + free - 1)
            cols[-1].append(Chunk(g, title, start, stop, continued))
            free -= 1 + stop - start
            start, continued = stop, True
    cols = [c for c in cols if c]
    return [cols[i:i + columns] for i in range(0, len(cols), columns)] or [[]]


def latest_changes(revisions: Iterable, indicator_ids: Iterable[str], limit: int = CHANGES) -> list:
    """The revisions to list as the latest changes (see the module docstring). ``revisions``
    are RevisionRow-like (indicator_id, period, old_value, new_value, at, id), any order."""
    known = set(indicator_ids)
    seen: set = set()
    out = []
    for r in sorted(revisions, key=lambda r: (r.at, r.id), reverse=True):
        if r.indicator_id not in known or r.period is None or r.old_value == r.new_value or r.indicator_id in seen:
            continue
        seen.add(r.indicator_id)
        out.append(r)
        if len(out) >= limit:
            break
    return out


def last_update(revisions: Iterable) -> Optional[datetime]:
    """The time of the newest revision (values, references, baselines), None without any."""
    return max((r.at for r in revisions if r.at is not None), default=None)


@dataclass(frozen=True)
class Segment:
    name: str
    span: str        # "2022年1月—2022年6月"
    left: float      # percent of the bar
    width: float     # percent of the bar
    current: bool


def timeline(stages: Sequence, as_of: date, min_share: float = 0.14) -> tuple[list[Segment], Optional[float]]:
    """The stages as segments of one bar (percent), and the as-of marker's position (None
    before the first stage). Widths follow the stages' lengths, but none is narrower than
    ``min_share`` of the bar, so a two-month stage still shows its name and months; the
    marker sits within the latest stage begun by ``as_of``, in proportion to its days. An
    open-ended stage (巩固提高: … 及以后) is drawn as long as one year or until ``as_of``."""
    if not stages:
        return [], None
    bounds = []
    for st in stages:
        a = st.start.first_day
        b = st.end.last_day if st.end else max(as_of, a + timedelta(days=365))
        bounds.append((a, b))
    shares = _shares([max((b - a).days, 1) for a, b in bounds], min_share)
    segs, left, marker = [], 0.0, None
    for st, (a, b), share in zip(stages, bounds, shares):
        span = f"{st.start.label}—{st.end.label if st.end else '以后'}"
        segs.append(Segment(st.name, span, round(left, 2), round(share, 2), st.contains(as_of)))
        if a <= as_of:
            frac = min(1.0, (as_of - a).days / max((b - a).days, 1))
            marker = round(left + share * frac, 2)
        left += share
    return segs, marker


def _shares(days: list[int], min_share: float) -> list[float]:
    """Percent widths in proportion to ``days``, none below ``min_share`` (when all can have it):
    the short ones get exactly ``min_share``, the rest share what is left in proportion."""
    if len(days) * min_share >= 1:
        min_share = 0
    floored: set[int] = set()
    while True:
        rest = [i for i in range(len(days)) if i not in floored]
        room = 1 - min_share * len(floored)
        total = sum(days[i] for i in rest)
        small = {i for i in rest if days[i] / total * room < min_share}
        if not small:
            return [100 * (min_share if i in floored else days[i] / total * room) for i in range(len(days))]
        floored |= small


def needs_render(shown: Optional[Sequence], current: Sequence) -> bool:
    """Re-render the screen only when what it was drawn from ([data version, quarter]) moved;
    the browser sends ``shown`` back as a list."""
    return list(shown or []) != list(current)
