"""The two apps the browser comparison serves, as gunicorn app factories:

    gunicorn -c gunicorn.conf.py 'benchmarks.apps:monitor()'   # BENCH_DATABASE_URL
    gunicorn -c gunicorn.conf.py 'benchmarks.apps:hello()'
    gunicorn -c gunicorn.conf.py 'benchmarks.apps:plain()'   # hello world without Dash

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


def hello():
    """The Dash floor: one text element, nothing else (same Dash version and settings)."""
    from dash import Dash, html

    app = Dash(__name__, compress=True, serve_locally=True, update_title=None)
    app.layout = html.Div(html.P(HELLO_TEXT, id=HELLO_ID))
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
