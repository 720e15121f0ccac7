"""People appear by display name, never by account id, on the indicator and reference pages."""
from __future__ import annotations

from dashboard.pages import detail, reference
from indicators.periods import Quarter

SCHEME, REGION, Q = "luzhou", "泸州市", Quarter(2025, 4)   # a draft quarter in the demo: values may change
REPORTER, ADMIN = "luzhou_r01", "admin"


def _text(component) -> str:
    """All text of a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def test_detail_values_and_history_show_display_names(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    ind = next(i for i in service.indicators(SCHEME) if i.kind.value != "milestone")
    cur = service.store.observation(ind.id, REGION, Q)
    service.store.save_value(ind, REGION, Q, (cur.value or 0) + 1, "核对后更正", REPORTER, cur.version)
    name = service.display_names()[REPORTER]
    assert name != REPORTER
    names = service.display_names()
    values = _text(detail._values_table(service, ind, REGION, Q, names))
    history = _text(detail._history(service, ind, REGION, names))
    for text in (values, history):
        assert name in text and REPORTER not in text


def test_reference_page_shows_display_names(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    series = service.scheme("anning").reference_series[0].id
    cur = {(r.series_id, r.period): r for r in service.store.reference_rows("anning", "安宁市")}.get((series, Q))
    service.store.save_reference("anning", "安宁市", series, Q, 12.5, ADMIN, cur.version if cur else None)
    name = service.display_names()[ADMIN]
    refs = _text(reference._references(service, "anning", "安宁市", admin=True))
    history = _text(reference._history(service, "anning", "安宁市"))
    assert name in refs and name in history
    assert f"{ADMIN} " not in refs and ADMIN not in history.split()
