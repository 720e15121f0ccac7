"""Draft a scheme's targets from its document: clauses → sentences → candidates.

Each candidate carries the verbatim sentence, its clause and character span, the target, the
deadline with the rule that gave it, stage and units, a confidence and the rules that proposed it.
``Candidate.to_dict()`` is JSON-serialisable: the review page consumes it as is.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import asdict, dataclass, field
from datetime import date

from .clauses import Sentence, fold, split_clauses, units_of
from .read import Text
from .rules import TARGET_HEAD, TARGET_WORDS, Proposal, commitment, quantities, relatives

_MONTH = re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?:份)?(?:底|末)?(?:前|以前|之前)?(?!\d*日)")
_YEAR_END = re.compile(r"(?P<y>\d{4})年(?:底|末)(?:前|以前|之前)?")
_BY_YEAR = re.compile(r"(?:到|至|截至|力争到|于)(?P<y>\d{4})年(?!\d{1,2}月)|(?P<y2>\d{4})年(?:前|以前|之前)")
_ISSUED = re.compile(r"〔(?P<y>\d{4})〕|(?P<y2>\d{4})年\d{1,2}月\d{1,2}日")
_TITLE_PERIOD = re.compile(r"[((](?P<a>\d{4})\s*[—–\-~至]+\s*(?P<b>\d{4})年?[))]")
_STAGE = re.compile(r"(?P<no>第[一二三四五六七八九十]+阶段)[::]?\s*(?P<name>[^((\n::]*?)(?:阶段)?\s*[((]"
                    r"(?P<y1>\d{4})年(?P<m1>\d{1,2})月\s*(?:[—–\-~至到]+\s*(?:(?P<y2>\d{4})年)?(?P<m2>\d{1,2})月|(?P<open>及以后))")


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


@dataclass
class Stage:
    id: str
    name: str
    start: str            # YYYY-MM
    end: str | None       # YYYY-MM; None: open-ended (2025年8月及以后)
    clause: str


@dataclass
class Candidate:
    id: str
    name: str
    kind: str
    unit: str
    value: float | None
    min: float | None
    max: float | None
    factor: float | None
    reference: str | None
    baseline_year: int | None
    strict: bool
    approx: str
    target_text: str
    deadline: str | None        # ISO date
    deadline_rule: str
    stage: str | None
    lead_units: list[str]
    responsible_units: list[str]
    clause: str
    item: str                   # 一是 / 二是 … within the clause
    section: str                # the top-level heading (工作目标, 主要任务 …)
    quote: str                  # the verbatim sentence
    span: tuple[int, int]       # the sentence's [start, end) in the document text
    target_span: tuple[int, int]  # the target wording's [start, end) in the document text
    confidence: float
    rules: list[str]
    explain: list[str]
    also_in: list[str] = field(default_factory=list)  # clauses repeating the same target
    also_quotes: list[str] = field(default_factory=list)  # and their sentences

    def to_dict(self) -> dict:
        d = asdict(self)
        d["span"], d["target_span"] = list(self.span), list(self.target_span)
        return d


@dataclass
class Draft:
    source: str
    chars: int
    sentences: int
    truncated: bool
    notes: list[str]
    stages: list[Stage]
    default_deadline: str | None
    default_deadline_rule: str
    candidates: list[Candidate]

    def to_dict(self) -> dict:
        return {"source": self.source, "chars": self.chars, "sentences": self.sentences,
                "truncated": self.truncated, "notes": self.notes, "stages": [asdict(s) for s in self.stages],
                "default_deadline": self.default_deadline, "default_deadline_rule": self.default_deadline_rule,
                "candidates": [c.to_dict() for c in self.candidates]}


def find_stages(text: str) -> list[Stage]:
    stages = []
    for i, m in enumerate(_STAGE.finditer(text)):
        y1, m1 = int(m.group("y1")), int(m.group("m1"))
        end = None
        if not m.group("open"):
            y2 = int(m.group("y2") or y1)
            end = f"{y2:04d}-{int(m.group('m2')):02d}"
        name = m.group("name").strip() or m.group("no")
        stages.append(Stage(f"stage{i + 1}", name, f"{y1:04d}-{m1:02d}", end, m.group("no")))
    return stages


def _bounded_end(stages: list[Stage]) -> date | None:
    ends = [s.end for s in stages if s.end]
    if not ends:
        return None
    y, m = map(int, max(ends).split("-"))
    return _month_end(y, m)


def default_deadline(text: str, stages: list[Stage]) -> tuple[date | None, str]:
    """The deadline of a target whose sentence and clause name none (通过试点期的建设, 试点期内)."""
    end = _bounded_end(stages)
    if end:
        return end, f"句中未写时限:按方案各阶段的最后截止({end:%Y年%m月})计"
    m = _TITLE_PERIOD.search(text[:2000])
    if m:
        y = int(m.group("b"))
        return date(y, 12, 31), f"句中未写时限:按方案期间({m.group('a')}—{y}年)末计"
    years = [int(x.group("y") or x.group("y2")) for x in _BY_YEAR.finditer(text)]
    years += [int(x.group("y")) for x in _YEAR_END.finditer(text)]
    if years:
        y = max(years)
        return date(y, 12, 31), f"句中未写时限:按文中目标年份的最晚一年({y}年)末计"
    m = _ISSUED.search(text[:3000])
    if m:
        y = int(m.group("y") or m.group("y2"))
        end = y + (5 - (y - 2020) % 5 or 5)  # the five-year plan that follows the issue year (2015 → 十三五, 2020)
        return date(end, 12, 31), (f"全文未写目标年份:按发文年份({y}年)后的五年规划期末({end}年)推定,请核对")
    return None, "文件未给时限,请补充"


def sentence_deadline(s: str, stages: list[Stage]) -> tuple[date | None, str]:
    """The deadline a sentence names itself: 2024年底前, 2025年6月底前, 到2025年."""
    s = re.sub(r"(?:在|比|较)\d{4}年(?:底)?(?:的)?基础上", "", s)  # a baseline year is not a deadline
    m = _MONTH.search(s)
    if m and 1 <= int(m.group("m")) <= 12 and not re.search(r"\d{4}年\d{1,2}月\s*[—–\-~至到]", s):
        d = _month_end(int(m.group("y")), int(m.group("m")))
        return d, f"“{m.group()}”:{d:%Y年%m月}末"
    m = _YEAR_END.search(s)
    if m:
        return date(int(m.group("y")), 12, 31), f"“{m.group()}”:该年12月31日"
    m = _BY_YEAR.search(s)
    if m:
        y = int(m.group("y") or m.group("y2"))
        end = _bounded_end(stages)
        if end and end.year == y:
            return end, f"“{m.group()}”:方案各阶段在{y}年{end.month}月截止,按{end:%Y-%m-%d}计"
        return date(y, 12, 31), f"“{m.group()}”:该年12月31日"
    return None, ""


def _stage_of(sent: Sentence, deadline: date | None, stages: list[Stage]) -> str | None:
    if not stages:
        return None
    for part in sent.path:
        for st in stages:
            if part.strip() == st.clause:
                return st.id
    for st in stages:  # targets outside the steps belong to the implementation stage
        if "实施" in st.name:
            return st.id
    if deadline:
        key = f"{deadline:%Y-%m}"
        for st in reversed(stages):
            if st.start <= key and (st.end is None or key <= st.end):
                return st.id
    return None


def _dedup_key(p: Proposal) -> tuple:
    return (p.name, p.kind, p.unit, p.value, p.min, p.max, p.factor)


def draft_text(doc: Text | str) -> Draft:
    if isinstance(doc, str):
        doc = Text(doc, "text")
    text = doc.text
    clauses = split_clauses(text)
    notes = list(doc.notes)
    if clauses.truncated:
        notes.append(f"句子过多,只处理了前{len(clauses.sentences)}句。")
    stages = find_stages(fold(text))
    dflt, dflt_rule = default_deadline(fold(text), stages)
    out: list[Candidate] = []
    seen: dict[tuple, Candidate] = {}
    units_cache: dict[tuple, tuple[list[str], list[str]]] = {}
    clause_dates: dict[tuple, tuple[date, str]] = {}  # the last date a clause named, for its later sentences
    for sent in clauses.sentences:
        d, rule = sentence_deadline(sent.folded, stages)
        if d:
            clause_dates[sent.path] = (d, rule)
        elif sent.path in clause_dates and sent.path:
            d, r0 = clause_dates[sent.path]
            rule = f"同一条款前文:{r0}"
        target_ctx = bool(TARGET_WORDS.search(sent.folded) or any(TARGET_HEAD.search(h) for h in sent.headings[:2]))
        props = relatives(sent.folded)
        taken = [p.span for p in props if p.rules[0] != "named_documents"]
        for q in quantities(sent.folded, target_ctx):
            if not any(a <= q.span[0] < b for a, b in taken):
                props.append(q)
        dated_here = bool(sentence_deadline(sent.folded, stages)[0])
        if not props and dated_here:
            c = commitment(sent.folded)
            if c:
                props.append(c)
        if not props:
            continue
        if sent.path not in units_cache:  # one lookup per clause: a long clause is read once
            units_cache[sent.path] = units_of(clauses, text, sent.path)
        lead, resp = units_cache[sent.path]
        for p in props:
            if d is None:
                deadline, drule = dflt, dflt_rule
            else:
                deadline, drule = d, rule
                p.confidence += 0.1 if dated_here else 0.05
            if any(TARGET_HEAD.search(h) for h in sent.headings[:2]):
                p.because("target_section", "位于“目标/指标”条款", 0.1)
            if "力争" in sent.folded:
                p.because("aim:力争", "“力争”:按目标值登记,考核时可注明", -0.05)
            key = _dedup_key(p)
            if key in seen:
                first = seen[key]
                if sent.clause != first.clause and sent.clause not in first.also_in:
                    first.also_in.append(sent.clause)
                if sent.text != first.quote and sent.text not in first.also_quotes:
                    first.also_quotes.append(sent.text)
                continue
            cand = Candidate(
                id=f"c{len(out) + 1}", name=p.name, kind=p.kind, unit=p.unit, value=p.value, min=p.min, max=p.max,
                factor=p.factor, reference=p.reference, baseline_year=p.baseline_year, strict=p.strict,
                approx=p.approx, target_text=sent.text[p.span[0]:p.span[1]],
                deadline=deadline.isoformat() if deadline else None,
                deadline_rule=drule, stage=_stage_of(sent, deadline, stages), lead_units=list(lead),
                responsible_units=list(resp), clause=sent.clause, item=sent.item,
                section=sent.headings[0] if sent.headings else "", quote=sent.text, span=(sent.start, sent.end),
                target_span=(sent.start + p.span[0], sent.start + p.span[1]),
                confidence=round(min(0.99, max(0.05, p.confidence)), 2), rules=p.rules, explain=p.explain)
            seen[key] = cand
            out.append(cand)
    if not out:
        notes.append("未找到量化目标或有时限的工作事项。")
    return Draft(doc.source, len(text), len(clauses.sentences), doc.truncated or clauses.truncated, notes, stages,
                 dflt.isoformat() if dflt else None, dflt_rule, out)


def draft_file(path) -> Draft:
    from .read import read_document
    return draft_text(read_document(path))
