"""Bulk loader: many regions' values in one transaction, much faster than
:meth:`data.store.Store.import_rows` (no ORM objects, no per-row diff).

Insert-only by design (a province's first load, the benchmark's synthetic
data): a value that is already stored is refused, so there is nothing to merge
and every observation gets exactly one revision (old value empty). Values are
checked with the same rule as the store (:func:`indicators.values.check_value`)
and rounded to the stored 6 decimals. Like every store write, the transaction
first bumps ``meta.data_version``, so every worker's cache sees the new data.

PostgreSQL gets binary ``COPY`` (about 10× faster than INSERTs); SQLite ``executemany``.
A large load on PostgreSQL (:func:`defers_constraints`) also drops the foreign keys, unique
constraints and plain indexes of the tables it fills and re-creates them, checked against every
row, before it commits (PostgreSQL's "Populating a Database"): one pass over the table instead of
a trigger and index update per row. DDL is transactional, so a failed load leaves the schema and
the data as they were. Revisions are written by the server from the stored values there.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Optional

from sqlalchemy import Connection, Engine, Integer, String, cast, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from indicators.model import Indicator
from indicators.periods import Quarter
from indicators.values import check_value

from .errors import DuplicateError, InvalidValueError, StoreError
from .models import Meta, Observation, ReferenceValue, Region, Revision, StatusSnapshot
from .store import REF_PREFIX, SOURCES, _snapshot_rows, snapshot_pool

# region -> indicator_id (or series_id) -> quarter -> value
Values = Mapping[str, Mapping[str, Mapping[Quarter, Optional[float]]]]

# PostgreSQL: a load of at least this many rows (values, references and their revisions), and at
# least as many as the filled tables hold already, drops their foreign keys, unique constraints and
# plain indexes and re-creates them at its end (:func:`defers_constraints`). Re-creating reads the
# whole tables, and ALTER TABLE locks them and ``region`` against every reader until the load
# commits: worth it for a province's first load (≈ 140 regions of the Anning scheme and up), not
# for adding a few regions to a national database (docs/performance.md, "Bulk load: foreign keys").
DEFER_CONSTRAINTS_MIN_ROWS = 200_000
# The tables a load fills (their foreign keys and indexes are dropped and re-created).
# The snapshot's rows (17 per region) keep theirs.
_FILLED = ("observation", "reference_value", "revision")

_OBS_COLS = ("id", "indicator_id", "scheme_id", "region_id", "period", "value", "note", "version", "entered_by",
             "updated_at")
_REV_COLS = ("observation_id", "indicator_id", "region_id", "period", "old_value", "new_value", "old_note",
             "new_note", "user_name", "at", "reason", "source")
_REF_COLS = ("scheme_id", "region_id", "series_id", "period", "value", "version", "entered_by", "updated_at")


@dataclass(frozen=True)
class BulkSummary:
    regions_created: int
    observations: int
    references: int
    revisions: int
    data_version: int


def bulk_load(engine: Engine, scheme_id: str, indicators: Mapping[str, Indicator], values: Values, user: str,
              *, references: Optional[Values] = None, source: str = "import", reason: str = "",
              notes: Optional[Mapping[tuple[str, str, Quarter], str]] = None, snapshot=None,
              workers: int = 1, defer_min_rows: int = DEFER_CONSTRAINTS_MIN_ROWS) -> BulkSummary:
    """Insert ``values`` (region -> indicator id -> quarter -> value; None values are
    skipped) and optional reference series (region -> series id -> quarter -> value)
    for ``scheme_id``, creating missing regions, all or nothing.

    ``snapshot`` (an :class:`indicators.snapshot.Evaluator`): the status snapshot of the
    regions this load creates is computed from the values in hand — in ``workers``
    processes while the database takes the values — and written in the same transaction,
    so the province is complete when the load commits (no read-back, no rebuild).
    Regions that held values before lose their rows either way (readers fill them).

    ``defer_min_rows``: on PostgreSQL, a load of at least this many rows (and at least as many as
    stored) drops and re-creates the filled tables' constraints and indexes (:func:`defers_constraints`).

    ``indicators`` maps ids to the scheme's indicators (e.g. ``registry.indicators``).
    Raises InvalidValueError (bad values, unknown or foreign indicators) or
    DuplicateError (a value already stored) before writing anything, StoreError when the
    database refuses a row (a constraint), with nothing written."""
    if source not in SOURCES:
        raise ValueError(f"unknown revision source {source!r}")
    references = references or {}
    notes = notes or {}
    obs, errors = _checked(scheme_id, indicators, values)
    if errors:
        raise InvalidValueError(f"批量载入失败,共{len(errors)}处错误:" + ";".join(errors[:5]), errors)
    refs = [(region, sid, q, round(float(v), 6)) for region, series in references.items()
            for sid, by_q in series.items() for q, v in by_q.items() if v is not None]
    names = sorted({r for r, *_ in obs} | {r for r, *_ in refs})
    if any(not n.strip() for n in names):
        raise StoreError("地区名称不能为空")

    now = datetime.now(timezone.utc)
    # PostgreSQL's binary COPY takes NUMERIC values as Decimal (the text of the rounded float,
    # the same number a text COPY or an INSERT stores); values repeat, so each is converted once.
    num = _Decimals() if engine.dialect.name == "postgresql" else (lambda v: v)
    statuses = None
    try:
        with engine.begin() as c:
            # Taking the data_version row lock first serialises us with every other writer.
            c.execute(update(Meta).where(Meta.key == "data_version")
                      .values(value=cast(cast(Meta.value, Integer) + 1, String)))
            version = int(c.execute(select(Meta.value).where(Meta.key == "data_version")).scalar() or 0)
            rids, created = _region_ids(c, scheme_id, names)
            _refuse_duplicates(c, scheme_id, rids, obs, refs, created)
            statuses = _Statuses(snapshot, scheme_id, workers, _new_regions(obs, refs, rids, created))

            pg = c.dialect.name == "postgresql"
            next_id = (c.execute(select(func.max(Observation.id))).scalar() or 0) + 1
            first_ref = (c.execute(select(func.max(ReferenceValue.id))).scalar() or 0) + 1
            per = {}   # quarter -> its text, made once
            obs_rows = [(next_id + i, ind_id, scheme_id, rids[region], per.get(q) or per.setdefault(q, str(q)), num(v),
                         notes.get((region, ind_id, q), ""), 1, user, now) for i, (region, ind_id, q, v) in enumerate(obs)]
            ref_rows = [(scheme_id, rids[region], sid, str(q), num(v), 1, user, now) for region, sid, q, v in refs]
            n_rows = 2 * (len(obs_rows) + len(ref_rows))   # each value and its revision
            deferred = (_drop_constraints(c) if pg and defers_constraints(n_rows, _stored_rows(c), defer_min_rows)
                        else None)
            _insert(c, Observation.__table__.name, _OBS_COLS, obs_rows)
            _insert(c, ReferenceValue.__table__.name, _REF_COLS, ref_rows)
            n_revisions = _write_revisions(c, obs_rows, ref_rows, next_id, first_ref, reason, source)
            if deferred is not None:
                # Before the snapshot's rows: the checks and index builds overlap the workers.
                _restore_constraints(c, deferred)
            # Statuses of regions that held values before are stale now: readers (or
            # `python -m data snapshot --rebuild`) compute them again; new regions get theirs
            # here when an evaluator is given (else readers compute them too).
            old = [rid for name, rid in rids.items() if name not in created]
            if old:
                c.execute(delete(StatusSnapshot).where(StatusSnapshot.scheme_id == scheme_id,
                                                       StatusSnapshot.region_id.in_(old)))
            for rows in statuses.rows():
                _write_snapshot(c, rows)
            if c.dialect.name == "postgresql":
                # Explicit ids bypass the sequence: move it past them.
                for table in ("observation", "revision", "reference_value"):
                    c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"COALESCE((SELECT max(id) FROM {table}), 1))"))
    except IntegrityError as exc:
        # Only a bug or a concurrent change gets here (duplicates are refused above), but a
        # re-created constraint checks every row: say so in words, nothing was written.
        detail = str(exc.orig).splitlines()[0] if exc.orig is not None else ""
        raise StoreError(f"批量载入失败,数据违反数据库约束,未写入任何数据:{detail}") from exc
    finally:
        if statuses is not None:   # a failed load: stop the workers
            statuses.close()
    return BulkSummary(len(created), len(obs_rows), len(ref_rows), n_revisions, version)


def _write_revisions(c: Connection, obs_rows, ref_rows, first_obs: int, first_ref: int, reason: str,
                     source: str) -> int:
    """One revision per value just written (old value empty), in the order of the values.
    PostgreSQL derives them from the rows in the tables (no second COPY of as many rows through
    the client); SQLite from the rows in hand."""
    if c.dialect.name == "postgresql":
        cols = ", ".join(_REV_COLS)
        n = c.execute(text(
            f"INSERT INTO revision ({cols}) SELECT id, indicator_id, region_id, period, NULL, value, '', note, "
            "entered_by, updated_at, :reason, :source FROM observation WHERE id >= :first ORDER BY id"),
            {"reason": reason, "source": source, "first": first_obs}).rowcount
        return n + c.execute(text(
            f"INSERT INTO revision ({cols}) SELECT NULL, :prefix || series_id, region_id, period, NULL, value, '', '', "
            "entered_by, updated_at, :reason, :source FROM reference_value WHERE id >= :first ORDER BY id"),
            {"prefix": REF_PREFIX, "reason": reason, "source": source, "first": first_ref}).rowcount
    rows = [(oid, ind_id, rid, per, None, v, "", note, user, at, reason, source)
            for oid, ind_id, _, rid, per, v, note, _, user, at in obs_rows]
    rows += [(None, REF_PREFIX + sid, rid, per, None, v, "", "", user, at, reason, source)
             for _, rid, sid, per, v, _, user, at in ref_rows]
    _insert(c, Revision.__table__.name, _REV_COLS, rows)
    return len(rows)


def _write_snapshot(c: Connection, rows: list[dict]) -> None:
    """Snapshot rows (column -> value): COPY on PostgreSQL (the last batches are written after the
    workers finish, on the load's critical path), an INSERT on SQLite."""
    if not rows:
        return
    if c.dialect.name == "postgresql":
        cols = tuple(rows[0])
        _insert(c, StatusSnapshot.__table__.name, cols, [tuple(r[k] for k in cols) for r in rows])
    else:
        c.execute(insert(StatusSnapshot), rows)


def defers_constraints(rows: int, stored: int, min_rows: int = DEFER_CONSTRAINTS_MIN_ROWS) -> bool:
    """Whether a PostgreSQL load of ``rows`` rows into tables holding ``stored`` rows drops their
    foreign keys, unique constraints and plain indexes while it copies and re-creates them at its
    end: a large load that at least doubles the tables. Per row, the triggers and index updates it
    saves cost ≈ 4× what re-creating costs per stored row (measured), and the tables stay locked
    for readers while it runs."""
    return rows >= min_rows and rows >= stored


def _stored_rows(c: Connection) -> int:
    """The filled tables' rows, as the planner estimates them (-1, never analysed, counts as 0)."""
    return int(c.execute(text("SELECT COALESCE(sum(GREATEST(reltuples, 0)), 0) FROM pg_class "
                              "WHERE oid = ANY(CAST(:t AS regclass[]))"), {"t": list(_FILLED)}).scalar())


@dataclass(frozen=True)
class _Deferred:
    indexes: list[str]                       # CREATE INDEX statements
    constraints: list[tuple[str, str, str]]  # (table, name, definition): unique first, then foreign keys


def _drop_constraints(c: Connection) -> _Deferred:
    """Drop the foreign keys, unique constraints and plain indexes of the filled tables (primary
    keys stay) in this transaction; return what :func:`_restore_constraints` re-creates. Read from
    the catalogue, so a later migration's constraint comes back exactly as it was defined."""
    tables = {"t": list(_FILLED)}
    constraints = [tuple(r) for r in c.execute(text(
        "SELECT CAST(conrelid AS regclass)::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype IN ('u', 'f') AND conrelid = ANY(CAST(:t AS regclass[])) "
        "ORDER BY contype DESC, 1, 2"), tables).all()]   # 'u' before 'f'
    indexes = c.execute(text(
        "SELECT CAST(indexrelid AS regclass)::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(CAST(:t AS regclass[])) AND NOT indisunique AND NOT indisprimary ORDER BY 1"),
        tables).all()
    for table, name, _ in reversed(constraints):   # foreign keys first
        c.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        c.exec_driver_sql(f"DROP INDEX {name}")
    return _Deferred([ddl for _, ddl in indexes], constraints)


def _restore_constraints(c: Connection, deferred: _Deferred) -> None:
    """Re-create what :func:`_drop_constraints` dropped. Each unique constraint and foreign key is
    checked against every row of its table (ADD CONSTRAINT without NOT VALID): a violation raises
    and the whole load, the dropped constraints included, rolls back."""
    c.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")   # the index builds sort in memory
    for ddl in deferred.indexes:
        c.exec_driver_sql(ddl)
    for table, name, definition in deferred.constraints:
        c.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _checked(scheme_id: str, indicators: Mapping[str, Indicator], values: Values):
    out, errors = [], []
    # check_value is pure, and an indicator's values repeat across regions (0/1 milestones, counts,
    # percentages): each distinct (indicator, type, value) is checked and rounded once per load.
    # The type is part of the key: True == 1 but a bool is not a number.
    seen: dict[tuple, tuple] = {}
    for region, by_ind in values.items():
        region = region.strip()
        for ind_id, by_q in by_ind.items():
            ind = indicators.get(ind_id)
            if ind is None or ind.scheme != scheme_id:
                errors.append(f"{region} {ind_id}:不是{scheme_id}方案的指标")
                continue
            for q, v in by_q.items():
                if v is None:
                    continue
                key = (ind_id, v.__class__, v)
                try:
                    done = seen.get(key)
                except TypeError:   # unhashable (not a number anyway): checked each time
                    done = key = None
                if done is None:
                    checked = check_value(ind, v)
                    done = (checked.errors, None if checked.errors else round(float(checked.value), 6))
                    if key is not None:
                        seen[key] = done
                if done[0]:
                    errors.append(f"{region} {ind_id} {q}:{';'.join(done[0])}")
                    continue
                out.append((region, ind_id, q, done[1]))
    return out, errors


def _region_ids(c: Connection, scheme_id: str, names: list[str]) -> tuple[dict[str, int], set[str]]:
    existing = dict(c.execute(select(Region.name, Region.id).where(Region.scheme_id == scheme_id)).all())
    missing = [n for n in names if n not in existing]
    if missing:
        c.execute(insert(Region), [{"scheme_id": scheme_id, "name": n} for n in missing])
        existing = dict(c.execute(select(Region.name, Region.id).where(Region.scheme_id == scheme_id)).all())
    return {n: existing[n] for n in names}, set(missing)


def _refuse_duplicates(c: Connection, scheme_id: str, rids: dict[str, int], obs, refs, created: set[str]) -> None:
    old = [rid for name, rid in rids.items() if name not in created]
    if not old:
        return  # new regions hold nothing yet
    stored = set(c.execute(select(Observation.indicator_id, Observation.region_id, Observation.period)
                           .where(Observation.region_id.in_(old))).all())
    stored_refs = set(c.execute(select(ReferenceValue.series_id, ReferenceValue.region_id, ReferenceValue.period)
                                .where(ReferenceValue.scheme_id == scheme_id, ReferenceValue.region_id.in_(old)))
                      .all())
    dup = [f"{r} {i} {q}" for r, i, q, _ in obs if (i, rids[r], str(q)) in stored]
    dup += [f"{r} {s} {q}" for r, s, q, _ in refs if (s, rids[r], str(q)) in stored_refs]
    if dup:
        raise DuplicateError(f"批量载入只写入新数据,已有{len(dup)}个值已存在(如 {dup[0]}),请改用导入")


def _new_regions(obs, refs, rids: dict[str, int], created: set[str]) -> list[tuple]:
    """[(region id, name, observations, references, baselines)] of the regions the load creates,
    as stored (values rounded as written; no baselines yet): the snapshot's inputs."""
    per: dict[str, tuple[dict, dict, dict]] = {name: ({}, {}, {}) for name in sorted(created)}
    for region, ind_id, q, v in obs:
        if region in per:
            per[region][0].setdefault(ind_id, {})[q] = v
    for region, sid, q, v in refs:
        if region in per:
            per[region][1].setdefault(sid, {})[q] = v
    return [(rids[name], name, *inputs) for name, inputs in per.items()]


class _Statuses:
    """The snapshot rows of new regions, evaluated in worker processes from the start (they
    compute while this process and the database write the values), or here when asked for."""

    def __init__(self, evaluator, scheme_id: str, workers: int, items: list[tuple], batch: int = 100):
        self.ev, self.scheme_id = evaluator, scheme_id
        self.batches = [items[i:i + batch] for i in range(0, len(items), batch)]
        if evaluator is None or scheme_id not in evaluator.schemes():
            self.batches = []
        self.quarters = evaluator.quarters(scheme_id) if self.batches else []
        self.pool = snapshot_pool(workers) if len(self.batches) > 1 else None
        self.futures = [self.pool.submit(_snapshot_rows, evaluator, scheme_id, self.quarters, b)
                        for b in self.batches] if self.pool else []

    def rows(self):
        try:
            if self.pool is None:
                for b in self.batches:
                    yield _snapshot_rows(self.ev, self.scheme_id, self.quarters, b)
            for f in self.futures:
                yield f.result()
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


class _Decimals(dict):
    def __call__(self, v: float) -> Decimal:
        d = self.get(v)
        if d is None:
            d = self[v] = Decimal(repr(v))
        return d


def _insert(c: Connection, table: str, cols: Sequence[str], rows: Sequence[tuple]) -> None:
    """Append ``rows`` to ``table``: PostgreSQL's binary COPY, SQLite's executemany."""
    if not rows:
        return
    if c.dialect.name == "postgresql":
        # Binary COPY with the columns' own types: about 5x less client CPU than text COPY's
        # formatting, and less parsing for the server (NUMERIC values must come as Decimal).
        types = dict(c.execute(text("SELECT attname, CAST(atttypid AS integer) FROM pg_attribute "
                                    "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"),
                               {"t": table}).all())
        raw = c.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types([types[col] for col in cols])
            for row in rows:
                cp.write_row(row)
        return
    marks = ", ".join("?" for _ in cols)
    c.exec_driver_sql(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
