"""Issue 14, findings 1 and 5: an import reads a bounded sheet whatever the file declares,
refuses more than MAX_ROWS data rows, and lists at most MAX_ERRORS problems."""
from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from openpyxl import Workbook

from data import importer
from data.__main__ import main
from data.importer import MAX_COLS, MAX_ERRORS, MAX_ROWS, MAX_SCAN_ROWS, ImportFileError, import_file, read_file
from indicators.registry import load_registry

from .files import SHEET_PATH, header_then_far_row, inline, memory_bomb, replace_members, sheet_xml, workbook_bytes

pytest_plugins = ["tests.conftest_db"]

ROOT = Path(__file__).resolve().parents[2]
IND = "anning_invention_grants_annual"
TODAY = "2025-11-20"
HEADER = "indicator_id,period,value,note\n"
PEAK_MB, SECONDS = 300, 5.0


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def measured(path: Path, db_url: str) -> dict:
    """``python -m data import --dry-run`` in a child process: the child's own time for the
    import, its peak RSS and its messages. The peak is the child's VmHWM (/proc/self/status):
    its own address space only. (rusage's maxrss would carry over the RSS of the forking
    pytest process, a few hundred MB late in a full run.) The child may map at most 2 GB,
    so a regression fails the test instead of exhausting the machine."""
    code = textwrap.dedent(f"""
        import contextlib, io, json, sys, time
        from data.__main__ import main
        err = io.StringIO()
        t = time.perf_counter()
        with contextlib.redirect_stderr(err):
            rc = main(["--url", {db_url!r}, "import", {str(path)!r}, "--dry-run", "--today", {TODAY!r}])
        seconds = time.perf_counter() - t
        hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
        print(json.dumps({{"rc": rc, "seconds": seconds, "stderr": err.getvalue(), "peak_mb": hwm / 1024}}))
    """)

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    out_path = path.with_suffix(".out")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=limit)
        killer = threading.Timer(120, proc.kill)
        killer.start()
        try:
            _, status, _usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
    text = out_path.read_text(encoding="utf-8", errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-3000:]
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bounds.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init"]) == 0
    return url


@pytest.mark.parametrize("variant", ["one far cell", "many empty rows", "header and a far row",
                                     "dimension that lies"])
def test_memory_exhausting_xlsx_is_refused_fast_in_bounded_memory(tmp_path, cli_db, variant):
    if variant == "one far cell":            # the 5 KB file
        data = memory_bomb()
    elif variant == "many empty rows":
        data = memory_bomb(empty_rows=300_000)
    elif variant == "header and a far row":
        data = header_then_far_row(1_048_576, empty_rows=100_000)
    else:                                    # says A1:D1, holds a header, 300,000 rows, a far row
        header = '<row r="1">' + "".join(inline(f"{c}1", h) for c, h in zip("ABCD", ("指标编号", "报告期", "填报值", "备注"))) + "</row>"
        body = "".join(f'<row r="{n}"/>' for n in range(2, 300_000))
        far = f'<row r="1048576">{inline("XFD1048576", "x")}</row>'
        data = replace_members(workbook_bytes(rows=()), {SHEET_PATH: sheet_xml(header + body + far, "A1:D1")})
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    result = measured(path, cli_db)
    assert result["rc"] == 1
    assert result["seconds"] < SECONDS, result
    assert result["peak_mb"] < PEAK_MB, result
    if variant == "dimension that lies":
        # rows past MAX_SCAN_ROWS are never read: the header is all there is
        assert "文件中没有数据行" in result["stderr"]
    else:
        assert f"超过{MAX_SCAN_ROWS}行" in result["stderr"] and "XFD1048576" in result["stderr"]


def test_nine_hundred_thousand_row_csv_is_refused_fast_in_bounded_memory(tmp_path, cli_db):
    path = tmp_path / "many.csv"
    path.write_bytes((HEADER + f"{IND},2025Q2,1,\n" * 900_000).encode()[: importer.MAX_BYTES])
    result = measured(path, cli_db)
    assert result["rc"] == 1 and result["seconds"] < SECONDS and result["peak_mb"] < PEAK_MB, result
    assert f"数据超过{MAX_ROWS}行(第{MAX_ROWS + 2}行仍有内容)" in result["stderr"]
    assert len(result["stderr"].splitlines()) == 2  # the message and the summary, nothing per row


