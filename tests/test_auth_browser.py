"""Signing in through the form in headless Chromium: what each role sees and may do."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from dashboard import Settings, create_app, ids
from dashboard.factory import REFUSED, USER_NAME, USER_ROLE
from dashboard.pages import users as users_page


@pytest.fixture
def demo_login_app(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", demo=True, secret_key="test",
                        login_disabled=False)
    return create_app(settings)


def start(dash_duo, app) -> str:
    # Without navigate=False dash_duo would wait for the Dash page, but the sign-in page comes first.
    dash_duo.start_server(app, navigate=False)
    return dash_duo.server.url.rstrip("/")


def sign_in(dash_duo, username, password="demo", path="/"):
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + path)
    dash_duo.wait_for_element("#username", timeout=20)
    assert "/login" in dash_duo.driver.current_url
    dash_duo.find_element("#username").send_keys(username)
    dash_duo.find_element("#password").send_keys(password)
    dash_duo.find_element("#login-submit").click()


def nav_labels(dash_duo):
    return [a.text for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a")]


def test_viewer_signs_in_reads_the_overview_and_is_refused_the_users_page(dash_duo, demo_login_app):
    base = start(dash_duo, demo_login_app)
    sign_in(dash_duo, "viewer", path="/?scheme=anning&q=2025Q2")
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "截至2025年第2季度", timeout=20)
    dash_duo.wait_for_element("[data-status]", timeout=20)
    assert dash_duo.find_element(f"#{USER_NAME}").text == "领导(演示)"
    assert dash_duo.find_element(f"#{USER_ROLE}").text == "只读(领导)"
    labels = nav_labels(dash_duo)
    assert "总览" in labels and "用户管理" not in labels
    # Typing the address does not help: the server answers with a refusal.
    dash_duo.driver.get(base + users_page.PATH)
    dash_duo.wait_for_contains_text(f"#{REFUSED}", "无权访问", timeout=20)
    assert not dash_duo.driver.find_elements(By.ID, users_page.ADD_BUTTON)
    # Sign out with the header button: back to the sign-in page, and the app is closed again.
    dash_duo.find_element(f"#{REFUSED}")  # still on the app page
    dash_duo.driver.find_element(By.CSS_SELECTOR, ".user-logout").click()
    dash_duo.wait_for_contains_text("#auth-notice", "您已退出登录", timeout=20)
    dash_duo.driver.get(base + "/")
    dash_duo.wait_for_element("#username", timeout=20)
    assert dash_duo.get_logs() == [], "browser console errors"


def test_wrong_password_and_demo_account_list(dash_duo, demo_login_app):
    start(dash_duo, demo_login_app)
    sign_in(dash_duo, "viewer", "not-the-password")
    dash_duo.wait_for_contains_text("#auth-error", "用户名或密码错误", timeout=20)
    body = dash_duo.driver.find_element(By.TAG_NAME, "body").text
    assert "演示账号" in body and "anning_r01" in body and "demo" in body
    # The username stays filled in; the password does not.
    assert dash_duo.find_element("#username").get_attribute("value") == "viewer"
    assert dash_duo.find_element("#password").get_attribute("value") == ""


def test_reporter_reads_pages_but_not_the_users_page(dash_duo, demo_login_app):
    base = start(dash_duo, demo_login_app)
    sign_in(dash_duo, "anning_r01", path="/registry")
    dash_duo.wait_for_element(f"#{ids.RG_TABLE}", timeout=20)
    assert dash_duo.find_element(f"#{USER_ROLE}").text == "填报员"
    assert "用户管理" not in nav_labels(dash_duo)
    dash_duo.driver.get(base + users_page.PATH)
    dash_duo.wait_for_contains_text(f"#{REFUSED}", "无权访问", timeout=20)


def test_admin_adds_a_user_on_the_users_page(dash_duo, demo_login_app):
    start(dash_duo, demo_login_app)
    sign_in(dash_duo, "admin")
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "截至", timeout=20)
    link = next(a for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a") if a.text == "用户管理")
    link.click()
    dash_duo.wait_for_element(f"#{users_page.TABLE} [data-username='viewer']", timeout=20)
    dash_duo.find_element(f"#{users_page.ADD_USERNAME}").send_keys("zhang3")
    dash_duo.find_element(f"#{users_page.ADD_DISPLAY}").send_keys("张三")
    Select(dash_duo.find_element(f"#{users_page.ADD_ROLE}")).select_by_value("viewer")
    dash_duo.find_element(f"#{users_page.ADD_PASSWORD}").send_keys("zhang-san-pw")
    dash_duo.find_element(f"#{users_page.ADD_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{users_page.ADD_MSG}", "已新增用户“zhang3”", timeout=20)
    row = dash_duo.wait_for_element(f"#{users_page.TABLE} [data-username='zhang3']", timeout=20)
    assert "张三" in row.text and "只读(领导)" in row.text
    assert demo_login_app.server.extensions["monitor"]["store"].get_user("zhang3").role == "viewer"
    # A duplicate is refused with a Chinese message.
    dash_duo.find_element(f"#{users_page.ADD_PASSWORD}").send_keys("zhang-san-pw")
    dash_duo.find_element(f"#{users_page.ADD_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{users_page.ADD_MSG}", "已存在", timeout=20)
    assert dash_duo.get_logs() == [], "browser console errors"


def test_expired_session_sends_an_open_page_to_sign_in(dash_duo, demo_login_app, monkeypatch):
    from datetime import timedelta

    from dashboard import accounts

    start(dash_duo, demo_login_app)
    sign_in(dash_duo, "viewer", path="/?scheme=anning&q=2025Q2")
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "截至", timeout=20)
    later = accounts.now_utc() + timedelta(minutes=31)
    monkeypatch.setattr(accounts, "now_utc", lambda: later)  # the server runs in this process
    link = next(a for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a") if a.text == "阶段任务")
    link.click()  # a client-side navigation: the next callback gets 401, assets/auth.js leaves
    dash_duo.wait_for_contains_text("#auth-notice", "登录已超时", timeout=20)
    assert "next=%2Fstages" in dash_duo.driver.current_url
    monkeypatch.undo()
    dash_duo.find_element("#username").send_keys("viewer")
    dash_duo.find_element("#password").send_keys("demo")
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_element(f"#{ids.ST_TITLE}", timeout=20)
    assert dash_duo.driver.current_url.split("?")[0].endswith("/stages")
