"""Every error the registry loader reports names file, indicator and field; loading is all or nothing."""
from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
import yaml

from indicators.model import Kind, Reporting
from indicators.registry import RegistryInvalid, load_registry

SCHEME = {
    "id": "demo",
    "name": "测试方案",
    "short_name": "测试",
    "region": "测试县",
    "document": {"title": "测试方案", "issuer": "测试县人民政府", "date": "2024-01-15"},
    "period": {"start": "2024-01", "end": "2025-12"},
    "stages": [{"id": "implement", "name": "组织实施", "start": "2024-01", "end": "2025-12"}],
    "dimensions": ["创造", "运用"],
    "reference_series": [{"id": "province_avg", "name": "全省平均", "unit": "件/万人"}],
}

INDICATOR = {
    "id": "demo_patents",
    "name": "发明专利拥有量",
    "dimension": "创造",
    "unit": "件",
    "kind": "cumulative",
    "target": {"value": 100, "text": "100件以上"},
    "deadline": "2025-12-31",
    "stage": "implement",
    "reporting": "stock",
    "responsible_units": ["县市场监管局"],
    "clause": "三(一)1",
    "quote": "到2025年,发明专利拥有量达到100件以上。",
}


def scheme(**changes) -> dict:
    s = copy.deepcopy(SCHEME)
    s.update(changes)
    return s


def indicator(**changes) -> dict:
    i = copy.deepcopy(INDICATOR)
    for key, value in changes.items():
        if value is None:
            i.pop(key, None)
        else:
            i[key] = value
    return i


def write(directory, name: str, data) -> None:
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (directory / name).write_text(text, encoding="utf-8")


def load_error(tmp_path, data, name="demo.yaml") -> RegistryInvalid:
    write(tmp_path, name, data)
    with pytest.raises(RegistryInvalid) as info:
        load_registry(tmp_path)
    return info.value


def assert_reports(exc: RegistryInvalid, file: str, indicator_id: str, fld: str, words: str = "") -> None:
    """One error names exactly this file, indicator and field, and the message says so."""
    hits = [e for e in exc.errors if (e.file, e.indicator, e.field) == (file, indicator_id, fld)]
    assert hits, f"no error for {(file, indicator_id, fld)} in {[(e.file, e.indicator, e.field) for e in exc.errors]}"
    text = str(exc)
    where = file + ":" + (f"指标 {indicator_id}、" if indicator_id else "") + f"字段 {'文件' if fld == '(file)' else fld}:"
    assert where in text
    if words:
        assert any(words in e.message for e in hits), [e.message for e in hits]


def one_file(*indicators, **scheme_changes) -> dict:
    return {"scheme": scheme(**scheme_changes), "indicators": list(indicators) or [indicator()]}


# --- a valid file ----------------------------------------------------------------------------

def test_minimal_valid_file_loads(tmp_path):
    write(tmp_path, "demo.yaml", one_file())
    reg = load_registry(tmp_path)
    assert list(reg.schemes) == ["demo"]
    ind = reg.indicators["demo_patents"]
    assert ind.scheme == "demo"  # filled from the file's scheme
    assert ind.target.value == 100 and ind.deadline == date(2025, 12, 31)
    assert reg.files == {"demo": "demo.yaml"}


# --- file-level errors (no indicator to name) ------------------------------------------------

def test_malformed_yaml(tmp_path):
    exc = load_error(tmp_path, "scheme: {id: demo\nindicators: [\n")
    assert_reports(exc, "demo.yaml", "", "(file)", "不是有效的 YAML")


def test_not_a_mapping(tmp_path):
    exc = load_error(tmp_path, "- just\n- a list\n")
    assert_reports(exc, "demo.yaml", "", "(file)", "应为含 scheme 和 indicators")


def test_empty_directory(tmp_path):
    with pytest.raises(RegistryInvalid) as info:
        load_registry(tmp_path)
    assert str(tmp_path) in str(info.value) and "没有找到方案文件" in str(info.value)


