"""All ledgers of a region as one Excel workbook, one sheet per ledger indicator (for the
acceptance package and the 台账 section's download)."""
from __future__ import annotations

from data.ledger_xlsx import workbook

RECORD_HEADERS = ("登记单位", "登记季度", "登记人", "登记时间")


def _sheet(service, ind, rows: list[dict]):
    labels = [c.label for c in ind.ledger.columns]
    body = [[r.get(label, "") for label in labels]
            + [r["unit"], r["period"], r["entered_by"], r["entered_at"][:19].replace("T", " ")] for r in rows]
    return ind.name, labels + list(RECORD_HEADERS), body


def ledgers_xlsx(service, scheme_id: str, region_id: str, indicator_id: str | None = None) -> bytes:
    """The current rows of every ledger of ``scheme_id`` for region ``region_id`` (its name),
    a sheet per indicator in registry order (an empty ledger: its header only). With
    ``indicator_id``, that ledger alone."""
    rows = service.ledger_rows(scheme_id, region_id)
    inds = [service.registry.indicators[i] for i in rows if indicator_id in (None, i)]
    return workbook([_sheet(service, ind, rows[ind.id]) for ind in inds])
