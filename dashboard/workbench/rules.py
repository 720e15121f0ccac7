"""Draft review rules (pure): drafted candidates → review rows → the scheme's YAML, validated by the
registry loader with every problem named by candidate and field, in Chinese.

A draft is published as a new version of an EXISTING scheme (the admin picks it; for a NEW scheme
see ``new_scheme_text`` at the end): the scheme's
metadata (name, period, stages, dimensions …) is the current version's. A row whose sentence and
target match a registered indicator (``indicators.draft.measure``: same sentence, same value and
unit) keeps that indicator's id, so the values entered stay attached; the registered indicators the
draft did not propose at all are kept unchanged (the draft only changes what it saw), and a
registered indicator whose candidate is rejected is removed.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterable, Optional

import yaml
from pydantic import ValidationError

from indicators.draft.clauses import split_clauses
from indicators.draft.measure import same_sentence
from indicators.model import UNIT_DECIMALS, Indicator, Kind, Scheme
from indicators.registry import load_text, pydantic_message

KINDS = [k.value for k in Kind]
UNITS = list(UNIT_DECIMALS)
MAX_ROWS = 400          # bounded review: the shipped schemes draft 8–25 candidates
# The fields the office edits in the grid (the rest come from the document or the registry).
EDITABLE = ("accept", "id", "name", "kind", "value", "min", "max", "unit", "deadline", "stage", "dimension",
            "reporting", "lead_units", "responsible_units")


def _units(text) -> list[str]:
    if isinstance(text, list):
        return [str(u).strip() for u in text if str(u).strip()]
    return [u.strip() for u in str(text or "").replace(",", "、").replace(",", "、").split("、") if u.strip()]


def _num(v) -> Optional[float]:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return v  # left as typed: the loader names the field


def _eq(a, b) -> bool:
    try:
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return False


def _matches(ind: Indicator, c: dict) -> bool:
    if c.get("unit") != ind.unit or not same_sentence(ind.quote, c.get("quote", "")):
        return False
    t = ind.target
    if ind.kind is Kind.range:
        return _eq(t.min, c.get("min")) and _eq(t.max, c.get("max"))
    if ind.kind in (Kind.relative_reference, Kind.relative_baseline):
        return _eq(t.factor, c.get("factor"))
    return _eq(t.value, c.get("value"))


def _stage_for(scheme: Scheme, stage: Optional[str], deadline: Optional[str]) -> str:
    ids = [s.id for s in scheme.stages]
    if stage in ids:
        return stage
    if deadline:
        try:
            st = scheme.stage_at(date.fromisoformat(deadline))
            if st is not None:
                return st.id
        except ValueError:
            pass
    return ids[-1]


def review_rows(draft: dict, scheme: Scheme, current: Iterable[Indicator]) -> list[dict]:
    """The grid's rows: one per candidate, accepted by default. A candidate matching a registered
    indicator takes its id and fields (``registered``); others get a new id and the draft's fields."""
    current = list(current)
    used: set[str] = set()
    rows = []
    for n, c in enumerate(draft.get("candidates", [])[:MAX_ROWS], 1):
        ind = next((i for i in current if i.id not in used and _matches(i, c)), None)
        base = {"cid": c["id"], "accept": True, "quote": c.get("quote", ""), "clause": c.get("clause", "") or "全文",
                "section": c.get("section", ""), "span": list(c.get("span") or [0, 0]),
                "target_text": c.get("target_text", ""), "confidence": c.get("confidence"),
                "explain": ";".join(c.get("explain") or []), "factor": c.get("factor"),
                "reference": c.get("reference"), "strict": bool(c.get("strict")), "merged": []}
        if ind is not None:
            used.add(ind.id)
            t = ind.target
            base.update(registered=ind.id, id=ind.id, name=ind.name, kind=ind.kind.value, value=t.value, min=t.min,
                        max=t.max, factor=t.factor, reference=t.reference, strict=t.strict, unit=ind.unit,
                        deadline=ind.deadline.isoformat(), stage=ind.stage, dimension=ind.dimension,
                        reporting=ind.reporting.value, lead_units="、".join(ind.lead_units),
                        responsible_units="、".join(ind.responsible_units), clause=ind.clause, quote=ind.quote)
        else:
            kind = c.get("kind") or "cumulative"
            base.update(registered="", id=f"{scheme.id}_draft_{n}", name=c.get("name") or "", kind=kind,
                        value=c.get("value"), min=c.get("min"), max=c.get("max"), unit=c.get("unit") or "",
                        deadline=c.get("deadline") or "", stage=_stage_for(scheme, c.get("stage"), c.get("deadline")),
                        dimension=scheme.dimensions[0], reporting="flow" if kind == "annual" else "stock",
                        lead_units="、".join(c.get("lead_units") or []),
                        responsible_units="、".join(c.get("responsible_units") or []))
        rows.append(base)
    return rows