def test_duplicate_scheme_id(tmp_path):
    write(tmp_path, "a.yaml", one_file())
    exc = load_error(tmp_path, one_file(indicator(id="demo_other")), name="b.yaml")
    assert_reports(exc, "b.yaml", "", "scheme.id", "方案编号 'demo' 重复(也在 a.yaml 中)")


def test_no_indicators(tmp_path):
    exc = load_error(tmp_path, {"scheme": scheme(), "indicators": []})
    assert_reports(exc, "demo.yaml", "", "indicators")


@pytest.mark.parametrize("fld, changes", [
    ("scheme.period", {"period": {"start": "2025-12", "end": "2024-01"}}),
    ("scheme.period.start", {"period": {"start": "2024-13", "end": "2025-12"}}),
    ("scheme.stages.0", {"stages": [{"id": "s", "name": "阶段", "start": "2025-01", "end": "2024-01"}]}),
    ("scheme.stages", {"stages": []}),
    ("scheme.dimensions", {"dimensions": []}),
    ("scheme.thresholds", {"thresholds": {"on_track": 0.8, "warning": 0.9}}),
    ("scheme.id", {"id": "Demo-1"}),
    ("scheme.colour", {"colour": "red"}),
])
def test_bad_scheme_block(tmp_path, fld, changes):
    exc = load_error(tmp_path, {"scheme": scheme(**changes), "indicators": [indicator()]})
    assert_reports(exc, "demo.yaml", "", fld)


# --- duplicate indicator ids -----------------------------------------------------------------

def test_duplicate_indicator_id_same_file(tmp_path):
    exc = load_error(tmp_path, one_file(indicator(), indicator(name="另一个")))
    assert_reports(exc, "demo.yaml", "demo_patents", "id", "指标编号重复(也在 demo.yaml 中)")


def test_duplicate_indicator_id_across_files(tmp_path):
    # demo_b_x carries a valid prefix in both files (schemes demo and demo_b): only the duplicate is wrong.
    write(tmp_path, "a.yaml", one_file(indicator(), indicator(id="demo_b_x")))
    exc = load_error(tmp_path, {"scheme": scheme(id="demo_b"), "indicators": [indicator(id="demo_b_x")]},
                     name="b.yaml")
    assert [(e.file, e.indicator, e.field) for e in exc.errors] == [("b.yaml", "demo_b_x", "id")]
    assert_reports(exc, "b.yaml", "demo_b_x", "id", "指标编号重复(也在 a.yaml 中)")


# --- indicator-level errors ------------------------------------------------------------------

@pytest.mark.parametrize("fld, changes, words", [
    ("kind", {"kind": "quarterly"}, "annual"),
    ("unit", {"unit": "吨"}, "未知单位 '吨'"),
    ("deadline", {"deadline": "2026-03-31"}, "不在方案期限"),
    ("deadline", {"deadline": "2023-12-31"}, "不在方案期限"),
    ("deadline", {"deadline": "2025-02-30"}, ""),
    ("stage", {"stage": "acceptance"}, "未知阶段 'acceptance'"),
    ("dimension", {"dimension": "保护"}, "未知维度 '保护'"),
    ("id", {"id": "other_patents"}, "应以方案编号开头:demo_"),
    ("id", {"id": "Demo Patents"}, ""),
    ("scheme", {"scheme": "anning"}, "但文件是方案 'demo'"),
    ("quote", {"quote": None}, "缺少此项"),
    ("quote", {"quote": ""}, ""),
    ("quote", {"quote": "   "}, "缺少出处"),
    ("clause", {"clause": ""}, ""),
    ("clause", {"clause": None}, "缺少此项"),
    ("responsible_units", {"responsible_units": []}, ""),
    ("reporting", {"reporting": "monthly"}, ""),
    ("start", {"start": "2025-06", "deadline": "2025-03-31"}, "晚于截止日期"),
    ("baseline.as_of", {"baseline": {"value": 10, "as_of": "2026-01-01"}, "deadline": "2025-12-31"}, "晚于截止日期"),
    ("baseline.value", {"baseline": {"as_of": "2023-12-31"}}, "缺少此项"),
    ("target.value", {"target": {"value": -5}}, "不能为负数"),
    ("target.value", {"target": {"text": "100件以上"}}, "须有目标值 target.value"),
    ("target.weight", {"target": {"value": 1, "weight": 2}}, ""),
])
def test_bad_indicator(tmp_path, fld, changes, words):
    exc = load_error(tmp_path, one_file(indicator(**changes)))
    label = changes.get("id") or "demo_patents"
    assert_reports(exc, "demo.yaml", label, fld, words)


