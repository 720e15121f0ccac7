"""Numbers as scheme documents write them: 45, 0.12, 三, 两, 十, 一千五百, with 余/多/左右 around them.

Chinese numerals go through cn2an (the well-kept converter); everything here is a pure function.
"""
from __future__ import annotations

import re

import cn2an

CN_NUM_CHARS = "零〇一二两三四五六七八九十百千万"
NUM = rf"\d+(?:\.\d+)?|[{CN_NUM_CHARS}]+"
_HAS_DIGIT = re.compile(r"[零〇一二两三四五六七八九十]")


def to_number(s: str) -> float | None:
    """45 → 45.0, 三 → 3.0, 两 → 2.0, 一千五百 → 1500.0; None for what is not a number (万, 百)."""
    s = s.strip()
    if not s:
        return None
    if s[0].isdigit():
        try:
            return float(s)
        except ValueError:
            return None
    if not _HAS_DIGIT.search(s):  # 万人, 百强, 千万元: a unit or a word, not a count
        return None
    try:
        return float(cn2an.cn2an(s.replace("〇", "零"), "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def times(word: str) -> float | None:
    """翻一番 → 2, 翻两番 → 4, 翻番 → 2: the factor over the baseline."""
    if word in ("翻番", "翻一番"):
        return 2.0
    if word.startswith("翻") and word.endswith("番"):
        n = to_number(word[1:-1])
        return 2.0 ** n if n else None
    return None
