"""Evidence files (佐证材料): storage, metadata and the rules of adding and removing.

* The bytes are stored content-addressed under ``EVIDENCE_DIR/<first 2 hex>/<sha256>``,
  written to a temporary name in the same directory and renamed, so a reader never sees
  half a file and the same content is stored once whoever uploads it for whatever indicator.
* The metadata is a row of ``evidence_files``, written in the store's write transaction
  (after its data_version lock, so a 报送 racing an upload is seen). Rows are never deleted:
  a removal is a correction with a reason; the bytes stay.
* :meth:`Evidence.add` is the one way in, for the page and ``python -m data evidence add``:
  the file checks of :mod:`data.evidence_checks`, then who may add what where
  (:func:`add_refusal`), then the write. Nothing is stored when any of them refuses.

Users are "actors": anything with ``username``, ``role``, ``is_admin`` and
``can_report``/``can_report_region`` (dashboard.permissions.Identity; :class:`Office`
for the command line, which runs with the database's own rights).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from indicators.limits import note_problem, reason_problem
from indicators.periods import Quarter

from .errors import StoreError
from .evidence_checks import KIND_BY_MIME, CheckedFile, FileRefused, check_file, size_text
from .models import EvidenceFile, Region, Submission

__all__ = ["Evidence", "EvidenceRow", "BlobStore", "Office", "EvidenceRefused", "add_refusal", "remove_refusal"]



class CurrentRegistry:
    """``registry`` of a store-side service: a Registry, or a callable giving the one in force now
    (registry versions: a scheme published in another worker is used at the next call)."""

    _registry = None

    @property
    def registry(self):
        r = self._registry
        return r() if callable(r) else r

    @registry.setter
    def registry(self, value) -> None:
        self._registry = value


def region_and_quarter(registry, store, ind, region: Optional[str], period, today: Optional[date], what: str,
                       refused: type[StoreError]) -> tuple[str, Quarter]:
    """The region (default: the scheme's own) and quarter an evidence file or a ledger row is for,
    checked: a known region, a quarter like 2025Q2 from the scheme's start to now. ``refused``
    (the caller's StoreError) carries the Chinese message; ``what`` names the action."""
    scheme = registry.schemes[ind.scheme]
    region = (region or scheme.region or "").strip()
    if region != scheme.region and region not in store.regions(ind.scheme):
        raise refused(f"未知地区“{region}”。")
    try:
        q = period if isinstance(period, Quarter) else Quarter.parse(str(period).strip())
    except ValueError:
        raise refused(f"报告期“{period}”格式错误,应为如2025Q2。")
    first = Quarter.containing(scheme.period.start.first_day)
    now = Quarter.containing(today or datetime.now(timezone.utc).date())
    if q < first or q > now:
        raise refused(f"{q.label}不在可{what}的季度内({first.label}至{now.label})。")
    return region, q


def submission_state(s: Session, scheme_id: str, rid: int, unit: str, q: Quarter) -> str:
    """The unit's submission state of the quarter, inside the write transaction (draft when none)."""
    st = s.scalar(select(Submission.state).where(Submission.scheme_id == scheme_id, Submission.region_id == rid,
                                                 Submission.unit == unit, Submission.period == str(q)))
    return st or "draft"


class EvidenceRefused(StoreError):
    """Refused; ``str(exc)`` is the Chinese message. Nothing was stored."""


class Actor(Protocol):
    username: str
    role: str

    @property
    def is_admin(self) -> bool: ...

    def can_report(self, scheme_id: str, unit: str) -> bool: ...

    def can_report_region(self, scheme_id: str, unit: str, region: str) -> bool: ...


@dataclass(frozen=True)
class Office:
    """The command line: acts as the office (it already has the database's rights)."""

    username: str
    role: str = "admin"
    is_admin: bool = True

    def can_report(self, scheme_id: str, unit: str) -> bool:
        return True

    def can_report_region(self, scheme_id: str, unit: str, region: str) -> bool:
        return True


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    sha256: str
    size: int
    content_type: str
    name: str
    scheme_id: str
    region: str
    indicator_id: str
    period: Quarter
    note: str
    uploaded_by: str
    uploaded_at: datetime
    state_at_upload: str
    removed_at: Optional[datetime]
    removed_by: Optional[str]
    remove_reason: str

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    @property
    def inline(self) -> bool:
        kind = KIND_BY_MIME.get(self.content_type)
        return bool(kind and kind.inline)

    @property
    def size_text(self) -> str:
        return size_text(self.size)

    def to_dict(self) -> dict:
        return {"id": self.id, "indicator_id": self.indicator_id, "scheme": self.scheme_id, "region": self.region,
                "period": str(self.period), "name": self.name, "size": self.size, "content_type": self.content_type,
                "sha256": self.sha256, "note": self.note, "uploaded_by": self.uploaded_by,
                "uploaded_at": self.uploaded_at.isoformat(), "state_at_upload": self.state_at_upload,
                "removed_at": self.removed_at.isoformat() if self.removed_at else None,
                "removed_by": self.removed_by, "remove_reason": self.remove_reason}


def _utc(dt: Optional[datetime]) -> Optional[datetime]:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _row(e: EvidenceFile) -> EvidenceRow:
    return EvidenceRow(e.id, e.sha256, e.size, e.content_type, e.original_name, e.scheme_id, e.region.name,
                       e.indicator_id, Quarter.parse(e.period), e.note or "", e.uploaded_by, _utc(e.uploaded_at),
                       e.state_at_upload or "draft", _utc(e.removed_at), e.removed_by, e.remove_reason or "")


ROOT = Path(__file__).resolve().parent.parent


def default_evidence_dir(database_url: str) -> str:
    """EVIDENCE_DIR when not set: next to a SQLite database file (instance/monitor.db ->
    instance/monitor-evidence), so a test's or the demo's database never shares files with
    the real one; for a server database instance/evidence."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        url = None
    if url is not None and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(url.database)
        db = db if db.is_absolute() else ROOT / db
        return str(db.parent / f"{db.stem}-evidence")
    return str(ROOT / "instance" / "evidence")


# ---------------------------------------------------------------- who may

def evidence_dir(database_url: Optional[str]) -> Path:
    """EVIDENCE_DIR when set, else the default for the database (the commands' one resolver; the
    app's Settings.resolved_evidence_dir says the same)."""
    configured = os.environ.get("EVIDENCE_DIR", "").strip()
    return Path(configured or default_evidence_dir(database_url or ""))


def _state_words(unit: str, period: Quarter, state: str) -> str:
    return (f"{unit}{period.label}的数据已审核锁定" if state == "approved"
            else f"{unit}{period.label}的数据已报送、正在等待审核")


def add_refusal(actor: Optional[Actor], scheme_id: str, unit: str, region: str, period: Quarter,
                state: str) -> Optional[str]:
    """Why ``actor`` may not add evidence to ``unit``'s indicator of ``region`` for ``period``
    (its submission in ``state``), or None. As for values: reporters for their units and
    regions while the quarter is a draft; the office always (recorded); viewers never."""
    if actor is None:
        return "请先登录。"
    if actor.is_admin:
        return None
    if actor.role != "reporter":
        return "只读账号不能上传或移除佐证材料。"
    if not actor.can_report(scheme_id, unit):
        return f"您没有为“{unit}”的指标上传或移除佐证材料的权限。"
    if not actor.can_report_region(scheme_id, unit, region):
        return f"您没有为“{region}”上传或移除佐证材料的权限。"
    if state in ("submitted", "approved"):
        return f"{_state_words(unit, period, state)},不能再添加或移除佐证材料;如需补充,请联系领导小组办公室。"
    return None


def remove_refusal(actor: Optional[Actor], scheme_id: str, unit: str, region: str, period: Quarter, state: str,
                   reason: str) -> Optional[str]:
    refusal = add_refusal(actor, scheme_id, unit, region, period, state)
    if refusal:
        return refusal
    if not (reason or "").strip():
        return "请填写移除原因(移除是一次更正,原因会记入记录)。"
    problem = reason_problem(reason.strip(), "移除原因")
    return problem + "。" if problem else None


# ---------------------------------------------------------------- the bytes

def stored_name(sha256: str) -> str:
    """Where a file lives under the evidence directory (also in backups and the integrity check)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256")
    return f"{sha256[:2]}/{sha256}"


class BlobStore:
    """Files by SHA-256 under ``root``."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / stored_name(sha256)

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; (its sha256, whether it was new)."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.is_file() and target.stat().st_size == len(data):
            return sha, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha, True

    def discard(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)


# ---------------------------------------------------------------- the service

class Evidence(CurrentRegistry):
    """Evidence files of a store, kept in ``directory``."""

    def __init__(self, store, registry, directory: Path | str, max_mb: float = 20):
        self.store = store
        self.registry = registry
        self.blobs = BlobStore(directory)
        self.max_mb = max_mb

    # -- reads

    def rows(self, scheme_id: Optional[str] = None, indicator_id: Optional[str] = None, region: Optional[str] = None,
             period: Optional[Quarter | str] = None, include_removed: bool = True) -> list[EvidenceRow]:
        q = select(EvidenceFile).join(Region, EvidenceFile.region_id == Region.id)
        if scheme_id:
            q = q.where(EvidenceFile.scheme_id == scheme_id)
        if indicator_id:
            q = q.where(EvidenceFile.indicator_id == indicator_id)
        if region:
            q = q.where(Region.name == region)
        if period:
            q = q.where(EvidenceFile.period == str(period))
        if not include_removed:
            q = q.where(EvidenceFile.removed_at.is_(None))
        with self.store._read() as s:
            return [_row(e) for e in s.scalars(q.order_by(EvidenceFile.uploaded_at, EvidenceFile.id))]

    def get(self, evidence_id: int) -> Optional[EvidenceRow]:
        with self.store._read() as s:
            e = s.get(EvidenceFile, int(evidence_id))
            return _row(e) if e else None

    def path(self, row: EvidenceRow) -> Path:
        return self.blobs.path(row.sha256)

    # -- the target of an upload

    def _target(self, indicator_id: str, region: Optional[str], period, today: Optional[date]):
        ind = self.registry.indicators.get(indicator_id)
        if ind is None:
            raise EvidenceRefused(f"未知指标编号“{indicator_id}”。")
        region, q = region_and_quarter(self.registry, self.store, ind, region, period, today, "添加佐证材料",
                                       EvidenceRefused)
        return ind, region, q

    _state = staticmethod(submission_state)

    # -- writes

    def add(self, actor: Optional[Actor], indicator_id: str, region: Optional[str], period, name: Optional[str],
            data: Optional[bytes], note: str = "", today: Optional[date] = None) -> EvidenceRow:
        """Check and store one file; EvidenceRefused (nothing stored) when it may not be."""
        try:
            checked = check_file(name, data, self.max_mb)
        except FileRefused as exc:
            raise EvidenceRefused(str(exc))
        ind, region, q = self._target(indicator_id, region, period, today)
        note = (note or "").strip()
        problem = note_problem(note)
        if problem:
            raise EvidenceRefused(f"{problem}。")
        # Asked once before the write for a quick answer; again inside it, under the lock.
        early = add_refusal(actor, ind.scheme, ind.reporting_unit, region, q,
                            self.unit_state(ind.scheme, region, ind.reporting_unit, q))
        if early:
            raise EvidenceRefused(early)
        return self._insert(actor, ind, region, q, checked, note)

    def unit_state(self, scheme_id: str, region: str, unit: str, q: Quarter) -> str:
        sub = self.store.submission(scheme_id, region, unit, q)
        return sub.state if sub else "draft"

    def _insert(self, actor: Actor, ind, region: str, q: Quarter, checked: CheckedFile, note: str) -> EvidenceRow:
        created: list[str] = []

        def do(s: Session) -> EvidenceRow:
            rid = self.store._ensure_region_in(s, ind.scheme, region)
            state = self._state(s, ind.scheme, rid, ind.reporting_unit, q)
            refusal = add_refusal(actor, ind.scheme, ind.reporting_unit, region, q, state)
            if refusal:
                raise EvidenceRefused(refusal)
            sha = hashlib.sha256(checked.data).hexdigest()
            same = s.scalar(select(EvidenceFile).where(
                EvidenceFile.sha256 == sha, EvidenceFile.indicator_id == ind.id, EvidenceFile.region_id == rid,
                EvidenceFile.period == str(q), EvidenceFile.removed_at.is_(None)))
            if same is not None:
                raise EvidenceRefused(f"“{checked.name}”与已上传的“{same.original_name}”内容相同"
                                      f"({same.uploaded_by}上传),未重复添加。")
            sha, new = self.blobs.put(checked.data)
            if new:
                created.append(sha)
            e = EvidenceFile(sha256=sha, size=checked.size, content_type=checked.kind.mime,
                             original_name=checked.name, scheme_id=ind.scheme, region_id=rid, indicator_id=ind.id,
                             period=str(q), note=note, uploaded_by=actor.username, uploaded_at=datetime.now(timezone.utc),
                             state_at_upload=state, remove_reason="")
            s.add(e)
            s.flush()
            return _row(e)

        try:
            with self.store._write() as s:
                return do(s)
        except BaseException:
            # A file written for this upload alone goes again when its row was not stored.
            for sha in created:
                if not self._referenced(sha):
                    self.blobs.discard(sha)
            raise

    def _referenced(self, sha: str) -> bool:
        with self.store._read() as s:
            return s.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == sha).limit(1)) is not None

    def remove(self, actor: Optional[Actor], evidence_id: int, reason: str) -> EvidenceRow:
        """Mark a file removed (a correction): it stays in storage and in the list as 已移除."""
        reason = (reason or "").strip()

        def do(s: Session) -> EvidenceRow:
            e = s.get(EvidenceFile, int(evidence_id))
            if e is None:
                raise EvidenceRefused("该佐证材料不存在,可能已被删除,请刷新页面。")
            if e.removed_at is not None:
                raise EvidenceRefused(f"“{e.original_name}”已于之前被移除,无需再次移除。")
            ind = self.registry.indicators.get(e.indicator_id)
            unit = ind.reporting_unit if ind else ""
            q = Quarter.parse(e.period)
            state = self._state(s, e.scheme_id, e.region_id, unit, q)
            refusal = remove_refusal(actor, e.scheme_id, unit, e.region.name, q, state, reason)
            if refusal:
                raise EvidenceRefused(refusal)
            e.removed_at = datetime.now(timezone.utc)
            e.removed_by = actor.username
            e.remove_reason = reason
            s.flush()
            return _row(e)

        with self.store._write() as s:
            return do(s)