def row_from_sentence(text: str, start: int, end: int, scheme: Scheme, rows: list[dict]) -> dict:
    """A row the draft missed, made from a sentence the office selected (value, unit … to fill in)."""
    clause = ""
    for s in split_clauses(text).sentences:
        if s.start <= start < s.end:
            clause = s.clause
            break
    n = len(rows) + 1
    taken = {r["cid"] for r in rows}
    while f"m{n}" in taken:
        n += 1
    return {"cid": f"m{n}", "accept": True, "quote": text[start:end].strip(), "clause": clause or "全文",
            "section": "", "span": [start, end], "target_text": "", "confidence": None, "explain": "由办公室选句添加",
            "factor": None, "reference": None, "strict": False, "merged": [], "registered": "",
            "id": f"{scheme.id}_added_{n}", "name": "", "kind": "cumulative", "value": None, "min": None,
            "max": None, "unit": "", "deadline": "", "stage": scheme.stages[-1].id, "dimension": scheme.dimensions[0],
            "reporting": "stock", "lead_units": "", "responsible_units": ""}


def merge_rows(rows: list[dict], cids: list[str]) -> list[dict]:
    """Merge candidates (the same target proposed twice): the first keeps its fields, gains the others'
    clauses and sentences, and the others leave the list."""
    chosen = [r for r in rows if r["cid"] in cids]
    if len(chosen) < 2:
        return rows
    first = dict(chosen[0])
    for r in chosen[1:]:
        if r["quote"] and r["quote"] not in first["quote"]:
            first["quote"] = first["quote"] + r["quote"]
        if r["clause"] and r["clause"] not in first["clause"].split(";"):
            first["clause"] = f"{first['clause']};{r['clause']}"
        first["merged"] = list(first.get("merged") or []) + [r["cid"]]
        first["registered"] = first.get("registered") or r.get("registered", "")
    gone = {r["cid"] for r in chosen[1:]}
    return [first if r["cid"] == first["cid"] else r for r in rows if r["cid"] not in gone]


def split_row(rows: list[dict], cid: str) -> list[dict]:
    """Split a candidate into two (a sentence holding two targets): a copy follows it, with its own
    id, not registered (the office edits name and value of each)."""
    out = []
    for r in rows:
        out.append(r)
        if r["cid"] == cid:
            n = 2
            while any(x["cid"] == f"{cid}.{n}" for x in rows):
                n += 1
            out.append(dict(r, cid=f"{cid}.{n}", id=f"{r['id']}_{n}", registered="", merged=[]))
    return out


def _label(row: dict) -> str:
    return f"候选 {row['cid']}({row.get('name') or '未命名'})"


