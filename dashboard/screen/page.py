"""数据大屏 at ``/screen?scheme=…&region=…[&q=…]``: one dark 1920×1080 page for a wall.

Read-only, any signed-in user. The content is a function of the address: scheme and
region as every page resolves them, the quarter the latest ended one unless ``q=`` names
another (a wall shows the current state and moves on by itself when a quarter ends).
The whole screen is one server-rendered HTML block (dashboard/markup.py, put in place by
assets/monitor_html.js); two timers run:

- a clientside one flips through the indicator pages every 15 s (no request per tick);
- a server one asks every 30 s for the data version (one small SELECT) and sends a new
  screen only when it or the quarter shown moved (:func:`rules.needs_render`).
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from indicators.periods import Quarter
from indicators.statuses import SEVERITY

from .. import datastatus, ids, markup, urlstate
from ..components import fmt_value, target_text
from ..entry.forms import local_time, short_time, today_date
from ..pages.common import View, resolve
from . import rules

PATH = "/screen"
BODY = "screen-body"          # the screen's HTML (data-html) and the shown indicator page (data-page)
CYCLE = "screen-cycle"        # clientside timer: next indicator page
POLL = "screen-poll"          # server timer: has the data version moved?
VERSION = "screen-version"    # the data version the screen shows
CYCLE_MS = 15_000
POLL_MS = 30_000
REVISIONS = 100               # newest revisions read for the latest changes


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def screen_view(service, search: Optional[str], today: Optional[date] = None) -> View:
    """The view an address asks for (the one resolver); without ``q`` the latest ended quarter."""
    latest = Quarter.latest_ended(today or today_date())
    return resolve(service, search,
                   default_quarter=lambda _s, _r, allowed: latest if latest in allowed or not allowed else allowed[-1])


def href(view: View) -> str:
    """The screen's address for a view: scheme and region only, so a wall moves on by itself."""
    return PATH + urlstate.build(scheme=view.scheme_id, region=view.region)


def layout(service, search, **_):
    view = screen_view(service, search)
    shown = _shown(service, view)  # before rendering: a change meanwhile shows at the next poll
    return html.Div([
        html.Div(id=BODY, className="screen-body", **{"data-html": render(service, view), "data-page": "0"}),
        dcc.Interval(id=CYCLE, interval=CYCLE_MS),
        dcc.Interval(id=POLL, interval=POLL_MS),
        dcc.Store(id=VERSION, data=shown),
    ], className="wall-screen", **{"data-scheme": view.scheme_id, "data-region": view.region,
                                    "data-quarter": str(view.quarter)})


def _shown(service, view: View) -> list:
    """What a drawn screen depends on besides its address: the data version and the quarter
    (without ``q=`` a new quarter begins to show when the previous one ends)."""
    return [service.data_version(), str(view.quarter)]


def refresh(service, shown, search):
    """(new screen HTML, what it shows), or PreventUpdate when neither the data version nor
    the quarter moved."""
    view = screen_view(service, search)
    current = _shown(service, view)
    if not rules.needs_render(shown, current):
        raise PreventUpdate
    return render(service, view), current


def register(app, service):
    @app.callback(Output(BODY, "data-html"), Output(VERSION, "data"),
                  Input(POLL, "n_intervals"), State(VERSION, "data"), State(ids.URL, "search"),
                  prevent_initial_call=True)
    def poll(_n, shown, search):
        return refresh(service, shown, search)

    app.clientside_callback(ClientsideFunction("monitorScreen", "cycle"),
                            Output(BODY, "data-page"), Input(CYCLE, "n_intervals"), State(BODY, "id"),
                            prevent_initial_call=True)


# --- the HTML ------------------------------------------------------------------

def render(service, view: View) -> str:
    scheme = service.scheme(view.scheme_id)
    inds = {i.id: i for i in service.indicators(view.scheme_id)}
    results = service.results(view.scheme_id, view.region, view.quarter)
    data = service.data_status(view.scheme_id, view.region, view.quarter)
    revisions = service.recent_revisions(view.scheme_id, view.region, REVISIONS)
    updated = rules.last_update(revisions)
    e = markup.escape
    head = (f'<header class="screen-head"><div class="screen-titles">'
            f'<h1 class="screen-title">{e(view.region)} · 知识产权强县试点监测</h1>'
            f'<div class="screen-sub">{e(scheme.name)}</div></div>'
            f'<div class="screen-meta"><div>截至 <b data-screen-quarter>{e(view.quarter.label)}</b></div>'
            f'<div>数据更新 <b data-screen-updated>{e(local_time(updated) if updated else "暂无")}</b></div>'
            f'<div class="screen-approved">{e(_approved_text(data))}</div></div></header>')
    return ('<div class="screen">' + head + _timeline(scheme, view.quarter.end)
            + '<div class="screen-main"><aside class="screen-side">' + _counts(results)
            + _changes(service, inds, revisions) + '</aside>' + _groups(scheme, inds, results, data) + "</div></div>")


