"""Draft review rules (dashboard/workbench/rules.py): candidates → rows → YAML the loader accepts."""
from __future__ import annotations

import yaml

from dashboard.workbench.rules import definition_text, merge_rows, review_rows, row_from_sentence, split_row
from indicators.draft import draft_file
from indicators.registry import load_registry, load_text

REG = load_registry()


def _setup(sid="luzhou"):
    draft = draft_file(f"indicators/sources/{sid}.txt").to_dict()
    scheme, current = REG.schemes[sid], REG.scheme_indicators(sid)
    return draft, scheme, current, review_rows(draft, scheme, current)


def _ids(text):
    return [i["id"] for i in yaml.safe_load(text)["indicators"]]


def test_accepting_every_candidate_of_luzhou_gives_a_valid_version_with_the_registered_ids():
    _d, scheme, current, rows = _setup()
    assert all(r["registered"] for r in rows) and all(r["accept"] for r in rows)
    text, problems = definition_text(scheme, rows, current, REG.indicators.values())
    assert problems == []
    sf, errors = load_text(text)
    assert errors == [] and sorted(i.id for i in sf.indicators) == sorted(i.id for i in current)


def test_a_rejected_registered_candidate_is_removed_and_the_unproposed_ones_are_kept():
    _d, scheme, current, rows = _setup("anning")
    rows[0]["accept"] = False
    gone = rows[0]["registered"]
    text, problems = definition_text(scheme, [r for r in rows if r["cid"] != "c15"], current)
    assert problems == []
    ids = _ids(text)
    assert gone not in ids
    assert "anning_street_rights_protection_stations" in ids   # not drafted: kept as registered


def test_an_edit_is_published_and_a_bad_edit_is_named_by_candidate_and_field():
    _d, scheme, current, rows = _setup()
    row = next(r for r in rows if r["kind"] == "cumulative" and r["unit"] == "家")
    row["value"] = "7"
    text, problems = definition_text(scheme, rows, current)
    assert problems == []
    assert next(i for i in yaml.safe_load(text)["indicators"] if i["id"] == row["id"])["target"]["value"] == 7
    row["value"], row["stage"] = "-1", "nowhere"
    _text, problems = definition_text(scheme, rows, current)
    label = f"候选 {row['cid']}({row['name']})"
    assert any(p.startswith(f"{label}、字段 target.value") for p in problems)
    assert any(p.startswith(f"{label}、字段 stage") for p in problems)


def test_a_new_candidate_without_units_is_refused_naming_the_field():
    _d, scheme, current, rows = _setup("guangxi")
    _text, problems = definition_text(scheme, rows, current)
    assert "候选 c5(中小企业)、字段 responsible_units:至少需要 1 项" in problems
    for r in rows:
        r["responsible_units"] = r["responsible_units"] or "自治区知识产权局"
        r["lead_units"] = r["lead_units"]
    _text, problems = definition_text(scheme, rows, current)
    assert problems == []


def test_duplicate_and_foreign_ids_are_refused():
    _d, scheme, current, rows = _setup()
    rows[1]["id"] = rows[0]["id"]
    rows[2]["id"] = "anning_utility_model_grants_annual"
    _t, problems = definition_text(scheme, rows, current, REG.indicators.values())
    assert any("字段 id:编号" in p and "重复" in p for p in problems)
    assert any(p.startswith(f"候选 {rows[2]['cid']}") and "已被方案 anning 使用" in p for p in problems)


def test_merge_keeps_one_row_with_both_clauses_and_split_adds_an_unregistered_copy():
    _d, scheme, current, rows = _setup()
    a, b = rows[0], rows[3]
    merged = merge_rows(rows, [a["cid"], b["cid"]])
    assert len(merged) == len(rows) - 1
    m = next(r for r in merged if r["cid"] == a["cid"])
    assert m["merged"] == [b["cid"]] and b["quote"] in m["quote"]
    assert merge_rows(rows, [a["cid"]]) == rows
    split = split_row(rows, a["cid"])
    assert len(split) == len(rows) + 1
    copy = split[1]
    assert copy["cid"] == f"{a['cid']}.2" and copy["registered"] == "" and copy["id"] == f"{a['id']}_2"
    _t, problems = definition_text(scheme, split, current)
    assert problems == []   # the copy is a new indicator beside the registered one


def test_a_missed_sentence_becomes_a_row_to_fill_in():
    draft, scheme, current, rows = _setup()
    text = open("indicators/sources/luzhou.txt", encoding="utf-8").read()
    start = text.index("建设省级高价值专利育成中心")
    row = row_from_sentence(text, start, start + 20, scheme, rows)
    assert row["cid"] == f"m{len(rows) + 1}" and row["quote"] == text[start:start + 20] and row["clause"] == "一"
    _t, problems = definition_text(scheme, rows + [row], current)
    assert any(p.startswith(f"候选 {row['cid']}(未命名)、字段 name") for p in problems)
    row.update(name="补充指标", value=3, unit="家", responsible_units="市市场监管局", deadline="2025-12-31")
    _t, problems = definition_text(scheme, rows + [row], current)
    assert problems == []


def test_nothing_accepted_and_nothing_kept_is_refused():
    _d, scheme, current, rows = _setup()
    for r in rows:
        r["accept"] = False
    text, problems = definition_text(scheme, rows, [i for i in current if i.id in {r["registered"] for r in rows}])
    assert text == "" and "至少要有一项指标" in problems[0]


def test_the_document_parts_cover_the_text_and_hold_every_candidate_sentence():
    from dashboard.workbench.rules import document_parts
    draft, *_ = _setup()
    text = open("indicators/sources/luzhou.txt", encoding="utf-8").read()
    parts = document_parts(text)
    assert "".join(text[a:b] for a, b, _ in parts) == text
    starts = {a for a, _b, s in parts if s}
    assert all(c["span"][0] in starts for c in draft["candidates"])
