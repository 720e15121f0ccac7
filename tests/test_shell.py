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
    assert any("lazy_components.js" in s for s in srcs)
    marker = re.search(r'<template data-lazy-namespace="dash_ag_grid" data-src="([^"]+)">', page)
    assert marker, "the grid's bundle URL is in the page"
    # Both files are served, and kept by the browser (fingerprinted URLs).
    bundle = client.get(marker.group(1))
    assert bundle.status_code == 200 and b"AgGrid" in bundle.get_data()
    runtime = client.get(srcs[0])
    assert runtime.status_code == 200 and b"regeneratorRuntime" in runtime.get_data()
    assert "max-age=31536000" in runtime.headers["Cache-Control"]
