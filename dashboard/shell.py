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

Our own stylesheets and scripts under ``assets/`` (eight of each, Bootstrap included) are
sent as **one stylesheet and one script** (:func:`bundle_assets`): the files Dash links, in
Dash's order, joined; each page then waits for two cached files instead of sixteen. The files
stay separate in ``assets/`` for editing; the bundle's URL carries a digest of their contents.
"""
from __future__ import annotations

import codecs
import hashlib
import html
import re
import threading
from pathlib import Path
from typing import Callable, NamedTuple

from dash import Dash
from flask import Response, redirect, request

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


_LINK = re.compile(r'<link rel="stylesheet" href="(?P<src>[^"]+)">\n?')
BUNDLE = {"css": "_bundle.css", "js": "_bundle.js"}   # served under the assets URL


class Bundle(NamedTuple):
    body: bytes
    digest: str


def bundle_assets(tags: str, kind: str, prefix: str) -> tuple[str, list[str]]:
    """Join the ``/assets/`` stylesheets (``kind`` "css") or scripts ("js") that ``tags`` link, in
    their order, into one: returns the tags with the first of them replaced by the marker
    ``{%bundle.css%}``/``{%bundle.js%}`` and the others removed, and the files' paths (relative
    to the assets folder). Other tags (Dash's bundles, inline scripts) are kept where they are."""
    pattern = _LINK if kind == "css" else _SCRIPT
    paths: list[str] = []

    def one(m: re.Match) -> str:
        src = m.group("src")
        if not src.startswith(prefix):
            return m.group(0)
        paths.append(src[len(prefix):].split("?")[0])
        return "{%bundle." + kind + "%}\n" if len(paths) == 1 else ""

    return pattern.sub(one, tags), paths


def join_files(paths: list[str], kind: str, read: Callable[[str], bytes]) -> Bundle:
    """The bundle's body: each file as is, separated so that no file's end changes the next one's
    meaning (a script without a final semicolon, a stylesheet without a final newline)."""
    sep = b"\n;\n" if kind == "js" else b"\n"
    # A byte-order mark is allowed only at a file's start: inside the bundle it would become part of
    # the next selector (Bootstrap's file starts with one, and its :root variables were lost).
    body = sep.join(f"/* {p} */\n".encode() + read(p).removeprefix(codecs.BOM_UTF8) for p in paths)
    return Bundle(body, hashlib.sha256(body).hexdigest()[:16])


class MonitorDash(Dash):
    """Dash with the trimmed shell (:func:`trim_scripts`) and our assets in one stylesheet and one
    script (:func:`bundle_assets`); everything else is Dash's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._bundles: dict[str, tuple[tuple, Bundle]] = {}   # kind -> (files and mtimes, bundle)
        self._bundle_lock = threading.Lock()
        # HTML written before Dash's entry point on every page (the app's frame: navigation bar,
        # banners), or None; called per request.
        self.page_frame: Callable[[], str] | None = None
        prefix = self.get_asset_url("")
        for kind, name in BUNDLE.items():
            self.server.add_url_rule(prefix + name, f"monitor_bundle_{kind}",
                                     lambda kind=kind: self._serve_bundle(kind))

    def interpolate_index(self, **kwargs):
        prefix = self.get_asset_url("")
        for kind, key in (("css", "css"), ("js", "scripts")):
            tags, paths = bundle_assets(kwargs.get(key, ""), kind, prefix)
            if paths:
                url = html.escape(f"{prefix}{BUNDLE[kind]}?m={self._bundle(kind, paths).digest}")
                tag = f'<link rel="stylesheet" href="{url}">' if kind == "css" else f'<script src="{url}"></script>'
                tags = tags.replace("{%bundle." + kind + "%}", tag)
            kwargs[key] = tags
        kwargs["scripts"] = trim_scripts(kwargs["scripts"], self._regenerator_src())
        if self.page_frame is not None:
            kwargs["app_entry"] = self.page_frame() + kwargs.get("app_entry", "")
        return super().interpolate_index(**kwargs)

    def _read_asset(self, path: str) -> bytes:
        return (Path(self.config.assets_folder) / path).read_bytes()

    def _bundle(self, kind: str, paths: list[str]) -> Bundle:
        # Keyed by the files and their modification times: an edited asset gives a new bundle (and URL).
        folder = Path(self.config.assets_folder)
        key = tuple((p, (folder / p).stat().st_mtime_ns) for p in paths)
        with self._bundle_lock:
            if self._bundles.get(kind, (None,))[0] != key:
                self._bundles[kind] = (key, join_files(paths, kind, self._read_asset))
            return self._bundles[kind][1]

    def _serve_bundle(self, kind: str) -> Response:
        wanted = request.args.get("m")
        if kind not in self._bundles or (wanted and wanted != self._bundles[kind][1].digest):
            self.index()   # first request of this process, or an asset changed: build as the page does
        bundle = self._bundles[kind][1]
        if wanted and wanted != bundle.digest:
            # Never keep new content under an old fingerprint: send the browser to the current one.
            return redirect(f"{self.get_asset_url(BUNDLE[kind])}?m={bundle.digest}")
        resp = Response(bundle.body, mimetype="text/css" if kind == "css" else "application/javascript")
        resp.set_etag(bundle.digest)
        # Fingerprinted (?m=digest): kept a year by factory._cache_fingerprinted_assets; else revalidated.
        resp.cache_control.no_cache = True
        return resp.make_conditional(request)

    def _regenerator_src(self) -> str:
        # Fingerprinted like Dash's own asset links (?m=<mtime>), so the browser keeps it a year
        # (dashboard/factory.py _cache_fingerprinted_assets).
        path = Path(self.config.assets_folder) / REGENERATOR_ASSET
        return f"{self.get_asset_url(REGENERATOR_ASSET)}?m={path.stat().st_mtime}"


# Dash must not add regenerator-runtime a second time, after the bundles that need it.
ASSETS_PATH_IGNORE = ["^regenerator-runtime$"]
