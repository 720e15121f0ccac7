"""Measure the draft against a hand-made registry (the labelled set: indicators/sources + schemes).

recall (value+unit): share of the registry's quantified targets (every kind but milestone) that a
candidate from the same sentence proposes with the same value (range: min and max; relative: factor)
and the same unit; recall (deadline): the same, and the same deadline as well.
precision: share of candidates that match a registered indicator: a quantified one as above, or a
milestone registered from the same sentence when the candidate's value is 1 (构建1个平台, 实现…).
"""
from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ..model import Indicator, Kind
from .draft import Candidate, Draft

_PUNCT = re.compile(r"[\s。;;,,、::“”\"]")


def _norm(s: str) -> str:
    return _PUNCT.sub("", s)


def same_sentence(quote: str, cand_quote: str) -> bool:
    """The candidate's sentence and the registry's quote overlap (quotes may cut or join sentences)."""
    a, b = _norm(quote), _norm(cand_quote)
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size >= min(12, len(a), len(b))


def _eq(x, y) -> bool:
    return x is not None and y is not None and abs(float(x) - float(y)) < 1e-9


def value_matches(ind: Indicator, c: Candidate) -> bool:
    if c.unit != ind.unit:
        return False
    t = ind.target
    if ind.kind is Kind.range:
        return _eq(t.min, c.min) and _eq(t.max, c.max)
    if ind.kind in (Kind.relative_reference, Kind.relative_baseline):
        return _eq(t.factor, c.factor)
    return _eq(t.value, c.value)


@dataclass
class Score:
    quantified: int
    found_value_unit: int
    found_deadline: int
    proposals: int
    matched_proposals: int
    missed: list[str] = field(default_factory=list)      # registered ids not found (value+unit)
    unmatched: list[str] = field(default_factory=list)   # candidate names that match nothing

    @staticmethod
    def _share(n: int, d: int) -> float:
        return round(n / d, 3) if d else 1.0

    def table(self) -> dict:
        return {"quantified": self.quantified, "proposals": self.proposals,
                "recall_value_unit": self._share(self.found_value_unit, self.quantified),
                "recall_deadline": self._share(self.found_deadline, self.quantified),
                "precision": self._share(self.matched_proposals, self.proposals)}


def score(draft: Draft, indicators: list[Indicator]) -> Score:
    quantified = [i for i in indicators if i.kind is not Kind.milestone]
    found = found_dl = 0
    missed = []
    for ind in quantified:
        hits = [c for c in draft.candidates if value_matches(ind, c)
                and any(same_sentence(ind.quote, q) for q in [c.quote] + c.also_quotes)]
        if hits:
            found += 1
            found_dl += any(c.deadline == ind.deadline.isoformat() for c in hits)
        else:
            missed.append(ind.id)
    matched = 0
    unmatched = []
    for c in draft.candidates:
        ok = False
        for ind in indicators:
            if not any(same_sentence(ind.quote, q) for q in [c.quote] + c.also_quotes):
                continue
            if (ind.kind is Kind.milestone and _eq(c.value, 1)) or value_matches(ind, c):
                ok = True
                break
        matched += ok
        if not ok:
            unmatched.append(f"{c.clause} {c.name} {c.target_text}")
    return Score(len(quantified), found, found_dl, len(draft.candidates), matched, missed, unmatched)


SOURCES_DIR = Path(__file__).resolve().parent.parent / "sources"
COLUMNS = [("quantified", "登记的量化目标"), ("recall_value_unit", "值+单位正确"), ("recall_deadline", "值+单位+截止日期正确"),
           ("proposals", "候选数"), ("precision", "候选命中登记")]


def measure_all(registry=None) -> dict[str, dict]:
    """The table per shipped scheme: its source text (indicators/sources/<id>.txt) against its registry."""
    from ..registry import load_registry
    from .draft import draft_file
    reg = registry or load_registry()
    out = {}
    for sid in sorted(reg.schemes):
        path = SOURCES_DIR / f"{sid}.txt"
        if path.exists():
            out[sid] = score(draft_file(path), reg.scheme_indicators(sid)).table()
    return out


def markdown_table(table: dict[str, dict]) -> str:
    def cell(key, v):
        return f"{v:.0%}" if isinstance(v, float) else str(v)
    lines = ["| scheme | " + " | ".join(label for _, label in COLUMNS) + " |",
             "| --- |" + " ---: |" * len(COLUMNS)]
    for sid, row in table.items():
        lines.append(f"| {sid} | " + " | ".join(cell(k, row[k]) for k, _ in COLUMNS) + " |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m indicators.draft.measure [--json]: regenerate the published table
    import json
    import sys
    t = measure_all()
    print(json.dumps(t, indent=2, sort_keys=True) if "--json" in sys.argv else markdown_table(t))
