"""View state lives in the URL query (?scheme=anning&region=安宁市&q=2025Q2),
so a copied link reproduces the view in another session.

Pages write the query they show to the ``ids.ADDRESS`` store, never to the
Location itself: the shell copies it into the address, and re-renders the page
when the address changes to something else (Back, Forward, a link); see
dashboard/factory.py and docs/pages.md. Which view a query means is decided by
``dashboard.pages.common.resolve``."""
from __future__ import annotations

from typing import Optional
from urllib.parse import parse_qs, urlencode


def parse(search: Optional[str]) -> dict[str, str]:
    qs = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    return {k: v[0] for k, v in qs.items() if v}


def build(**params) -> str:
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(clean) if clean else ""

