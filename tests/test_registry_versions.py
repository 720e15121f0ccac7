"""Registry versions and target adjustments, the pure part (issue 17): the version in force on a
date, judging by it, a target's history in words, validation in Chinese naming field and indicator."""
from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.snapshot import Evaluator
from indicators.statuses import Status
from indicators.versions import (RegistryHistory, VersionRefused, adjusted_definition, dump_definition,
                                 effective_problem, evaluate_quarters_versioned, parse_definition)

IND = "anning_utility_model_grants_annual"     # annual, 500件
ADJUSTED = date(2024, 6, 30)
OBS = {Quarter(2024, 1): 130, Quarter(2024, 2): 130}   # on track for 500/年, behind the pace of 600/年


@pytest.fixture(scope="module")
def base():
    return load_registry()


def row(base, version, text, effective, reason="", action="publish"):
    return SimpleNamespace(scheme_id="anning", version=version, definition=text, effective_from=effective,
                           reason=reason, action=action, published_by="office",
                           published_at=datetime(2024, 7, 1, tzinfo=timezone.utc))


def adjusted_history(base, value=600, effective=ADJUSTED, reason="安宁市知识产权强县试点调整方案(安政办〔2024〕8号)"):
    shipped = RegistryHistory.shipped(base)
    v1 = shipped.current("anning")
    text = adjusted_definition(v1, IND, value)
    rows = [row(base, 1, v1.text, v1.effective_from, "随系统发布的方案文件", "shipped"),
            row(base, 2, text, effective, reason, "adjust")]
    return RegistryHistory.from_rows(base, rows, counter=2)


def test_shipped_files_are_version_1_from_the_scheme_start(base):
    h = RegistryHistory.shipped(base)
    for sid, scheme in base.schemes.items():
        v = h.current(sid)
        assert (v.version, v.effective_from, v.stored) == (1, scheme.period.start.first_day, False)
        assert v.text.startswith("scheme:") or "scheme:" in v.text
    assert h.registry.indicators.keys() == base.indicators.keys()
    assert h.fingerprint("anning") == ""     # one version: the snapshot keeps its fingerprint


def test_version_in_force_by_effective_date(base):
    h = adjusted_history(base)
    assert h.in_force("anning", date(2024, 6, 29)).version == 1
    assert h.in_force("anning", ADJUSTED).version == 2
    assert h.in_force("anning", date(2020, 1, 1)).version == 1     # before every effective date: the first
    ind = h.registry.indicators[IND]
    assert ind.target.value == 600                                  # the current version lists the indicators
    assert h.indicator_at(ind, date(2024, 3, 31)).target.value == 500
    assert h.indicator_at(ind, date(2024, 6, 30)).target.value == 600
    assert h.fingerprint("anning") and h.fingerprint("luzhou") == ""


def test_the_verdict_before_and_after_the_effective_date_differ(base):
    h = adjusted_history(base)
    ind, scheme = h.registry.indicators[IND], h.registry.schemes["anning"]
    qs = [Quarter(2024, 1), Quarter(2024, 2)]
    got = evaluate_quarters_versioned(h, ind, scheme, OBS, qs, {}, None)
    assert got[Quarter(2024, 1)].status is Status.on_track and got[Quarter(2024, 1)].target == 500
    assert got[Quarter(2024, 2)].status is Status.warning and got[Quarter(2024, 2)].target == 600
    assert "年度目标600件" in got[Quarter(2024, 2)].explanation or "600件/年" in got[Quarter(2024, 2)].explanation
    # Without the adjustment the second quarter is on track: the version in force made the difference.
    plain = evaluate_quarters_versioned(None, base.indicators[IND], scheme, OBS, qs, {}, None)
    assert plain[Quarter(2024, 2)].status is Status.on_track


def test_snapshot_rows_follow_the_version_in_force(base):
    h = adjusted_history(base)
    ev, plain = Evaluator(base, h), Evaluator(base)
    assert ev.version("anning") != plain.version("anning")          # a publication makes old rows stale
    assert ev.version("luzhou") == plain.version("luzhou")
    idx = [i.id for i in h.registry.scheme_indicators("anning")].index(IND)
    rows = ev.evaluate("anning", "安宁市", [Quarter(2024, 1), Quarter(2024, 2)], {IND: OBS}, {}, {})
    assert [r.statuses[idx] for r in rows] == ["on_track", "warning"]


def test_target_history_in_words(base):
    h = adjusted_history(base)
    assert h.target_history_text(IND) == ["2024-06-30起由500件调整为600件,依据安宁市知识产权强县试点调整方案(安政办〔2024〕8号)"]
    assert h.target_history_text("anning_invention_grants_annual") == []


def test_a_removed_indicator_keeps_its_old_definition_and_history(base):
    shipped = RegistryHistory.shipped(base)
    v1 = shipped.current("anning")
    text = dump_definition(v1.scheme, [i for i in v1.indicators if i.id != IND])
    h = RegistryHistory.from_rows(base, [row(base, 1, v1.text, v1.effective_from, action="shipped"),
                                         row(base, 2, text, date(2025, 1, 1), "指标取消")], counter=2)
    assert IND not in h.registry.indicators
    assert h.target_history_text(IND) == ["2025-01-01起由500件调整为不再考核(已填报的数值保留),依据指标取消"]


def test_validation_names_the_field_and_the_indicator(base):
    text = RegistryHistory.shipped(base).current("anning").text.replace("target: {value: 500,", "target: {value: -5,", 1)
    with pytest.raises(VersionRefused) as exc:
        parse_definition(text, "调整后的方案", scheme_id="anning", others=base)
    assert any(e.startswith(f"指标 {IND}、字段 target.value:") for e in exc.value.errors), exc.value.errors
    assert "未通过校验,未发布" in str(exc.value)
    with pytest.raises(VersionRefused) as exc:
        parse_definition(RegistryHistory.shipped(base).current("luzhou").text, scheme_id="anning", others=base)
    assert "字段 scheme.id" in str(exc.value)


def test_an_effective_date_before_the_previous_version_is_refused():
    assert "早于当前第2版的生效日期2024-06-30" in effective_problem(date(2024, 6, 1), 2, date(2024, 6, 30))
    assert effective_problem(date(2024, 6, 30), 2, date(2024, 6, 30)) == ""
    assert effective_problem(date(2020, 1, 1), 0, None) == ""


def test_only_single_value_targets_are_adjusted_by_the_form(base):
    v1 = RegistryHistory.shipped(base).current("anning")
    rng = next(i for i in v1.indicators if i.kind.value == "range")
    with pytest.raises(VersionRefused, match="不是单一数值"):
        adjusted_definition(v1, rng.id, 3)


def test_an_adjustment_rewords_the_target_text(base):
    v1 = RegistryHistory.shipped(base).current("anning")
    sf = parse_definition(adjusted_definition(v1, IND, 600), scheme_id="anning", others=base)
    ind = next(i for i in sf.indicators if i.id == IND)
    assert (ind.target.value, ind.target.text) == (600, "实用新型专利600件以上")
    assert [i for i in sf.indicators if i.id != IND] == [i for i in v1.indicators if i.id != IND]
