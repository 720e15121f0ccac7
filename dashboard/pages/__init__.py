"""The pages. Each module has ``match(pathname) -> dict | None``,
``layout(service, search, **match)`` and ``register(app, service)``."""
import dash_bootstrap_components as dbc
from dash import dcc

from ..entry import page as entry
from ..entry import review, todo
from . import detail, overview, reference, registry, stages, units

PAGES = [overview, detail, units, stages, registry, todo, entry, review, reference]
from . import regions  # noqa: E402  地区排名, next to 总览 in the navigation
PAGES.insert(PAGES.index(overview) + 1, regions)
from ..screen import page as screen  # noqa: E402  数据大屏: no menu entry, linked from 总览
PAGES.append(screen)
from . import schemes  # noqa: E402  方案管理 (admins), before 用户管理
PAGES.append(schemes)


def not_found(pathname):
    return dbc.Alert([f"页面“{pathname}”不存在。", dcc.Link("返回总览", href="/", className="ms-2")],
                     color="warning", className="mt-3")
