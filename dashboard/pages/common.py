"""What every monitoring page shares: resolving scheme/region/quarter from the
URL, the selector row, and the screenshot title."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

from dash import html

from indicators.periods import Quarter

from .. import markup, urlstate


@dataclass(frozen=True)
class View:
    scheme_id: str
    region: str
    quarter: Quarter

    def search(self, **extra) -> str:
        return urlstate.build(scheme=self.scheme_id, region=self.region, q=str(self.quarter), **extra)


def text_or_none(value) -> Optional[str]:
    # Addresses and callbacks carry strings; anything else (a hand-made request) counts as absent.
    return value if isinstance(value, str) and value else None


def _quarter(value) -> Optional[Quarter]:
    try:
        return Quarter.parse(value) if text_or_none(value) else None
    except ValueError:
        return None


def resolve(service, query: Union[str, dict, None] = None, *, scheme_id=None, region=None, quarter=None,
            regions: Optional[Callable[[str], list[str]]] = None,
            quarters: Optional[Callable[[str, str], list[Quarter]]] = None,
            default_quarter: Optional[Callable[[str, str, list[Quarter]], Quarter]] = None) -> View:
    """The one rule every page uses to pick a valid view from its address.

    ``query`` is the address's query string (``?scheme=…&region=…&q=…``) or its parsed
    dict; ``scheme_id``/``region``/``quarter`` (a selector's value) win over it. Whatever
    is missing, unknown or malformed falls back: the scheme to the registry's default
    (``service.default_scheme``), the region to the first offered, the quarter to the
    default. A page that offers other choices says so: ``regions(scheme)`` (e.g. a
    reporter's own regions; when it offers none, the scheme's first region),
    ``quarters(scheme, region)`` (oldest first) and ``default_quarter(scheme, region,
    quarters)``; by default the monitoring pages' ``service.regions``,
    ``service.quarters`` and ``service.default_quarter`` (latest quarter with data).
    """
    params = urlstate.parse(query) if isinstance(query, str) or query is None else query
    schemes = service.registry.schemes
    sid = text_or_none(scheme_id) or text_or_none(params.get("scheme"))
    if sid not in schemes:
        sid = service.default_scheme
    offered = (regions(sid) if regions else service.regions(sid)) or service.regions(sid)[:1]
    reg = text_or_none(region) or text_or_none(params.get("region"))
    if reg not in offered:
        reg = offered[0]
    allowed = quarters(sid, reg) if quarters else service.quarters(sid, reg)
    q = _quarter(quarter) or _quarter(params.get("q"))
    if q not in allowed:
        q = default_quarter(sid, reg, allowed) if default_quarter else service.default_quarter(sid, reg)
    return View(sid, reg, q)


def scheme_options(service) -> list[dict]:
    return [{"label": s.short_name + " · " + s.name, "value": s.id} for s in service.registry.schemes.values()]


def quarter_options(service, view: View) -> list[dict]:
    return [{"label": q.label, "value": str(q)} for q in reversed(service.quarters(view.scheme_id, view.region))]


def region_options(service, scheme_id: str) -> list[str]:
    # Plain strings (label = value): a province's 1,000 regions as {label, value} pairs
    # doubled the layout's size and the objects the browser builds from it.
    return service.regions(scheme_id)


def title_text(service, view: View, what: str = "") -> str:
    scheme = service.scheme(view.scheme_id)
    parts = [view.region, f"截至{view.quarter.label}"]
    return " · ".join(parts) + (f" · {what}" if what else "") + f"({scheme.short_name}方案)"


def selector_row(service, view: View, scheme_id: str, region_id: str, quarter_id: str) -> html.Div:
    from dash import dcc

    return html.Div(
        [
            scheme_col(service, scheme_id, view.scheme_id, md=5),
            region_col(service, region_id, view.scheme_id, view.region, md=3),
            selector_col("截至季度", dcc.Dropdown(id=quarter_id, options=quarter_options(service, view),
                                                value=str(view.quarter), clearable=False, searchable=False), md=3),
        ],
        className="g-2 selectors no-print row",
    )


def subtitle_id(title_id: str) -> str:
    """The id of the line under a page's heading (a callback updates it when it names the scheme)."""
    return f"{title_id}-sub"


def page_title_html(title_id: str, text: str, subtitle: str = "") -> str:
    """:func:`page_title` as server-rendered HTML (the content of a ``data-html`` block, see
    dashboard/markup.py): the same elements and ids, none of them a Dash component."""
    return (f'<h1{markup.attrs(id=title_id, class_="page-title")}>{markup.escape(text)}</h1>'
            f'<div{markup.attrs(id=subtitle_id(title_id), class_="page-subtitle text-muted")}>'
            f'{markup.escape(subtitle)}</div>')


def page_title(title_id: str, text: str, subtitle: str = "") -> html.Div:
    return html.Div([html.H1(text, id=title_id, className="page-title"),
                     html.Div(subtitle, id=subtitle_id(title_id), className="page-subtitle text-muted")],
                    className="title-block")


def resolve_from_controls(service, triggered: dict, scheme_id, region, quarter, scheme_trigger_id) -> View:
    """After a scheme change the old region and quarter may not exist: reset them.

    ``triggered`` is ``ctx.triggered_prop_ids``; on the initial call every input
    is listed, and then the values from the URL must stand.
    """
    if list(triggered.values()) == [scheme_trigger_id]:
        return resolve(service, scheme_id=scheme_id)
    return resolve(service, scheme_id=scheme_id, region=region, quarter=quarter)


def register_view_page(app, service, *, scheme_id, region_id, quarter_id, title_id, body_id, what, body):
    """The callback of a page that is a selector row plus one body rendered from the view."""
    from dash import Input, Output, ctx

    from .. import ids

    @app.callback(
        Output(region_id, "options"), Output(region_id, "value"),
        Output(quarter_id, "options"), Output(quarter_id, "value"),
        Output(title_id, "children"), Output(body_id, "children"),
        Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(scheme_id, "value"), Input(region_id, "value"), Input(quarter_id, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def update(scheme, region, quarter):
        view = resolve_from_controls(service, ctx.triggered_prop_ids, scheme, region, quarter, scheme_id)
        return (region_options(service, view.scheme_id), view.region, quarter_options(service, view),
                str(view.quarter), title_text(service, view, what), body(service, view), view.search())


def scheme_col(service, id_: str, value: str, **width) -> html.Div:
    """The 方案 selector of a page."""
    from dash import dcc

    return selector_col("方案", dcc.Dropdown(id=id_, options=scheme_options(service), value=value, clearable=False,
                                            searchable=False), **width)


def region_col(service, id_: str, scheme_id: str, value: str, options: Optional[list[str]] = None,
               **width) -> html.Div:
    """The 地区 selector of a page: the regions of ``scheme_id`` (or ``options``, e.g. a
    reporter's own regions)."""
    from dash import dcc

    options = region_options(service, scheme_id) if options is None else options
    return selector_col("地区", dcc.Dropdown(id=id_, options=options, value=value, clearable=False), **width)


def selector_col(label: str, control, **width) -> html.Div:
    """A selector column: a small label tied to its control (for screen readers too).

    Plain html with Bootstrap's classes, as dbc.Col/dbc.Label render them (``md=5`` ->
    ``col-md-5``): html components mount faster than dbc's (docs/performance.md)."""
    cls = " ".join(f"col-{bp}-{n}" for bp, n in width.items()) or "col"
    return html.Div([html.Label(label, htmlFor=control.id, className="small mb-0 form-label"), control], className=cls)
