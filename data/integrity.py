"""``python -m data check``: is the stored history whole?

Each check returns the problems it finds as Chinese sentences naming the row, so the command can
print them and a test can assert on them. Checks:

- foreign keys: every reference points at an existing row (SQLite enforces them only on
  connections that ask, so a file edited by another tool may break them);
- every current value (observation, reference value, baseline) equals its latest revision;
- a submission's state agrees with its last event;
- no value changed while its quarter was handed in (报送) or approved (审核锁定) without a
  recorded reopening (退回) in between;
- evidence files (when the evidence feature's table exists) are present with their SHA-256.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy import Engine, select

from indicators.values import same_value

from .models import (Base, BaselineValue, Observation, ReferenceValue, Region, Revision, Submission,
                     SubmissionEvent)
from .store import BASELINE_PREFIX, REF_PREFIX, STATE_LABELS

MAX_SHOWN = 50  # problems listed per check; the rest are counted


def _cap(problems: list[str]) -> list[str]:
    if len(problems) > MAX_SHOWN:
        return problems[:MAX_SHOWN] + [f"……同类问题另有 {len(problems) - MAX_SHOWN} 处"]
    return problems


def check_foreign_keys(conn) -> list[str]:
    out = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            col, parent = fk.parent, fk.column
            orphans = conn.execute(
                select(table.c.id, col).select_from(table.outerjoin(parent.table, col == parent))
                .where(col.is_not(None), parent.is_(None)).order_by(table.c.id)).all()
            out += [f"外键错误:{table.name} 第 {i} 行的 {col.name}={v} 指向不存在的 {parent.table.name} 记录"
                    for i, v in orphans]
    return _cap(out)


def _latest_revisions(conn, where) -> dict[tuple, Revision]:
    latest: dict[tuple, tuple] = {}
    q = select(Revision.indicator_id, Revision.region_id, Revision.period, Revision.new_value, Revision.new_note,
               Revision.id).where(where).order_by(Revision.at, Revision.id)
    for ind, rid, per, value, note, rev_id in conn.execute(q):
        latest[(ind, rid, per)] = (value, note or "", rev_id)
    return latest


def check_current_values(conn) -> list[str]:
    out = []
    regions = dict(conn.execute(select(Region.id, Region.name)).all())
    latest = _latest_revisions(conn, sa.true())
    current = [(o.indicator_id, o.region_id, o.period, o.value, o.note or "", True, f"填报值 {o.indicator_id}")
               for o in conn.execute(select(Observation))]
    current += [(REF_PREFIX + r.series_id, r.region_id, r.period, r.value, "", False, f"参照值 {r.series_id}")
                for r in conn.execute(select(ReferenceValue))]
    current += [(BASELINE_PREFIX + b.indicator_id, b.region_id, "", b.value, b.note or "", False,
                 f"基期值 {b.indicator_id}") for b in conn.execute(select(BaselineValue))]
    for ind, rid, per, value, note, with_note, what in current:
        where = f"{what}({regions.get(rid, rid)}{' ' + per if per else ''})"
        rev = latest.get((ind, rid, per))
        if rev is None:
            out.append(f"修改记录缺失:{where}没有任何修改记录")
        elif not same_value(rev[0], value) or (with_note and rev[1] != note):
            out.append(f"当前值与修改记录不符:{where}当前为 {value},最后一条修改记录(第 {rev[2]} 条)为 {rev[0]}")
    return _cap(out)


def state_after(events: Iterable[str]) -> str:
    """The submission state that a sequence of actions (submit | approve | reopen) leaves."""
    state = "draft"
    for action in events:
        state = {"submit": "submitted", "approve": "approved", "reopen": "draft"}.get(action, state)
    return state


def frozen_spans(events: list[tuple[str, object]]) -> list[tuple[object, Optional[object], str]]:
    """(from, until or None, state) spans during which a quarter took no changes: from each
    hand-in (submit) to the next reopening; ``state`` is the strictest state reached."""
    spans, start, state = [], None, ""
    for action, at in events:
        if action == "submit" and start is None:
            start, state = at, "submitted"
        elif action == "approve" and start is not None:
            state = "approved"
        elif action == "reopen" and start is not None:
            spans.append((start, at, state))
            start = None
    if start is not None:
        spans.append((start, None, state))
    return spans


def check_submissions(conn, unit_of: dict[str, str]) -> list[str]:
    """States agree with their events; no revision inside a frozen span of its unit's quarter."""
    out, late = [], []
    regions = dict(conn.execute(select(Region.id, Region.name)).all())
    events: dict[int, list[tuple[str, object]]] = defaultdict(list)
    for sid, action, at in conn.execute(select(SubmissionEvent.submission_id, SubmissionEvent.action,
                                               SubmissionEvent.at).order_by(SubmissionEvent.at, SubmissionEvent.id)):
        events[sid].append((action, at))
    spans: dict[tuple, list] = {}
    for sub in conn.execute(select(Submission)):
        where = f"{regions.get(sub.region_id, sub.region_id)} {sub.unit} {sub.period}"
        expected = state_after(a for a, _ in events[sub.id])
        if expected != sub.state:
            out.append(f"报送状态与记录不符:{where}为{STATE_LABELS.get(sub.state, sub.state)},"
                       f"按报送/审核/退回记录应为{STATE_LABELS[expected]}")
        if events[sub.id]:
            spans[(sub.region_id, sub.unit, sub.period)] = frozen_spans(events[sub.id])
    if spans:
        q = select(Revision.id, Revision.indicator_id, Revision.region_id, Revision.period, Revision.at,
                   Revision.user).where(Revision.observation_id.is_not(None)).order_by(Revision.id)
        for rev_id, ind, rid, per, at, user in conn.execute(q):
            for start, until, state in spans.get((rid, unit_of.get(ind), per), ()):
                if at > start and (until is None or at < until):
                    late.append(f"锁定后被修改:{regions.get(rid, rid)} {ind} {per} 的第 {rev_id} 条修改记录"
                                f"({user},{at:%Y-%m-%d %H:%M})在该季度{STATE_LABELS[state]}之后、没有退回记录")
                    break
    return _cap(out) + _cap(late)


