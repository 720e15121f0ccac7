"""验收清单 (/acceptance): every indicator's final status, judged value, evidence and ledger counts,
what is missing, and the office's 已核验 mark; filters by unit and dimension in the address;
生成验收材料包 builds the package as a background job with progress, then downloads it.

Everyone signed in may read the checklist and build the package (reporters see what their
units still owe; the package holds nothing a signed-in user cannot already open); only the
office marks 已核验 (checked again in data.acceptance).
"""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Optional

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from flask import abort, send_file

from data.acceptance import MarkRefused

from .. import background, ids, urlstate
from ..components import light
from ..entry import forms
from ..permissions import current_identity
from ..pages.common import page_title, region_col, region_options, resolve, scheme_col, selector_col
from . import collect, package, rules

NAV_LABEL = "验收清单"
PATH = "/acceptance"
KEEP = ("scheme", "region")

SCHEME, REGION, UNIT, DIM = "acc-scheme", "acc-region", "acc-unit", "acc-dim"
TITLE, SUMMARY, TABLE, MSG, REFRESH = "acc-title", "acc-summary", "acc-table", "acc-msg", "acc-refresh"
VERIFY = "acc-verify"
BUILD, PROGRESS, PROGRESS_BOX, BUILD_MSG, LINK, CLICKED = (
    "acc-build", "acc-progress", "acc-progress-box", "acc-build-msg", "acc-download-link", "acc-clicked")
DOWNLOAD_PATH = "/acceptance/package/"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def match(pathname: str):
    return {} if (pathname or "").rstrip("/") == PATH else None


def _choose(service, scheme_id=None, region=None):
    # No quarter selector: the checklist judges its own quarter (rules.judged_quarter).
    view = resolve(service, scheme_id=scheme_id, region=region, default_quarter=lambda _s, _r, offered: offered[-1])
    return view.scheme_id, view.region


def search_of(scheme_id: str, region: str, unit: Optional[str], dim: Optional[str]) -> str:
    return urlstate.build(scheme=scheme_id, region=region, unit=unit, dim=dim)


def _title(service, sid: str, reg: str) -> str:
    return f"{reg} · 验收清单({service.scheme(sid).short_name}方案)"


def layout(service, search, **_):
    p = urlstate.parse(search)
    sid, reg = _choose(service, p.get("scheme"), p.get("region"))
    checklist = collect.gather(service, sid, reg)
    unit, dim = _valid_filters(checklist.rows, p.get("unit"), p.get("dim"))
    return html.Div([
        page_title(TITLE, _title(service, sid, reg),
                   "每项指标的最终状态、评价值、佐证材料与台账数量,以及还缺什么;办公室核对后标记“已核验”。"),
        html.Div([
            scheme_col(service, SCHEME, sid, md=4),
            region_col(service, REGION, sid, reg, md=2),
            selector_col("责任单位", dcc.Dropdown(id=UNIT, options=rules.unit_options(checklist.rows), value=unit,
                                              placeholder="全部单位"), md=3),
            selector_col("维度", dcc.Dropdown(id=DIM, options=rules.dimension_options(checklist.rows), value=dim,
                                            placeholder="全部维度", searchable=False), md=3),
        ], className="g-2 selectors no-print row"),
        html.Div([
            html.Button("生成验收材料包", id=BUILD, className="btn btn-primary btn-sm"),
            html.Div(dbc.Progress(id=PROGRESS, value=0, label="", striped=True, animated=True,
                                  style={"height": "18px"}),
                     id=PROGRESS_BOX, className="acc-progress", style={"display": "none"}),
            html.Div(id=BUILD_MSG, className="d-inline-block ms-2 small"),
            dcc.Store(id=CLICKED),
        ], className="export-row no-print mt-2"),
        html.Div(id=MSG, className="mt-2"),
        html.Div(_summary(checklist, checklist.rows), id=SUMMARY, className="mt-2"),
        html.Div(_table(checklist, rules.filter_rows(checklist.rows, unit, dim), _is_admin(), service.display_names()),
                 id=TABLE),
        dcc.Store(id=REFRESH, data=0),
    ], className="acceptance")


def _is_admin() -> bool:
    ident = current_identity()
    return bool(ident and ident.is_admin)


def _valid_filters(rows, unit, dim):
    """The address's filters when they name a unit or dimension of the scheme, else None (all)."""
    unit = unit if isinstance(unit, str) and unit in rules.unit_options(rows) else None
    dim = dim if isinstance(dim, str) and dim in rules.dimension_options(rows) else None
    return unit, dim


