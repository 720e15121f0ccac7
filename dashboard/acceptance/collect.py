"""Gathers the checklist's inputs from the service (results, evidence, ledgers, marks) for the
pure rules of :mod:`.rules`: the one path for the page, the package and the command."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from indicators.model import Scheme
from indicators.periods import Quarter

from . import rules


@dataclass(frozen=True)
class Checklist:
    scheme: Scheme
    region: str
    quarter: Quarter                 # the judged quarter (rules.judged_quarter)
    rows: list                       # rules.Row, dimension order then registry order
    evidence: dict                   # indicator id -> [EvidenceRow] not removed, oldest first
    lines: list                      # dashboard.reports.Line of each row (same order)


def gather(service, scheme_id: str, region: str, today: Optional[date] = None) -> Checklist:
    """The checklist of ``region`` under ``scheme_id``: every indicator judged as the reports
    judge it (dashboard.reports.gather at rules.judged_quarter)."""
    from ..reports import gather as report_data

    scheme = service.scheme(scheme_id)
    q = rules.judged_quarter(scheme, today or date.today())
    lines = report_data(service, scheme_id, region, q, today=today).lines
    files: dict[str, list] = {}
    for e in service.evidence.rows(scheme_id, region=region, include_removed=False):
        files.setdefault(e.indicator_id, []).append(e)
    rows = rules.build_rows(
        lines, {k: len(v) for k, v in files.items()}, service.acceptance.current(scheme_id, region),
        ledger_counts=service.ledger_counts(scheme_id, region, q),
        ledger_flags=service.ledger_flags(scheme_id, region, q))
    return Checklist(scheme, region, q, rows, files, lines)
