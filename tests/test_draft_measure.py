"""The draft measured on the five shipped schemes (issue #17): the table must not drop.

The labelled set is each scheme's source text (indicators/sources/<id>.txt, vendored with the repo)
and its hand-made registry (indicators/schemes/<id>.yaml). tests/draft_scores.json holds the figures
reached; docs/workbench.md publishes them. After improving the rules, regenerate both with
``python -m indicators.draft.measure --json > tests/draft_scores.json`` and ``python -m indicators.draft.measure``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from indicators.draft.measure import SOURCES_DIR, markdown_table, measure_all

ROOT = Path(__file__).resolve().parent.parent
STORED = json.loads((ROOT / "tests" / "draft_scores.json").read_text(encoding="utf-8"))
FIGURES = ("recall_value_unit", "recall_deadline", "precision")


@pytest.fixture(scope="module")
def table():
    return measure_all()


def test_every_scheme_has_its_source_text_in_the_repo(table):
    assert sorted(table) == sorted(STORED) == ["anning", "anshan", "guangxi", "luzhou", "shenyang"]
    for sid in table:
        assert (SOURCES_DIR / f"{sid}.txt").stat().st_size > 1000


@pytest.mark.parametrize("sid", sorted(STORED))
def test_figures_do_not_drop(table, sid):
    got, was = table[sid], STORED[sid]
    assert got["quantified"] == was["quantified"], "the registry changed: regenerate tests/draft_scores.json"
    for key in FIGURES:
        assert got[key] >= was[key] - 1e-9, f"{sid}: {key} dropped from {was[key]} to {got[key]}"


@pytest.mark.parametrize("sid", sorted(STORED))
def test_the_issue_aims_are_met(table, sid):
    assert table[sid]["recall_value_unit"] >= 0.9
    assert table[sid]["recall_deadline"] >= 0.8


def test_docs_publish_the_stored_table():
    doc = (ROOT / "docs" / "workbench.md").read_text(encoding="utf-8")
    assert markdown_table(STORED) in doc
