"""The pages. Each module has ``match(pathname) -> dict | None``,
``layout(service, search, **match)`` and ``register(app, service)``."""
import dash_bootstrap_components as dbc
from dash import dcc

from . import detail, overview, registry, stages, units

PAGES = [overview, detail, units, stages, registry]


def not_found(pathname):
    return dbc.Alert([f"页面“{pathname}”不存在。", dcc.Link("返回总览", href="/", className="ms-2")],
                     color="warning", className="mt-3")