def _approved_text(data) -> str:
    if not data.reported:
        return "本季度尚无填报数值"
    return f"已审核 {data.approved}/{data.reported} 项数值"


def _timeline(scheme, as_of: date) -> str:
    segs, marker = rules.timeline(scheme.stages, as_of)
    e = markup.escape
    parts = "".join(
        f'<div class="screen-stage{" current" if s.current else ""}" style="left:{s.left}%;width:{s.width}%" '
        f'title="{e(s.name)} {e(s.span)}"><span class="screen-stage-name">{e(s.name)}</span>'
        f'<span class="screen-stage-span">{e(s.span)}</span></div>' for s in segs)
    if marker is not None:
        parts += (f'<div class="screen-now{" end" if marker > 80 else ""}" style="left:{marker}%"><span>截至 {as_of:%Y-%m-%d}</span></div>')
    return f'<section class="screen-panel screen-timeline"><h2>阶段进度</h2><div class="screen-track">{parts}</div></section>'


def _counts(results) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    tiles = "".join(
        f'<div class="screen-count count-{s.value}" data-count-status="{s.value}">'
        f'{markup.light(s)}<span class="screen-count-n">{counts.get(s.value, 0)}</span></div>' for s in SEVERITY)
    tiles += (f'<div class="screen-count screen-count-total" data-count-status="total"><span class="screen-total-label">'
              f'指标合计</span><span class="screen-count-n">{len(results)}</span></div>')
    return f'<section class="screen-panel screen-counts"><h2>指标状态</h2><div class="screen-count-grid">{tiles}</div></section>'


def _changes(service, inds, revisions) -> str:
    names = service.display_names()
    e = markup.escape
    items = []
    for r in rules.latest_changes(revisions, inds):
        ind = inds[r.indicator_id]
        items.append(
            f'<li class="screen-change" data-change="{e(ind.id)}"><div class="screen-change-head">'
            f'<time>{e(short_time(r.at))}</time> <span class="who">{e(names.get(r.user, r.user))}</span>'
            f' <span class="q">{e(r.period.label)}</span></div>'
            f'<div class="screen-change-body"><span class="what" title="{e(ind.name)}">{e(ind.name)}</span>'
            f'<span class="delta">{e(fmt_value(r.old_value, ind))} → <b>{e(fmt_value(r.new_value, ind))}</b></span></div></li>')
    body = "".join(items) or '<li class="screen-empty">暂无数据变动</li>'
    return f'<section class="screen-panel screen-changes"><h2>最新变动</h2><ol class="screen-change-list">{body}</ol></section>'


def _groups(scheme, inds, results, data) -> str:
    groups = rules.group_by_dimension(scheme.dimensions, results,
                                      lambda r: inds[r.indicator_id].dimension, lambda r: r.status)
    pages = rules.paginate([(dim, len(rows)) for dim, rows in groups])
    e = markup.escape
    out = []
    for p, page in enumerate(pages):
        cols = []
        for col in page:
            slots = []
            for ch in col:
                dim, rows = groups[ch.group]
                title = dim + ("(续)" if ch.continued else "")
                slots.append(f'<div class="screen-gtitle">{e(title)}<span>{len(rows)}项</span></div>')
                slots += [_row(inds[r.indicator_id], r, data) for r in rows[ch.start:ch.stop]]
            cols.append(f'<div class="screen-col" style="grid-template-rows:repeat({rules.ROWS},1fr)">'
                        + "".join(slots) + "</div>")
        pager = f'<div class="screen-pager">第{p + 1}/{len(pages)}屏 · 每15秒切换</div>' if len(pages) > 1 else ""
        out.append(f'<div class="screen-page" data-screen-page="{p}"{"" if p == 0 else " hidden"}>'
                   f'{pager}<div class="screen-cols">{"".join(cols)}</div></div>')
    return '<section class="screen-panel screen-groups"><h2>各维度指标</h2>' + "".join(out) + "</section>"


def _row(ind, r, data) -> str:
    e = markup.escape
    actual = fmt_value(r.actual, ind)
    if r.stale and r.value_period is not None:
        actual += f"({r.value_period.label})"
    pct = 0 if r.p is None else max(0.0, min(r.p, 1.0)) * 100
    badge = markup.data_badge(datastatus.mark(data.of(ind.id)))
    return (f'<div class="screen-row row-{r.status.value}" data-indicator-row="{e(ind.id)}">'
            f'{markup.light(r.status, ind.id, stale=r.stale)}'
            f'<span class="screen-name" title="{e(ind.name)}">{e(ind.name)}</span>'
            f'<span class="screen-val" title="目标 {e(target_text(ind))}"><b>{e(actual)}</b>{badge}<small>目标 {e(target_text(ind))}</small></span>'
            f'<i class="screen-bar bg-{r.status.value}" style="width:{pct:.0f}%"></i></div>')