def _summary(checklist, rows):
    s = rules.summarise(rows)
    shown = "" if len(rows) == len(checklist.rows) else f"(筛选后;全部{len(checklist.rows)}项)"
    gaps = ";".join(f"{k}{v}项" for k, v in s.by_missing.items())
    return html.Div([
        html.P(f"评价季度:{checklist.quarter.label}(方案期末,方案期内为最近结束的季度)。", className="small mb-1"),
        html.P(s.text + shown, className="mb-1 acc-summary-line",
               **{"data-total": s.total, "data-incomplete": s.incomplete, "data-verified": s.verified}),
        html.P(f"缺项:{gaps}。" if gaps else "各项材料均已齐全。", className="small text-muted mb-2"),
    ])


HEADINGS = ("维度", "指标", "填报单位", "目标(条款)", "评价值", "最终状态", "佐证材料", "台账", "缺项", "核验")
STATE_CLASS = {rules.VERIFIED: "bg-success", rules.COMPLETE: "bg-primary", rules.INCOMPLETE: "bg-warning text-dark"}


def _verify_cell(row, admin: bool, names: dict):
    who = ""
    if row.verified:
        who = f"{names.get(row.verified_by, row.verified_by)} {forms.local_time(row.verified_at)}"
    parts = [html.Span(row.state_text, className=f"badge {STATE_CLASS[row.state]} acc-state")]
    if admin:
        parts.append(dbc.Switch(id={"type": VERIFY, "indicator": row.indicator_id}, value=row.verified,
                                label="核验", className="acc-verify mb-0 small no-print"))
    if who:
        parts.append(html.Div(who, className="small text-muted acc-verified-by"))
    return html.Td(parts, **{"data-label": HEADINGS[-1]})


def _table(checklist, rows, admin: bool, names: Optional[dict] = None):
    if not rows:
        return html.P("没有符合筛选条件的指标。", className="text-muted")
    names = names or {}
    region_q = urlstate.build(region=checklist.region)
    head = html.Thead(html.Tr([html.Th(h) for h in HEADINGS]))
    body = []
    for r in rows:
        cells = [
            (r.dimension, "small acc-dim-cell"),
            (dcc.Link(r.name, href=f"/indicator/{r.indicator_id}{region_q}", className="acc-name"), "acc-name-cell"),
            (r.reporting_unit, "small"),
            ([r.target_text, html.Span(f"(第{r.clause}条)", className="small text-muted")], "small"),
            (r.value_text, "small"),
            (light(r.status, r.indicator_id, size="light-sm"), ""),
            (f"{r.evidence}份", "acc-evidence"),
            (r.ledger_text, "small"),
            (r.missing_text, "small acc-missing" + (" text-danger" if r.missing else "")),
        ]
        # data-label: the heading of each cell, shown before it where the phone layout stacks the cells.
        tds = [html.Td(c, className=cls, **{"data-label": h}) for (c, cls), h in zip(cells, HEADINGS)]
        body.append(html.Tr(tds + [_verify_cell(r, admin, names)], className=f"acc-row acc-{r.state}",
                            **{"data-indicator": r.indicator_id, "data-state": r.state}))
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", bordered=True, hover=True,
                              className="acceptance-table mb-0"), className="table-responsive")


# ---------------------------------------------------------------- the package file for download

def _package_dir(settings) -> Path:
    return Path(settings.export_cache_dir) / "acceptance"


def _clean(folder: Path, max_age: float) -> None:
    """Packages older than the export cache's lifetime go (each download is one build)."""
    cutoff = time.time() - max_age
    for p in folder.glob("*"):
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink()
        except OSError:
            pass


def store_package(service, settings, user: str, scheme_id: str, region: str, progress=None,
                  ledgers_xlsx=None) -> tuple[str, str, int]:
    """Build the package into the export cache for ``user``; (token, file name, size)."""
    folder = _package_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    _clean(folder, settings.export_cache_seconds)
    token = secrets.token_hex(16)
    path = folder / f"{token}.zip"
    manifest = package.write_package(service, scheme_id, region, path, progress=progress, ledgers_xlsx=ledgers_xlsx)
    name = package.package_filename(service.scheme(scheme_id), region, manifest["quarter"])
    (folder / f"{token}.json").write_text(json.dumps({"user": user, "name": name}, ensure_ascii=False))
    return token, name, path.stat().st_size