def _indicator(row: dict, scheme: Scheme, registered: dict[str, Indicator]) -> dict:
    ind = registered.get(row.get("registered") or "")
    raw = ind.model_dump(mode="json", exclude_none=True) if ind is not None else {
        "section": row.get("section") or "", "interpretation": "由方案工作台据文件草拟,请补充口径说明。"}
    kind = row.get("kind")
    target = dict(raw.get("target") or {})
    for key in ("value", "min", "max"):
        target[key] = _num(row.get(key))
    if kind in ("relative_reference", "relative_baseline"):
        target["factor"] = _num(row.get("factor"))
        if kind == "relative_reference":
            target["reference"] = row.get("reference")
        target["strict"] = bool(row.get("strict"))
    if ind is None:
        target.setdefault("text", row.get("target_text") or "")
    raw.update(id=str(row.get("id") or "").strip(), scheme=scheme.id, name=str(row.get("name") or "").strip(),
               kind=kind, unit=row.get("unit") or "", deadline=row.get("deadline") or None, stage=row.get("stage"),
               dimension=row.get("dimension"), reporting=row.get("reporting"), clause=row.get("clause") or "",
               quote=row.get("quote") or "", lead_units=_units(row.get("lead_units")),
               responsible_units=_units(row.get("responsible_units")) or _units(row.get("lead_units")),
               target={k: v for k, v in target.items() if v is not None})
    return raw


def definition_text(scheme: Scheme, rows: list[dict], current: Iterable[Indicator],
                    others: Iterable[Indicator] = ()) -> tuple[str, list[str]]:
    """(YAML text, problems): the accepted rows as the scheme's indicators, plus the registered
    indicators the draft did not propose. ``problems`` (Chinese, one per field and candidate) empty
    means the loader accepts the text; ``others``: indicators of other schemes (ids must not clash)."""
    current = list(current)
    registered = {i.id: i for i in current}
    seen_registered = {r.get("registered") for r in rows if r.get("registered")}
    accepted = [r for r in rows if r.get("accept")]
    by_id: dict[str, dict] = {}
    indicators, problems = [], []
    for r in accepted:
        raw = _indicator(r, scheme, registered)
        if raw["id"] in by_id:
            problems.append(f"{_label(r)}、字段 id:编号 {raw['id']} 与{_label(by_id[raw['id']])}重复")
        by_id[raw["id"]] = r
        indicators.append(raw)
    kept = [i for i in current if i.id not in seen_registered and i.id not in by_id]
    indicators += [i.model_dump(mode="json", exclude_none=True) for i in kept]
    other_ids = {i.id: i.scheme for i in others if i.scheme != scheme.id}
    for iid, r in by_id.items():
        if iid in other_ids:
            problems.append(f"{_label(r)}、字段 id:编号 {iid} 已被方案 {other_ids[iid]} 使用")
    if not indicators:
        return "", ["没有接受任何候选,也没有保留的已登记指标:方案至少要有一项指标。"]
    text = yaml.safe_dump({"scheme": scheme.model_dump(mode="json", exclude_none=True), "indicators": indicators},
                          allow_unicode=True, sort_keys=False, width=1000)
    _sf, errors = load_text(text, f"{scheme.id} 草稿")
    index_of = {f"#{n + 1}": raw["id"] for n, raw in enumerate(indicators)}
    for e in errors:
        iid = index_of.get(e.indicator, e.indicator)
        row = by_id.get(iid)
        who = _label(row) if row is not None else (f"保留的指标 {iid}" if iid else "方案")
        problems.append(f"{who}、字段 {e.field}:{e.message}")
    return text, problems


def document_parts(text: str) -> list[tuple[int, int, bool]]:
    """The document cut into ``(start, end, is_sentence)`` pieces covering it all, so the review page
    shows the text verbatim with each sentence clickable and highlightable by its span."""
    parts, pos = [], 0
    for s in split_clauses(text).sentences:
        if s.start < pos:
            continue
        if s.start > pos:
            parts.append((pos, s.start, False))
        parts.append((s.start, s.end, True))
        pos = s.end
    if pos < len(text):
        parts.append((pos, len(text), False))
    return parts


# --- a draft published as a NEW scheme (a county brings its own document) -----------------------------
LEVELS = {"county": "县级", "city": "市级", "province": "省级"}   # region_level values the pages handle
SCHEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_YM = re.compile(r"^(\d{4})-(\d{2})$")
_TITLE = re.compile(r"《([^》]+)》")
_NUMBER = re.compile(r"[^\s,,。]{1,12}〔\d{4}〕\d+号")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?:年|[—\-–~至到])")
NEW_FIELDS = ("id", "name", "short_name", "region", "region_level", "start", "end", "issuer", "number", "date")


