"""Charts in Chinese and offline (issue 15), in headless Chromium: the overview and a detail page
link nowhere near plotly's cloud, and the chart toolbar is Chinese with only download, zoom, reset."""
from __future__ import annotations

from dashboard import ids
from tests.conftest import pytest_setup_options  # noqa: F401  (dash[testing] hook)

CLOUD = r"plot\.ly|plotly\.com|chart-studio|chartstudio"
# Every attribute of every element (href, src, xlink:href, action, the modebar's data-title ...).
ATTRIBUTES_JS = f"""
const hits = [];
for (const el of document.querySelectorAll('*')) {{
  for (const a of el.attributes) {{ if (/{CLOUD}/i.test(a.value)) hits.push(el.tagName + ' ' + a.name + '=' + a.value); }}
}}
for (const el of document.querySelectorAll('.modebar')) {{
  if (/{CLOUD}|Chart Studio|Plotly/i.test(el.innerHTML)) hits.push('modebar: ' + el.innerHTML.slice(0, 200));
}}
return hits;
"""
TITLES_JS = "return [...document.querySelectorAll(arguments[0] + ' .modebar-btn')].map(b => b.getAttribute('data-title'));"


def test_overview_and_detail_charts_are_chinese_and_link_to_no_plotly_cloud(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    pages = [("/?scheme=anning&region=安宁市&q=2026Q3", ids.OV_HEATMAP),
             ("/indicator/anning_design_grants_annual?region=安宁市&q=2026Q3", ids.DT_CHART)]
    for url, graph in pages:
        dash_duo.driver.get(dash_duo.server_url + url)
        dash_duo.wait_for_element(f"#{graph} .modebar-btn", timeout=20)
        if graph == ids.OV_HEATMAP:
            dash_duo.wait_for_element(f"#{ids.OV_TIMELINE} .main-svg", timeout=20)
            assert not dash_duo.find_elements(f"#{ids.OV_TIMELINE} .modebar-btn")   # no toolbar on the strip
        else:
            dash_duo.wait_for_contains_text(f"#{graph}", "考核值", timeout=20)
        assert dash_duo.driver.execute_script(ATTRIBUTES_JS) == [], url
        titles = dash_duo.driver.execute_script(TITLES_JS, f"#{graph}")
        assert titles == ["下载图表为PNG格式", "缩放", "重置轴"], (url, titles)
        assert not dash_duo.find_elements(f"#{graph} .modebar-btn--logo")
    assert dash_duo.get_logs() == []