def test_indicator_without_id_is_named_by_position(tmp_path):
    exc = load_error(tmp_path, one_file(indicator(), indicator(id=None, name="无编号")))
    assert_reports(exc, "demo.yaml", "#2", "id", "缺少此项")


@pytest.mark.parametrize("fld, changes, words", [
    # range
    ("target", {"kind": "range", "target": {"min": 3, "max": 2}}, "区间下限 3 大于上限 2"),
    ("target", {"kind": "range", "target": {"min": 2}}, "须有 target.min 和 target.max"),
    # percentages
    ("unit", {"kind": "rate", "unit": "件", "target": {"value": 100}}, "单位应为 %"),
    ("unit", {"kind": "share", "unit": "家", "target": {"value": 30}}, "单位应为 %"),
    ("target.value", {"kind": "share", "unit": "%", "target": {"value": 120}}, "0 到 100"),
    ("target.value", {"kind": "rate", "unit": "%", "target": {"value": 100.5}}, "0 到 100"),
    ("target.value", {"kind": "rate", "unit": "%", "target": {}}, "须有目标值 target.value"),
    # amounts
    ("target.value", {"kind": "cumulative", "target": {"text": "700件以上"}}, "类型 cumulative 须有目标值 target.value"),
    ("target.value", {"kind": "annual", "reporting": "flow", "target": {}}, "类型 annual 须有目标值 target.value"),
    ("reporting", {"kind": "annual", "reporting": "stock", "target": {"value": 45}}, "flow"),
    ("reporting", {"kind": "milestone", "reporting": "flow", "target": {"value": 1}}, "stock"),
    # relative targets
    ("target.factor", {"kind": "relative_baseline", "target": {}}, "须有正数倍数 target.factor"),
    ("target.reference", {"kind": "relative_reference", "unit": "件/万人", "target": {"factor": 2}},
     "须有参照指标 target.reference"),
    ("target.reference", {"kind": "relative_reference", "unit": "件/万人",
                          "target": {"factor": 2, "reference": "nation_avg"}},
     "未知的参照指标 'nation_avg'"),
])
def test_target_does_not_fit_kind(tmp_path, fld, changes, words):
    exc = load_error(tmp_path, one_file(indicator(**changes)))
    assert_reports(exc, "demo.yaml", "demo_patents", fld, words)


def test_every_error_of_a_file_is_reported(tmp_path):
    exc = load_error(tmp_path, one_file(indicator(unit="吨", stage="x", dimension="y")))
    fields = {e.field for e in exc.errors}
    assert {"unit", "stage", "dimension"} <= fields


# --- never half-loaded -----------------------------------------------------------------------

def test_one_bad_file_loads_nothing(tmp_path):
    write(tmp_path, "a_good.yaml", one_file())
    write(tmp_path, "b_bad.yaml", {"scheme": scheme(id="other"), "indicators": [indicator(id="other_x", unit="吨")]})
    result = None
    with pytest.raises(RegistryInvalid) as info:
        result = load_registry(tmp_path)
    assert result is None
    assert {e.file for e in info.value.errors} == {"b_bad.yaml"}
    # Fixing the bad file makes the whole directory load.
    write(tmp_path, "b_bad.yaml", {"scheme": scheme(id="other"), "indicators": [indicator(id="other_x")]})
    reg = load_registry(tmp_path)
    assert set(reg.schemes) == {"demo", "other"} and set(reg.indicators) == {"demo_patents", "other_x"}


