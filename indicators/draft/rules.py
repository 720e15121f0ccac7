"""The rules that propose candidates from one sentence. Each rule has an id, recorded on the
candidate with a sentence of explanation, so an office can see why a target was proposed.

Kinds follow the registry (indicators.model.Kind and docs/registry.md):
annual (每年/年均/年新增), cumulative (a level or total by the deadline, 累计), rate (a percentage that
must hold every year: 每年/年度, 结案率), share (a percentage level by the deadline), range (1—2家),
relative_reference (不低于/高于全省平均水平[的N倍]), relative_baseline (在2022年基础上翻一番),
milestone (实现…零的突破, or a dated commitment without a number).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import NUM, times, to_number

# Units as documents write them → the registry's unit (indicators.model.UNIT_DECIMALS).
UNIT_MAP = {
    "件/万人": "件/万人", "亿元": "亿元", "万元": "万元", "人次": "人次", "场次": "场次", "学时": "学时",
    "课时": "学时", "小时": "小时", "家": "家", "件": "件", "个": "个", "项": "项", "人": "人",
    "名": "人", "次": "次", "场": "场次", "所": "家", "%": "%",
}
_UNITS = "|".join(re.escape(u) for u in sorted(UNIT_MAP, key=len, reverse=True))
_SEP = r"[—–\-~～至到]"
QTY = re.compile(
    rf"(?P<a>{NUM})(?:\s*(?P<sep>{_SEP})\s*(?P<b>{NUM}))?\s*(?P<approx>余|多)?\s*"
    rf"(?:(?P<unit>{_UNITS})|(?P<peryear>/年))(?P<after>左右|以上|以内|以下)?")
_PERCENT_WORDS = re.compile(rf"百分之(?P<a>{NUM})(?P<after>以上)?")
COMPARATORS = ("累计达到", "累计达", "不少于", "不低于", "不超过", "达到", "超过", "增至", "提高到", "提升到",
               "突破", "至少", "高于", "达", "超", "在")
_VERB_IN = re.compile(r"打造|培育|建设|组建|引进|培养|新增|建立|设立|新建|举办")
_BUILD = re.compile(r"(?:打造|培育|建设|组建|引进|培养|新增|建立|设立|认定|扶持|新建|举办|开展|组织)\s*$")
_COMPARATOR = re.compile("(" + "|".join(COMPARATORS) + r")\s*$")
ANNUAL = re.compile(r"每年|年均|年新增|年度|/年|全年|每个年度")
RATE_HINT = re.compile(r"每年|年度|每季度")
RATE_NAME = re.compile(r"结案率|办结率")
_STRIP_HEAD = re.compile(
    r"^(?:和|及|并|[一二三四五六七八九十]+是|一支|一批|建立|(?:力争|到|至|截至)?\d{4}年(?:底|末)?(?:前|以前)?|力争|通过[^,,]{0,12}?建设|全市|全区|全省|全县|"
    r"实现|确保|推动|推进|持续|积极|着力|进一步|重点|逐步|努力|每年|年度|累计|使|其中|"
    r"在|新增|建设|培育|组建|打造|引进|培养|建成|设立|构建|开展|完成|扶持|发展|新建|认定|办理|实施|全面)+")
_STRIP_TAIL = re.compile(r"(?:累计达到|累计达|不少于|不低于|达到|超过|增至|提高到|提升到|突破|至少|年新增长|"
                         r"年新增|年均|累计|达|超|在|为|共|约|有|了|的)+$")
_SEGMENT = re.compile(r"[^,,、::“”\"()()]+")
TARGET_HEAD = re.compile(r"目标|指标")
TARGET_WORDS = re.compile(r"力争|目标|确保|到\d{4}年|\d{4}年(?:底|末)")
# the noun a bare quantity counts, to guess a unit when the text gives none (1500/年, 翻一番)
_UNIT_GUESS = [(re.compile(r"增速|增长率|增幅|比重|比例|占比|覆盖率"), "%"), (re.compile(r"每万人|万人"), "件/万人"),
               (re.compile(r"企业|机构|中心|基地|主体|园区|单位|联盟"), "家"),
               (re.compile(r"专利|商标|著作权|登记|申请|产品"), "件"), (re.compile(r"人才|人员|人"), "人"),
               (re.compile(r"资金|经费|投入|金额|融资"), "万元")]


@dataclass
class Proposal:
    """One target found in a sentence, before the document-level context (deadline, stage, units)."""
    name: str
    kind: str
    unit: str
    value: float | None = None
    min: float | None = None
    max: float | None = None
    factor: float | None = None
    reference: str | None = None
    baseline_year: int | None = None
    strict: bool = False
    approx: str = ""
    text: str = ""                   # the target as worded, e.g. 45件以上
    span: tuple[int, int] = (0, 0)   # of ``text`` within the sentence
    confidence: float = 0.5
    rules: list[str] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)

    def because(self, rule: str, why: str, delta: float = 0.0) -> None:
        self.rules.append(rule)
        self.explain.append(why)
        self.confidence += delta


def guess_unit(name: str) -> str:
    for rx, unit in _UNIT_GUESS:
        if rx.search(name):
            return unit
    return "项"


def _masked(sentence: str) -> str:
    """The sentence with titles, quotations and document numbers blanked (same length):
    numbers in 《…2025年…》 or 〔2024〕23号 are not targets."""
    out = re.sub(r"《[^》]*》|〔[^〕]*〕|\[[^\]]*\]|“\d[^”]*”|\d+·\d+|第\s*[\d一二三四五六七八九十]+", lambda m: " " * len(m.group()), sentence)
    return re.sub(r"[((][^()()]*单位[::][^()()]*[))]", lambda m: " " * len(m.group()), out)


def _segment_at(sentence: str, pos: int) -> tuple[int, int]:
    """The comma-delimited piece of the sentence around position ``pos``."""
    for m in _SEGMENT.finditer(sentence):
        if m.start() <= pos < m.end():
            return m.start(), m.end()
    return pos, pos


def _clean(name: str) -> str:
    name = name.strip(" ,,;;、")
    for _ in range(3):
        name = _STRIP_TAIL.sub("", _STRIP_HEAD.sub("", name)).strip(" ,,;;、")
    return name[:40]


def name_at(sentence: str, start: int, end: int) -> str:
    """A name for the quantity at ``sentence[start:end]``: the noun before it in its piece of the
    sentence (发明专利授权量达到45件 → 发明专利授权量), else the noun after it (培育10名人才 → 人才)."""
    a, _ = _segment_at(sentence, start)
    raw = sentence[a:start]
    verbs = list(_VERB_IN.finditer(raw))
    if verbs:  # 在重点产业领域建设知识产权联盟(不少于5家): the noun is the verb's object
        obj = raw[verbs[-1].end():]  # …; 专利代理机构新增(12家): the subject
        raw = obj if _clean(obj) else raw[:verbs[-1].start()]
    before = _clean(raw)
    # after: up to the next comma; past the last 的 (2个特色鲜明、竞争力强的区域商标品牌 → 区域商标品牌)
    after = _clean(re.split(r"[,,;;。::]", sentence[end:])[0].rsplit("的", 1)[-1])
    verb_only = not before or len(before) <= 2
    return (after if verb_only and after else before or after)


def _number(m: re.Match, key: str) -> float | None:
    return to_number(m.group(key)) if m.group(key) else None


def quantities(sentence: str, target_context: bool) -> list[Proposal]:
    """Every quantified target in the sentence: a number with a unit that reads as a target."""
    masked = _masked(sentence)
    found: list[Proposal] = []
    annual_run = False  # 年新增45件以上,实用新型500件以上: a list of amounts under one 年新增
    matches = [(m, False) for m in QTY.finditer(masked)] + [(m, True) for m in _PERCENT_WORDS.finditer(masked)]
    for m, pct_words in sorted(matches, key=lambda x: x[0].start()):
        a = _number(m, "a")
        if a is None:
            continue
        raw_a = m.group("a")
        if not pct_words and m.group("peryear") is None and m.group("unit") is None:
            continue
        prev = masked[m.start() - 1] if m.start() else ""
        if prev and (prev.isdigit() or prev in ".．"):
            continue  # the tail of a longer number (4308-2022, 1.5)
        after_text = masked[m.end():m.end() + 1]
        if (after_text == "的" and m.group("after") != "左右") or (after_text in ("年", "月", "日") and not m.group("after")):
            continue  # 100万元以上的项目: a condition, not a target; 3个月: a duration
        before = masked[max(0, m.start() - 8):m.start()]
        comp = _COMPARATOR.search(before)
        unit_raw = "%" if pct_words else (m.group("unit") or "")
        after = m.group("after") or ""
        seg_a, seg_b = _segment_at(masked, m.start())
        ends_piece = not masked[m.end():seg_b].strip() or after == "以上"
        weak = not raw_a[0].isdigit() and raw_a in ("一", "两", "几")
        if weak and not (comp or after or (ends_piece and target_context)):
            continue  # 一次, 两刊: words, not counts, unless worded as a target
        if re.match(r"方面|阶段|领域|环节|部分|批次|大类|类|方向|步", masked[m.end():m.end() + 2]):
            continue  # 5个方面, 四个阶段: counts of the text's own parts
        build = _BUILD.search(masked[max(0, m.start() - 4):m.start()])
        is_range = bool(m.group("sep") and m.group("b"))
        if not raw_a[0].isdigit() and not (comp or after or ends_piece):
            continue  # 分四个阶段进行, 三个方面: a Chinese numeral counts a target only where worded as one
        if not (comp or after in ("以上", "左右") or ends_piece or target_context or build or is_range):
            continue
        name = name_at(sentence, m.start(), m.end())
        unit = UNIT_MAP.get(unit_raw) or guess_unit(name)
        per_10k = unit == "件" and re.search(r"万人", name)
        if per_10k:
            unit = "件/万人"
        p = Proposal(name=name, kind="cumulative", unit=unit, value=a, text=sentence[m.start():m.end()],
                     span=(m.start(), m.end()), confidence=0.45)
        if per_10k:
            p.because("per_10k", "名称为“(每)万人…拥有量”:单位为件/万人")
        if build and not comp:
            p.because(f"verb:{build.group()}", f"“{build.group()}{p.text}”:要建成(培育)的数量", 0.15)
        if not raw_a[0].isdigit():
            p.because("cn_numeral", f"中文数字“{raw_a}”读作{a:g}(cn2an)")
        if comp:
            p.because(f"comparator:{comp.group(1)}", f"“{comp.group(1)}”表明这是要达到的目标值", 0.25)
            p.strict = comp.group(1) in ("超过", "超", "高于")
        if after:
            p.because(f"bound:{after}", f"“{after}”:目标值取{a:g}", 0.2 if after in ("以上", "左右") else 0.1)
        if m.group("approx"):
            p.approx = m.group("approx")
            p.because(f"approx:{p.approx}", f"“{raw_a}{p.approx}”取其下限{a:g}", -0.1)
        if after == "左右":
            p.approx = "左右"
            p.confidence -= 0.05
        if m.group("peryear"):
            p.because("per_year:/年", f"“/年”:年度量,文中无单位,按名称推定为{unit}", -0.1)
        if m.group("sep") and m.group("b"):
            b = _number(m, "b")
            if b is not None and b > a:
                p.kind, p.value, p.min, p.max = "range", None, a, b
                p.because("range", f"“{p.text}”是区间:下限{a:g},上限{b:g}", 0.05)
        if p.kind != "range":
            inherit = annual_run and not _BUILD.search(masked[seg_a:m.start()]) and not ANNUAL.search(masked[seg_a:m.start()])
            _kind(p, masked[seg_a:m.start()], masked[:m.start()], inherit)
        annual_run = p.kind == "annual"
        found.append(p)
    return found


def _kind(p: Proposal, before: str, sentence_before: str, annual_run: bool) -> None:
    """The kind of a quantity from the words in its piece of the sentence (``before`` it)."""
    growth = re.search(r"年均增长|年增长|增长|增幅", before[-8:])
    if p.unit == "%":
        if growth:
            p.kind = "rate"
            base = re.sub(r"(?:年均增长|年增长|增长|增幅)$", "", p.name)
            p.name = base if base.endswith("率") else base + ("年均增长率" if "年均" in growth.group() else "增长率")
            p.because("growth_rate", f"“{growth.group()}{p.text}”:增长率,每年须达到")
        elif RATE_HINT.search(sentence_before) or RATE_NAME.search(p.name):
            p.kind = "rate"
            p.because("rate", "每年(或每期)都须达到的百分比:比率")
        else:
            p.kind = "share"
            p.because("share", "到期须达到的百分比水平:占比")
        return
    m = ANNUAL.search(before) or (ANNUAL.search(p.text) if p.text.endswith("/年") else None)
    if m:
        p.kind = "annual"
        p.because(f"annual:{m.group()}", f"“{m.group()}”:按自然年考核的年度量")
    elif annual_run:
        p.kind = "annual"
        p.because("annual:list", "与前一个年度量并列(同一“年新增/每年”之下):年度量")
    elif "累计" in before[-12:] or "累计" in p.name:
        p.because("cumulative:累计", "“累计”:到期应达到的累计量")
    else:
        p.because("cumulative", "到期应达到的数量或存量(登记表“累计量”)")


_REL_BASE = re.compile(r"(?:在|比|较)(?P<year>\d{4})年(?:底)?(?:的)?基础上(?:实现)?(?P<word>翻[一两三]?番|增长(?P<n>" + NUM + r")倍)")
_DOUBLE = re.compile(r"翻[一两三]?番")
_REL_REF = re.compile(
    r"(?P<cmp>不低于|高于|超过|达到|不少于)(?P<ref>(?:同期)?(?:本省|全省|全国|全市|全区|全自治区|全州)?(?:同期)?平均(?:水平)?)"
    r"(?:的(?P<n>" + NUM + r")倍)?")
_FULL = re.compile(r"全覆盖")
_IN_STEP = re.compile(r"按照?(?P<ref>[^,,。;;]{2,20}?)的?增长(?:幅度|比例|速度)?(?:适度|同步|相应|逐步|逐年)?增加(?P<what>[^,,。;;]{2,24})")
_TITLES = re.compile(r"(?:制定出台|制定|出台|印发|修订|编制)(?P<list>(?:《[^》]{2,40}》[、,和及与]?){2,})等(?:文件|政策|制度|办法|规定)")
_ZERO = re.compile(r"零的突破")


def relatives(sentence: str) -> list[Proposal]:
    """翻一番 / 在2022年基础上 / 不低于(高于)全省平均水平[的2倍] / 全覆盖 / 实现…零的突破."""
    out: list[Proposal] = []
    for m in _REL_BASE.finditer(sentence):
        word = m.group("word")
        factor = times(word) if word.startswith("翻") else ((to_number(m.group("n")) or 0) + 1)
        name = name_at(sentence, m.start(), m.end())
        p = Proposal(name=name, kind="relative_baseline", unit=guess_unit(name), factor=factor,
                     baseline_year=int(m.group("year")), text=sentence[m.start():m.end()], span=m.span(), confidence=0.75)
        p.because("relative_baseline", f"“{p.text}”:相对{m.group('year')}年基期,倍数{factor:g};单位按名称推定为{p.unit}")
        out.append(p)
    if not out:
        for m in _DOUBLE.finditer(sentence):
            name = name_at(sentence, m.start(), m.end())
            p = Proposal(name=name, kind="relative_baseline", unit=guess_unit(name), factor=times(m.group()),
                         text=m.group(), span=m.span(), confidence=0.55)
            p.because("relative_baseline", f"“{m.group()}”:相对基期的倍数{p.factor:g},文中未写基期年份,请补充")
            out.append(p)
    for m in _REL_REF.finditer(sentence):
        n = to_number(m.group("n")) if m.group("n") else 1.0
        name = name_at(sentence, m.start(), m.end())
        strict = m.group("cmp") in ("高于", "超过")
        p = Proposal(name=name, kind="relative_reference", unit=guess_unit(name), factor=n, reference=m.group("ref"),
                     strict=strict, text=sentence[m.start():m.end()], span=m.span(), confidence=0.75)
        p.because("relative_reference", f"“{p.text}”:相对参照值({m.group('ref')}),倍数{n:g}"
                  + (",严格高于" if strict else "") + f";单位按名称推定为{p.unit},参照序列须由办公室录入")
        out.append(p)
    for m in _IN_STEP.finditer(sentence):
        what = _clean(m.group("what"))
        p = Proposal(name=what + "增长率", kind="relative_reference", unit="%", factor=1.0, reference=m.group("ref") + "增长",
                     text=m.group(), span=m.span(), confidence=0.55)
        p.because("grow_in_step", f"“按照{m.group('ref')}的增长…增加”:增长率不低于参照的增长率(倍数1),参照序列须由办公室录入")
        out.append(p)
    for m in _TITLES.finditer(sentence):
        titles = re.findall(r"《[^》]+》", m.group("list"))
        p = Proposal(name=f"{titles[0]}等{len(titles)}个文件", kind="cumulative", unit="项", value=float(len(titles)),
                     text=m.group("list"), span=m.span("list"), confidence=0.55)
        p.because("named_documents", f"要制定的文件逐一列名:{len(titles)}个,按出台件数计")
        out.append(p)
    for m in _FULL.finditer(sentence):
        a, _ = _segment_at(sentence, m.start())
        head = sentence[a:m.start()]
        if not head.strip():  # 实现A、B全覆盖: the list runs back over the 、
            a2 = sentence.rfind("实现", 0, m.start())
            head = sentence[a2 + 2:m.start()] if a2 >= 0 else head
        elif "实现" in sentence[max(0, a - 30):a] and "、" in sentence[max(0, a - 30):m.start()]:
            a2 = sentence.rfind("实现", 0, m.start())
            head = sentence[a2 + 2:m.start()]
        name = _clean(head) + "覆盖率"
        p = Proposal(name=name, kind="share", unit="%", value=100.0, text=m.group(), span=m.span(), confidence=0.6)
        p.because("full_coverage", "“全覆盖”:覆盖率达到100%")
        out.append(p)
    for m in _ZERO.finditer(sentence):
        a = sentence.rfind("实现", 0, m.start())
        name = _clean(sentence[(a + 2 if a >= 0 else _segment_at(sentence, m.start())[0]):m.start()])
        p = Proposal(name=name + "零的突破", kind="milestone", unit="项", value=1.0,
                     text=sentence[(a if a >= 0 else m.start()):m.end()], confidence=0.65)
        p.span = (a if a >= 0 else m.start(), m.end())
        p.because("zero_breakthrough", "“实现…零的突破”:做成一件(里程碑,1=已实现)")
        out.append(p)
    return out


COMMIT_OBJECTS = re.compile(r"机制|制度|办法|平台|中心|规划|目录|方案|报告|库|工作站|清单|标准|细则|政策|意见|系统|名录|领导小组|办公室")
COMMIT_VERBS = re.compile(r"建立|建成|制定|出台|印发|完成|设立|组建|启动|推出|开通|编制|召开|成立")


def commitment(sentence: str) -> Proposal | None:
    """A dated commitment with no number (2024年底前建立…机制): a milestone."""
    m = COMMIT_VERBS.search(sentence)
    if not m:
        return None
    a, b = _segment_at(sentence, m.start())
    if not COMMIT_OBJECTS.search(sentence[m.start():b]):
        return None  # 基本建成…体系: a general aim, not a deliverable
    what = sentence[m.start():b].strip()[:40]
    p = Proposal(name=what, kind="milestone", unit="项", value=1.0, text=what, span=(m.start(), m.start() + len(what)),
                 confidence=0.4)
    p.because("dated_commitment", f"有时限的工作事项(“{m.group()}…”):里程碑,1=已完成")
    return p
