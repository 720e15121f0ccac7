"""Every chart's config (issue 15, charts in Chinese and offline): the zh-CN locale, a toolbar with
download PNG (a Chinese file name), zoom and reset only, no plotly logo and no link to its cloud.

Walks every page's layout and calls every callback that outputs a figure; a source check makes
sure no dcc.Graph is written without the shared config."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from dash import dcc

from dashboard import figures, ids
from dashboard.factory import _pages
from tests.test_auth import payload

ROOT = Path(__file__).resolve().parent.parent
SEARCH = "?scheme=anning&region=安宁市&q=2026Q3"
DETAIL = "/indicator/anning_design_grants_annual"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def assert_chart_config(config: dict, where: str) -> None:
    assert config, f"{where}: no config"
    assert config["locale"] == "zh-CN", where
    for key in ("displaylogo", "showLink", "showSendToCloud", "showEditInChartStudio"):
        assert config[key] is False, f"{where}: {key}"
    removed = set(config["modeBarButtonsToRemove"])
    assert {"sendDataToCloud", "editInChartStudio", "pan2d", "autoScale2d", "lasso2d", "select2d"} <= removed, where
    assert not removed & set(figures.MODEBAR_KEEP), where
    name = config["toImageButtonOptions"]["filename"]
    assert CHINESE.search(name) and not re.search(r'[\\/:*?"<>|\s]', name), f"{where}: file name {name!r}"
    assert config["toImageButtonOptions"]["format"] == "png", where


def _graphs(component) -> list:
    found = [component] if isinstance(component, dcc.Graph) else []
    if hasattr(component, "_traverse"):
        found += [c for c in component._traverse() if isinstance(c, dcc.Graph)]
    return found


def test_every_graph_in_every_page_layout_has_the_chart_config(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    paths = [p.PATH for p in _pages() if hasattr(p, "PATH")] + [DETAIL, "/todo"]
    counts = {}
    for page in _pages():
        matched = [(path, m) for path in paths if (m := page.match(path)) is not None]
        assert matched, f"no path opens {page.__name__}"
        path, match = matched[0]
        with demo_app.server.test_request_context(path + SEARCH):
            layout = page.layout(service, SEARCH, **match)
        graphs = _graphs(layout)
        counts[page.__name__.rsplit(".", 1)[-1]] = len(graphs)
        for g in graphs:
            assert_chart_config(g.config, f"{path} #{g.id}")
    # The walk does find graphs; the overview's two come with its figures callback (checked below).
    assert counts["overview"] == 0 and counts["detail"] == 1


def _drawn(props: dict) -> list[tuple[str, dict]]:
    """(id, props) of what a callback output draws: the props themselves (a figure and its config)
    or, for an output of children, the dcc.Graph components in them (the overview's charts)."""
    if "config" in props:
        return [("", props)]
    kids = props.get("children")
    kids = kids if isinstance(kids, list) else [kids]
    return [(k["props"]["id"], k["props"]) for k in kids
            if isinstance(k, dict) and k.get("type") == "Graph" and "config" in k.get("props", {})]


def test_every_callback_that_draws_a_figure_sends_the_chart_config(demo_app):
    # Callbacks that output a figure, or charts (the overview's boxes, filled with dcc.Graph).
    figure_callbacks = [k for k in demo_app.callback_map if ".figure" in k or f"{ids.OV_HEATMAP_BOX}.children" in k]
    assert figure_callbacks
    for key in figure_callbacks:
        outputs = key.strip(".").split("...")
        for out in outputs:
            if out.endswith(".figure"):
                assert out.replace(".figure", ".config") in outputs, f"{key}: a figure without its config"
    client = demo_app.server.test_client()
    bodies = {
        ids.OV_HEATMAP: payload(demo_app, f"{ids.OV_HEATMAP_BOX}.children",
                                {ids.OV_SCHEME: "anning", ids.OV_REGION: "安宁市", ids.OV_QUARTER: "2026Q3"}),
        ids.DT_CHART: payload(demo_app, f"{ids.DT_CHART}.figure", {ids.DT_QUARTER: "2026Q3"},
                              {"dt-indicator": "anning_design_grants_annual", "dt-region": "安宁市"}),
    }
    assert len(bodies) == len(figure_callbacks)   # every callback that draws a figure is called here
    seen = 0
    for body in bodies.values():
        resp = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        for cid, props in resp.get_json()["response"].items():
            for graph, drawn in _drawn(props):
                assert_chart_config(drawn["config"], f"callback #{cid} {graph}")
                seen += 1
    assert seen == 3   # timeline, heatmap, detail chart
    detail = [p for p in resp.get_json()["response"].values() if "config" in p][0]["config"]
    assert detail["toImageButtonOptions"]["filename"] == "外观设计专利年授权量_安宁市_2026年第3季度"


def test_no_graph_in_the_source_is_written_without_the_shared_config():
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "Graph":
                config = next((k.value for k in node.keywords if k.arg == "config"), None)
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                assert config is not None, f"{where}: dcc.Graph without config"
                assert not isinstance(config, ast.Dict), f"{where}: a config of its own, not figures.graph_config"


def test_the_zh_cn_locale_is_vendored_with_its_licence():
    js = (ROOT / "assets" / "vendor" / "plotly" / "plotly-locale-zh-cn.js").read_text(encoding="utf-8")
    assert "MIT License" in js[:300] and 'name:"zh-CN"' in js and "Plotly.register(locale)" in js
    assert "http" not in js
    assert (ROOT / "assets" / "vendor" / "plotly" / "LICENSE").exists()
