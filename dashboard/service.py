"""The one path from stored values to statuses, shared by pages, exports and commands.

Registry (parsed once per process) + store (SQL) -> status engine. Results are
cached in-process keyed on the store's ``data_version`` (a counter in the
database, so gunicorn workers never disagree) and, per indicator, on the exact
inputs, so a change to one value re-evaluates that indicator only.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from flask import g, has_request_context

from indicators.model import Indicator, Scheme
from indicators.periods import Quarter, quarter_range
from indicators.registry import Registry
from indicators.snapshot import Evaluator
from indicators.versions import RegistryHistory
from indicators.status import Result, evaluate, reported_level
from indicators.statuses import Status

from data.scheme_versions import SchemeVersions, adjust_target, load_history, publish_text

from . import datastatus
from .entry import reporting

_MAX_CACHE = 50_000
DEADLINE_KEY = "report_deadline_days:"  # meta key per scheme


def _quarter(period) -> Quarter:
    return period if isinstance(period, Quarter) else Quarter.parse(str(period))


def _series_key(series: dict) -> tuple:
    return tuple(sorted((q.index, v) for q, v in series.items()))


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


@dataclass(frozen=True)
class SchemeData:
    """Everything stored for one scheme and region at one data version."""

    version: int
    observations: dict  # indicator_id -> {Quarter: float}
    references: dict    # series_id -> {Quarter: float}
    baselines: dict     # indicator_id -> Baseline
    # Memos of this data version (the object is replaced when the data change): each series'
    # cache key (sorting a history per indicator per call was a third of a cached result's
    # cost) and the results list per (quarter index, registry counter): the board and its
    # data status ask for the same 44 results in one request.
    keys: dict = field(default_factory=dict, compare=False, repr=False)
    lists: dict = field(default_factory=dict, compare=False, repr=False)

    def series_key(self, kind: str, series_id: str, series: dict) -> tuple:
        key = self.keys.get((kind, series_id))
        if key is None:
            key = self.keys[(kind, series_id)] = _series_key(series)
        return key


class MonitorService:
    def __init__(self, registry: Registry, store, default_scheme: Optional[str] = None):
        # The shipped registry; what pages use is the current registry of the versions
        # published in the database (``registry``, ``registry_history()``).
        self.base_registry = registry
        self.store = store
        self._history = RegistryHistory.shipped(registry)
        self._history_lock = threading.Lock()
        if default_scheme and default_scheme not in registry.schemes:
            raise ValueError(f"DEFAULT_SCHEME={default_scheme!r} is not a scheme of the registry "
                             f"({', '.join(registry.schemes)})")
        # The scheme a page shows when its address names none (or an unknown one).
        self.default_scheme = default_scheme or next(iter(registry.schemes))
        # The store keeps the status snapshot up to date on every write with this rule.
        if store is not None:   # registry-only uses (tests, commands) have none
            store.set_snapshot_evaluator(Evaluator(registry))
            self.registry_history(fresh=True)
        self._data = _LRU(256)
        self._results = _LRU(_MAX_CACHE)
        self._regions = _LRU(16)
        self._data_status = _LRU(1024)

    # --- registry versions (方案版本) -----------------------------------------
    @property
    def registry(self) -> Registry:
        """The current registry: each scheme's latest published version (the shipped files
        where none is published)."""
        return self.registry_history().registry

    def registry_history(self, fresh: bool = False) -> RegistryHistory:
        """Every scheme's versions, re-read when a publication changed the store's version
        counter (the highest scheme_version id): one indexed query per request (cached in
        flask.g), on every call outside a request, so a publication by any worker is used at
        once, with no restart. A new history gets a new snapshot evaluator (its fingerprint
        covers every version, so snapshot rows of the old definitions count as missing)."""
        if self.store is None:
            return self._history
        counter = None if fresh or not has_request_context() else g.get("monitor_registry_counter")
        if counter is None:
            counter = SchemeVersions(self.store).counter()
            if has_request_context():
                g.monitor_registry_counter = counter
        if counter != self._history.counter:
            with self._history_lock:
                if counter != self._history.counter:
                    history = load_history(self.store, self.base_registry, counter)
                    self.store.set_snapshot_evaluator(Evaluator(self.base_registry, history))
                    self._history = history
        return self._history

    def publish_scheme(self, text: str, effective_from: date, reason: str, user: str,
                       expected_version: Optional[int] = None, name: str = "方案文件"):
        """Publish a scheme's YAML as its next version (data.scheme_versions.publish_text) and use it at once."""
        rec = publish_text(self.store, self.base_registry, text, effective_from, reason, user, expected_version,
                           name=name)
        self.registry_history(fresh=True)
        return rec

    def adjust_target(self, indicator_id: str, value: float, effective_from: date, reason: str, user: str,
                      expected_version: Optional[int] = None):
        """方案调整 of one target (data.scheme_versions.adjust_target), used at once."""
        rec = adjust_target(self.store, self.base_registry, indicator_id, value, effective_from, reason, user,
                            expected_version)
        self.registry_history(fresh=True)
        return rec

    def target_history(self, indicator_id: str) -> list[str]:
        """The adjustments of an indicator's target in words ("2024-06-30起由500件调整为600件,依据…")."""
        return self.registry_history().target_history_text(indicator_id)

    def in_force(self, indicator: Indicator, quarter: Quarter) -> tuple[Indicator, Scheme]:
        """An indicator's and its scheme's definitions in force at the end of ``quarter``."""
        h = self.registry_history()
        return h.indicator_at(indicator, quarter.end), h.scheme_at(indicator.scheme, quarter.end)

    # --- registry lookups -------------------------------------------------
    def scheme(self, scheme_id: str) -> Scheme:
        return self.registry.schemes[scheme_id]

    def indicators(self, scheme_id: str) -> list[Indicator]:
        return self.registry.scheme_indicators(scheme_id)

    def default_region(self, scheme_id: str) -> str:
        return self.scheme(scheme_id).region

    def data_version(self) -> int:
        """The store's data_version, read once per request until the store writes.

        A page layout (GET /_dash-layout) or an overview update asks for regions, data,
        statuses and figures, each cached on the version: one read serves them all (it was
        8 reads per overview update). A callback that saves must see the new version, so a
        write through the store (its ``writes`` count) makes the next call read again.
        """
        if not has_request_context():
            return self.store.data_version()
        writes = self.store.writes
        memo = g.get("monitor_data_version")
        if memo is None or memo[0] != writes:
            memo = g.monitor_data_version = (writes, self.store.data_version())
        return memo[1]

    def regions(self, scheme_id: str) -> list[str]:
        # Cached per data_version: a province has ~1,000 regions and every page asks twice.
        key = (scheme_id, self.data_version())
        found = self._regions.get(key)
        if found is None:
            found = self.store.regions(scheme_id)
            self._regions.put(key, found)
        return list(found) if found else [self.default_region(scheme_id)]

    # --- stored data ------------------------------------------------------
    def data(self, scheme_id: str, region: str) -> SchemeData:
        version = self.data_version()
        key = (scheme_id, region, version)
        cached = self._data.get(key)
        if cached is None:
            cached = SchemeData(
                version,
                self.store.observations(scheme_id, region),
                self.store.references(scheme_id, region),
                self.store.baselines(scheme_id, region),
            )
            self._data.put(key, cached)
        return cached

    def quarters(self, scheme_id: str, region: str, today: Optional[date] = None) -> list[Quarter]:
        """Selectable as-of quarters: from the scheme start to the latest ended quarter."""
        scheme = self.scheme(scheme_id)
        first = Quarter.containing(scheme.period.start.first_day)
        last = Quarter.latest_ended(today or date.today())
        return quarter_range(first, last)

    def default_quarter(self, scheme_id: str, region: str, today: Optional[date] = None) -> Quarter:
        """The latest quarter with data, else the latest ended quarter."""
        d = self.data(scheme_id, region)
        ended = Quarter.latest_ended(today or date.today())
        periods = [q for series in d.observations.values() for q in series if q <= ended]
        return max(periods) if periods else ended

    # --- statuses -----------------------------------------------------------
    def result(self, indicator: Indicator, region: str, quarter: Quarter, d: Optional[SchemeData] = None) -> Result:
        d = d or self.data(indicator.scheme, region)
        # Judged by the registry version in force at the quarter's end (方案调整).
        indicator, scheme = self.in_force(indicator, quarter)
        obs = d.observations.get(indicator.id, {})
        ref = None
        if indicator.target.reference:
            ref = d.references.get(indicator.target.reference, {})
        base = d.baselines.get(indicator.id)
        # Key on the inputs themselves: unchanged indicators hit the cache. Quarters
        # enter as ints so the key holds only atomic values, which the garbage
        # collector stops tracking: 50,000 keys of Quarter objects made every full
        # collection a 100 ms pause (docs/performance.md). The registry counter: a
        # publication changes definitions.
        key = (indicator.id, region, quarter.index, d.series_key("obs", indicator.id, obs),
               d.series_key("ref", indicator.target.reference, ref) if ref else None, base, self._history.counter)
        cached = self._results.get(key)
        if cached is None:
            cached = evaluate(indicator, scheme, obs, quarter.end, reference=ref, baseline=base)
            self._results.put(key, cached)
        return cached

    def reported_level(self, indicator: Indicator, region: str, quarter: Quarter) -> Optional[float]:
        """The level of the quarter's own reported value, deadline or not (indicators.status.reported_level)."""
        d = self.data(indicator.scheme, region)
        indicator, scheme = self.in_force(indicator, quarter)
        return reported_level(indicator, scheme, d.observations.get(indicator.id, {}), quarter,
                              baseline=d.baselines.get(indicator.id))

    def results(self, scheme_id: str, region: str, quarter: Quarter) -> list[Result]:
        d = self.data(scheme_id, region)
        # The registry counter read before evaluating: a publication meanwhile misses next time.
        key = (quarter.index, self.registry_history().counter)
        found = d.lists.get(key)
        if found is None:
            found = d.lists[key] = tuple(self.result(ind, region, quarter, d) for ind in self.indicators(scheme_id))
        return list(found)

    def history(self, scheme_id: str, region: str, quarters: list[Quarter]) -> dict[str, dict[Quarter, Result]]:
        d = self.data(scheme_id, region)
        return {ind.id: {q: self.result(ind, region, q, d) for q in quarters} for ind in self.indicators(scheme_id)}

    def status_history(self, scheme_id: str, region: str, quarters: list[Quarter]) -> dict[str, dict[Quarter, Status]]:
        """Each indicator's status at each quarter (the overview's heatmap), read from the status
        snapshot in one query; only quarters it lacks (rows being recomputed) are evaluated here."""
        inds = self.indicators(scheme_id)
        found = self.store.region_statuses(scheme_id, self.store.snapshot_evaluator.version(scheme_id), region,
                                           quarters)
        out: dict[str, dict[Quarter, Status]] = {i.id: {} for i in inds}
        missing = []
        for q in quarters:
            text = found.get(str(q))
            if text is None:
                missing.append(q)
                continue
            for ind, value in zip(inds, text.split()):
                out[ind.id][q] = Status(value)
        if missing:
            for iid, by_q in self.history(scheme_id, region, missing).items():
                out[iid].update({q: r.status for q, r in by_q.items()})
        return out

    # --- who still owes what (form counts, 审核, 催报, 待办: one rule) -----------
    def reporting_units(self, scheme_id: str) -> list[str]:
        """Reporting units of a scheme, in registry order (the main unit first)."""
        return list(dict.fromkeys(ind.reporting_unit for ind in self.indicators(scheme_id)))

    def unit_indicators(self, scheme_id: str, unit: str, quarter: Quarter) -> list[Indicator]:
        """The indicators a unit enters for a quarter (those started by then): the form's rows
        and the Excel template's, the same list."""
        from data.importer import template_indicators

        return template_indicators(self.registry, scheme_id, unit, quarter)

    def deadline_days(self, scheme_id: str) -> int:
        """报送期限 of a scheme: days after a quarter's end (the office may change it)."""
        raw = self.store.meta(DEADLINE_KEY + scheme_id)
        try:
            return reporting.check_deadline_days(raw) if raw else reporting.DEFAULT_DEADLINE_DAYS
        except ValueError:
            return reporting.DEFAULT_DEADLINE_DAYS

    def set_deadline_days(self, scheme_id: str, days: int) -> None:
        self.store.set_meta(DEADLINE_KEY + scheme_id, str(reporting.check_deadline_days(days)))

    def milestones_done_before(self, scheme_id: str, region: str, quarter: Quarter) -> set[str]:
        """Milestones recorded done in a quarter before ``quarter``: later forms ask nothing of them."""
        d = self.data(scheme_id, region)
        return {ind.id for ind in self.indicators(scheme_id) if ind.kind.value == "milestone"
                and any(v is not None and v >= 1 for q, v in d.observations.get(ind.id, {}).items() if q < quarter)}

    def unit_statuses(self, scheme_id: str, region: str, quarter: Quarter, today: Optional[date] = None,
                      units: Optional[list[str]] = None) -> list[reporting.UnitStatus]:
        """Every reporting unit's (or ``units``') state for the quarter, by :func:`reporting.unit_status`."""
        today = today or date.today()
        stored = {i: reporting.Stored(r.value, r.note)
                  for i, r in self.store.observations_at(scheme_id, region, quarter).items()}
        subs = {x.unit: x for x in self.store.submissions(scheme_id, region, quarter)}
        events = self.store.last_events(scheme_id, region, quarter)
        earlier = self.milestones_done_before(scheme_id, region, quarter)
        days = self.deadline_days(scheme_id)
        out = []
        for unit in (units if units is not None else self.reporting_units(scheme_id)):
            sub, ev = subs.get(unit), events.get(unit)
            handover = None if sub is None else reporting.Handover(
                sub.state, sub.version, ev.action if ev else "", ev.user if ev else "", ev.at if ev else None,
                ev.reason if ev else "", sub.submitted_by or "", sub.submitted_at, sub.approved_by or "",
                sub.approved_at)
            ids = [i.id for i in self.unit_indicators(scheme_id, unit, quarter)]
            out.append(reporting.unit_status(unit, quarter, ids, stored, earlier, handover, today, days))
        return out

    def chase_list(self, scheme_id: str, region: str, quarter: Quarter,
                   today: Optional[date] = None) -> dict[str, list[Indicator]]:
        """By reporting unit: the departments to chase and for which rows (催报)."""
        inds = self.registry.indicators
        return {st.unit: [inds[i] for i in st.missing]
                for st in self.unit_statuses(scheme_id, region, quarter, today) if st.missing and st.owes}

    # --- data status (已审核 / 待审核 / 已退回 / 未报送) ------------------------
    def submission_states(self, scheme_id: str, region: str) -> dict[Quarter, dict[str, str]]:
        """Quarter -> reporting unit -> data status of the unit's submission (units without a
        submission are absent: drafts). One query for every quarter's submissions of the
        region (``Store.submission_states``), cached on data_version: submit, approve and
        reopen all bump it."""
        key = ("units", scheme_id, region, self.data_version())
        found = self._data_status.get(key)
        if found is None:
            found = {}
            for sub, last in self.store.submission_states(scheme_id, region):
                found.setdefault(sub.period, {})[sub.unit] = datastatus.unit_state(sub.state, last)
            self._data_status.put(key, found)
        return found

    def unit_states(self, scheme_id: str, region: str, quarter: Quarter) -> dict[str, str]:
        """Reporting unit -> data status of its submission for ``quarter``."""
        return self.submission_states(scheme_id, region).get(quarter, {})

    def data_status(self, scheme_id: str, region: str, quarter: Quarter) -> datastatus.DataStatus:
        """Per indicator the data status of the figure shown as of ``quarter`` and the approved
        count (rule: dashboard/datastatus.py). Cached on data_version."""
        key = ("figures", scheme_id, region, quarter.index, self.data_version())
        found = self._data_status.get(key)
        if found is None:
            shown = datastatus.shown_quarters(self.results(scheme_id, region, quarter))
            found = datastatus.data_status(self.indicators(scheme_id), quarter,
                                           self.data(scheme_id, region).observations,
                                           self.submission_states(scheme_id, region), shown)
            self._data_status.put(key, found)
        return found

    def recent_revisions(self, scheme_id: str, region: str, limit: int = 100) -> list:
        """The region's newest revisions, newest first (``Store.recent_revisions``), cached on data_version."""
        key = ("revisions", scheme_id, region, limit, self.data_version())
        found = self._data_status.get(key)
        if found is None:
            found = self.store.recent_revisions(scheme_id, region, limit)
            self._data_status.put(key, found)
        return list(found)

    # --- ledgers (台账, data/ledger.py) ------------------------------------------
    @property
    def ledgers(self):
        from data.ledger import Ledgers

        if getattr(self, "_ledgers", None) is None:
            self._ledgers = Ledgers(self.store, lambda: self.registry)
        return self._ledgers

    def ledger_counts(self, scheme_id: str, region_id: str, period) -> dict[str, int]:
        """Ledger indicator id -> the ledger's figure for ``period`` (``region_id``: the region's
        name): valid rows at quarter end, or, for a 当季新增 indicator, the rows of the quarter."""
        return self.ledgers.counts(scheme_id, region_id, _quarter(period))

    def ledger_rows(self, scheme_id: str, region_id: str) -> dict[str, list[dict]]:
        """Ledger indicator id -> its current (not removed) rows, each a dict of the columns by
        label plus the row's record (data.ledger.LedgerEntry.to_dict)."""
        out: dict[str, list[dict]] = {i.id: [] for i in self.ledgers.indicators(scheme_id)}
        for r in self.ledgers.rows(scheme_id, region=region_id, include_removed=False):
            if r.indicator_id in out:
                out[r.indicator_id].append(r.to_dict(self.registry.indicators[r.indicator_id]))
        return out

    def ledger_flags(self, scheme_id: str, region_id: str, period) -> dict[str, list[str]]:
        """Ledger indicator id -> what to look at, in Chinese: the reported value of ``period``
        differing from the ledger, duplicates (in the ledger, or in another region's), invalid codes."""
        q = _quarter(period)
        reported = {k: o.value for k, o in self.store.observations_at(scheme_id, region_id, q).items()}
        return self.ledgers.flags(scheme_id, region_id, q, reported)

    # --- data safety ----------------------------------------------------------
    def backup_notice(self, now) -> tuple[str, bool]:
        """(text, is_warning) about the last backup for the admin page (docs/backup.md)."""
        from data.backup import backup_notice

        return backup_notice(self.store.last_backup(), now)

    # --- people ---------------------------------------------------------------
    def display_names(self) -> dict[str, str]:
        """Username -> display name (a name not found is shown as stored: e.g. 示例数据).

        Users are not covered by data_version, so this is cached per request only
        (flask.g): a page or export reads the users once, and a renamed user shows
        the new name on the next request, in every worker. Outside a request (the
        report command, tests) it reads afresh on every call.
        """
        if has_request_context():
            names = g.get("monitor_display_names")
            if names is None:
                names = g.monitor_display_names = self._read_display_names()
            return names
        return self._read_display_names()

    def _read_display_names(self) -> dict[str, str]:
        return {u.username: u.display_name or u.username for u in self.store.list_users()}
