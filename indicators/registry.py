"""Load and validate the registry: every ``*.yaml`` under ``indicators/schemes``.

Loading is all or nothing: any error in any file raises :class:`RegistryInvalid`
carrying every message found, each naming file, indicator and field.
A new scheme is added by adding a file; no code changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import yaml
from pydantic import ValidationError

from .model import COUNT_UNITS, UNIT_DECIMALS, Indicator, Kind, Reporting, Scheme, SchemeFile

SCHEMES_DIR = Path(__file__).resolve().parent / "schemes"


@dataclass(frozen=True)
class RegistryError:
    file: str
    indicator: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.indicator:
            where += f": indicator {self.indicator}"
        if self.field:
            where += f": field {self.field}"
        return f"{where}: {self.message}"


class RegistryInvalid(Exception):
    def __init__(self, errors: list[RegistryError]):
        self.errors = errors
        super().__init__("invalid indicator registry:\n" + "\n".join(f"  {e}" for e in errors))


@dataclass
class Registry:
    schemes: dict[str, Scheme] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # scheme id -> file name
    directory: Optional[Path] = None                     # where the files were read from

    def file_text(self, scheme_id: str) -> str:
        """The YAML text a scheme was loaded from ("" when not loaded from a file)."""
        if self.directory is None or scheme_id not in self.files:
            return ""
        return (self.directory / self.files[scheme_id]).read_text(encoding="utf-8")

    def scheme_indicators(self, scheme_id: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.scheme == scheme_id]

    def units(self, scheme_id: Optional[str] = None) -> list[str]:
        seen: dict[str, None] = {}
        for ind in self.indicators.values():
            if scheme_id is None or ind.scheme == scheme_id:
                for u in ind.responsible_units:
                    seen.setdefault(u, None)
        return list(seen)


def _indicator_label(raw, index: int) -> str:
    if isinstance(raw, dict) and raw.get("id"):
        return str(raw["id"])
    return f"#{index + 1}"


def _pydantic_errors(fname: str, data: dict, exc: ValidationError) -> list[RegistryError]:
    out = []
    raw_inds = data.get("indicators") if isinstance(data, dict) else None
    for err in exc.errors():
        loc = list(err["loc"])
        indicator = ""
        if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
            raw = raw_inds[loc[1]] if isinstance(raw_inds, list) and loc[1] < len(raw_inds) else None
            indicator = _indicator_label(raw, loc[1])
            loc = loc[2:]
        fld = ".".join(str(p) for p in loc) or "(file)"
        out.append(RegistryError(fname, indicator, fld, err["msg"]))
    return out


def _check_target(ind: Indicator, scheme: Scheme) -> Iterable[tuple[str, str]]:
    """Yield (field, message) for a target that does not fit its kind."""
    t = ind.target
    k = ind.kind
    if k in (Kind.annual, Kind.cumulative, Kind.rate, Kind.share) and t.value is None:
        yield "target.value", f"kind {k.value} needs target.value"
    if k in (Kind.rate, Kind.share):
        if ind.unit != "%":
            yield "unit", f"kind {k.value} is a percentage: unit must be %, not {ind.unit}"
        if t.value is not None and not 0 <= t.value <= 100:
            yield "target.value", f"a percentage target must lie in 0..100, got {t.value}"
    if k is Kind.annual and ind.reporting is not Reporting.flow:
        yield "reporting", "an annual amount is reported as the quarter's flow"
    if k is Kind.range:
        if t.min is None or t.max is None:
            yield "target", "kind range needs target.min and target.max"
        elif t.min > t.max:
            yield "target", f"range min {t.min:g} is greater than max {t.max:g}"
    if k in (Kind.relative_reference, Kind.relative_baseline) and not t.factor:
        yield "target.factor", f"kind {k.value} needs a positive target.factor"
    if k is Kind.relative_reference:
        known = {r.id for r in scheme.reference_series}
        if not t.reference:
            yield "target.reference", "kind relative_reference needs target.reference"
        elif t.reference not in known:
            yield "target.reference", f"unknown reference series {t.reference!r} (scheme has: {', '.join(sorted(known)) or 'none'})"
    if k is Kind.milestone and ind.reporting is not Reporting.stock:
        yield "reporting", "a milestone is reported as a stock (done at quarter end)"
    if t.value is not None and t.value < 0:
        yield "target.value", "a target cannot be negative"


def _check_indicator(ind: Indicator, scheme: Scheme) -> Iterable[tuple[str, str]]:
    if ind.scheme != scheme.id:
        yield "scheme", f"indicator says scheme {ind.scheme!r} but the file is scheme {scheme.id!r}"
    if not ind.id.startswith(scheme.id + "_"):
        yield "id", f"indicator ids start with the scheme id: expected {scheme.id}_..."
    if ind.unit not in UNIT_DECIMALS:
        yield "unit", f"unknown unit {ind.unit!r} (allowed: {' '.join(UNIT_DECIMALS)})"
    if ind.dimension not in scheme.dimensions:
        yield "dimension", f"unknown dimension {ind.dimension!r} (scheme has: {'、'.join(scheme.dimensions)})"
    if ind.stage not in {s.id for s in scheme.stages}:
        yield "stage", f"unknown stage {ind.stage!r} (scheme has: {', '.join(s.id for s in scheme.stages)})"
    lo, hi = scheme.period.start.first_day, scheme.period.end.last_day
    if not lo <= ind.deadline <= hi:
        yield "deadline", f"deadline {ind.deadline} is outside the scheme period {scheme.period.start}..{scheme.period.end}"
    if ind.start is not None and ind.start.first_day > ind.deadline:
        yield "start", f"start {ind.start} is after the deadline {ind.deadline}"
    if ind.baseline is not None and ind.baseline.as_of > ind.deadline:
        yield "baseline.as_of", "baseline date is after the deadline"
    if not ind.quote.strip():
        yield "quote", "missing citation: the verbatim sentence is empty"
    if not ind.clause.strip():
        yield "clause", "missing citation: the clause is empty"
    if ind.ledger is not None and (ind.unit not in COUNT_UNITS or ind.kind is Kind.milestone):
        yield "ledger", f"a ledger proves a count: unit {ind.unit!r} / kind {ind.kind.value} is not one"
    yield from _check_target(ind, scheme)


def load_file(path: Path) -> tuple[Optional[SchemeFile], list[RegistryError]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [RegistryError(path.name, "", "(file)", f"not valid YAML: {exc}")]
    return load_text(text, path.name)


def load_text(text: str, fname: str = "(text)") -> tuple[Optional[SchemeFile], list[RegistryError]]:
    """One scheme file from its YAML text (a file, or a version stored in the database)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [RegistryError(fname, "", "(file)", f"not valid YAML: {exc}")]
    if not isinstance(data, dict):
        return None, [RegistryError(fname, "", "(file)", "expected a mapping with keys scheme and indicators")]
    # The scheme id is implied by the file; fill it in before validation.
    scheme_id = (data.get("scheme") or {}).get("id") if isinstance(data.get("scheme"), dict) else None
    if isinstance(data.get("indicators"), list) and scheme_id:
        for raw in data["indicators"]:
            if isinstance(raw, dict):
                raw.setdefault("scheme", scheme_id)
    try:
        sf = SchemeFile.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_errors(fname, data, exc)
    errors = [RegistryError(fname, ind.id, f, m) for ind in sf.indicators for f, m in _check_indicator(ind, sf.scheme)]
    return sf, errors


def load_registry(directory: Path | str = SCHEMES_DIR) -> Registry:
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))
    errors: list[RegistryError] = []
    if not files:
        raise RegistryInvalid([RegistryError(str(directory), "", "", "no scheme files (*.yaml) found")])
    reg = Registry(directory=directory)
    seen_ind: dict[str, str] = {}
    for path in files:
        sf, errs = load_file(path)
        errors.extend(errs)
        if sf is None:
            continue
        if sf.scheme.id in reg.schemes:
            errors.append(RegistryError(path.name, "", "scheme.id",
                                        f"duplicate scheme id {sf.scheme.id!r} (also in {reg.files[sf.scheme.id]})"))
            continue
        reg.schemes[sf.scheme.id] = sf.scheme
        reg.files[sf.scheme.id] = path.name
        for ind in sf.indicators:
            if ind.id in seen_ind:
                errors.append(RegistryError(path.name, ind.id, "id", f"duplicate indicator id (also in {seen_ind[ind.id]})"))
                continue
            seen_ind[ind.id] = path.name
            reg.indicators[ind.id] = ind
    if errors:
        raise RegistryInvalid(errors)
    return reg
