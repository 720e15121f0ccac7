"""Split a document into numbered clauses and sentences, keeping character spans.

Numbering levels, as Chinese government documents use them::

    一、        level 1        (一) / (一)   level 2
    1. / 1、    level 3        (1) / (1)   level 4
    一是… 二是…  an enumeration inside a clause (kept as ``Sentence.item``)

A clause path is written as the registry writes it: ``三(二)1``. Every sentence keeps the
span ``[start, end)`` of its verbatim text in the document, so a review page can highlight it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

CN_DIGITS = "一二三四五六七八九十"
# Full-width ASCII (，；：（）１２．) folded to half-width, one character for one, so the rules match
# either form while spans and quotes still index the verbatim text.
_FOLD = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}


def fold(text: str) -> str:
    return text.translate(_FOLD)
MAX_SENTENCES = 6000  # bounded work: a 150k-character document has about 4000

_LEVELS = [
    (1, re.compile(rf"^\s*([{CN_DIGITS}]+)\s*、")),
    (2, re.compile(rf"^\s*[((]\s*([{CN_DIGITS}]+)\s*[))]")),
    (3, re.compile(r"^\s*(\d{1,2})\s*(?:[.．、](?!\d)|\s)")),
    (4, re.compile(r"^\s*[((]\s*(\d{1,2})\s*[))]")),
]
_STAGE_HEAD = re.compile(r"^\s*(第[一二三四五六七八九十]+阶段)")
_ITEM = re.compile(rf"^([{CN_DIGITS}]+是)")
_SENT_END = re.compile(r"[。;;!?!?]")


@dataclass
class Sentence:
    text: str                  # verbatim
    folded: str                # the same with full-width ASCII folded (what the rules read)
    start: int
    end: int
    path: tuple[str, ...]      # ("三", "(二)", "1")
    headings: tuple[str, ...]  # the heading text of each level, e.g. ("工作目标", "具体目标", "…")
    item: str = ""             # 一是 / 二是 …

    @property
    def clause(self) -> str:
        return "".join(self.path)


@dataclass
class Clauses:
    sentences: list[Sentence] = field(default_factory=list)
    truncated: bool = False
    # for unit lookup: the spans of each clause path's own lines, and of its whole subtree
    blocks: dict[tuple[str, ...], list[tuple[int, int]]] = field(default_factory=dict)
    subtree: dict[tuple[str, ...], list[tuple[int, int]]] = field(default_factory=dict)


def _label(level: int, num: str) -> str:
    return num if level in (1, 3) else f"({num})"


def _heading(rest: str) -> str:
    """The clause's title: the line's text after the number up to the first full stop."""
    m = _SENT_END.search(rest)
    return (rest[: m.start()] if m else rest).strip()[:40]


def split_clauses(text: str, max_sentences: int | None = None) -> Clauses:
    max_sentences = MAX_SENTENCES if max_sentences is None else max_sentences
    original, text = text, fold(text)
    out = Clauses()
    path: list[str] = []
    levels: list[int] = []
    heads: list[str] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        body_off = 0
        for level, rx in _LEVELS:
            m = rx.match(line)
            if m:
                while levels and levels[-1] >= level:
                    levels.pop(); path.pop(); heads.pop()
                levels.append(level)
                path.append(_label(level, m.group(1)))
                heads.append(_heading(line[m.end():]))
                body_off = m.end()
                break
        else:
            m = _STAGE_HEAD.match(line)
            if m:  # 第一阶段 … : a level-2 clause of the steps section
                while levels and levels[-1] >= 2:
                    levels.pop(); path.pop(); heads.pop()
                levels.append(2)
                path.append(" " + m.group(1))
                heads.append(_heading(line[m.end():]))
        key = tuple(path)
        span = (line_start + body_off, line_start + len(line))
        out.blocks.setdefault(key, []).append(span)
        for depth in range(1, len(key) + 1):
            out.subtree.setdefault(key[:depth], []).append(span)
        item = ""
        seg_start = body_off
        for m in list(_SENT_END.finditer(line)) + [None]:
            seg_end = m.end() if m else len(line)
            raw = line[seg_start:seg_end]
            stripped = raw.strip()
            if stripped and not _SENT_END.fullmatch(stripped):
                lead = len(raw) - len(raw.lstrip())
                s = line_start + seg_start + lead
                # the verbatim sentence, without its closing stop (as the registry quotes it)
                body = stripped[:-1] if _SENT_END.fullmatch(stripped[-1]) else stripped
                mi = _ITEM.match(body)
                if mi:
                    item = mi.group(1)
                if len(out.sentences) >= max_sentences:
                    out.truncated = True
                    return out
                out.sentences.append(Sentence(original[s:s + len(body)], body, s, s + len(body), key, tuple(heads), item))
            seg_start = seg_end
    return out


_LINE_DONE = re.compile(r"[。;;!?!?::))]\s*$")


def starts_clause(line: str) -> bool:
    return any(rx.match(line) for _, rx in _LEVELS) or bool(_STAGE_HEAD.match(line) or _ITEM.match(line.strip()))


def reflow(text: str) -> str:
    """Join the lines a PDF wrapped at the page width: a line that does not end a sentence runs on
    into the next, unless the next starts a numbered clause."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and out[-1].strip() and line.strip() and not _LINE_DONE.search(out[-1]) and not starts_clause(line) \
                and len(out[-1]) >= 20:
            out[-1] += line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def units_of(clauses: Clauses, text: str, path: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(lead units, responsible units) named in the clause ``path`` (or its sub-clauses) or,
    failing that, in the own lines of a parent clause (never in a sibling's).

    Documents name them in a parenthesis closing the clause: (牵头单位:A、B,责任单位:C、D).
    """
    text = fold(text)
    levels = [clauses.subtree.get(path, [])] + [clauses.blocks.get(path[:d], []) for d in range(len(path) - 1, 0, -1)]
    for spans in levels:
        block = "\n".join(text[a:b] for a, b in spans)
        found = _UNITS.findall(block)
        if found:
            lead: list[str] = []
            resp: list[str] = []
            for inner in found:
                for role, names in _ROLE.findall(inner):
                    target = lead if "牵头" in role else resp
                    for n in re.split(r"[、,,;;]", names):
                        n = n.strip().rstrip("等")
                        if n and n not in target:
                            target.append(n)
            return lead, resp
    return [], []


_UNITS = re.compile(r"[((]([^()()]*(?:牵头单位|责任单位)[^()()]*)[))]")
_ROLE = re.compile(r"(牵头单位|责任单位|配合单位)\s*[::]\s*([^::]*?)(?=(?:[,,;;]\s*(?:牵头单位|责任单位|配合单位))|$)")
