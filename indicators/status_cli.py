"""``status`` command: evaluate every indicator of a scheme and print JSON or a table.

    python -m indicators status --scheme anning --as-of 2024-06-30 --format table \
        --observations values.csv [--region 安宁市]

Values come from ``--observations`` (CSV: indicator_id,period,value[,note];
UTF-8 with or without BOM; a row whose indicator_id is a reference series id of
the scheme gives that series' value). The domain package reads no database: the
same command on the stored values is ``python -m data status`` (data/status_cmd.py),
which reuses :func:`configure` and :func:`render` from here.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from datetime import date
from pathlib import Path
from typing import Callable, Optional, Sequence

from .model import Kind
from .periods import Quarter, parse_date
from .registry import SCHEMES_DIR, Registry, RegistryInvalid, load_registry
from .status import Result, evaluate_many, fmt_percent
from .values import fmt_quantity
from .values import NumberError, parse_number

REQUIRED_COLUMNS = ("indicator_id", "period", "value")
MAX_ERRORS = 20


class CliError(Exception):
    """A user error: printed as one message, exit status 1."""


def configure(p: argparse.ArgumentParser, observations: bool = True) -> None:
    """The command's arguments; ``observations=False`` for the database command (data/status_cmd.py)."""
    p.add_argument("--scheme", required=True, help="scheme id, e.g. anning")
    p.add_argument("--as-of", required=True, dest="as_of", help="date YYYY-MM-DD; the latest quarter ended by then is evaluated")
    p.add_argument("--format", choices=("json", "table"), default="table")
    if observations:
        p.add_argument("--observations", metavar="FILE.csv", required=True,
                       help="CSV with columns indicator_id,period,value,note (stored values: python -m data status)")
    p.add_argument("--region", help="region name (default: the scheme's region)")
    p.add_argument("--registry", metavar="DIR", default=str(SCHEMES_DIR), help="directory of scheme YAML files")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``status`` sub-command to an ``argparse`` subparsers object."""
    p = subparsers.add_parser("status", help="traffic-light status of every indicator of a scheme",
                              description="Evaluate every indicator of a scheme as of a date.")
    configure(p)
    p.set_defaults(func=run)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indicators status",
                                     description="Evaluate every indicator of a scheme as of a date.")
    configure(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:   # argparse has printed its message
        return int(exc.code or 0)
    return run(args)


# (scheme id, region) -> (observations, references, baselines[, registry history])
Values = Callable[[str, str], tuple[dict, dict, Optional[dict]]]


def run(args: argparse.Namespace, values: Optional[Values] = None) -> int:
    """Print the statuses; ``values`` reads them (default: the --observations CSV). Exit 1 on a user error."""
    try:
        text = render(args, values)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(text)
    return 0


def render(args: argparse.Namespace, values: Optional[Values] = None) -> str:
    try:
        as_of = parse_date(args.as_of)
    except ValueError:
        raise CliError(f"bad --as-of date {args.as_of!r}: expected YYYY-MM-DD, e.g. 2024-06-30") from None
    try:
        registry = load_registry(args.registry)
    except RegistryInvalid as exc:
        raise CliError(str(exc)) from None
    scheme = registry.schemes.get(args.scheme)
    if scheme is None:
        raise CliError(f"unknown scheme {args.scheme!r} (known: {', '.join(sorted(registry.schemes)) or 'none'})")
    region = args.region or scheme.region
    if values is None:
        observations, references = read_observations_csv(args.observations, registry, scheme.id)
        baselines = None
    history = None
    if values is not None:
        # Stored values may come with the registry versions published in the database (issue 17).
        observations, references, baselines, *rest = values(scheme.id, region)
        history = rest[0] if rest else None
        if history is not None:
            registry = history.registry
    return format_results(registry, scheme.id, region, as_of, args.format,
                          evaluate_many(registry, scheme.id, observations, as_of, references, baselines, history))


def format_results(registry: Registry, scheme_id: str, region: str, as_of: date, fmt: str,
                   results: Sequence[Result]) -> str:
    if fmt == "json":
        return json.dumps([_row(r, registry) for r in results], ensure_ascii=False, indent=2)
    scheme = registry.schemes[scheme_id]
    title = f"{scheme.name} · {region} · 评估期 {Quarter.latest_ended(as_of).label}(截至{as_of.isoformat()})"
    return title + "\n" + format_table(results, registry)


def _row(r: Result, registry: Registry) -> dict:
    ind = registry.indicators[r.indicator_id]
    return {**r.to_dict(), "name": ind.name, "unit": ind.unit}


# ---------------------------------------------------------------- CSV

def read_observations_csv(path: str | Path, registry: Registry, scheme_id: str):
    """(observations by indicator id, references by series id); raises CliError naming every bad line."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise CliError(f"observations file not found: {path}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None
    except (OSError, csv.Error) as exc:
        raise CliError(f"{path}: cannot read: {exc}") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise CliError(f"{path}: empty file; expected a header line indicator_id,period,value,note")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CliError(f"{path}: missing column(s) {', '.join(missing)}; expected indicator_id,period,value,note "
                       f"(found: {','.join(header)})")
    col = {c: header.index(c) for c in REQUIRED_COLUMNS}
    inds = {i.id: i for i in registry.scheme_indicators(scheme_id)}
    series = {s.id for s in registry.schemes[scheme_id].reference_series}
    observations: dict[str, dict[Quarter, float]] = {}
    references: dict[str, dict[Quarter, float]] = {}
    seen: dict[tuple[str, Quarter], int] = {}
    errors: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in col.items()}
        iid, period_text, value_text = cells["indicator_id"], cells["period"], cells["value"]
        where = f"line {line}"
        if iid in inds:
            target = observations.setdefault(iid, {})
        elif iid in series:
            target = references.setdefault(iid, {})
        elif iid in registry.indicators:
            errors.append(f"{where}: indicator {iid!r} belongs to scheme {registry.indicators[iid].scheme!r}, not {scheme_id!r}")
            continue
        else:
            errors.append(f"{where}: unknown indicator id {iid!r} in scheme {scheme_id!r}")
            continue
        try:
            q = Quarter.parse(period_text)
        except ValueError:
            errors.append(f"{where}: bad period {period_text!r} (expected e.g. 2024Q2)")
            continue
        if value_text == "":
            continue   # an empty value is not reported
        try:
            value = float(parse_number(value_text))  # the product's one number parser
        except NumberError as exc:
            errors.append(f"{where}: value {value_text!r} for {iid} {q} is not a number ({exc})")
            continue
        if iid in inds and inds[iid].kind is Kind.milestone and value not in (0.0, 1.0):
            errors.append(f"{where}: milestone {iid} takes 1 (done) or 0 (not done), got {value_text!r}")
            continue
        if (iid, q) in seen:
            errors.append(f"{where}: duplicate value for {iid} {q} (also on line {seen[(iid, q)]})")
            continue
        seen[(iid, q)] = line
        target[q] = value
    if errors:
        shown = errors[:MAX_ERRORS] + ([f"... and {len(errors) - MAX_ERRORS} more"] if len(errors) > MAX_ERRORS else [])
        raise CliError(f"{path}: {len(errors)} bad line(s):\n  " + "\n  ".join(shown))
    return observations, references


# ---------------------------------------------------------------- table

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def format_table(results: Sequence[Result], registry: Registry) -> str:
    header = ["指标", "名称", "状态", "实际值", "目标值", "进度"]
    rows = []
    for r in results:
        ind = registry.indicators[r.indicator_id]
        value = (lambda x: fmt_quantity(x, ind))  # noqa: E731
        rows.append([r.indicator_id, ind.name, r.status.label + ("*" if r.stale else ""),
                     value(r.actual), value(r.target), fmt_percent(r.p)])
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = {3, 4, 5}
    lines = ["  ".join(_pad(cell, widths[i], i in numeric) for i, cell in enumerate(row)).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if any(r.stale for r in results):
        lines.append("* 本期未填报,显示最近一次填报值")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
