"""In headless Chromium: the pages pass their Content-Security-Policy (no violation in
the console, and they render), and after 退出 neither Back nor an open page shows data."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from dashboard import Settings, create_app, ids

SCHEME_Q = "?scheme=anning&q=2025Q2"


@pytest.fixture
def demo_login_app(tmp_path):
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", demo=True, secret_key="s" * 32))


def sign_in(dash_duo, username="admin", path="/"):
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + path)
    dash_duo.wait_for_element("#username", timeout=20)
    dash_duo.find_element("#username").send_keys(username)
    dash_duo.find_element("#password").send_keys("demo")
    dash_duo.find_element("#login-submit").click()


def csp_errors(dash_duo) -> list:
    return [e for e in dash_duo.get_logs() if "Content Security Policy" in e.get("message", "")
            or "Content-Security-Policy" in e.get("message", "")]


def test_pages_render_under_the_csp_without_a_violation(dash_duo, demo_login_app):
    dash_duo.start_server(demo_login_app, navigate=False)
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(base + "/login")
    dash_duo.wait_for_element("#login-submit", timeout=20)
    assert csp_errors(dash_duo) == []
    sign_in(dash_duo, path="/" + SCHEME_Q)
    # Overview (board, lights), detail (a Plotly chart), entry (the form), review (the table).
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "截至2025年第2季度", timeout=20)
    dash_duo.wait_for_element("[data-status]", timeout=20)
    ind_id = dash_duo.find_elements(f"#{ids.OV_BOARD} [data-indicator-row]")[0].get_attribute("data-indicator-row")
    dash_duo.driver.get(base + f"/indicator/{ind_id}" + SCHEME_Q)
    dash_duo.wait_for_element(f"#{ids.DT_CHART} .main-svg", timeout=20)
    dash_duo.driver.get(base + "/entry" + SCHEME_Q)
    dash_duo.wait_for_element(f"#{ids.EN_TITLE}", timeout=20)
    dash_duo.wait_for_element(f"#{ids.EN_FORM} input", timeout=20)
    dash_duo.driver.get(base + "/review" + SCHEME_Q)
    dash_duo.wait_for_element(f"#{ids.RV_BODY} tr", timeout=20)
    # The registry's data grid (dash-ag-grid: its styles and the functions in its column definitions).
    dash_duo.driver.get(base + "/registry?search=专利")
    dash_duo.wait_for_element(f"#{ids.RG_TABLE} .ag-row a", timeout=20)
    logs = dash_duo.get_logs()
    assert not [e for e in logs if "Content Security Policy" in e.get("message", "")], logs
    assert logs == [], "browser console errors"


def test_back_after_sign_out_shows_the_sign_in_page_not_the_cached_overview(dash_duo, demo_login_app):
    dash_duo.start_server(demo_login_app, navigate=False)
    sign_in(dash_duo, path="/" + SCHEME_Q)
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "截至", timeout=20)
    dash_duo.driver.find_element(By.CSS_SELECTOR, ".user-logout").click()
    dash_duo.wait_for_contains_text("#auth-notice", "您已退出登录", timeout=20)
    dash_duo.driver.back()
    # no-store: the browser asks the server again, which sends it to sign in ("已退出", not "已超时").
    dash_duo.wait_for_contains_text("#auth-notice", "您已退出登录", timeout=20)
    assert not dash_duo.driver.find_elements(By.ID, ids.OV_TITLE)


def test_a_page_left_open_after_sign_out_says_signed_out(dash_duo, demo_login_app):
    dash_duo.start_server(demo_login_app, navigate=False)
    sign_in(dash_duo, path="/" + SCHEME_Q)
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "截至", timeout=20)
    first = dash_duo.driver.current_window_handle
    dash_duo.driver.switch_to.new_window("tab")  # sign out in another tab
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/logout")
    dash_duo.wait_for_element("#logout-submit", timeout=20).click()
    dash_duo.wait_for_contains_text("#auth-notice", "您已退出登录", timeout=20)
    dash_duo.driver.close()
    dash_duo.driver.switch_to.window(first)
    link = next(a for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a") if a.text == "阶段任务")
    link.click()  # the callback gets 401 with reason "out"
    dash_duo.wait_for_contains_text("#auth-notice", "您已退出登录", timeout=20)
    assert "登录已超时" not in dash_duo.driver.find_element(By.TAG_NAME, "body").text
