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
    text: str
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
    # the text of each clause path (its own lines and everything under it), for unit lookup
    blocks: dict[tuple[str, ...], list[tuple[int, int]]] = field(default_factory=dict)


def _label(level: int, num: str) -> str:
    return num if level in (1, 3) else f"({num})"


def _heading(rest: str) -> str:
    """The clause's title: the line's text after the number up to the first full stop."""
    m = _SENT_END.search(rest)
    return (rest[: m.start()] if m else rest).strip()[:40]


def split_clauses(text: str, max_sentences: int = MAX_SENTENCES) -> Clauses:
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
        for depth in range(len(key) + 1):
            out.blocks.setdefault(key[:depth], []).append((line_start + body_off, line_start + len(line)))
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
                out.sentences.append(Sentence(body, s, s + len(body), key, tuple(heads), item))
            seg_start = seg_end
    return out


def units_of(clauses: Clauses, text: str, path: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(lead units, responsible units) named in the clause ``path`` or, failing that, its parents.

    Documents name them in a parenthesis closing the clause: (牵头单位:A、B,责任单位:C、D).
    """
    for depth in range(len(path), 0, -1):
        spans = clauses.blocks.get(path[:depth], [])
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
