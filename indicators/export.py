"""Export the registry as JSON, CSV or XLSX (command line, dashboard, reports).

One flat row per indicator: nested models become dotted columns
(``target.value``, ``baseline.as_of``), unit lists are joined with 、.
Columns are derived from :class:`indicators.model.Indicator`, so a new schema
field shows up in every export without touching this module.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO, Any, Optional, Union, get_args

from pydantic import BaseModel

from .model import Indicator, Scheme
from .registry import Registry

PathOrStream = Union[str, Path, IO]

UNIT_SEPARATOR = "、"
# Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DERIVED_COLUMNS = {"responsible_units": "reporting_unit"}  # derived column placed after its source


class UnknownScheme(ValueError):
    pass


def _nested_model(annotation: Any) -> Optional[type[BaseModel]]:
    for t in (annotation, *get_args(annotation)):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def _columns() -> tuple[str, ...]:
    cols: list[str] = []
    for name, info in Indicator.model_fields.items():
        sub = _nested_model(info.annotation)
        if sub:
            cols.extend(f"{name}.{s}" for s in sub.model_fields)
        else:
            cols.append(name)
        if name in DERIVED_COLUMNS:
            cols.append(DERIVED_COLUMNS[name])
    return tuple(cols)


COLUMNS: tuple[str, ...] = _columns()

SCHEME_COLUMNS: tuple[str, ...] = (
    "id", "name", "short_name", "region", "region_level",
    "document.title", "document.number", "document.issuer", "document.date",
    "period.start", "period.end", "stages", "leading_group.name", "leading_group.office",
    "dimensions", "file", "indicators", "note",
)


def _plain(v: Any) -> Any:
    """Integral floats as ints (50 rather than 50.0), lists joined."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return UNIT_SEPARATOR.join(str(x) for x in v)
    return v


def _check_scheme(registry: Registry, scheme_id: Optional[str]) -> None:
    if scheme_id is not None and scheme_id not in registry.schemes:
        known = ", ".join(sorted(registry.schemes)) or "none"
        raise UnknownScheme(f"unknown scheme {scheme_id!r} (registry has: {known})")


def _indicators(registry: Registry, scheme_id: Optional[str]) -> list[Indicator]:
    _check_scheme(registry, scheme_id)
    return [i for i in registry.indicators.values() if scheme_id is None or i.scheme == scheme_id]


def _schemes(registry: Registry, scheme_id: Optional[str]) -> list[Scheme]:
    _check_scheme(registry, scheme_id)
    return [s for s in registry.schemes.values() if scheme_id is None or s.id == scheme_id]


def indicator_row(ind: Indicator) -> dict[str, Any]:
    dump = ind.model_dump(mode="json")
    row: dict[str, Any] = {}
    for col in COLUMNS:
        if col == "reporting_unit":
            row[col] = ind.reporting_unit
        elif col == "ledger.columns":   # the labels, not the column dicts
            row[col] = UNIT_SEPARATOR.join(c.label for c in ind.ledger.columns) if ind.ledger else None
        elif "." in col:
            head, tail = col.split(".", 1)
            row[col] = _plain((dump.get(head) or {}).get(tail))
        else:
            row[col] = _plain(dump.get(col))
    return row


def registry_rows(registry: Registry, scheme_id: Optional[str] = None) -> list[dict[str, Any]]:
    """One dict per indicator, keys exactly :data:`COLUMNS`, in registry order.

    Raises :class:`UnknownScheme` if ``scheme_id`` is not in the registry."""
    return [indicator_row(i) for i in _indicators(registry, scheme_id)]


def scheme_rows(registry: Registry, scheme_id: Optional[str] = None) -> list[dict[str, Any]]:
    """One summary dict per scheme, keys exactly :data:`SCHEME_COLUMNS`."""
    rows = []
    for s in _schemes(registry, scheme_id):
        d = s.model_dump(mode="json")
        lg = d.get("leading_group") or {}
        rows.append({
            "id": s.id, "name": s.name, "short_name": s.short_name, "region": s.region,
            "region_level": s.region_level,
            "document.title": s.document.title, "document.number": s.document.number,
            "document.issuer": s.document.issuer, "document.date": d["document"]["date"],
            "period.start": str(s.period.start), "period.end": str(s.period.end),
            "stages": UNIT_SEPARATOR.join(st.name for st in s.stages),
            "leading_group.name": lg.get("name"), "leading_group.office": lg.get("office"),
            "dimensions": UNIT_SEPARATOR.join(s.dimensions),
            "file": registry.files.get(s.id), "indicators": len(registry.scheme_indicators(s.id)),
            "note": s.note,
        })
    return rows


def registry_document(registry: Registry, scheme_id: Optional[str] = None) -> dict[str, list[dict]]:
    """``{"schemes": [...], "indicators": [...]}``, every model dumped in JSON mode."""
    return {
        "schemes": [s.model_dump(mode="json") for s in _schemes(registry, scheme_id)],
        "indicators": [i.model_dump(mode="json") for i in _indicators(registry, scheme_id)],
    }


def escape_cell(value: Any) -> Any:
    """Prefix ' to a string a spreadsheet would read as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _write_text(text: str, target: PathOrStream, encoding: str) -> None:
    """Write to a path, a text stream or a binary stream."""
    if isinstance(target, (str, Path)):
        with open(target, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
    elif isinstance(target, io.TextIOBase):
        target.write(("\ufeff" if encoding == "utf-8-sig" else "") + text)
    else:
        target.write(text.encode(encoding))


def write_json(registry: Registry, path_or_stream: PathOrStream, scheme_id: Optional[str] = None) -> None:
    text = json.dumps(registry_document(registry, scheme_id), ensure_ascii=False, indent=2) + "\n"
    _write_text(text, path_or_stream, "utf-8")


def write_csv(registry: Registry, path_or_stream: PathOrStream, scheme_id: Optional[str] = None) -> None:
    """UTF-8 with BOM (Excel then reads the Chinese correctly), header = :data:`COLUMNS`."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(registry_rows(registry, scheme_id))
    _write_text(buf.getvalue(), path_or_stream, "utf-8-sig")


def _fill_sheet(ws, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    ws.append(list(columns))
    for row in rows:
        ws.append([escape_cell(row[c]) for c in columns])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for idx, col in enumerate(columns, start=1):
        longest = max([len(str(r[col])) for r in rows if r[col] is not None] + [len(col)])
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = min(60, longest + 2)


def write_xlsx(registry: Registry, path_or_stream: PathOrStream, scheme_id: Optional[str] = None) -> None:
    """Sheet ``indicators`` (one row per indicator) and sheet ``schemes``; header row frozen,
    autofilter on, every string that could be read as a formula escaped."""
    from openpyxl import Workbook  # only the xlsx export needs it

    rows = registry_rows(registry, scheme_id)
    wb = Workbook()
    ws = wb.active
    ws.title = "indicators"
    _fill_sheet(ws, COLUMNS, rows)
    _fill_sheet(wb.create_sheet("schemes"), SCHEME_COLUMNS, scheme_rows(registry, scheme_id))
    wb.save(path_or_stream)


WRITERS = {"json": write_json, "csv": write_csv, "xlsx": write_xlsx}
