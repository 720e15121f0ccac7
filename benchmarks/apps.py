"""The two apps the browser comparison serves, as gunicorn app factories:

    gunicorn -c gunicorn.conf.py 'benchmarks.apps:monitor()'   # BENCH_DATABASE_URL
    gunicorn -c gunicorn.conf.py 'benchmarks.apps:hello()'
    gunicorn -c gunicorn.conf.py 'benchmarks.apps:hello_with_headers()'   # with the monitor's response headers
    gunicorn -c gunicorn.conf.py 'benchmarks.apps:plain()'   # hello world without Dash
    gunicorn -c gunicorn.conf.py 'benchmarks.apps:hello_dcc()'   # with the overview's Dash components

Both go through the same gunicorn settings, so the ratio of their page-ready
times measures the app, not the server.
"""
from __future__ import annotations

import os

HELLO_ID = "hello-text"
HELLO_TEXT = "Hello, Dash"


def monitor():
    """The monitor on BENCH_DATABASE_URL, sign-in disabled (the benchmark measures pages, not the login)."""
    from dashboard import Settings, create_app

    settings = Settings(database_url=os.environ["BENCH_DATABASE_URL"], secret_key="bench", login_disabled=True)
    return create_app(settings).server


def _hello_app():
    from dash import Dash, html

    app = Dash(__name__, compress=True, serve_locally=True, update_title=None)
    app.layout = html.Div(html.P(HELLO_TEXT, id=HELLO_ID))
    return app


def hello():
    """The Dash floor: one text element, nothing else (same Dash version and settings)."""
    return _hello_app().server


def hello_with_headers():
    """Hello world served with the monitor's response headers (dashboard.security.install_headers:
    its CSP, Cross-Origin-Opener-Policy, framing and caching headers), as a reverse proxy that sets
    them would serve any app. The page-ready target compares against this floor: COOP alone makes
    Chromium start a fresh renderer process for a page entered from one without it (about:blank
    between the benchmark's loads), which costs hello world itself a quarter to a half of its time
    (docs/performance.md, "Page ready: the same headers on both sides")."""
    from dashboard.security import install_headers

    app = _hello_app()
    install_headers(app.server, app.csp_hashes())
    return app.server


def plain():
    """Hello world without Dash: the same text element in a static HTML page (Flask, same
    gunicorn settings). hello / plain is the share of page-ready that is Dash's own start-up."""
    from flask import Flask

    app = Flask(__name__)
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Hello</title></head>'
            f'<body><div><p id="{HELLO_ID}">{HELLO_TEXT}</p></div></body></html>')

    @app.get("/")
    def index():
        return page

    return app


def hello_dcc():
    """Hello world plus the Dash components the overview mounts (three dcc.Dropdown, two empty
    dcc.Graph, dcc.Location, two dcc.Store): hello_dcc / hello is what those components' own
    start-up (their lazily loaded bundles, plotly.js) adds, before any of the monitor's content."""
    from dash import Dash, dcc, html

    app = Dash(__name__, compress=True, serve_locally=True, update_title=None)
    opts = [f"示例县{i:04d}" for i in range(1, 1001)]
    app.layout = html.Div([
        dcc.Location(id="url"), dcc.Store(id="address"), dcc.Store(id="route"),
        dcc.Dropdown(id="scheme", options=["安宁"], value="安宁", clearable=False),
        dcc.Dropdown(id="region", options=opts, value=opts[0], clearable=False),
        dcc.Dropdown(id="quarter", options=[f"2025Q{q}" for q in range(1, 5)], value="2025Q4", clearable=False),
        html.P(HELLO_TEXT, id=HELLO_ID),
        dcc.Graph(id="timeline"), dcc.Graph(id="heatmap"),
    ])
    return app.server