def csv_rows(n: int, blank_every: int = 0) -> bytes:
    lines = [HEADER.strip()]
    for i in range(n):
        if blank_every and i % blank_every == 0:
            lines.append("")
        lines.append(f"{IND},2025Q2,{i},")
    return ("\n".join(lines) + "\n").encode()


def test_exactly_max_rows_are_read_and_one_more_is_refused():
    rows = read_file(csv_rows(MAX_ROWS, blank_every=1000), "a.csv")
    assert len(rows) == MAX_ROWS and rows[-1].row == MAX_ROWS + MAX_ROWS // 1000 + 1  # blank lines count
    with pytest.raises(ImportFileError, match=f"CSV文件的数据超过{MAX_ROWS}行"):
        read_file(csv_rows(MAX_ROWS + 1), "a.csv")


def test_rows_below_the_scanned_range_are_refused_in_csv_and_xlsx():
    blank_then_row = (HEADER + "\n" * MAX_SCAN_ROWS + f"{IND},2025Q2,1,\n").encode()
    with pytest.raises(ImportFileError, match=f"超过{MAX_SCAN_ROWS}行"):
        read_file(blank_then_row, "a.csv")
    with pytest.raises(ImportFileError, match=f"范围\\(A1:D{MAX_SCAN_ROWS + 1}\\)超过{MAX_SCAN_ROWS}行"):
        read_file(header_then_far_row(MAX_SCAN_ROWS + 1, dimension=f"A1:D{MAX_SCAN_ROWS + 1}"), "a.xlsx")


def test_only_the_first_max_cols_columns_are_read():
    wb = Workbook()
    ws = wb.active
    ws.title = "填报"
    ws.cell(1, MAX_COLS + 1, "indicator_id")   # a header just beyond the bound is not seen
    ws.cell(1, MAX_COLS + 2, "period")
    ws.cell(1, MAX_COLS + 3, "value")
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportFileError, match="无法识别表头"):
        read_file(buf.getvalue(), "a.xlsx")


def test_errors_stop_at_max_errors_with_a_count_of_the_rest(sqlite_store, registry):
    n = MAX_ERRORS + 300
    data = (HEADER + "".join(f"no_such_{i},2025Q2,1,\n" for i in range(n))).encode()
    preview = import_file(sqlite_store, registry, data, "tester", filename="a.csv")
    assert len(preview.errors) == MAX_ERRORS + 1
    assert preview.errors[0].startswith("第2行:未知指标编号")
    assert preview.errors[-1] == "另有300处错误未列出"
    assert f"共{n}个问题" in preview.summary()
    assert sqlite_store.data_version() == 0


def test_cli_import_prints_at_most_max_errors(tmp_path, cli_db, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "".join(f"no_such_{i},2025Q2,1,\n" for i in range(1000)), encoding="utf-8")
    assert main(["import", str(path), "--today", TODAY]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == MAX_ERRORS + 2
    assert err[-2] == "另有800处错误未列出" and "共1000个问题" in err[-1]


def test_cli_import_refuses_a_submitted_quarter_row_by_row(tmp_path, cli_db, capsys, registry):
    from data.db import make_engine
    from data.store import Store

    ind = registry.indicators[IND]
    store = Store(make_engine(cli_db))
    store.submit(ind.scheme, registry.schemes[ind.scheme].region, ind.reporting_unit, "2025Q2", "alice")
    store.dispose()
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "\n" + f"{IND},2025Q2,3,\n", encoding="utf-8")
    assert main(["import", str(path), "--today", TODAY]) == 1
    err = capsys.readouterr().err
    assert f"第3行:{ind.reporting_unit}2025年第2季度的数据已报送、等待审核,不能导入修改" in err
