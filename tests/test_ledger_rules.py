"""The pure rules of ledgers (indicators/ledger.py): the GB 32100-2015 check digit, row
checks, counting at quarter end, duplicates and the mismatch with a reported value; and the
registry's ``ledger:`` block."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from indicators import ledger as L
from indicators.model import ENTERPRISE_COLUMNS, Ledger, Reporting
from indicators.periods import Quarter
from indicators.registry import SCHEMES_DIR, RegistryInvalid, load_registry

# Real, published codes (华为, 腾讯, the GB 32100 example) and a computed one.
VALID = ["91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91330100799655058B"]


@pytest.mark.parametrize("code", VALID)
def test_known_valid_codes_pass(code):
    assert L.credit_code_problem(code) is None
    assert L.check_char(code[:17]) == code[17]


def test_a_remainder_of_zero_gives_check_character_zero():
    # 31 - 0 % 31 = 31 -> 0: find a 17-character stem whose weighted sum is a multiple of 31.
    stem = next(s for s in (f"9153000000000{n:04d}" for n in range(10000))
                if sum(L.CODE_CHARS.index(c) * w for c, w in zip(s, L.CODE_WEIGHTS)) % 31 == 0)
    assert L.check_char(stem) == "0" and L.credit_code_problem(stem + "0") is None


@pytest.mark.parametrize("code,words", [
    ("911100001000095117", "校验位错误(第18位应为B)"),      # one character off: caught by the check digit
    ("91350100M000100Y4", "应为18位,实为17位"),
    ("91350100M000100Y431", "应为18位,实为19位"),
    ("91350100M0001O0Y43", "不允许的字符“O”"),
    ("91350100I000100Y43", "不允许的字符“I”"),
    ("91350100M000100Y42", "校验位错误"),
])
def test_invalid_codes_are_refused_with_the_reason(code, words):
    assert words in L.credit_code_problem(code)


def test_a_code_is_normalised_before_the_check():
    assert L.normalize_code(" 91350100m000100y43 ") == "91350100M000100Y43"


ENTERPRISE = Ledger()


def good(**over):
    row = {"name": "云南某某科技有限公司", "credit_code": "91350100M000100Y43", "certificate": "云知企〔2023〕5号",
           "date": "2023-05-10", "source": "省知识产权局公告"}
    row.update(over)
    return row


def test_a_good_row_is_cleaned():
    row, problems = L.check_row(ENTERPRISE, good(date="2023年5月10日", credit_code="91350100m000100y43"))
    assert problems == []
    assert row.name == "云南某某科技有限公司" and row.code == "91350100M000100Y43"
    assert row.valid_from == date(2023, 5, 10) and row.values["date"] == "2023-05-10"


@pytest.mark.parametrize("over,words", [
    ({"name": "  "}, "缺少企业名称"),
    ({"credit_code": "911100001000095117"}, "校验位错误"),
    ({"credit_code": ""}, "缺少统一社会信用代码"),
    ({"date": ""}, "缺少认定日期"),
    ({"date": "2023-02-30"}, "不是有效日期"),
    ({"date": "去年"}, "不是有效日期"),
    ({"date": "2026-01-01"}, "晚于2025-06-30"),
    ({"name": "企" * 201}, "企业名称过长(共201字),最多200字"),
    ({"source": "来" * 201}, "来源过长"),
])
def test_bad_rows_are_refused_with_the_reason(over, words):
    row, problems = L.check_row(ENTERPRISE, good(**over), latest=date(2025, 6, 30))
    assert row is None and any(words in p for p in problems), problems


def test_spreadsheet_dates_are_read():
    from datetime import datetime
    assert L.parse_date(datetime(2024, 5, 1, 0, 0)) == date(2024, 5, 1)
    assert L.parse_date("2024/5/1") == L.parse_date("20240501") == L.parse_date("2024.05.01") == date(2024, 5, 1)


Q = Quarter.parse("2024Q2")


def e(i, d, code=None, name=None, removed=False, until=None, region="安宁市"):
    return L.Entry(i, name or f"企业{i}", code, d, region, removed, until)


def test_counting_at_quarter_end():
    entries = [
        e(1, date(2023, 1, 5)),                                   # valid
        e(2, date(2024, 6, 30)),                                  # on the last day: valid
        e(3, date(2024, 7, 1)),                                   # after: not yet
        e(4, date(2023, 1, 5), removed=True),                     # entered in error: never
        e(5, date(2023, 1, 5), removed=True, until=date(2024, 8, 1)),   # lapsed after: still valid
        e(6, date(2023, 1, 5), removed=True, until=date(2024, 6, 30)),  # lapsed on the last day: not valid
    ]
    assert L.count_for(Reporting.stock, entries, Q) == 3
    # A flow indicator counts the rows of the quarter itself (new in the quarter).
    assert L.count_for(Reporting.flow, entries, Q) == 1
    assert L.count_for(Reporting.flow, entries, Quarter.parse("2023Q1")) == 3


def test_duplicates_within_a_ledger():
    code = VALID[0]
    flags = L.duplicate_flags([e(1, date(2023, 1, 1), code), e(2, date(2023, 2, 1), code, name="另一写法"),
                               e(3, date(2023, 1, 1), name="同名"), e(4, date(2023, 1, 1), name="同名"),
                               e(5, date(2023, 1, 1), VALID[1], removed=True), e(6, date(2023, 1, 1), VALID[1])])
    assert any(code in f and "出现2次" in f for f in flags)
    assert any("名称“同名”出现2次" in f for f in flags)
    assert not any(VALID[1] in f for f in flags)          # a removed row is no duplicate
    assert len(flags) == 2


def test_duplicates_across_regions():
    by_region = {"安宁市": [e(1, date(2023, 1, 1), VALID[0])], "连然街道": [e(2, date(2023, 1, 1), VALID[0], region="连然街道")],
                 "金方街道": [e(3, date(2023, 1, 1), VALID[1])]}
    flags = L.cross_region_flags("安宁市", by_region)
    assert flags == [f"台账重复:统一社会信用代码“{VALID[0]}”(企业1)也登记在连然街道的台账中。"]


def test_mismatch_between_reported_value_and_ledger():
    ind = load_registry().indicators["anning_ip_advantage_demo_enterprises"]
    assert L.mismatch_flag(ind, 25, 25, Q) is None
    assert L.mismatch_flag(ind, None, 3, Q) is None
    assert L.mismatch_flag(ind, 27, 25, Q) == "2024年第2季度填报值27家与台账不一致:台账季末有效25家(相差+2)。"


# ---------------------------------------------------------------- the registry block

def test_anning_count_targets_of_named_things_have_ledgers_and_keep_their_citations():
    reg = load_registry()
    with_ledger = {i.id for i in reg.indicators.values() if i.ledger}
    assert {"anning_ip_advantage_demo_enterprises", "anning_ip_management_standard_enterprises",
            "anning_patent_industrialization_enterprises_10m", "anning_patent_backbone_enterprises_100m",
            "anning_key_ip_advantage_enterprises", "anning_ip_service_ports",
            "anning_street_rights_protection_stations", "anning_major_invention_patents_iur"} == with_ledger
    ind = reg.indicators["anning_ip_advantage_demo_enterprises"]
    assert [c.label for c in ind.ledger.columns] == ["企业名称", "统一社会信用代码", "认定文件/证书编号", "认定日期", "来源"]
    assert ind.quote and ind.clause == "三(二)2"
    assert list(ENTERPRISE_COLUMNS) == ind.ledger.columns


def _registry_with(tmp_path: Path, ind_id: str, ledger) -> None:
    data = yaml.safe_load((SCHEMES_DIR / "anning.yaml").read_text(encoding="utf-8"))
    for raw in data["indicators"]:
        if raw["id"] == ind_id:
            raw["ledger"] = ledger
    (tmp_path / "anning.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_registry(tmp_path)


@pytest.mark.parametrize("ind_id,ledger,words", [
    ("anning_demo_enterprise_ip_conversion_rate", {}, "台账证明的是数量"),
    ("anning_ip_award_rules", {}, "台账证明的是数量"),                         # a milestone
    ("anning_ip_service_ports", {"columns": [{"key": "date", "label": "日期", "type": "date"}]},
     "恰好一列类型为 name"),
    ("anning_ip_service_ports", {"columns": [{"key": "name", "label": "名称", "type": "name"}]},
     "恰好一列类型为 date"),
    ("anning_ip_service_ports", {"columns": [{"key": "name", "label": "名称", "type": "name"},
                                             {"key": "name", "label": "名称2"},
                                             {"key": "date", "label": "日期", "type": "date"}]}, "台账列的 key 重复"),
    ("anning_ip_service_ports", {"columns": [{"key": "name", "label": "名称", "type": "nme"}]}, "ledger.columns.0.type"),
    ("anning_ip_service_ports", {"colums": []}, "ledger.colums"),
])
def test_a_bad_ledger_block_is_refused_naming_indicator_and_field(tmp_path, ind_id, ledger, words):
    with pytest.raises(RegistryInvalid) as exc:
        _registry_with(tmp_path, ind_id, ledger)
    text = str(exc.value)
    assert ind_id in text and "ledger" in text and words in text, text


def test_an_empty_ledger_is_flagged_as_missing_not_as_a_mismatch():
    ind = load_registry().indicators["anning_ip_advantage_demo_enterprises"]
    assert L.flags(ind, "安宁市", {}, Q, 3) == ["尚未登记台账:2024年第2季度填报值3家,台账中没有任何企业。"]
    assert L.flags(ind, "安宁市", {}, Q, 0) == [] and L.flags(ind, "安宁市", {}, Q, None) == []
    assert L.flags(ind, "安宁市", {"安宁市": [e(1, date(2023, 1, 1))]}, Q, 3)[0].startswith("2024年第2季度填报值3家与台账不一致")
