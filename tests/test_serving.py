"""How the app is served to the browser: cacheable assets, the layout preloaded from <head>,
one data_version read per page layout (docs/performance.md, page ready)."""
from __future__ import annotations

import re

import pytest

from dashboard.factory import ASSET_MAX_AGE


@pytest.fixture()
def client(demo_app):
    return demo_app.server.test_client()


def _asset_urls(index_html: str) -> list[str]:
    return re.findall(r'(/assets/[^"?]+\?m=[0-9a-f.]+)', index_html)


def test_fingerprinted_assets_are_cached_and_bare_ones_revalidated(client):
    index = client.get("/").get_data(as_text=True)
    urls = _asset_urls(index)
    assert any("_bundle.css" in u for u in urls) and any(".js?" in u for u in urls)
    assert b".btn-primary" in client.get(next(u for u in urls if "_bundle.css" in u)).get_data()
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.cache_control.max_age == ASSET_MAX_AGE and not r.cache_control.no_cache, url
        assert r.cache_control.private and not r.cache_control.public, url
    bare = client.get(urls[0].split("?")[0])
    assert bare.status_code == 200 and bare.cache_control.no_cache and bare.cache_control.max_age is None


def test_index_preloads_layout_and_dependencies(client):
    index = client.get("/").get_data(as_text=True)
    head = index.split("</head>")[0]
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert f'<link rel="preload" href="{path}" as="fetch" crossorigin="anonymous">' in head
        assert client.get(path).status_code == 200


def test_layout_reads_data_version_once(client, monkeypatch):
    app_store = client.application.extensions["monitor"]["store"]
    calls = []
    original = app_store.data_version
    monkeypatch.setattr(app_store, "data_version", lambda: calls.append(1) or original())
    r = client.get("/_dash-layout", headers={"Referer": "http://localhost/?scheme=anning&q=2025Q2"})
    assert r.status_code == 200 and "ov-board" in r.get_data(as_text=True)
    assert len(calls) == 1


def test_top_bar_and_demo_banner_are_in_the_page_not_in_the_layout(client):
    """The frame is written before Dash's entry point (dashboard/factory.py, _page_frame): it shows at
    the first paint and React mounts none of it; the active link is the page asked for."""
    page = client.get("/regions?scheme=anning").get_data(as_text=True)
    body = page.split("<body>", 1)[1]
    frame, entry = body.split('<div id="react-entry-point">', 1)
    assert '<header class="app-header">' in frame and 'id="demo-banner"' in frame and "示例数据" in frame
    assert re.search(r'<a class="px-3 nav-link active" href="/regions"', frame)
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/?scheme=anning&q=2025Q2"})
    text = layout.get_data(as_text=True)
    assert "app-header" not in text and "demo-banner" not in text and "ov-board" in text


def test_overview_charts_come_with_their_figures(client):
    """The overview's layout holds a box of each chart's height; the figures callback draws the
    dcc.Graph in it (plotly.js loads then, not while the board is first drawn)."""
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/?scheme=anning&q=2025Q2"})
    text = layout.get_data(as_text=True)
    assert '"ov-timeline-box"' in text and '"ov-heatmap-box"' in text
    assert '"type":"Graph"' not in text.replace(" ", "")
