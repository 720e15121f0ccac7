"""Dash app factory: ``create_app(settings)`` builds one independent app.

Nothing is kept at module level: the registry, the store and the status
cache hang off the app (``app.server.extensions["monitor"]``), so tests can
start several apps against temporary databases in one process.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html
from flask import has_request_context, request

from data.db import make_engine, upgrade
from data.acceptance import AcceptanceMarks
from data.evidence import Evidence
from data.store import Store
from indicators.registry import SCHEMES_DIR, load_registry

from . import auth, background, guard, ids, markup, security
from .shell import ASSETS_PATH_IGNORE, MonitorDash
from .acceptance import page as acceptance_page
from .evidence import routes as evidence_routes
from .pages import PAGES, not_found
from .pages import users as users_page
from .permissions import ROLE_LABELS, allowed, current_identity
from .service import MonitorService
from .settings import ROOT, Settings, request_limit_mb

# Shell ids of the signed-in user's menu (kept here while dashboard/ids.py is shared with other work).
USER_NAME = "user-name"
USER_ROLE = "user-role"
LOGOUT = "logout"
REFUSED = "page-refused"


def _pages() -> list:
    # The users page comes last; added here so dashboard/pages/__init__.py stays as other work left it.
    # 验收清单 (issue 16) before the users page, also added here rather than in pages/__init__.py.
    return [*PAGES, acceptance_page, users_page] if users_page not in PAGES else list(PAGES)


def _user_menu(identity) -> str:
    # Sign-out is a POST with the session's CSRF token, so another site cannot sign anyone out.
    role = ROLE_LABELS.get(identity.role, identity.role)
    return ('<div class="user-menu">'
            f'<span{markup.attrs(id=USER_NAME, class_="user-name")}>{markup.escape(identity.display_name)}</span>'
            f'<span{markup.attrs(id=USER_ROLE, class_="user-role badge")}>{markup.escape(role)}</span>'
            f'<form{markup.attrs(action=auth.LOGOUT_PATH, method="POST", class_="d-inline")}>'
            f'<input{markup.attrs(type="hidden", name="csrf_token", value=auth.csrf_token())}>'
            f'<button{markup.attrs(id=LOGOUT, class_="btn btn-link user-logout", type="submit")}>退出</button>'
            "</form></div>")


def _page_frame(identity, pathname, demo: bool) -> str:
    """The top bar and the demo banner, as HTML written into the page itself (before Dash's
    entry point, outside React): they do not change while the page is open, they show at the
    first paint, and React mounts fewer components (docs/performance.md, "Page ready").

    Pages that set NAV_LABEL appear in the navigation bar, in PAGES order, when the user may
    open them (REQUIRES); the pages check again on the server. Each link carries the part of
    the current address its page reads (KEEP), filled in by assets/monitor_html.js as the
    address changes, which also moves the active mark on in-app navigation."""
    links = [(p.NAV_LABEL, p.PATH, getattr(p, "KEEP", ())) for p in _pages()
             if getattr(p, "NAV_LABEL", None) and allowed(identity, getattr(p, "REQUIRES", None))]
    menu = _user_menu(identity) if identity is not None else ""
    return (f'<header class="app-header">{markup.navbar(links, pathname, ids.NAV, menu)}</header>'
            + (markup.demo_banner() if demo else ""))


def _refused_page() -> dbc.Alert:
    return dbc.Alert([html.Strong("无权访问"), " · 您的账号没有访问此页面的权限。如需开通,请联系领导小组办公室。",
                      dcc.Link("返回总览", href="/", className="ms-2")],
                     color="danger", className="mt-3", id=REFUSED)


def _requested_page():
    """(pathname, search) of the page that asked for the layout, or (None, None)."""
    if not has_request_context() or request.path != "/_dash-layout":
        return None, None
    ref = urlsplit(request.headers.get("Referer", ""))
    if not ref.path or (ref.netloc and ref.netloc != request.host):
        return None, None
    return ref.path, ("?" + ref.query) if ref.query else ""


ASSET_MAX_AGE = 365 * 24 * 3600


def _cache_fingerprinted_assets(app: Dash) -> None:
    """Let the browser keep /assets/ files that Dash links with ``?m=<mtime>``.

    Flask sends them with ``no-cache``, so every page load asked again for each CSS
    and script file before it could render. A changed file gets a new ``m``, hence a
    new URL, so a year is safe — as Dash does for its own component suites. A bare
    ``/assets/...`` URL (no ``m``) keeps Flask's revalidation. ``private``: the browser
    may keep them, a shared proxy may not (a signed-in response carries the session
    cookie).
    """
    prefix = app.get_asset_url("")

    @app.server.after_request
    def _asset_cache(response):
        if request.path.startswith(prefix) and request.args.get("m") and response.status_code in (200, 304):
            response.cache_control.no_cache = None
            response.cache_control.private = True
            response.cache_control.max_age = ASSET_MAX_AGE
        return response


def _preload_layout(app: Dash) -> None:
    """Ask for the layout and the callback graph while the scripts still load.

    dash-renderer fetches ``_dash-layout`` and ``_dash-dependencies`` only once all
    bundles have run; preloaded from ``<head>``, the server builds the page (with the
    Referer, as for the renderer's own request) meanwhile, and the renderer's fetch
    takes the preloaded answer (same URL, mode and credentials: crossorigin="anonymous"
    is what fetch()'s same-origin default means).
    """
    prefix = app.config.requests_pathname_prefix
    links = "".join(f'<link rel="preload" href="{prefix}{path}" as="fetch" crossorigin="anonymous">'
                    for path in ("_dash-layout", "_dash-dependencies"))
    app.index_string = app.index_string.replace("{%css%}", "{%css%}\n        " + links, 1)


def create_app(settings: Settings | None = None, registry_dir: Path | str = SCHEMES_DIR) -> Dash:
    settings = settings or Settings.from_env()
    registry = load_registry(registry_dir)  # raises RegistryInvalid: never half-loaded
    engine = make_engine(settings.database_url, lock_timeout=settings.db_lock_timeout)
    upgrade(engine)
    store = Store(engine)
    background.dispose_after_fork(engine)
    evidence = Evidence(store, registry, settings.resolved_evidence_dir(), settings.evidence_max_mb)
    if settings.demo and not store.is_demo():
        from data.demo import load_demo
        load_demo(store, registry, evidence=evidence)
    service = MonitorService(registry, store, default_scheme=settings.default_scheme or None)
    # From now on the registry in force (published versions included), not the shipped one.
    evidence.registry = lambda: service.registry
    service.evidence = evidence
    service.acceptance = AcceptanceMarks(store, lambda: service.registry)

    app = MonitorDash(
        __name__,
        assets_folder=str(ROOT / "assets"),
        assets_path_ignore=ASSETS_PATH_IGNORE,
        title="知识产权强县试点监测平台",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        compress=True,
        on_error=guard.on_callback_error,  # every callback, new ones included: a message, never a 500
        # Slow exports run as background callbacks (dashboard/background.py).
        background_callback_manager=background.callback_manager(settings),
    )
    app.server.config["SECRET_KEY"] = settings.resolved_secret()
    app.server.config["MAX_CONTENT_LENGTH"] = int(request_limit_mb(settings.max_request_mb,
                                                                   settings.evidence_max_mb) * 1024 * 1024)
    guard.install(app)
    app.server.extensions["monitor"] = {"settings": settings, "service": service, "store": store,
                                        "registry": registry}
    auth.init_auth(app, store, settings, registry)
    # <html lang="zh-CN">: screen readers and fonts pick Simplified Chinese.
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">')
    _preload_layout(app)
    _cache_fingerprinted_assets(app)

    def render(pathname, search):
        for page in _pages():
            match = page.match(pathname or "/")
            if match is not None:
                if not allowed(current_identity(), getattr(page, "REQUIRES", None)):
                    return _refused_page()
                return page.layout(service, search, **match)
        return not_found(pathname)

    def shell():
        # Evaluated per request: the page asked for (the Referer of /_dash-layout) comes with the
        # layout itself, so the first view needs no second round trip (docs/performance.md: page ready).
        pathname, search = _requested_page()
        return html.Div(
            [
                dcc.Location(id=ids.URL, refresh="callback-nav", pathname=pathname, search=search),
                dcc.Store(id=ids.ADDRESS, data=search),
                dcc.Store(id=ids.ROUTE),
                guard.alert_component(),
                html.Main(render(pathname, search) if pathname is not None else None,
                          id=ids.PAGE, className="container-fluid page"),
            ]
        )

    app.layout = shell
    # The navigation bar and the demo banner: in the page's HTML, per request (the signed-in user's menu).
    app.page_frame = lambda: _page_frame(current_identity(), request.path, store.is_demo())

    # The page is a function of path and query (as dash/_pages.py routes on pathname and
    # search), so Back, Forward, a link or a pasted address show what the address says.
    # Pages write the query they show to ADDRESS (never to the Location), copied into the
    # address here; the router then sees that query as the one shown and does not render
    # the page again for a selector change the page drew itself. Both checks run in the
    # browser: a selector change costs no extra request. No initial call: the layout
    # carries the page; without a Referer the Location's first pathname (None -> the real
    # one) is a change, and that renders the page.
    app.clientside_callback(
        "function (search) { return search || ''; }",
        Output(ids.URL, "search", allow_duplicate=True), Input(ids.ADDRESS, "data"), prevent_initial_call=True)
    app.clientside_callback(
        f"""function (pathname, search, shown) {{
            var moved = dash_clientside.callback_context.triggered.some(function (t) {{
                return t.prop_id === "{ids.URL}.pathname"; }});
            search = search || "";
            if (!moved && search === (shown || "")) {{
                return [dash_clientside.no_update, dash_clientside.no_update];
            }}
            // "at": a return to the view rendered last is still a change.
            return [{{pathname: pathname, search: search, at: Date.now()}}, search];
        }}""",
        Output(ids.ROUTE, "data"), Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(ids.URL, "pathname"), Input(ids.URL, "search"), State(ids.ADDRESS, "data"),
        prevent_initial_call=True)

    @app.callback(Output(ids.PAGE, "children"), Input(ids.ROUTE, "data"), prevent_initial_call=True)
    def route(where):
        where = where if isinstance(where, dict) else {}
        pathname, search = where.get("pathname"), where.get("search")
        return render(pathname if isinstance(pathname, str) else None, search if isinstance(search, str) else "")

    for page in _pages():
        page.register(app, service)
    evidence_routes.register(app, service)
    security.init_security(app, settings)
    return app
