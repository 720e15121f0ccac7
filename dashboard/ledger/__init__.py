"""台账 (ledgers): the detail page's section (page.py) and the workbook of all ledgers (export.py)."""
