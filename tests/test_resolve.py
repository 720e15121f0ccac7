"""The one rule that turns a page's address into a valid (scheme, region, quarter):
dashboard.pages.common.resolve, used by every page (issue 15, "pages follow the address")."""
from __future__ import annotations

import pytest

from dashboard.pages.common import View, resolve
from dashboard.service import MonitorService
from dashboard.settings import Settings
from indicators.periods import Quarter, quarter_range
from indicators.registry import load_registry

REGISTRY = load_registry()
FIRST = next(iter(REGISTRY.schemes))
QUARTERS = quarter_range(Quarter(2024, 1), Quarter(2025, 2))
DEFAULT_Q = Quarter(2025, 1)  # "the latest quarter with data"


class FakeService:
    """What resolve reads of MonitorService, with no database behind it."""

    def __init__(self, default_scheme=None):
        self.registry = REGISTRY
        self.default_scheme = default_scheme or FIRST
        self.data_reads = 0

    def regions(self, scheme_id):
        return [f"{scheme_id}-甲", f"{scheme_id}-乙"]

    def quarters(self, scheme_id, region):
        return list(QUARTERS)

    def default_quarter(self, scheme_id, region):
        self.data_reads += 1
        return DEFAULT_Q


def test_an_empty_address_gives_the_default_view():
    assert resolve(FakeService()) == View(FIRST, f"{FIRST}-甲", DEFAULT_Q)
    assert resolve(FakeService(), "") == resolve(FakeService(), {}) == resolve(FakeService(), None)


def test_the_default_scheme_is_the_registry_s_first_or_the_configured_one():
    assert FIRST == sorted(REGISTRY.schemes)[0]  # files load in name order
    assert resolve(FakeService(default_scheme="luzhou"), "?scheme=nowhere").scheme_id == "luzhou"
    assert MonitorService(REGISTRY, store=None).default_scheme == FIRST
    assert MonitorService(REGISTRY, store=None, default_scheme="luzhou").default_scheme == "luzhou"
    with pytest.raises(ValueError, match="DEFAULT_SCHEME"):
        MonitorService(REGISTRY, store=None, default_scheme="nowhere")


def test_settings_read_default_scheme(monkeypatch):
    monkeypatch.setenv("DEFAULT_SCHEME", " luzhou ")
    assert Settings.from_env().default_scheme == "luzhou"
    monkeypatch.delenv("DEFAULT_SCHEME")
    assert Settings.from_env().default_scheme == ""


def test_a_valid_query_string_is_kept():
    view = resolve(FakeService(), "?scheme=luzhou&region=luzhou-乙&q=2024Q3")
    assert view == View("luzhou", "luzhou-乙", Quarter(2024, 3))
    assert view.search() == "?scheme=luzhou&region=luzhou-%E4%B9%99&q=2024Q3"
    assert resolve(FakeService(), view.search()) == view  # the address a page writes reads back the same


@pytest.mark.parametrize("query", [
    "?scheme=nowhere", "?scheme=", "?scheme=%3Cscript%3E", "?scheme=ANNING",
])
def test_an_unknown_scheme_falls_back_to_the_default(query):
    assert resolve(FakeService(), query).scheme_id == FIRST


def test_a_region_of_another_scheme_or_unknown_falls_back_to_the_first():
    service = FakeService()
    assert resolve(service, "?scheme=luzhou&region=anning-乙").region == "luzhou-甲"
    assert resolve(service, "?scheme=luzhou&region=不存在").region == "luzhou-甲"


@pytest.mark.parametrize("q", ["2025Q9", "2025Q0", "abc", "", "2023Q4", "2025Q3", "2025-Q1x"])
def test_a_malformed_or_unoffered_quarter_falls_back_to_the_default(q):
    assert resolve(FakeService(), {"q": q}).quarter == DEFAULT_Q


def test_the_default_quarter_is_read_only_when_needed():
    service = FakeService()
    resolve(service, "?q=2024Q2")
    assert service.data_reads == 0


def test_selector_values_win_over_the_address():
    view = resolve(FakeService(), "?scheme=anning&q=2024Q1", scheme_id="luzhou", region="luzhou-乙", quarter="2024Q4")
    assert view == View("luzhou", "luzhou-乙", Quarter(2024, 4))


@pytest.mark.parametrize("bad", [["luzhou"], {"a": 1}, 7, None, True])
def test_values_that_are_not_strings_count_as_absent(bad):
    # A hand-made callback request may send anything: never a TypeError (unhashable list), always the default.
    assert resolve(FakeService(), scheme_id=bad, region=bad, quarter=bad) == resolve(FakeService())


def test_a_page_may_offer_its_own_regions_and_quarters():
    """The entry page: a reporter's own regions, the reporting quarters and their default."""
    entry = dict(regions=lambda s: [f"{s}-乙"], quarters=lambda s, r: [Quarter(2025, 3)],
                 default_quarter=lambda s, r, offered: offered[-1])
    assert resolve(FakeService(), "?scheme=luzhou&region=luzhou-甲&q=2025Q1", **entry) == \
        View("luzhou", "luzhou-乙", Quarter(2025, 3))
    # A page that offers no region (a reporter bound to none of the scheme's): the scheme's first.
    assert resolve(FakeService(), "?scheme=luzhou", regions=lambda s: []).region == "luzhou-甲"


def test_only_the_shell_writes_the_address(tmp_path):
    """Pages write the query they show to ids.ADDRESS; a page callback writing the Location's
    search itself would make the router render the page again on each of its selector changes."""
    from dashboard import create_app, ids

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", secret_key="test", login_disabled=True))
    writers = [key for key in app.callback_map
               if any(part.split("@")[0] in (f"{ids.URL}.search", f"{ids.URL}.pathname", f"{ids.URL}.href")
                      for part in key.strip(".").split("..."))]
    assert len(writers) == 1, writers  # the clientside copy of ADDRESS into the address
    writes_address = [key for key in app.callback_map if f"{ids.ADDRESS}.data" in key]
    assert len(writes_address) >= 8, writes_address  # the router's check and every page with a query
