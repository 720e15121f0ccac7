"""How long the texts users write may be, checked on the server.

The inputs' ``maxlength`` only helps the honest browser; a hand-made request once saved a
5 MB note that every viewer of the indicator was then served. Pure functions, shared by the
entry form, the importer, the review and reference pages and the store (docs/data.md).
"""
from __future__ import annotations

from typing import Optional

NOTE_MAX = 500           # 备注 of a value as stored (a milestone's completion date and evidence included)
REASON_MAX = 200         # 修改原因 of a save, 退回原因 of a return (the inputs' maxlength)
DISPLAY_NAME_MAX = 64    # a user's 姓名或单位名称


def too_long(label: str, text: Optional[str], limit: int) -> Optional[str]:
    """``label``过长 with the count, or None when ``text`` has at most ``limit`` characters."""
    n = len(text or "")
    return f"{label}过长(共{n}字),最多{limit}字" if n > limit else None


def note_problem(note: Optional[str]) -> Optional[str]:
    """The one rule for a value's note, from the form or from a file."""
    return too_long("备注", note, NOTE_MAX)


def reason_problem(reason: Optional[str], label: str = "修改原因") -> Optional[str]:
    return too_long(label, reason, REASON_MAX)


def display_name_problem(name: Optional[str]) -> Optional[str]:
    return too_long("姓名或单位名称", name, DISPLAY_NAME_MAX)