def register(app, service, ledgers_xlsx=None) -> None:
    """``ledgers_xlsx(service, scheme_id, region) -> bytes`` adds 台账.xlsx to the package; when not
    given, ``app.server.extensions["monitor"]["ledgers_xlsx"]`` is used if create_app put one there."""
    monitor = app.server.extensions["monitor"]
    settings = monitor["settings"]

    @app.server.get(DOWNLOAD_PATH + "<token>")
    def acceptance_package(token: str):
        ident = current_identity()
        if ident is None:
            abort(401)
        folder = _package_dir(settings)
        if not _TOKEN.match(token) or not (folder / f"{token}.json").is_file():
            abort(404)
        meta = json.loads((folder / f"{token}.json").read_text())
        if meta.get("user") != ident.username:   # a package is its builder's
            abort(404)
        resp = send_file(folder / f"{token}.zip", mimetype="application/zip", as_attachment=True,
                         download_name=meta.get("name") or "验收材料包.zip", max_age=0)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.callback(
        Output(REGION, "options"), Output(REGION, "value"), Output(UNIT, "options"), Output(UNIT, "value"),
        Output(DIM, "options"), Output(DIM, "value"), Output(TITLE, "children"),
        Output(SUMMARY, "children"), Output(TABLE, "children"), Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(SCHEME, "value"), Input(REGION, "value"), Input(UNIT, "value"), Input(DIM, "value"),
        Input(REFRESH, "data"),
        prevent_initial_call=True,
    )
    def update(scheme_id, region, unit, dim, _refresh):
        if ctx.triggered_id == SCHEME:      # another scheme: its own regions, units and dimensions
            region, unit, dim = None, None, None
        sid, reg = _choose(service, scheme_id, region)
        checklist = collect.gather(service, sid, reg)
        unit, dim = _valid_filters(checklist.rows, unit, dim)
        rows = rules.filter_rows(checklist.rows, unit, dim)
        return (region_options(service, sid), reg, rules.unit_options(checklist.rows), unit,
                rules.dimension_options(checklist.rows), dim, _title(service, sid, reg),
                _summary(checklist, rows), _table(checklist, rows, _is_admin(), service.display_names()),
                search_of(sid, reg, unit, dim))

    @app.callback(
        Output(MSG, "children"), Output(REFRESH, "data"),
        Input({"type": VERIFY, "indicator": ALL}, "value"),
        State(SCHEME, "value"), State(REGION, "value"), State(REFRESH, "data"),
        prevent_initial_call=True,
    )
    def verify(_values, scheme_id, region, refresh):
        trig = ctx.triggered_id
        if not isinstance(trig, dict) or not ctx.triggered:
            return no_update, no_update
        value = bool(ctx.triggered[0].get("value"))
        sid, reg = _choose(service, scheme_id, region)
        name = service.registry.indicators[trig["indicator"]].name \
            if trig.get("indicator") in service.registry.indicators else trig.get("indicator")
        try:
            service.acceptance.set(current_identity(), sid, reg, trig.get("indicator"), value)
        except MarkRefused as exc:
            return dbc.Alert(str(exc), color="danger", className="py-1 mb-0", dismissable=True), (refresh or 0) + 1
        text = f"已将“{name}”标记为已核验。" if value else f"已撤销“{name}”的已核验标记。"
        return dbc.Alert(text, color="success", className="py-1 mb-0", dismissable=True), (refresh or 0) + 1

    def failed(msg):
        return dbc.Alert(msg, color="danger", className="py-1 mb-0")

    @app.callback(
        Output(BUILD_MSG, "children"),
        Input(BUILD, "n_clicks"), State(SCHEME, "value"), State(REGION, "value"),
        background=True,
        running=[(Output(BUILD, "disabled"), True, False),
                 (Output(PROGRESS_BOX, "style"), {"display": "inline-block"}, {"display": "none"})],
        progress=[Output(PROGRESS, "value"), Output(PROGRESS, "label")],
        prevent_initial_call=True,
    )
    @background.export_job("viewer", failed=failed)
    def build(set_progress, n, scheme_id, region):
        if not n:
            return no_update
        sid, reg = _choose(service, scheme_id, region)

        def progress(done, total, _what):
            set_progress((int(done * 100 / max(total, 1)), f"{done}/{total}"))

        try:
            token, name, size = store_package(service, settings, background.job_identity().username, sid, reg,
                                              progress=progress,
                                              ledgers_xlsx=ledgers_xlsx or monitor.get("ledgers_xlsx"))
        except package.PackageError as exc:
            return failed(str(exc))
        from data.evidence_checks import size_text

        return html.Span([f"已生成 {name}({size_text(size)})", html.A(
            "下载", id=LINK, href=DOWNLOAD_PATH + token, download=name, className="ms-2")])

    # The link is followed at once: the zip downloads as soon as it is built.
    app.clientside_callback(
        f"""function (children) {{
            var a = document.getElementById("{LINK}");
            if (a && a.dataset.clicked !== "1") {{ a.dataset.clicked = "1"; a.click(); return a.href; }}
            return dash_clientside.no_update;
        }}""",
        Output(CLICKED, "data"), Input(BUILD_MSG, "children"), prevent_initial_call=True)
