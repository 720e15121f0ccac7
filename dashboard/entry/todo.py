"""待办: what the signed-in user has to do this quarter.

A reporter sees each of its forms with its state (未开始, 草稿, 已报送, 已退回 with the
office's reason and who returned it, 已审核锁定) and the deadline; the office sees the
submissions waiting for review and the units that are late. Everything comes from
:func:`dashboard.entry.forms.reporter_todo` / :func:`office_todo`, i.e. from the one
rule of who owes what; the page is a function of the address and the user alone.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import urlstate
from ..pages.common import page_title
from . import forms, reporting
from .page import state_badge

NAV_LABEL = "待办"
PATH = "/todo"
REQUIRES = "reporter"


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def _deadline(st) -> html.Span:
    text = forms.deadline_text(st)
    return html.Span(text, className="text-danger fw-bold" if st.late else "text-muted",
                     **{"data-late": "1" if st.late else "0"})


def _reporter_list(service, items, names):
    if not items:
        return dbc.Alert("您的账号目前没有需要填报的表。", color="light", className="py-2")
    cards = []
    for it in items:
        st = it.status
        lines = [html.Div([state_badge(st.state, "me-2"),
                           html.Strong(f"{st.quarter.label} · {st.unit}"),
                           html.Span(f" · {it.region} · {service.scheme(it.scheme_id).short_name}方案",
                                     className="text-muted")]),
                 html.Div([f"共{st.total}项,已填{st.done}项,未填{len(st.missing)}项。", _deadline(st)],
                          className="small mt-1")]
        if st.state == reporting.RETURNED:
            h = st.handover
            lines.append(html.Div([html.Strong("退回原因:"), h.last_reason,
                                   html.Span(f"({names.get(h.last_user, h.last_user)} {forms.local_time(h.last_at)})",
                                             className="text-muted ms-1")],
                                  className="todo-returned small mt-1"))
        action = "去修改并重新报送" if st.state == reporting.RETURNED else (
            "去填报" if st.owes else "查看")
        lines.append(dcc.Link(action, href=it.href, className="btn btn-sm btn-outline-primary mt-2 todo-go"))
        cards.append(html.Li(lines, className="todo-item" + (" todo-late" if st.late else ""),
                             **{"data-state": st.state, "data-unit": st.unit, "data-quarter": str(st.quarter),
                                "data-scheme": it.scheme_id, "data-region": it.region}))
    return html.Ul(cards, className="todo-list list-unstyled")


def _office_lists(service, todo, names):
    waiting = [html.Li([
        html.Strong(f"{x.period.label} · {x.unit}"),
        html.Span(f" · {x.region} · {service.scheme(sid).short_name}方案", className="text-muted"),
        html.Span(f" · {names.get(x.submitted_by, x.submitted_by)} {forms.local_time(x.submitted_at)}报送",
                  className="small ms-1"),
        dcc.Link("去审核", href="/review" + urlstate.build(scheme=sid, region=x.region, q=str(x.period), unit=x.unit),
                 className="btn btn-sm btn-outline-primary ms-2"),
    ], className="todo-item", **{"data-state": "submitted", "data-unit": x.unit, "data-quarter": str(x.period),
                                 "data-scheme": sid, "data-region": x.region}) for sid, x in todo.waiting]
    late = [html.Li([
        state_badge(st.state, "me-2"), html.Strong(f"{st.quarter.label} · {st.unit}"),
        html.Span(f" · {region} · {service.scheme(sid).short_name}方案", className="text-muted"),
        html.Span(f" · 未填{len(st.missing)}项 · ", className="small"), _deadline(st),
        dcc.Link("查看", href="/review" + urlstate.build(scheme=sid, region=region, q=str(st.quarter), unit=st.unit),
                 className="btn btn-sm btn-outline-secondary ms-2"),
    ], className="todo-item todo-late", **{"data-state": st.state, "data-unit": st.unit, "data-quarter": str(st.quarter),
                                           "data-scheme": sid, "data-region": region})
        for sid, region, st in todo.late]
    more = todo.late_total - len(todo.late)
    return [
        html.Section([html.H2(f"待审核({len(waiting)})", className="section-title"),
                      html.Ul(waiting, className="todo-list list-unstyled") if waiting
                      else html.P("没有等待审核的报送。", className="text-muted")], className="section",
                     id="todo-waiting"),
        html.Section([html.H2(f"逾期未报送({todo.late_total})", className="section-title"),
                      html.Ul(late, className="todo-list list-unstyled") if late
                      else html.P("没有逾期的填报单位。", className="text-muted"),
                      html.P(f"另有{more}个单位逾期,见各地区的审核页。", className="small text-muted") if more > 0
                      else None], className="section", id="todo-late"),
    ]


def layout(service, search, **_):
    ident = forms.identity()
    names = service.display_names()
    today = forms.today_date()
    parts = [page_title("todo-title", "待办", "本季度需要您处理的填报与审核事项")]
    if ident is not None and ident.is_admin:
        parts.extend(_office_lists(service, forms.office_todo(service, ident, today), names))
    else:
        items, truncated = forms.reporter_todo(service, ident, today)
        parts.append(html.Section([html.H2("我的填报", className="section-title"),
                                   _reporter_list(service, items, names)], className="section", id="todo-mine"))
        if truncated:
            parts.append(html.P(f"只列出前{forms.MAX_TODO_REGIONS}个地区;如需开通其他地区,请联系办公室。",
                                className="small text-muted"))
    return html.Div(parts, className="todo")


def register(app, service):
    """No callbacks: the list is drawn from the address and the user."""