def new_scheme_defaults(text: str) -> dict:
    """What the document itself gives for a new scheme's form: the title (the first line's 《…》, else the
    first line), 文号, issuer and date of the covering notice, the region, and the period from the earliest
    to the latest year named (outside quoted titles and 〔文号〕). The admin checks and completes it."""
    lines = [x.strip() for x in (text or "").splitlines() if x.strip()]
    first = lines[0] if lines else ""
    m = _TITLE.search(first)
    name = m.group(1) if m else first[:80]
    head = "\n".join(lines[:12])
    number = _NUMBER.search(head)
    issued = _DATE.search(head)
    issuer = first.split("关于", 1)[0] if "关于" in first else ""
    region = ""
    for part in (issuer, name):
        m = re.match(r"^(.{2,10}?(?:自治区|省|市|县|区|旗))", part)
        if m:
            region = m.group(1)
            break
    level = "province" if region.endswith(("省", "自治区")) else "city" if region.endswith("市") else "county"
    plain = re.sub(r"《[^》]*》|〔\d{4}〕", "", text or "")
    years = sorted({int(y) for y in _YEAR.findall(plain)})
    start = end = ""
    if years:
        start, end = f"{years[0]}-01", f"{years[-1]}-12"
        if issued and int(issued.group(1)) == years[0]:
            start = f"{years[0]}-{int(issued.group(2)):02d}"   # the period starts with the document
    when = ""
    if issued:
        try:
            when = date(int(issued.group(1)), int(issued.group(2)), int(issued.group(3))).isoformat()
        except ValueError:
            pass
    short = re.sub(r"(自治区|省|市|县|区|旗)$", "", region) if len(region) > 2 else region
    return {"id": "", "name": name, "short_name": short, "region": region, "region_level": level,
            "start": start, "end": end, "issuer": issuer, "number": number.group(0) if number else "", "date": when}


def _ym(text) -> Optional[tuple[int, int]]:
    m = _YM.match(str(text or "").strip())
    return (int(m.group(1)), int(m.group(2))) if m and 1 <= int(m.group(2)) <= 12 else None


def new_scheme_stages(rows: list[dict], start: tuple[int, int], end: tuple[int, int]) -> list[dict]:
    """One stage per deadline year of the accepted rows ("2024年度任务", 2024-01..2024-12 clipped to the
    period); the whole period as one stage when no deadline falls in it. Editable later via YAML."""
    years = sorted({int(str(r.get("deadline"))[:4]) for r in rows if r.get("accept")
                    and re.match(r"^\d{4}-", str(r.get("deadline") or ""))})
    stages = []
    for y in years:
        a, b = max(start, (y, 1)), min(end, (y, 12))
        if a <= b:
            stages.append({"id": f"y{y}", "name": f"{y}年度任务", "start": f"{a[0]}-{a[1]:02d}",
                           "end": f"{b[0]}-{b[1]:02d}"})
    return stages or [{"id": "whole", "name": "方案期内任务", "start": f"{start[0]}-{start[1]:02d}",
                       "end": f"{end[0]}-{end[1]:02d}"}]


