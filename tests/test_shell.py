"""The page shell (dashboard/shell.py): what every page loads before Dash draws anything."""
import re

from dashboard.shell import POLYFILL, trim_scripts

DASH_SCRIPTS = """<script src="/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m1.12.1.min.js"></script>
<script src="/_dash-component-suites/dash/deps/react@18.v4_4_1m1.3.1.min.js"></script>
<script src="/_dash-component-suites/dash_bootstrap_components/_components/dash_bootstrap_components.v2_0_4m1.min.js"></script>
<script src="/_dash-component-suites/dash_ag_grid/dash_ag_grid.v35_3_0m1.min.js"></script>
<script src="/assets/monitor_html.js?m=1"></script>
<script src="/_dash-component-suites/dash/dash-renderer/build/dash_renderer.v4_4_1m1.min.js"></script>
<script src="/_dash-component-suites/dash/dash_table/bundle.v7_4_1m1.js"></script>
<script>
var inline = 1;</script>
"""


def _srcs(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


def test_trim_scripts_swaps_the_polyfill_defers_the_grid_and_drops_the_table():
    out = trim_scripts(DASH_SCRIPTS, "/assets/vendor/regenerator-runtime/runtime.js?m=2")
    srcs = _srcs(out)
    # regenerator-runtime takes the polyfill's place: before every bundle that uses it
    assert srcs[0] == "/assets/vendor/regenerator-runtime/runtime.js?m=2"
    assert not any(POLYFILL in s for s in srcs)
    # the grid's bundle is not run with the page; its URL waits in a marker for first use
    assert not any("dash_ag_grid" in s for s in srcs)
    assert ('<template data-lazy-namespace="dash_ag_grid" '
            'data-src="/_dash-component-suites/dash_ag_grid/dash_ag_grid.v35_3_0m1.min.js"></template>') in out
    assert not any("dash_table" in s for s in srcs)
    # everything else stays, in Dash's order (React before the bundles, the renderer after them)
    assert [s.split("/")[-1] for s in srcs[1:]] == [
        "react@18.v4_4_1m1.3.1.min.js", "dash_bootstrap_components.v2_0_4m1.min.js", "monitor_html.js?m=1",
        "dash_renderer.v4_4_1m1.min.js"]
    assert "var inline = 1;" in out


def test_the_served_page_loads_regenerator_first_and_the_grid_lazily(demo_app):
    client = demo_app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    srcs = _srcs(page)
    assert "regenerator-runtime/runtime.js" in srcs[0]
    assert sum("regenerator-runtime" in s for s in srcs) == 1, "Dash must not add it again among the assets"
    assert not any("polyfill" in s or "dash_ag_grid" in s or "dash_table" in s for s in srcs)
    bundle = next(s for s in srcs if "/assets/_bundle.js" in s)
    assert b"data-lazy-namespace" in client.get(bundle).get_data(), "assets/lazy_components.js is in the bundle"
    marker = re.search(r'<template data-lazy-namespace="dash_ag_grid" data-src="([^"]+)">', page)
    assert marker, "the grid's bundle URL is in the page"
    # Both files are served, and kept by the browser (fingerprinted URLs).
    bundle = client.get(marker.group(1))
    assert bundle.status_code == 200 and b"AgGrid" in bundle.get_data()
    runtime = client.get(srcs[0])
    assert runtime.status_code == 200 and b"regeneratorRuntime" in runtime.get_data()
    assert "max-age=31536000" in runtime.headers["Cache-Control"]


def test_bundle_assets_joins_our_files_in_order_and_keeps_the_rest():
    from dashboard.shell import bundle_assets

    css = ('<link rel="stylesheet" href="/_dash-component-suites/x/x.css">\n'
           '<link rel="stylesheet" href="/assets/app.css?m=1">\n'
           '<link rel="stylesheet" href="/assets/vendor/bootstrap/bootstrap.min.css?m=2">\n')
    tags, paths = bundle_assets(css, "css", "/assets/")
    assert paths == ["app.css", "vendor/bootstrap/bootstrap.min.css"]
    assert tags == '<link rel="stylesheet" href="/_dash-component-suites/x/x.css">\n{%bundle.css%}\n'
    tags, paths = bundle_assets(DASH_SCRIPTS, "js", "/assets/")
    assert paths == ["monitor_html.js"] and "{%bundle.js%}" in tags and "react@18" in tags


def _tiny_app(folder):
    from dash import html

    from dashboard.shell import MonitorDash

    app = MonitorDash(__name__, assets_folder=str(folder), serve_locally=True)
    app.layout = html.Div("x")
    return app


def test_one_stylesheet_and_one_script_whose_url_follows_their_content(tmp_path):
    (tmp_path / "a.css").write_text(".a{color:red}")
    (tmp_path / "b.css").write_bytes(b"\xef\xbb\xbf:root{--x:1}.b{color:blue}")   # a byte-order mark, as Bootstrap's
    (tmp_path / "a.js").write_text("window.a = 1")   # no final semicolon
    (tmp_path / "b.js").write_text("(function(){ window.b = window.a + 1; })();")
    (tmp_path / "vendor" / "regenerator-runtime").mkdir(parents=True)
    (tmp_path / "vendor" / "regenerator-runtime" / "runtime.js").write_text("var regeneratorRuntime = {};")
    client = _tiny_app(tmp_path).server.test_client()
    page = client.get("/").get_data(as_text=True)
    css_urls = re.findall(r'<link rel="stylesheet" href="(/assets/[^"]+)"', page)
    js_urls = [s for s in _srcs(page) if s.startswith("/assets/_bundle")]
    assert len(css_urls) == 1 and len(js_urls) == 1
    body = client.get(css_urls[0]).get_data(as_text=True)
    assert body.index(".a{color:red}") < body.index(".b{color:blue}")
    assert "\ufeff" not in body, "a byte-order mark inside the bundle would break the next selector"
    js = client.get(js_urls[0]).get_data(as_text=True)
    assert "window.a = 1\n;" in js and js.index("window.a") < js.index("window.b")
    # An edited file gives a new URL; the old one sends the browser to it, never new content under it.
    (tmp_path / "b.css").write_text(".b{color:green}")
    import os
    os.utime(tmp_path / "b.css", ns=(1, 10**18))
    page2 = client.get("/").get_data(as_text=True)
    new_url = re.findall(r'<link rel="stylesheet" href="(/assets/[^"]+)"', page2)[0]
    assert new_url != css_urls[0] and ".b{color:green}" in client.get(new_url).get_data(as_text=True)
    old = client.get(css_urls[0])
    assert old.status_code == 302 and old.headers["Location"].endswith(new_url)