def check_evidence_files(entries: Iterable[tuple[str, str]], root: Optional[Path]) -> list[str]:
    """Each (relative path, SHA-256) exists under ``root`` with that hash."""
    out = []
    for rel, sha in entries:
        if root is None:
            return ["数据库中有佐证材料记录,但未设置 EVIDENCE_DIR(佐证材料目录),无法核对文件"]
        path = root / rel
        if not path.is_file():
            out.append(f"佐证材料缺失:{rel}")
            continue
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 16):
                h.update(chunk)
        if sha and h.hexdigest() != sha:
            out.append(f"佐证材料已被改动(SHA-256 不符):{rel}")
    return _cap(out)


def _evidence_entries(conn) -> list[tuple[str, str]]:
    """(path under EVIDENCE_DIR, sha256) of every evidence file the database lists (removed ones
    too: a removal keeps the file). The path is the content store's (data.evidence.FileStore)."""
    from .evidence import stored_name

    insp = sa.inspect(conn)
    if not insp.has_table("evidence_files"):
        return []
    t = sa.table("evidence_files", sa.column("sha256"))
    return [(stored_name(sha), sha) for (sha,) in conn.execute(select(t.c.sha256).distinct())]


def check(engine: Engine, unit_of: dict[str, str], evidence_root: Optional[Path] = None) -> list[str]:
    """Every problem found; empty when the database is whole. ``unit_of``: indicator id ->
    reporting unit (from the registry), to tie revisions to the unit's submission."""
    with engine.connect() as conn:
        return (check_foreign_keys(conn) + check_current_values(conn) + check_submissions(conn, unit_of)
                + check_evidence_files(_evidence_entries(conn), evidence_root))
