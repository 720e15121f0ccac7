"""Screenshots of every page at 1366×768 and 1920×1080 in headless Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--base http://127.0.0.1:8050]
    .venv/bin/python scripts/screenshots.py --only overview,detail --sizes 390x844 --full --max-height 2400  # phone
    .venv/bin/python scripts/screenshots.py --screen  # 数据大屏 at 1920×1080 and 3840×2160 (device scale 2)
    .venv/bin/python scripts/screenshots.py --evidence  # the detail page's 佐证材料 section (docs/evidence.md)
    .venv/bin/python scripts/screenshots.py --acceptance  # 验收清单 at 1366×768, 1920×1080 and 390×844
    .venv/bin/python scripts/screenshots.py --ledger  # the detail page's 台账 section (docs/evidence.md)

Without --base it starts the demo app on a temporary database itself.
Full-page captures: the window is resized to the page height after load.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PAGES = [
    ("overview", "/?scheme=anning&q=2025Q2"),
    ("overview_luzhou", "/?scheme=luzhou&q=2025Q2"),
    ("detail", "/indicator/anning_invention_grants_annual?q=2025Q2"),
    # After its deadline: the reported values go on, the verdict is the 考核值 mark (docs/reports.md, Charts).
    ("detail_deadline", "/indicator/anning_design_grants_annual?q=2026Q3"),
    # A quarter under review: figures marked 待审核 / 未报送 (docs/entry.md, data status).
    ("overview_review", "/?scheme=luzhou&q=2025Q4"),
    ("detail_review", "/indicator/luzhou_ip_strong_enterprises?q=2025Q4"),
    # Issue 18: a target resting on a stand-in baseline (no baseline entered) says so.
    ("detail_standin", "/indicator/anning_trademark_registrations_valid?q=2025Q2"),
    ("units", "/units?scheme=anning&q=2025Q2"),
    ("stages", "/stages?scheme=anning&q=2025Q2"),
    ("registry", "/registry"),
    ("regions", "/regions?scheme=anning&q=2025Q2"),
    ("entry", "/entry?scheme=anning&q=2025Q2"),
    ("review", "/review?scheme=anning&q=2025Q2"),
    ("reference", "/reference?scheme=anning"),
    ("users", "/admin/users"),
]
SIZES = [(1366, 768), (1920, 1080)]
# The quarterly loop (docs/entry.md), captured with --loop: a demo where the office has
# returned 市市场监管局's 2025Q4 with a reason, seen by its reporter and by the office.
LOOP_REASON = "专利托管企业数量与台账不符,请核实后重报"
LOOP_PAGES = [
    ("todo_reporter", "/todo", "luzhou_r01"),
    ("entry_returned", "/entry?scheme=luzhou&region=泸州市&q=2025Q4&unit=市市场监管局", "luzhou_r01"),
    ("review_unit", "/review?scheme=luzhou&region=泸州市&q=2025Q4&unit=市市场监管局", "admin"),
    ("todo_office", "/todo", "admin"),
]


def _driver(width, height):
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
              "--disable-background-networking", "--disable-component-update", "--no-first-run", "--lang=zh-CN",
              f"--window-size={width},{height}"):
        opts.add_argument(a)
    return webdriver.Chrome(options=opts)


def _resize(drv, width, height):
    drv.set_window_size(width, height)
    if width < 500:
        # Chromium's windows are at least 500 px wide: a phone's viewport is emulated.
        drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})


def _capture(drv, url, path, w, h, args):
    _resize(drv, w, h)
    drv.get(url)
    WebDriverWait(drv, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page-title")))
    time.sleep(2.5)  # let callbacks and plotly finish drawing
    if args.full:
        height = drv.execute_script("return document.documentElement.scrollHeight")
        _resize(drv, w, min(height, args.max_height))
        time.sleep(1)
    drv.save_screenshot(str(path))
    print("wrote", path)


def _serve_demo(loop: bool = False, prepare=None) -> str:
    from dashboard import Settings, create_app

    tmp = tempfile.mkdtemp()
    settings = Settings(database_url=f"sqlite:///{tmp}/demo.db", demo=True, secret_key="shots", port=8765,
                        login_disabled=not loop)
    app = create_app(settings)
    if loop:
        store = app.server.extensions["monitor"]["service"].store
        store.submit("luzhou", "泸州市", "市市场监管局", "2025Q4", "luzhou_r01")
        store.submit("luzhou", "泸州市", "市科技局", "2025Q4", "luzhou_r03")
        store.reopen("luzhou", "泸州市", "市市场监管局", "2025Q4", "admin", LOOP_REASON)
    if prepare:
        prepare(app.server.extensions["monitor"]["service"])
    threading.Thread(target=lambda: app.run(port=8765, debug=False), daemon=True).start()
    time.sleep(2)
    return "http://127.0.0.1:8765"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/screenshots")
    ap.add_argument("--base")
    ap.add_argument("--login", help="user:password to sign in first")
    ap.add_argument("--full", action="store_true", help="capture the whole page height (up to --max-height)")
    ap.add_argument("--max-height", type=int, default=6000)
    ap.add_argument("--only", help="comma-separated page names to capture")
    ap.add_argument("--sizes", help="comma-separated window sizes, e.g. 390x844 (default: 1366x768,1920x1080)")
    ap.add_argument("--loop", action="store_true", help="the quarterly loop's pages (to-do, returned form, review)")
    ap.add_argument("--screen", action="store_true", help="the wall screen at 1920x1080 and 3840x2160")
    ap.add_argument("--evidence", action="store_true", help="the detail page's 佐证材料 section")
    ap.add_argument("--acceptance", action="store_true", help="验收清单 with two items marked 已核验")
    ap.add_argument("--ledger", action="store_true", help="the detail page's 台账 section")
    args = ap.parse_args()
    if args.acceptance:
        return _acceptance(args)
    if args.evidence:
        return _evidence(args)
    if args.ledger:
        return _ledger(args)
    if args.screen:
        return _screen(args)
    sizes = [tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",")] if args.sizes else SIZES
    if args.loop:
        return _loop(args, sizes)
    base = args.base or _serve_demo()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for w, h in sizes:
        drv = _driver(w, h)
        try:
            if args.login:
                user, pw = args.login.split(":", 1)
                drv.get(base + "/login")
                drv.find_element(By.NAME, "username").send_keys(user)
                drv.find_element(By.NAME, "password").send_keys(pw)
                drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
                time.sleep(1)
            for name, path in PAGES:
                if args.only and name not in args.only.split(","):
                    continue
                _capture(drv, base + path, out / f"{name}_{w}x{h}.png", w, h, args)
        finally:
            drv.quit()


def _sign_in(drv, base, user, password="demo"):
    drv.delete_all_cookies()
    drv.get(base + "/login")
    drv.find_element(By.NAME, "username").send_keys(user)
    drv.find_element(By.NAME, "password").send_keys(password)
    drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(drv, 30).until(lambda d: "/login" not in d.current_url)


def _loop(args, sizes):
    base = _serve_demo(loop=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for w, h in sizes:
        drv = _driver(w, h)
        try:
            for name, path, user in LOOP_PAGES:
                _sign_in(drv, base, user)
                _capture(drv, base + path, out / f"{name}_{w}x{h}.png", w, h, args)
        finally:
            drv.quit()


SCREEN_PATH = "/screen?scheme=anning&q=2025Q2"


def _screen(args):
    """The wall screen in a 1920×1080 viewport, at device scale 1 and 2 (a 4K wall: 3840×2160 pixels)."""
    base = args.base or _serve_demo()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    drv = _driver(1920, 1080)
    try:
        for scale in (1, 2):
            drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 1920, "height": 1080, "deviceScaleFactor": scale, "mobile": False})
            drv.get(base + SCREEN_PATH)
            WebDriverWait(drv, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".screen-row")))
            time.sleep(1.5)  # fonts and the banner settle
            path = out / f"screen_{1920 * scale}x{1080 * scale}.png"
            drv.save_screenshot(str(path))
            print("wrote", path)
    finally:
        drv.quit()


EVIDENCE_PATH = "/indicator/anning_invention_grants_annual?q=2026Q3"


def _evidence(args):
    """The 佐证材料 section with the demo's files, one more uploaded and one removed with its reason."""
    from data.evidence import Office
    from data.evidence_demo import tiny_pdf

    def prepare(service):
        ev, office = service.evidence, Office("admin")
        ev.add(office, "anning_invention_grants_annual", "安宁市", "2026Q3", "2026年第3季度专利授权统计表.pdf",
               tiny_pdf("Patent grants 2026Q3", ["statistics table"]), "市场监管局统计科提供")
        wrong = ev.add(office, "anning_invention_grants_annual", "安宁市", "2026Q3", "错传的文件.pdf",
                       tiny_pdf("wrong file", ["uploaded by mistake"]), "")
        ev.remove(office, wrong.id, "误传了上季度的文件,已重新上传")

    base = args.base or _serve_demo(prepare=prepare)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    drv = _driver(1366, 768)
    try:
        _resize(drv, 1366, 2400)
        drv.get(base + EVIDENCE_PATH)
        WebDriverWait(drv, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#ev-list .evidence-table")))
        time.sleep(1.5)
        section = drv.find_element(By.ID, "ev-section")
        path = out / "evidence_section_1366.png"
        section.screenshot(str(path))
        print("wrote", path)
    finally:
        drv.quit()


def _acceptance(args):
    """验收清单 of the demo: complete and missing items, two of them marked 已核验 by the office."""
    from dashboard.permissions import Identity

    def prepare(service):
        office = Identity("admin", "办公室", "admin")
        for ind in ("anning_invention_grants_annual", "anning_utility_model_grants_annual"):
            service.acceptance.set(office, "anning", "安宁市", ind, True)

    base = args.base or _serve_demo(prepare=prepare)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for w, h in [(1366, 768), (1920, 1080), (390, 844)]:
        drv = _driver(max(w, 500), h)
        try:
            _capture(drv, base + "/acceptance?scheme=anning&region=安宁市", out / f"acceptance_{w}x{h}.png", w, h, args)
        finally:
            drv.quit()


LEDGER_PATH = "/indicator/anning_key_ip_advantage_enterprises?q=2026Q3"


def _ledger(args):
    """The 台账 section with the demo's rows (one listed twice, so a mismatch and a duplicate are
    flagged) and one row entered by mistake and removed with its reason, in a window of 1366 wide."""
    from data.evidence import Office

    def prepare(service):
        led, office = service.ledgers, Office("admin")
        wrong = led.add(office, "anning_key_ip_advantage_enterprises", "安宁市", "2026Q3",
                        {"name": "安宁县街装备制造有限公司", "credit_code": "91350100M000100Y43", "date": "2026-07-20",
                         "certificate": "昆知〔2026〕12号", "source": "昆明市知识产权局公告"})
        led.remove(office, wrong.id, "2026Q3", "误登记:该企业为一般优势企业,不在重点培育名单")

    base = args.base or _serve_demo(prepare=prepare)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    drv = _driver(1366, 768)
    try:
        _resize(drv, 1366, 2400)
        drv.get(base + LEDGER_PATH)
        WebDriverWait(drv, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#lg-list .ledger-table")))
        time.sleep(1.5)
        path = out / "ledger_section_1366.png"
        drv.find_element(By.ID, "lg-section").screenshot(str(path))
        print("wrote", path)
    finally:
        drv.quit()


if __name__ == "__main__":
    main()
