"""View state lives in the URL query (?scheme=anning&region=安宁市&q=2025Q2),
so a copied link reproduces the view in another session."""
from __future__ import annotations

from typing import Optional
from urllib.parse import parse_qs, urlencode

from indicators.periods import Quarter


def parse(search: Optional[str]) -> dict[str, str]:
    qs = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    return {k: v[0] for k, v in qs.items() if v}


def build(**params) -> str:
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(clean) if clean else ""


def quarter(params: dict, default: Quarter, allowed: list[Quarter]) -> Quarter:
    try:
        q = Quarter.parse(params.get("q", ""))
    except ValueError:
        return default
    return q if q in allowed else default
