"""Drafting a scheme's targets from its document (issue #17): readers, clauses, rules, CLI, bad input."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import cli
from indicators.draft import DraftInputError, draft_file, draft_text, read_bytes
from indicators.draft import clauses as clauses_mod
from indicators.draft import read as read_mod
from indicators.draft.clauses import split_clauses
from indicators.draft.numbers import to_number

FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = Path(__file__).resolve().parent.parent / "indicators" / "sources"


def one(text: str, **want):
    """The single candidate drafted from ``text`` with the given fields."""
    found = [c for c in draft_text(text).candidates if all(getattr(c, k) == v for k, v in want.items())]
    assert len(found) == 1, [(c.name, c.kind, c.unit, c.value) for c in draft_text(text).candidates]
    return found[0]


# ---- numerals ----

@pytest.mark.parametrize("raw,value", [("45", 45), ("0.12", 0.12), ("三", 3), ("两", 2), ("十", 10),
                                       ("一千五百", 1500), ("二十", 20)])
def test_numbers_arabic_and_chinese(raw, value):
    assert to_number(raw) == pytest.approx(value)


@pytest.mark.parametrize("raw", ["万", "百", "千万", ""])
def test_words_made_of_number_characters_are_not_numbers(raw):
    assert to_number(raw) is None


# ---- clauses ----

DOC = """某县知识产权工作方案(2024—2026年)
一、工作目标
(一)具体目标
1. 到2026年,培育知识产权优势企业三家以上;建设服务站两个。
(1)每年开展宣传活动不少于十余场次,受益群众1500多人次。
二、工作任务
1.建立联络员队伍。力争建立一支20人左右的联络员队伍。一是组建讲师团。二是培育示范企业1—2家。(牵头单位:县市场监管局,责任单位:县财政局、县工信局)
2.推进申报。2025年底前实现县域内专利质押融资零的突破。
"""


def test_clause_paths_items_and_spans():
    cl = split_clauses(DOC)
    by_text = {s.text: s for s in cl.sentences}
    assert by_text["到2026年,培育知识产权优势企业三家以上"].clause == "一(一)1"
    assert by_text["每年开展宣传活动不少于十余场次,受益群众1500多人次"].clause == "一(一)1(1)"
    assert by_text["二是培育示范企业1—2家"].item == "二是"
    assert by_text["二是培育示范企业1—2家"].clause == "二1"
    for sent in cl.sentences:  # every span points at the verbatim sentence
        assert DOC[sent.start:sent.end] == sent.text


def test_line_starting_with_a_date_or_decimal_is_not_a_clause_number():
    cl = split_clauses("一、目标\n2025年底前建成平台。\n4.26宣传周开展活动。")
    assert [s.clause for s in cl.sentences] == ["一", "一", "一"]


# ---- the phrases the documents use ----

@pytest.mark.parametrize("text,want", [
    ("到2025年,培育优势企业三家以上。", dict(value=3, unit="家", kind="cumulative")),
    ("到2025年,建设维权工作站两个以上。", dict(value=2, unit="个")),
    ("每年开展宣传活动不少于十余场次。", dict(value=10, unit="场次", kind="annual", approx="余")),
    ("每年受益群众不少于1500多人次。", dict(value=1500, unit="人次", kind="annual", approx="多")),
    ("力争建立一支20人左右的联络员队伍。", dict(value=20, unit="人", approx="左右")),
    ("培育产值超亿元的骨干企业1—2家。", dict(kind="range", min=1, max=2, unit="家")),
    ("全县发明专利授权量年均增长10%。", dict(kind="rate", value=10, unit="%")),
    ("到2025年,优势企业数量在2022年基础上翻一番。", dict(kind="relative_baseline", factor=2, baseline_year=2022, unit="家")),
    ("每万人口发明专利拥有量不低于全省平均水平。", dict(kind="relative_reference", factor=1, strict=False, unit="件/万人")),
    ("发明专利增速高于全省平均。", dict(kind="relative_reference", factor=1, strict=True, unit="%")),
    ("每万人有效发明专利拥有量不低于同期本省平均水平的2倍。", dict(kind="relative_reference", factor=2)),
    ("每年全市知识产权工作投入不少于1000万元。", dict(kind="annual", value=1000, unit="万元")),
    ("到2025年底,知识产权质押融资金额累计达到2亿元。", dict(kind="cumulative", value=2, unit="亿元")),
    ("力争2024年底前实现全市高校存量专利评价全覆盖。", dict(kind="share", value=100, unit="%")),
    ("2025年底前实现县域内地理标志零的突破。", dict(kind="milestone", value=1)),
    ("全民知识产权认知度达85%以上。", dict(kind="share", value=85, unit="%")),
    ("保证年度知识产权专项经费占一般预算支出不低于0.12%。", dict(kind="rate", value=0.12)),
    ("知识产权行政按期结案率达100%。", dict(kind="rate", value=100)),
    ("权利人满意度超过90%。", dict(kind="share", value=90, strict=True)),
    ("发明专利申请量达到1500/年。", dict(kind="annual", value=1500, unit="件")),
    ("万人有效发明专利拥有量达到7件。", dict(value=7, unit="件/万人")),
    ("市财政每年按照财政一般预算支出的增长适度增加专利产业化支持资金。", dict(kind="relative_reference", factor=1, unit="%")),
    ("制定出台《甲办法》、《乙规定》、《丙办法》等文件。", dict(kind="cumulative", value=3, unit="项")),
    ("专利代理机构新增12家,专利代理人增至50名。", dict(value=12, unit="家")),
    ("30家以上企业通过贯标认证。", dict(value=30, unit="家")),  # a number opening the sentence
])
def test_phrases(text, want):
    c = one(text, **{k: v for k, v in want.items() if k in ("kind", "unit")})
    for k, v in want.items():
        assert getattr(c, k) == (pytest.approx(v) if isinstance(v, float) else v), k
    assert c.rules and len(c.explain) == len(c.rules)  # explainable: which rule proposed it, and why
    assert 0 < c.confidence < 1


@pytest.mark.parametrize("text", [
    "获财政科技经费100万元以上的项目应开展知识产权评估。",  # a condition, not a target
    "对涉及知识产权工作的六项建议提出18项具体落实措施。",
    "时限跨度为2022年8月到2025年7月,分四个阶段进行。",
    "加大投入力度,覆盖创造、运用、保护以及服务5个方面。",
    "依据《专利转化运用专项行动方案(2023—2025年)》(国办发〔2023〕37号)。",
])
def test_numbers_that_are_not_targets(text):
    assert draft_text(text).candidates == []


def test_deadlines():
    assert one("力争2024年底前实现全市高校存量专利登记全覆盖。").deadline == "2024-12-31"
    assert one("2025年6月底前建成服务平台2个。", unit="个").deadline == "2025-06-30"
    # 到2025年 in a document whose stages end in July 2025: the end of the last stage
    staged = ("第一阶段:组织实施(2022年10月—2025年4月)\n第二阶段:总结验收(2025年5月—2025年7月)\n"
              "三、目标\n到2025年,培育优势企业25家以上。\n通过试点建设,培育骨干企业5家以上。")
    d = draft_text(staged)
    assert {c.value: c.deadline for c in d.candidates} == {25: "2025-07-31", 5: "2025-07-31"}
    assert [s.name for s in d.stages] == ["组织实施", "总结验收"]
    assert {c.stage for c in d.candidates} == {"stage1"}  # targets belong to the implementation stage
    # a later sentence of the same clause inherits the date the clause named
    c = one("一、目标\n到2023年,建成平台1个;培育企业30家以上。", unit="家")
    assert c.deadline == "2023-12-31" and "同一条款" in c.deadline_rule


def test_baseline_year_is_not_the_deadline():
    c = one("方案(2023—2025年)\n企业数量在2022年基础上翻一番。")
    assert c.deadline == "2025-12-31" and c.baseline_year == 2022


def test_units_named_in_the_clause_and_not_its_siblings():
    d = draft_text(DOC)
    rng = next(c for c in d.candidates if c.kind == "range")
    assert (rng.name, rng.item, rng.clause) == ("示范企业", "二是", "二1")
    assert rng.lead_units == ["县市场监管局"] and rng.responsible_units == ["县财政局", "县工信局"]
    assert next(c for c in d.candidates if c.value == 20).name == "联络员队伍"
    assert next(c for c in d.candidates if c.value == 3).responsible_units == []  # 一(一)1 names no unit
    assert next(c for c in d.candidates if c.value == 2).unit == "个"  # 建设服务站两个


def test_full_width_punctuation_and_digits_as_word_processors_write_them():
    text = ("一、目标\n1．到２０２５年，培育示范企业３家以上；建成平台2个。"
            "（牵头单位：县市场监管局，责任单位：县财政局、县工信局）\n（二）到2025年底，质押融资1亿元。")
    d = draft_text(text)
    got = {(c.clause, c.value, c.unit, c.deadline) for c in d.candidates}
    assert got == {("一1", 3, "家", "2025-12-31"), ("一1", 2, "个", "2025-12-31"), ("一(二)", 1, "亿元", "2025-12-31")}
    first = d.candidates[0]
    assert first.quote == "到２０２５年，培育示范企业３家以上" and first.target_text == "３家以上"  # verbatim
    assert text[first.span[0]:first.span[1]] == first.quote
    assert first.lead_units == ["县市场监管局"] and first.responsible_units == ["县财政局", "县工信局"]


def test_dated_commitment_without_a_number_is_a_milestone():
    c = one("2024年底前制定专利密集型产业培育规划。")
    assert c.kind == "milestone" and c.rules == ["dated_commitment"] + c.rules[1:]
    assert draft_text("基本建成资源配置效率高的运用体系。").candidates == []  # no date: not a commitment


def test_repeated_target_is_proposed_once():
    text = "一、指标\n1.每年全市知识产权工作投入不少于1000万元。\n二、措施\n2.加大投入。每年全市知识产权工作投入不少于1000万元。"
    d = draft_text(text)
    assert len(d.candidates) == 1 and d.candidates[0].also_in == ["二2"]


def test_candidates_are_json_serialisable_with_spans():
    text = (SOURCES / "luzhou.txt").read_text(encoding="utf-8")
    d = draft_text(text)
    data = json.loads(json.dumps(d.to_dict(), ensure_ascii=False))
    assert data["candidates"]
    for c in data["candidates"]:
        a, b = c["span"]
        assert text[a:b] == c["quote"]
        ta, tb = c["target_span"]
        assert a <= ta < tb <= b and text[ta:tb] == c["target_text"]


# ---- readers and bad input ----

def test_docx_paragraphs_and_tables(tmp_path):
    import docx
    doc = docx.Document()
    doc.add_paragraph("一、工作目标")
    doc.add_paragraph("1.到2025年,培育知识产权优势企业三家以上。")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "到2025年专利代理机构新增"
    table.rows[0].cells[1].text = "12家"
    path = tmp_path / "方案.docx"
    doc.save(path)
    d = draft_file(path)
    assert sorted(c.value for c in d.candidates) == [3, 12]


def test_text_pdf():
    d = draft_file(FIXTURES / "draft_scheme.pdf")
    got = {(c.kind, c.unit, c.value) for c in d.candidates}
    assert ("rate", "%", 10) in got and ("cumulative", "家", 3) in got and ("share", "%", 100) in got
    assert ("annual", "场次", 10) in got
    assert all("⼯" not in c.quote for c in d.candidates)  # Kangxi radicals mapped back to 工


def _raises(data: bytes, name: str) -> str:
    with pytest.raises(DraftInputError) as exc:
        read_bytes(data, name)
    return str(exc.value)


def test_scanned_pdf_is_refused_with_a_message():
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buf, "PDF")  # an image-only page, as a scanner makes
    assert "未能从PDF中读出文字,可能是扫描件" in _raises(buf.getvalue(), "扫描件.pdf")


@pytest.mark.parametrize("data,name,words", [
    (b"", "empty.pdf", "文件是空的"),
    (b"not a pdf at all", "broken.pdf", "无法读取PDF文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "方案.doc", "另存为”.docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "renamed.docx", "或设了打开密码"),
    (b"PK\x03\x04 broken", "broken.docx", "无法打开Word文件"),
    (b"hello", "plan.xlsx", "不支持的文件类型"),
])
def test_bad_files_get_a_chinese_message(data, name, words):
    assert words in _raises(data, name)


def test_document_without_targets():
    d = draft_text("关于加强知识产权保护的意见。各单位要高度重视,认真落实。")
    assert d.candidates == [] and any("未找到" in n for n in d.notes)


def test_long_document_is_bounded():
    # ~200 pages: every sentence carries a target, so unbounded work would show as 10000+ candidates
    body = "".join(f"{i}.到2025年,培育示范企业{i}家以上。\n" for i in range(1, 12000))
    doc = read_bytes(body.encode("utf-8"), "long.txt")
    assert doc.truncated and len(doc.text) == read_mod.MAX_CHARS and "只处理了前" in doc.notes[0]
    d = draft_text(doc)
    assert d.truncated and d.sentences <= clauses_mod.MAX_SENTENCES
    assert len(d.candidates) <= d.sentences


def test_sentence_cap(monkeypatch):
    monkeypatch.setattr(clauses_mod, "MAX_SENTENCES", 50)
    d = draft_text("".join(f"到2025年,培育示范企业{i}家以上。" for i in range(1, 200)))
    assert d.sentences == 50 and d.truncated and any("只处理了前50句" in n for n in d.notes)


def test_pdf_page_cap(monkeypatch):
    import pypdfium2 as pdfium
    src = pdfium.PdfDocument(str(FIXTURES / "draft_scheme.pdf"))
    many = pdfium.PdfDocument.new()
    many.import_pages(src, [0] * 5)
    buf = io.BytesIO()
    many.save(buf)
    monkeypatch.setattr(read_mod, "MAX_PAGES", 2)
    doc = read_bytes(buf.getvalue(), "long.pdf")
    assert (doc.pages, doc.pages_read, doc.truncated) == (5, 2, True)
    assert "文件共5页,只读取了前2页" in doc.notes[0]


# ---- command line ----

def test_cli_json_and_yaml(capsysbinary):
    assert cli.main(["draft", str(SOURCES / "guangxi.txt")]) == 0
    data = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    assert len(data["candidates"]) >= 9 and data["candidates"][0]["quote"]
    assert cli.main(["draft", str(FIXTURES / "draft_scheme.pdf"), "--format", "yaml"]) == 0
    data = yaml.safe_load(capsysbinary.readouterr().out.decode("utf-8"))
    assert data["source"] == "draft_scheme.pdf" and data["candidates"]


@pytest.mark.parametrize("name,data,words", [
    ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "另存为"),
    ("empty.pdf", b"", "文件是空的"),
    ("missing.txt", None, "找不到文件"),
])
def test_cli_bad_input_exits_nonzero_without_traceback(tmp_path, capsys, name, data, words):
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    assert cli.main(["draft", str(path)]) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith("错误:") and words in err and "Traceback" not in err


def test_cli_no_targets(tmp_path, capsysbinary):
    path = tmp_path / "plain.txt"
    path.write_text("请各单位认真贯彻落实。", encoding="utf-8")
    assert cli.main(["draft", str(path)]) == 0
    out = capsysbinary.readouterr()
    assert json.loads(out.out.decode("utf-8"))["candidates"] == []
    assert "未找到量化目标" in out.err.decode("utf-8")


# ---- any text ----

_ALPHABET = "一二两三四五六七八九十百千万零〇0123456789.%—-~、,,。;;()()《》“”的年月底前到力争达以上左右余多家件个项人名次场万元亿翻番倍平均水平全省覆盖实现突破累计每年是牵头单位责任:\n "


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=120))
def test_any_text_drafts_without_error_and_spans_hold(text):
    d = draft_text(text)
    json.dumps(d.to_dict(), ensure_ascii=False)
    for c in d.candidates:
        assert text[c.span[0]:c.span[1]] == c.quote
        assert c.span[0] <= c.target_span[0] <= c.target_span[1] <= c.span[1]
        assert 0 < c.confidence < 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="一二两三四五六七八九十百千万零〇", min_size=1, max_size=8))
def test_any_chinese_numeral_string_converts_or_is_none(raw):
    v = to_number(raw)
    assert v is None or v >= 0


def test_a_document_published_twice_in_one_file_drafts_once():
    # 鞍山's published file carries its whole text twice (indicators/sources/anshan.txt keeps it once)
    text = (SOURCES / "anshan.txt").read_text(encoding="utf-8")
    once, twice = draft_text(text), draft_text(text + "\n" + text)
    assert [(c.name, c.value, c.unit) for c in twice.candidates] == [(c.name, c.value, c.unit) for c in once.candidates]