# --- one minimal valid indicator of each kind ------------------------------------------------

VALID_BY_KIND = {
    Kind.annual: {"kind": "annual", "reporting": "flow", "target": {"value": 45, "text": "年新增45件以上"},
                  "start": "2024-04"},
    Kind.cumulative: {"kind": "cumulative", "target": {"value": 700}},
    Kind.rate: {"kind": "rate", "unit": "%", "target": {"value": 100}},
    Kind.share: {"kind": "share", "unit": "%", "target": {"value": 30, "strict": True}},
    Kind.range: {"kind": "range", "unit": "家", "target": {"min": 2, "max": 3}},
    Kind.relative_reference: {"kind": "relative_reference", "unit": "件/万人",
                              "target": {"factor": 2, "reference": "province_avg"}},
    Kind.relative_baseline: {"kind": "relative_baseline", "unit": "家", "target": {"factor": 2},
                             "baseline": {"value": 12, "as_of": "2023-12-31", "source": "年报"}},
    Kind.milestone: {"kind": "milestone", "unit": "项", "target": {"value": 1}, "direction": "increase",
                     "lead_units": ["县政府办"]},
}


def test_every_kind_has_a_loading_case():
    assert set(VALID_BY_KIND) == set(Kind)


@pytest.mark.parametrize("kind", list(Kind), ids=lambda k: k.value)
def test_each_kind_loads_and_keeps_its_fields(tmp_path, kind):
    changes = VALID_BY_KIND[kind]
    write(tmp_path, "demo.yaml", one_file(indicator(**changes)))
    ind = load_registry(tmp_path).indicators["demo_patents"]
    assert ind.kind is kind
    assert ind.unit == changes.get("unit", "件")
    assert ind.reporting is Reporting(changes.get("reporting", "stock"))
    for key, value in changes["target"].items():
        assert getattr(ind.target, key) == value, key
    if "baseline" in changes:
        assert ind.baseline.value == 12 and ind.baseline.as_of == date(2023, 12, 31) and ind.baseline.source == "年报"
    if "start" in changes:
        assert str(ind.start) == changes["start"]
    if "lead_units" in changes:
        assert ind.lead_units == changes["lead_units"] and ind.reporting_unit == "县政府办"
    assert ind.quote == INDICATOR["quote"] and ind.clause == INDICATOR["clause"]


# --- the real registry: every quote is verbatim in the stored source text -----------------------

SOURCES = Path(__file__).resolve().parents[1] / "indicators" / "sources"


@pytest.mark.parametrize("scheme_id", sorted(p.stem for p in SOURCES.glob("*.txt")))
def test_real_quotes_are_verbatim(scheme_id):
    reg = load_registry()
    if scheme_id not in reg.schemes:
        pytest.fail(f"indicators/sources/{scheme_id}.txt has no scheme file")
    text = (SOURCES / f"{scheme_id}.txt").read_text(encoding="utf-8")
    missing = [i.id for i in reg.scheme_indicators(scheme_id) if i.quote not in text]
    assert not missing, f"quotes not found verbatim in {scheme_id}.txt: {missing}"


@pytest.mark.parametrize("changes", [
    {"kind": "quarterly"}, {"deadline": "2025-02-30"}, {"id": "Demo Patents"}, {"quote": None},
    {"reporting": "monthly"}, {"responsible_units": []}, {"target": {"value": "很多"}}, {"colour": "red"},
    {"start": "2025-13"}, {"target": {"value": 1, "weight": 2}}, {"unit": "吨", "stage": "x"},
])
def test_every_loader_message_is_chinese(tmp_path, changes):
    """方案工作台 and 方案管理 show these to office staff: no pydantic English reaches them."""
    exc = load_error(tmp_path, one_file(indicator(**changes)))
    for e in exc.errors:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in e.message), e
        for english in ("Input should", "Field required", "Extra inputs", "String should", "Value error",
                        "List should", "validation error"):
            assert english not in e.message, e

