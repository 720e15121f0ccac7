"""Dash app factory: ``create_app(settings)`` builds one independent app.

Nothing is kept at module level: the registry, the store and the status
cache hang off the app (``app.server.extensions["monitor"]``), so tests can
start several apps against temporary databases in one process.
"""
from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html

from data.db import make_engine, upgrade
from data.store import Store
from indicators.registry import SCHEMES_DIR, load_registry

from . import ids
from .components import demo_banner
from .pages import PAGES, not_found
from .service import MonitorService
from .settings import ROOT, Settings

def _navbar(demo: bool) -> html.Header:
    # Pages that set NAV_LABEL appear in the navigation bar, in PAGES order.
    links = [dbc.NavLink(p.NAV_LABEL, href=p.PATH, active="exact", className="px-3")
             for p in PAGES if getattr(p, "NAV_LABEL", None)]
    return html.Header(
        dbc.Navbar(
            dbc.Container(
                [dbc.NavbarBrand("知识产权强县试点监测平台", href="/", className="fw-bold"),
                 dbc.Nav(links, navbar=True, className="me-auto", id=ids.NAV)],
                fluid=True,
            ),
            color="dark", dark=True, className="py-1 no-print",
        ),
        className="app-header",
    )


def create_app(settings: Settings | None = None, registry_dir: Path | str = SCHEMES_DIR) -> Dash:
    settings = settings or Settings.from_env()
    registry = load_registry(registry_dir)  # raises RegistryInvalid: never half-loaded
    engine = make_engine(settings.database_url)
    upgrade(engine)
    store = Store(engine)
    if settings.demo and not store.is_demo():
        from data.demo import load_demo
        load_demo(store, registry)
    service = MonitorService(registry, store)

    app = Dash(
        __name__,
        assets_folder=str(ROOT / "assets"),
        title="知识产权强县试点监测平台",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        compress=True,
    )
    app.server.config["SECRET_KEY"] = settings.resolved_secret()
    app.server.extensions["monitor"] = {"settings": settings, "service": service}
    # <html lang="zh-CN">: screen readers and fonts pick Simplified Chinese.
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">')

    def shell():
        return html.Div(
            [
                dcc.Location(id=ids.URL, refresh="callback-nav"),
                _navbar(store.is_demo()),
                demo_banner() if store.is_demo() else None,
                html.Main(id=ids.PAGE, className="container-fluid page"),
            ]
        )

    app.layout = shell

    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), State(ids.URL, "search"))
    def route(pathname, search):
        for page in PAGES:
            match = page.match(pathname or "/")
            if match is not None:
                return page.layout(service, search, **match)
        return not_found(pathname)

    for page in PAGES:
        page.register(app, service)
    return app
