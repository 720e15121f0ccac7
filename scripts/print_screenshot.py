"""The README's printed page: the demo overview (and a detail page) as 导出PDF prints them, page 1 as PNG.

    .venv/bin/python scripts/print_screenshot.py [--out docs/screenshots]

Builds the demo data on a temporary database, prints with the same code as the 导出PDF button
(dashboard/printing.py, Debian's Chromium) and renders the first page with pypdfium2.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2 as pdfium  # noqa: E402

from dashboard import printing  # noqa: E402
from dashboard.service import MonitorService  # noqa: E402
from data.db import make_engine, upgrade  # noqa: E402
from data.demo import load_demo  # noqa: E402
from data.store import Store  # noqa: E402
from indicators.registry import load_registry  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/demo.db")
        upgrade(engine)
        store = Store(engine)
        registry = load_registry()
        load_demo(store, registry)
        service = MonitorService(registry, store)
        jobs = [("printed_overview", "overview", {"scheme_id": "anning", "quarter": "2025Q2"}),
                ("printed_detail", "detail", {"indicator_id": "anning_design_grants_annual", "quarter": "2026Q3"})]
        for name, page, view in jobs:
            _, pdf = printing.build_pdf(service, page, **view)
            doc = pdfium.PdfDocument(pdf)
            # 150 dpi: the header's 8.5 px text stays legible.
            doc[0].render(scale=150 / 72).to_pil().save(out / f"{name}_page1.png")
            print(f"{out / f'{name}_page1.png'}({len(doc)}页)")
        store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
