"""Every region of a scheme ranked by completion index (the 地区排名 page).

At 1,000 regions a quarter's ranking is 44,000 status evaluations (about 3 s
on the benchmark machine), so it is computed as rarely as possible:

- **incrementally**: a ranking remembers the last revision id it includes;
  when ``data_version`` moves on, only the regions with a newer revision are
  reloaded and re-evaluated (every value change appends a revision);
- **once for all workers**: each computed ranking is also written to a small
  JSON file (``cache/`` beside a SQLite database, else ``instance/cache``, or
  MONITOR_CACHE_DIR), and the other gunicorn workers take it from there instead
  of computing it again. The file records the ``data_version`` and revision it
  is valid for, so a worker never serves a stale ranking: at worst it brings
  the file up to date itself. A file lock lets one worker compute a cold
  ranking while the others wait for it.

The cache is a plain object made per app (no module-level state); the files are
derived data and may be deleted at any time.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

from indicators.periods import Quarter
from indicators.rollup import by_dimension, summarise
from indicators.status import evaluate
from indicators.statuses import Status

from .settings import INSTANCE

_NO_REVISION = 2**31 - 1   # "after this" matches nothing: a full computation only needs the watermark
FORMAT = 1                 # of the cache files


@dataclass(frozen=True)
class RegionSummary:
    region: str
    counts: dict[Status, int]
    total: int
    due: int
    share_achieved: Optional[float]
    completion_index: Optional[float]
    dimensions: dict[str, Optional[float]]   # completion index per dimension, scheme order
    rank: int = 0                             # 1 = best; equal indexes share a rank

    def to_json(self) -> list:
        return [{s.value: n for s, n in self.counts.items()}, self.total, self.due, self.share_achieved,
                self.completion_index, self.dimensions]

    @classmethod
    def from_json(cls, region: str, data: list) -> "RegionSummary":
        counts, total, due, share, index, dims = data
        return cls(region, {Status(s): int(n) for s, n in counts.items()}, int(total), int(due), share, index,
                   dict(dims))


@dataclass
class _Ranking:
    version: int
    revision: int
    summaries: dict[str, RegionSummary]
    ranked: Optional[list[RegionSummary]] = None


def rank_key(s: RegionSummary):
    """Best first: higher completion index, then higher share achieved, then name."""
    ci = -1.0 if s.completion_index is None else s.completion_index
    sa = -1.0 if s.share_achieved is None else s.share_achieved
    return (-ci, -sa, s.region)


def ranked(summaries: list[RegionSummary]) -> list[RegionSummary]:
    """Sorted best first with competition ranks (1, 1, 3): ties on the completion index share a rank."""
    out, prev, rank = [], object(), 0
    for i, s in enumerate(sorted(summaries, key=rank_key), start=1):
        if s.completion_index != prev:
            rank, prev = i, s.completion_index
        out.append(RegionSummary(s.region, s.counts, s.total, s.due, s.share_achieved, s.completion_index,
                                 s.dimensions, rank))
    return out


def default_cache_dir(engine) -> Path:
    """MONITOR_CACHE_DIR, else ``cache/`` beside a SQLite file, else instance/cache."""
    if os.environ.get("MONITOR_CACHE_DIR"):
        return Path(os.environ["MONITOR_CACHE_DIR"])
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:"):
        return Path(url.database).resolve().parent / "cache"
    return INSTANCE / "cache"


class RegionRanking:
    def __init__(self, service, cache_dir: Optional[Path] = None, shared: bool = True):
        self.service = service
        self._lock = threading.Lock()
        self._mem: dict[tuple[str, Quarter], _Ranking] = {}
        self._periods: tuple[int, dict[str, list[Quarter]]] = (-1, {})
        self._dir = (cache_dir or default_cache_dir(service.store.engine)) if shared else None
        # Files of different databases must not mix (the demo and the real database, tests).
        url = service.store.engine.url.render_as_string(hide_password=True)
        self._prefix = hashlib.sha1(url.encode("utf-8")).hexdigest()[:12]

    # --- public --------------------------------------------------------------
    def rows(self, scheme_id: str, quarter: Quarter) -> list[RegionSummary]:
        """Every region of the scheme, ranked best first, as evaluated at ``quarter``."""
        version = self.service.store.data_version()
        with self._lock:
            mem = self._mem.get((scheme_id, quarter))
            if mem is None or mem.version != version:
                mem = self._refresh(scheme_id, quarter, version, mem)
                self._mem[(scheme_id, quarter)] = mem
                while len(self._mem) > 32:
                    self._mem.pop(next(iter(self._mem)))
            if mem.ranked is None:
                mem.ranked = ranked(list(mem.summaries.values()))
            return mem.ranked

    def default_quarter(self, scheme_id: str, today: Optional[date] = None) -> Quarter:
        """The latest quarter with data in any region, else the latest ended quarter."""
        store = self.service.store
        version = store.data_version()
        with self._lock:
            if self._periods[0] != version:
                self._periods = (version, {})
            periods = self._periods[1].get(scheme_id)
            if periods is None:
                periods = self._periods[1][scheme_id] = store.observed_periods(scheme_id)
        ended = Quarter.latest_ended(today or date.today())
        seen = [q for q in periods if q <= ended]
        return seen[-1] if seen else ended

    # --- computing -----------------------------------------------------------
    def _refresh(self, scheme_id: str, quarter: Quarter, version: int, mem: Optional[_Ranking]) -> _Ranking:
        with self._file_lock(scheme_id, quarter):
            shared = self._read(scheme_id, quarter)
            bases = [r for r in (mem, shared) if r is not None]
            base = max(bases, key=lambda r: r.revision) if bases else None
            if base is not None and base.version == version:
                return base
            fresh = self._compute(scheme_id, quarter, version, base)
            self._write(scheme_id, quarter, fresh)
            return fresh

    def _compute(self, scheme_id: str, quarter: Quarter, version: int, base: Optional[_Ranking]) -> _Ranking:
        store = self.service.store
        names = store.regions(scheme_id) or [self.service.default_region(scheme_id)]
        if base is None:
            revision, _ = store.changed_regions(scheme_id, _NO_REVISION)
            todo, summaries = set(names), {}
        else:
            revision, todo = store.changed_regions(scheme_id, base.revision)
            summaries = {n: s for n, s in base.summaries.items() if n in set(names)}
            todo = (todo | (set(names) - set(summaries))) & set(names)
        if todo:
            only = None if base is None else sorted(todo)
            obs = store.observations_all_regions(scheme_id, only)
            refs = store.references_all_regions(scheme_id, only)
            bases = store.baselines_all_regions(scheme_id, only)
            for name in todo:
                summaries[name] = self._summary(scheme_id, name, quarter, obs.get(name, {}), refs.get(name, {}),
                                                bases.get(name, {}))
        return _Ranking(version, revision, summaries)

    def _summary(self, scheme_id: str, region: str, quarter: Quarter, obs: dict, refs: dict,
                 bases: dict) -> RegionSummary:
        registry = self.service.registry
        scheme = registry.schemes[scheme_id]
        results = []
        for ind in registry.scheme_indicators(scheme_id):
            ref = refs.get(ind.target.reference) if ind.target.reference else None
            results.append(evaluate(ind, scheme, obs.get(ind.id, {}), quarter.end, reference=ref,
                                    baseline=bases.get(ind.id)))
        overall = summarise(region, results)
        dims = by_dimension(results, registry)
        return RegionSummary(region, overall.counts, overall.total, overall.due, overall.share_achieved,
                             overall.completion_index,
                             {d: (dims[d].completion_index if d in dims else None) for d in scheme.dimensions})

    # --- the shared files ----------------------------------------------------
    def _path(self, scheme_id: str, quarter: Quarter, suffix: str) -> Optional[Path]:
        if self._dir is None:
            return None
        safe = hashlib.sha1(scheme_id.encode("utf-8")).hexdigest()[:8]
        return self._dir / f"ranking-{self._prefix}-{safe}-{quarter}{suffix}"

    @contextmanager
    def _file_lock(self, scheme_id: str, quarter: Quarter) -> Iterator[None]:
        path = self._path(scheme_id, quarter, ".lock")
        if path is None:
            yield
            return
        try:
            import fcntl

            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(path, "a")
        except (ImportError, OSError):
            yield  # no shared directory: each worker computes for itself
            return
        with f:
            fcntl.flock(f, fcntl.LOCK_EX)  # another worker computing this quarter: wait and take its result
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _read(self, scheme_id: str, quarter: Quarter) -> Optional[_Ranking]:
        path = self._path(scheme_id, quarter, ".json")
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path else None
            if not data or data.get("format") != FORMAT or data.get("scheme") != scheme_id:
                return None
            summaries = {name: RegionSummary.from_json(name, row) for name, row in data["regions"].items()}
            return _Ranking(int(data["version"]), int(data["revision"]), summaries)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or unreadable: compute instead

    def _write(self, scheme_id: str, quarter: Quarter, r: _Ranking) -> None:
        path = self._path(scheme_id, quarter, ".json")
        if path is None:
            return
        data = {"format": FORMAT, "scheme": scheme_id, "quarter": str(quarter), "version": r.version,
                "revision": r.revision, "regions": {n: s.to_json() for n, s in r.summaries.items()}}
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
            os.replace(tmp, path)  # atomic: readers see the old file or the new one
        except OSError:
            pass
