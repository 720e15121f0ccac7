"""The wall screen's rules (dashboard/screen/rules.py) and its address and refresh (page.py)."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from dash.exceptions import PreventUpdate

from dashboard.screen import page, rules
from indicators.periods import Month, Quarter
from indicators.statuses import SEVERITY


# --- paging the groups -----------------------------------------------------------

def _flatten(pages):
    """(group, row) in screen order, and the slots each column uses."""
    rows, used = [], []
    for pg in pages:
        for col in pg:
            used.append(sum(ch.slots for ch in col))
            for ch in col:
                rows += [(ch.group, i) for i in range(ch.start, ch.stop)]
    return rows, used


@pytest.mark.parametrize("sizes", [
    [9, 7, 5, 5, 2, 2, 14],          # Anning
    [4, 3, 3, 2, 2, 1],              # Anshan
    [40],                            # one dimension longer than a page
    [15, 15, 15],                    # each exactly fills a column
    [1] * 20,
])
def test_every_row_once_in_order_and_no_column_overflows(sizes):
    pages = rules.paginate([(f"d{i}", n) for i, n in enumerate(sizes)], columns=2, rows=16)
    rows, used = _flatten(pages)
    assert rows == [(g, i) for g, n in enumerate(sizes) for i in range(n)]
    assert max(used) <= 16
    assert all(len(pg) <= 2 for pg in pages)


def test_a_group_that_fits_a_column_is_not_split_but_moves_on():
    # 创造 9 rows (10 slots) leaves 6: 运用's 8 slots go to the next column, whole.
    pages = rules.paginate([("创造", 9), ("运用", 7), ("管理", 5)], columns=2, rows=16)
    assert len(pages) == 1
    first, second = pages[0]
    assert [(c.title, c.start, c.stop) for c in first] == [("创造", 0, 9)]
    assert [(c.title, c.start, c.stop, c.continued) for c in second] == [("运用", 0, 7, False), ("管理", 0, 5, False)]


def test_a_group_longer_than_a_column_continues_under_a_continued_title():
    pages = rules.paginate([("保障", 40)], columns=2, rows=16)
    chunks = [c for pg in pages for col in pg for c in col]
    assert [(c.start, c.stop, c.continued) for c in chunks] == [(0, 15, False), (15, 30, True), (30, 40, True)]
    assert len(pages) == 2   # three columns: two on the first page, one on the second


def test_small_groups_share_a_column_and_fit_one_page():
    pages = rules.paginate([("创造", 6), ("运用", 2), ("运营", 1)])
    assert len(pages) == 1 and len(pages[0]) == 1


def test_no_groups_is_one_empty_page_and_bad_geometry_is_refused():
    assert rules.paginate([]) == [[]]
    with pytest.raises(ValueError):
        rules.paginate([("a", 1)], columns=2, rows=1)


# --- grouping --------------------------------------------------------------------

def test_groups_follow_the_scheme_order_worst_first_and_keep_unlisted_dimensions():
    rows = [("a", "运用", "achieved"), ("b", "创造", "on_track"), ("c", "创造", "missed"), ("d", "其他", "warning")]
    groups = rules.group_by_dimension(["创造", "运用", "管理"], rows, lambda r: r[1], lambda r: r[2])
    assert [(d, [r[0] for r in rs]) for d, rs in groups] == [("创造", ["c", "b"]), ("运用", ["a"]), ("其他", ["d"])]
    order = {s.value: i for i, s in enumerate(SEVERITY)}
    assert order["missed"] < order["on_track"]


# --- latest changes and last update ------------------------------------------------

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def rev(id_, ind, minutes, old, new, period=Quarter(2026, 3)):
    return SimpleNamespace(id=id_, indicator_id=ind, period=period, old_value=old, new_value=new,
                           at=T0 + timedelta(minutes=minutes))


def test_latest_changes_newest_first_one_per_indicator_values_only():
    revs = [
        rev(1, "a", 0, None, 1),
        rev(2, "a", 5, 1, 2),                     # a's newest: the one shown
        rev(3, "b", 3, 4, 4),                     # note-only edit: not news
        rev(4, "ref:gdp", 9, 1, 2, None),         # a reference series: not an indicator of the scheme
        rev(5, "other_scheme", 8, 1, 2),          # not in this scheme
        rev(6, "c", 7, 3, None),                  # a value cleared is news
        rev(7, "d", 1, None, 5),
    ]
    shown = rules.latest_changes(revs, ["a", "b", "c", "d"], limit=10)
    assert [r.id for r in shown] == [6, 2, 7]
    assert [r.id for r in rules.latest_changes(revs, ["a", "b", "c", "d"], limit=2)] == [6, 2]


def test_last_update_is_the_newest_revision_of_any_kind():
    revs = [rev(1, "a", 0, None, 1), rev(4, "ref:gdp", 9, 1, 2, None)]
    assert rules.last_update(revs) == T0 + timedelta(minutes=9)
    assert rules.last_update([]) is None


# --- timeline ------------------------------------------------------------------------

def stage(name, start, end):
    m = Month.parse
    return SimpleNamespace(name=name, start=m(start), end=m(end) if end else None,
                           contains=lambda d, a=m(start), b=(m(end) if end else None):
                           a.first_day <= d and (b is None or d <= b.last_day))


ANNING = [stage("优化方案", "2022-08", "2022-10"), stage("组织实施", "2022-10", "2025-04"),
          stage("总结验收", "2025-05", "2025-07"), stage("巩固提高", "2025-08", None)]


def test_timeline_gives_short_stages_room_and_puts_the_marker_in_the_current_stage():
    segs, marker = rules.timeline(ANNING, date(2025, 6, 30))
    assert [s.name for s in segs] == ["优化方案", "组织实施", "总结验收", "巩固提高"]
    assert all(s.width >= 14 * 0.99 for s in segs)             # no stage narrower than its share
    assert abs(sum(s.width for s in segs) - 100) < 0.1
    assert [s.current for s in segs] == [False, False, True, False]
    cur = segs[2]
    assert cur.left < marker < cur.left + cur.width
    assert segs[3].span == "2025年8月—以后"


def test_timeline_marker_before_the_first_stage_is_none_and_after_the_end_at_the_end():
    assert rules.timeline(ANNING, date(2022, 1, 1))[1] is None
    closed = ANNING[:3]
    assert rules.timeline(closed, date(2026, 9, 30))[1] == 100
    assert rules.timeline([], date(2026, 9, 30)) == ([], None)


# --- address and refresh (through the service) ----------------------------------------

def test_screen_quarter_is_the_latest_ended_unless_q_is_given(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    today = date(2025, 11, 20)
    assert page.screen_view(service, "?scheme=luzhou", today).quarter == Quarter(2025, 3)
    assert page.screen_view(service, "?scheme=luzhou&q=2025Q1", today).quarter == Quarter(2025, 1)
    view = page.screen_view(service, "?scheme=nope&region=nowhere&q=bad", today)
    assert (view.scheme_id, view.region, view.quarter) == ("anning", "安宁市", Quarter(2025, 3))
    assert page.href(view) == "/screen?scheme=anning&region=%E5%AE%89%E5%AE%81%E5%B8%82"


def test_refresh_renders_only_when_the_data_version_moved(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    search = "?scheme=luzhou&region=泸州市&q=2025Q4"   # not yet submitted in the demo: editable
    shown = [service.data_version(), "2025Q4"]
    with pytest.raises(PreventUpdate):
        page.refresh(service, shown, search)
    ind = next(i for i in service.indicators("luzhou") if i.kind.value != "milestone" and i.unit != "%")
    current = service.store.observation(ind.id, "泸州市", "2025Q4")
    service.store.save_value(ind, "泸州市", "2025Q4", 4321, "", "admin", current.version if current else None)
    html, now = page.refresh(service, shown, search)
    assert now == [service.data_version(), "2025Q4"] != shown
    assert f'data-change="{ind.id}"' in html and "4,321" in html
    with pytest.raises(PreventUpdate):
        page.refresh(service, now, search)


def test_a_new_quarter_redraws_a_screen_without_q():
    assert rules.needs_render([7, "2025Q3"], [7, "2025Q4"])
    assert not rules.needs_render([7, "2025Q4"], (7, "2025Q4"))
    assert rules.needs_render(None, [7, "2025Q4"])