def new_scheme_text(meta: dict, rows: list[dict], existing_schemes: Iterable[str],
                    others: Iterable[Indicator] = (), series: Iterable = ()) -> tuple[str, list[str]]:
    """(YAML text, problems) of a NEW scheme from the form's ``meta`` (NEW_FIELDS) and the accepted rows.

    The indicators get ids ``<scheme>_<n>`` (a row id already starting with ``<scheme>_`` is kept), the
    stage of their deadline's year, and the dimensions the rows use (综合 if none); a relative target
    gets a reference series of the new scheme (``series``: the selected scheme's, reused by id). Problems
    name the form's field (方案编号已存在, 起止年月格式错误) or the candidate and field, in Chinese; empty
    means the registry loader accepts the text."""
    meta = {k: str(meta.get(k) or "").strip() for k in NEW_FIELDS}
    sid, problems = meta["id"], []
    if not SCHEME_ID.match(sid):
        problems.append(f"字段 方案编号:“{sid}”格式错误,只能用小写英文字母、数字和下划线,以字母开头")
    elif sid in set(existing_schemes):
        problems.append(f"字段 方案编号:方案编号已存在({sid})")
    for key, label in (("name", "方案名称"), ("short_name", "简称"), ("region", "地区"), ("issuer", "发文机关")):
        if not meta[key]:
            problems.append(f"字段 {label}:请填写{label}")
    if meta["region_level"] not in LEVELS:
        problems.append(f"字段 地区级别:应为{'、'.join(f'{v}({k})' for k, v in LEVELS.items())}之一")
    start, end = _ym(meta["start"]), _ym(meta["end"])
    if start is None or end is None:
        problems.append(f"字段 起止年月:起止年月格式错误,应为 YYYY-MM,如 2024-01(现为“{meta['start']}”至“{meta['end']}”)")
    elif end < start:
        problems.append(f"字段 起止年月:止({meta['end']})早于起({meta['start']})")
    try:
        issued = date.fromisoformat(meta["date"])
    except ValueError:
        issued = None
        problems.append(f"字段 印发日期:日期格式错误,应为 YYYY-MM-DD(现为“{meta['date']}”)")
    accepted = [r for r in rows if r.get("accept")]
    if not accepted:
        problems.append("没有接受任何候选:新方案至少要有一项指标。")
    if problems:
        return "", problems
    stages = new_scheme_stages(accepted, start, end)
    by_year = {s["id"][1:]: s["id"] for s in stages if s["id"] != "whole"}
    dims = list(dict.fromkeys(str(r.get("dimension") or "").strip() for r in accepted))
    dims = [d for d in dims if d] or ["综合"]
    known = {getattr(s, "id", None): s for s in series}
    refs: dict[str, dict] = {}
    out = []
    for n, r in enumerate(accepted, 1):
        r = dict(r, registered="")
        if not str(r.get("id") or "").startswith(f"{sid}_"):
            r["id"] = f"{sid}_{n}"
        r["stage"] = by_year.get(str(r.get("deadline") or "")[:4], stages[-1]["id"])
        r["dimension"] = str(r.get("dimension") or "").strip() or dims[0]
        if r.get("kind") == "relative_reference":
            ref = str(r.get("reference") or "").strip()
            if ref not in refs:
                s = known.get(ref)
                refs[ref] = (s.model_dump(mode="json", exclude_none=True) if s is not None else
                             {"id": f"{sid}_ref_{len(refs) + 1}", "name": ref or "参照指标(请补充)",
                              "unit": r.get("unit") or "%",
                              "interpretation": "由方案工作台据文件草拟,请补充参照数据的来源与口径。"})
            r["reference"] = refs[ref]["id"]
        out.append(r)
    scheme = {"id": sid, "name": meta["name"], "short_name": meta["short_name"], "region": meta["region"],
              "region_level": meta["region_level"],
              "document": {k: v for k, v in (("title", meta["name"]), ("number", meta["number"] or None),
                                              ("issuer", meta["issuer"]), ("date", issued.isoformat()))
                           if v is not None},
              "period": {"start": meta["start"], "end": meta["end"]}, "stages": stages, "dimensions": dims,
              "reference_series": list(refs.values()),
              "note": "由方案工作台据文件草拟(发布为新方案);阶段按目标截止年份划分,可下载YAML修改后再发布。"}
    try:
        model = Scheme.model_validate(scheme)
    except ValidationError as exc:
        return "", [f"方案、字段 {'.'.join(['scheme', *map(str, e['loc'])])}:{pydantic_message(e)}"
                    for e in exc.errors()]
    return definition_text(model, out, (), others)
