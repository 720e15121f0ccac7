"""The page shell: which scripts every page loads before Dash draws anything.

Every page of a Dash app loads the scripts of every component library the app
imports, before the renderer starts. Two of them cost every page's start-up
without serving it (docs/performance.md, "Page ready: what every page loaded"):

* **dash-ag-grid** (1.3 MB) is used by two pages (方案管理's draft review and the
  registry table). Its script is taken out of the shell and loaded by
  ``assets/lazy_components.js`` when a page first draws a grid.
* **@babel/polyfill 7** (core-js 2 and regenerator-runtime, 100 KB) fills in
  ES2015–2017 built-ins that every browser able to run React 18 has. Only its
  ``regeneratorRuntime`` global is used (by the compiled async functions of
  dash-renderer, dcc and dbc), so the shell loads regenerator-runtime alone, at the
  polyfill's place, before any bundle runs.

Dash's own table bundle (``dash_table``, deprecated; no page uses it) is dropped too.
The rule is :func:`trim_scripts`, a pure function of the script tags Dash writes.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from dash import Dash

# Component libraries loaded on first use instead of with every page.
LAZY_NAMESPACES = ("dash_ag_grid",)
# Dash's bundles the monitor never uses: their scripts are left out of the shell.
UNUSED = ("/dash/dash_table/",)
POLYFILL = "/dash/deps/polyfill@"
REGENERATOR_ASSET = "vendor/regenerator-runtime/runtime.js"

_SCRIPT = re.compile(r'<script src="(?P<src>[^"]+)"></script>\n?')


def trim_scripts(scripts: str, regenerator_src: str, lazy: tuple[str, ...] = LAZY_NAMESPACES,
                 unused: tuple[str, ...] = UNUSED) -> str:
    """The shell's script tags with the polyfill replaced by regenerator-runtime, the
    bundles of ``lazy`` namespaces turned into ``<template data-lazy-namespace>`` markers
    (their URL, for assets/lazy_components.js) and ``unused`` bundles left out. Inline
    scripts and every other tag are kept in their order."""
    def one(m: re.Match) -> str:
        src = m.group("src")
        if POLYFILL in src:
            return f'<script src="{html.escape(regenerator_src)}"></script>\n'
        for ns in lazy:
            if f"/_dash-component-suites/{ns}/" in src and not src.split("?")[0].endswith(".map"):
                return f'<template data-lazy-namespace="{ns}" data-src="{src}"></template>\n'
        if any(u in src for u in unused):
            return ""
        return m.group(0)

    return _SCRIPT.sub(one, scripts)


class MonitorDash(Dash):
    """Dash with the trimmed shell (:func:`trim_scripts`); everything else is Dash's."""

    def interpolate_index(self, **kwargs):
        kwargs["scripts"] = trim_scripts(kwargs.get("scripts", ""), self._regenerator_src())
        return super().interpolate_index(**kwargs)

    def _regenerator_src(self) -> str:
        # Fingerprinted like Dash's own asset links (?m=<mtime>), so the browser keeps it a year
        # (dashboard/factory.py _cache_fingerprinted_assets).
        path = Path(self.config.assets_folder) / REGENERATOR_ASSET
        return f"{self.get_asset_url(REGENERATOR_ASSET)}?m={path.stat().st_mtime}"


# Dash must not add regenerator-runtime a second time, after the bundles that need it.
ASSETS_PATH_IGNORE = ["^regenerator-runtime$"]
