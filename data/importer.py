"""Bulk entry from a CSV or XLSX file, and the XLSX entry template.

A file is checked completely before anything is written; then every row is
committed in one transaction, or none (see :meth:`data.store.Store.import_rows`).
Row numbers in messages are the file's own (header = row 1).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import IO, Any, Optional, Union

from indicators.limits import note_problem
from indicators.model import Indicator, Kind, Reporting
from indicators.periods import Quarter
from indicators.registry import Registry
from indicators.values import check_value, plausibility, same_value

from .errors import ImportRejected
from .store import Change, ImportRow, Store

try:  # one escaping rule for every spreadsheet the product writes
    from indicators.export import escape_cell
except ImportError:  # pragma: no cover - only while indicators.export is absent
    def escape_cell(value: Any) -> Any:
        """Prefix ' to a string a spreadsheet would read as a formula."""
        if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
            return "'" + value
        return value

MAX_BYTES = 5 * 1024 * 1024
# Bounds on the work an import may cause, whatever the file declares (docs/data.md).
MAX_ROWS = 5000                         # data rows (non-blank rows below the header)
MAX_COLS = 50                           # columns read from each row; the rest are ignored
MAX_ERRORS = 200                        # problems listed; the rest are counted
MAX_SCAN_ROWS = 2 * MAX_ROWS            # sheet rows read (blank rows count); rows below are never read
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024   # an xlsx's members together, unpacked
MAX_ZIP_MEMBERS = 1000
SHEET_NAME = "填报"
# canonical column -> accepted header spellings (compared case-insensitively, spaces ignored)
COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator_id": ("indicator_id", "指标编号"),
    "period": ("period", "报告期"),
    "value": ("value", "填报值"),
    "note": ("note", "备注"),
}
REQUIRED = ("indicator_id", "period", "value")
COLUMN_LABELS = {k: f"{v[1]}({v[0]})" for k, v in COLUMNS.items()}
HEADER_HINT = "第1行须为表头:指标编号,报告期,填报值,备注(或 indicator_id,period,value,note)"

TEMPLATE_HEADERS = ["指标编号", "报告期", "指标名称", "计量单位", "填报口径", "上季度值", "填报值", "备注"]


class ImportFileError(Exception):
    """The file as a whole cannot be read; one clear message."""


class HeaderError(ImportFileError):
    """No usable header row (perhaps the data are on another sheet)."""


@dataclass(frozen=True)
class RawRow:
    row: int                  # 1-based line in the file (header = 1)
    indicator_id: str
    period: str
    value: Any
    note: Optional[str]       # None: the file has no note column


@dataclass(frozen=True)
class PlannedChange(Change):
    """A store Change with what a preview shows besides: the indicator's name and unit."""

    indicator_name: str = ""
    unit: str = ""

    def describe(self) -> str:
        def f(v):
            return "空" if v is None else f"{v:g}"
        where = f"第{self.row}行 " if self.row is not None else ""
        head = f"{where}{self.indicator_id} {self.indicator_name} {self.period}"
        if self.action == "unchanged":
            return f"{head}:{f(self.new_value)}{self.unit}(不变)"
        note = f",备注“{self.new_note}”" if self.new_note != self.old_note and self.new_note else ""
        verb = "新增" if self.action == "new" else "修改"
        return f"{head}:{verb} {f(self.old_value)} → {f(self.new_value)}{self.unit}{note}"


@dataclass
class Preview:
    changes: list[PlannedChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # explained (noted) plausibility warnings
    skipped: int = 0                                    # rows with an empty value
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> list[PlannedChange]:
        return [c for c in self.changes if c.action != "unchanged"]

    def summary(self) -> str:
        if self.errors:
            return f"导入失败:共{error_total(self.errors)}个问题,未写入任何数据"
        n_new, n_upd, n_same = action_counts(self.changes)
        state = "已写入" if self.committed else ("预览(未写入)" if self.changed else "无需写入")
        return f"{state}:新增{n_new}条,修改{n_upd}条,不变{n_same}条,空值跳过{self.skipped}行"


_MORE_ERRORS = "另有{}处错误未列出"
_MORE_RE = re.compile("^" + _MORE_ERRORS.format(r"(\d+)") + "$")


def limit_errors(errors: list[str], limit: int = MAX_ERRORS) -> list[str]:
    """The first ``limit`` problems and one line counting the rest: a file of 5,000 bad rows
    must not answer with 5,000 lines (the whole file is still checked, to count them)."""
    if len(errors) <= limit:
        return list(errors)
    return errors[:limit] + [_MORE_ERRORS.format(len(errors) - limit)]


def error_total(errors: list[str]) -> int:
    """How many problems a :func:`limit_errors` list stands for."""
    m = _MORE_RE.match(errors[-1]) if errors else None
    return len(errors) - 1 + int(m.group(1)) if m else len(errors)


# ---------------------------------------------------------------- reading

def _norm_header(h: Any) -> str:
    return "".join(str(h or "").split()).lstrip("\ufeff").lower()


_ALIASES = {_norm_header(a): key for key, names in COLUMNS.items() for a in names}


def _header_map(header: list[Any], where: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, h in enumerate(header):
        key = _ALIASES.get(_norm_header(h))
        if key and key not in found:
            found[key] = i
    if not found:
        raise HeaderError(f"{where}无法识别表头。{HEADER_HINT}")
    missing = [COLUMN_LABELS[k] for k in REQUIRED if k not in found]
    if missing:
        raise HeaderError(f"{where}缺少列:{'、'.join(missing)}。{HEADER_HINT}")
    return found


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _unescape(text: str) -> str:
    # Our template writes '=... for text a spreadsheet would take as a formula; read it back as written.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def _blank(cells: tuple) -> bool:
    # Fast path first: openpyxl pads missing rows with tuples of None (up to a million of them).
    if not any(cells) and cells.count(None) + cells.count("") == len(cells):
        return True
    return all(_cell_text(c) == "" for c in cells)


def _too_long(what: str) -> str:
    return (f"{what}超过{MAX_SCAN_ROWS}行,一次最多导入{MAX_ROWS}行数据;"
            "请删除多余的行或把数据复制到新的工作表后再导入")


def _rows_from_table(rows: Iterable[Sequence[Any]], where: str) -> list[RawRow]:
    """Rows of a table read lazily: the header, then at most MAX_ROWS non-blank data rows of
    at most MAX_COLS cells; nothing else of the file is kept (blank rows are skipped, but
    count in row numbers; a row below MAX_SCAN_ROWS is refused)."""
    it = iter(rows)
    header = next(it, None)
    if header is None:
        raise HeaderError(f"{where}没有内容。{HEADER_HINT}")
    cols = _header_map(list(header[:MAX_COLS]), where)
    out: list[RawRow] = []
    for n, cells in enumerate(it, start=2):
        if n > MAX_SCAN_ROWS:
            raise ImportFileError(_too_long(where))
        if not cells:
            continue
        cells = tuple(cells[:MAX_COLS])
        if _blank(cells):
            continue
        if len(out) >= MAX_ROWS:
            raise ImportFileError(f"{where}的数据超过{MAX_ROWS}行(第{n}行仍有内容),一次最多导入{MAX_ROWS}行,"
                                  "请分成几个文件导入")

        def get(key):
            i = cols.get(key)
            return cells[i] if i is not None and i < len(cells) else None
        note = _unescape(_cell_text(get("note"))) if "note" in cols else None
        value = get("value")
        if isinstance(value, str):
            value = _unescape(value.strip())
        out.append(RawRow(n, _cell_text(get("indicator_id")), _cell_text(get("period")), value, note))
    return out


def _read_csv(data: bytes) -> list[RawRow]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("文件不是UTF-8编码的CSV,也不是xlsx表格(在Excel中请另存为“CSV UTF-8”或“Excel工作簿(.xlsx)”)")
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    try:
        # csv.reader is lazy: rows past the bound are never parsed.
        return _rows_from_table(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), "CSV文件")
    except csv.Error as exc:
        raise ImportFileError(f"CSV格式错误:{exc}")


XLSX_UNREADABLE = "无法读取Excel文件:文件已损坏或不是xlsx格式"


def _check_zip(data: bytes) -> None:
    """Refuse before openpyxl sees the file: a damaged archive, an encrypted member, or
    members that unpack to more than MAX_UNZIPPED_BYTES (zipfile never returns more than a
    member's declared size, so the declared sizes are a real bound)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ImportFileError(XLSX_UNREADABLE)
    if any(i.flag_bits & 0x1 for i in infos):
        raise ImportFileError("无法读取Excel文件:文件已加密(设置了密码),请取消密码后另存为.xlsx再导入")
    if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise ImportFileError(f"无法读取Excel文件:文件解压后超过{MAX_UNZIPPED_BYTES // 1024 // 1024} MB,"
                              "不是正常的填报表格")


def _read_xlsx(data: bytes) -> list[RawRow]:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged files
        raise ImportFileError(XLSX_UNREADABLE)
    try:
        if SHEET_NAME in wb.sheetnames:
            ws = wb[SHEET_NAME]
        elif wb.worksheets:
            ws = wb.worksheets[0]
        else:
            raise ImportFileError("无法读取Excel文件:文件中没有工作表")
        where = f"工作表“{ws.title}”"
        # Never trust the declared size (A1:XFD1048576 in a 5 KB file made openpyxl pad a
        # million rows to 16,384 cells): refuse a sheet that declares more than MAX_SCAN_ROWS
        # rows, then read lazily at most MAX_SCAN_ROWS rows of MAX_COLS columns whatever it holds.
        declared = ws.max_row if isinstance(ws.max_row, int) else 0
        if declared > MAX_SCAN_ROWS:
            raise ImportFileError(_too_long(f"{where}的范围({ws.calculate_dimension()})"))
        ws.reset_dimensions()
        rows = ws.iter_rows(max_row=MAX_SCAN_ROWS, max_col=MAX_COLS, values_only=True)
        try:
            return _rows_from_table(rows, where)
        except ImportFileError as exc:
            if isinstance(exc, HeaderError) and ws.title != SHEET_NAME:
                raise ImportFileError(f"{exc};请把数据放在名为“{SHEET_NAME}”的工作表中(可用导出的填报模板)")
            raise
    except ImportFileError:
        raise
    except Exception:  # damaged sheet XML is only found while reading the rows
        raise ImportFileError(XLSX_UNREADABLE)
    finally:
        wb.close()


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_file(data: bytes, filename: str = "") -> list[RawRow]:
    """Parse a CSV or XLSX upload into rows; raises ImportFileError with one message.
    Reads at most MAX_ROWS data rows of MAX_COLS columns, whatever the file declares."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"文件过大({len(data) / 1024 / 1024:.2f} MB),上限为5 MB")
    if not data.strip():
        raise ImportFileError("文件为空")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        if data[:8] == OLE_MAGIC:
            # An .xlsx with a password is stored as an OLE container, like an old .xls.
            raise ImportFileError("无法读取Excel文件:文件已加密(设置了密码)或是旧版格式,"
                                  "请取消密码后另存为“Excel工作簿(.xlsx)”再导入")
        return _read_xlsx(data)
    if data[:8] == OLE_MAGIC or name.endswith(".xls"):
        raise ImportFileError("不支持旧版Excel(.xls)文件,请另存为.xlsx或CSV UTF-8后再导入")
    if b"\x00" in data[:4096]:
        raise ImportFileError("文件内容无法识别:不是CSV文本或xlsx表格")
    return _read_csv(data)


# ---------------------------------------------------------------- checking

def _current_quarter(today: date) -> Quarter:
    return Quarter.containing(today)


def check_rows(raw: list[RawRow], registry: Registry, store: Store, region: Optional[str],
               today: date) -> tuple[list[ImportRow], list[str], list[str], int]:
    """Validate every row against the registry. Returns (rows, errors, warnings, skipped)."""
    errors: list[str] = []
    warnings: list[str] = []
    good: list[tuple[RawRow, Indicator, Quarter, float, str]] = []
    seen: dict[tuple[str, Quarter], int] = {}
    current = _current_quarter(today)
    skipped = 0
    for r in raw:
        where = f"第{r.row}行:"
        if not r.indicator_id:
            errors.append(f"{where}缺少指标编号")
            continue
        ind = registry.indicators.get(r.indicator_id)
        if ind is None:
            errors.append(f"{where}未知指标编号“{r.indicator_id}”")
            continue
        if not r.period:
            errors.append(f"{where}缺少报告期")
            continue
        try:
            q = Quarter.parse(r.period)
        except ValueError:
            errors.append(f"{where}报告期“{r.period}”格式错误,应为如2024Q2")
            continue
        scheme = registry.schemes[ind.scheme]
        first = Quarter.containing(scheme.period.start.first_day)
        if q < first:
            errors.append(f"{where}报告期{q}早于方案起始({scheme.period.start.label})")
            continue
        if q > current:
            errors.append(f"{where}报告期{q}晚于当前季度{current},不能填报未来的季度")
            continue
        if (ind.id, q) in seen:
            errors.append(f"{where}指标{ind.id}的{q}与第{seen[(ind.id, q)]}行重复")
            continue
        seen[(ind.id, q)] = r.row
        problem = note_problem(r.note)
        if problem:
            errors.append(f"{where}{problem}")
            continue
        checked = check_value(ind, r.value)
        if checked.errors:
            shown = _cell_text(r.value)
            errors.append(f"{where}填报值“{shown}”{';'.join(checked.errors)}")
            continue
        if checked.empty:
            skipped += 1
            continue
        good.append((r, ind, q, checked.value, r.note))

    # Plausibility against last quarter: from this file if present, else the stored value.
    file_values = {(ind.id, q): v for _, ind, q, v, _ in good}
    stored: dict[tuple[str, str], dict[str, dict[Quarter, float]]] = {}
    rows: list[ImportRow] = []
    states: dict[tuple[str, str, str, Quarter], str] = {}
    for r, ind, q, value, note in good:
        reg_name = region or registry.schemes[ind.scheme].region
        # What the office reviews is what was submitted: a submitted quarter takes no import
        # (an approved one is refused by the store, for every changed row).
        sub_key = (ind.scheme, reg_name, ind.reporting_unit, q)
        if sub_key not in states:
            sub = store.submission(*sub_key)
            states[sub_key] = sub.state if sub else "draft"
        if states[sub_key] == "submitted":
            errors.append(f"第{r.row}行:{ind.reporting_unit}{q.label}的数据已报送、等待审核,不能导入修改")
            continue
        key = (ind.scheme, reg_name)
        if key not in stored:
            stored[key] = store.observations(ind.scheme, reg_name)
        prev = file_values.get((ind.id, q.prev()))
        if prev is None:
            prev = stored[key].get(ind.id, {}).get(q.prev())
        warns = plausibility(ind, value, prev)
        if warns:
            existing = store.observation(ind.id, reg_name, q)
            old_note = existing.note if existing else ""
            if existing is not None and existing.value is not None and same_value(existing.value, value):
                warns = []  # the stored value again: explained (or not) when it was entered
            elif not note or note == old_note:
                # As on the form: a new value needs a reason written now; the template's
                # prefilled old note explained the old value, not this one.
                errors.append(f"第{r.row}行:{'、'.join(warns)}(上季度{prev:g}),请在备注中说明原因"
                              + ("(备注与已存备注相同,请写明本次数值的原因)" if note and note == old_note else ""))
                continue
        if warns:
            warnings.append(f"第{r.row}行:{'、'.join(warns)}(已说明:{note})")
        rows.append(ImportRow(ind, reg_name, q, value, note or None, r.row))
    return rows, errors, warnings, skipped


def action_counts(changes: list[Change]) -> tuple[int, int, int]:
    """(new, updated, unchanged) among planned or made import changes."""
    n_new = sum(c.action == "new" for c in changes)
    n_upd = sum(c.action == "update" for c in changes)
    return n_new, n_upd, len(changes) - n_new - n_upd


def _planned(changes: list[Change], registry: Registry) -> list[PlannedChange]:
    out = []
    for c in changes:
        ind = registry.indicators[c.indicator_id]
        out.append(PlannedChange(**{f.name: getattr(c, f.name) for f in fields(c)},
                                 indicator_name=ind.name, unit=ind.unit))
    return out


def import_file(store: Store, registry: Registry, file: Union[bytes, str, Path], user: str,
                filename: str = "", region: Optional[str] = None, today: Optional[date] = None,
                dry_run: bool = False) -> Preview:
    """Check a whole file and (unless ``dry_run``) commit every row or none.
    ``file`` is the file's bytes or a path. Never raises for bad input: the
    returned preview carries the errors."""
    if isinstance(file, (str, Path)):
        path = Path(file)
        filename = filename or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            return Preview(errors=[f"无法打开文件:{exc.strerror or exc}"])
        if size > MAX_BYTES:
            return Preview(errors=[f"文件过大({size / 1024 / 1024:.2f} MB),上限为5 MB"])
        data = path.read_bytes()
    else:
        data = bytes(file)
    today = today or date.today()
    try:
        raw = read_file(data, filename)
    except ImportFileError as exc:
        return Preview(errors=[str(exc)])
    if not raw:
        return Preview(errors=["文件中没有数据行(第1行为表头,数据从第2行开始)"])
    rows, errors, warnings, skipped = check_rows(raw, registry, store, region, today)
    if errors:
        return Preview(errors=limit_errors(errors), warnings=warnings, skipped=skipped)
    try:
        changes = store.import_rows(rows, user, source="import", dry_run=dry_run)
    except ImportRejected as exc:
        return Preview(errors=limit_errors(exc.errors), warnings=warnings, skipped=skipped)
    committed = not dry_run and any(c.action != "unchanged" for c in changes)
    return Preview(_planned(changes, registry), [], warnings, skipped, committed)


# ---------------------------------------------------------------- template

def _hint(ind: Indicator) -> str:
    if ind.kind is Kind.milestone:
        return "里程碑:已完成填1,未完成填0"
    if ind.reporting is Reporting.flow:
        if ind.kind is Kind.rate:
            return "当季比率(%)"
        return "当季新增量(流量)"
    return "季末累计数/水平(存量)"


def _started(ind: Indicator, registry: Registry, period: Quarter) -> bool:
    start = ind.start or registry.schemes[ind.scheme].period.start
    return start.first_day <= period.end


def template_indicators(registry: Registry, scheme_id: str, unit: Optional[str],
                        period: Quarter) -> list[Indicator]:
    """The indicators a unit enters for a quarter (all units when ``unit`` is None)."""
    return [i for i in registry.scheme_indicators(scheme_id)
            if (unit is None or i.reporting_unit == unit) and _started(i, registry, period)]


def write_template(registry: Registry, scheme_id: str, region: str, unit: Optional[str],
                   period: Union[Quarter, str], store: Store, stream: IO[bytes]) -> int:
    """Write an XLSX entry template for a unit and quarter, prefilled with last
    quarter's and any stored value. Returns the number of indicator rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    q = period if isinstance(period, Quarter) else Quarter.parse(str(period))
    scheme = registry.schemes[scheme_id]
    inds = template_indicators(registry, scheme_id, unit, q)
    current = store.observations_at(scheme_id, region, q)
    previous = store.observations_at(scheme_id, region, q.prev())

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(TEMPLATE_HEADERS)
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    entry_fill = PatternFill("solid", fgColor="FFF2CC")
    for ind in inds:
        prev = previous.get(ind.id)
        cur = current.get(ind.id)
        ws.append([escape_cell(v) for v in (
            ind.id, str(q), ind.name, ind.unit, _hint(ind),
            prev.value if prev else None, cur.value if cur else None, cur.note if cur else "")])
        row = ws.max_row
        value_cell = ws.cell(row=row, column=7)
        value_cell.number_format = "0" if ind.decimals == 0 else "0." + "0" * ind.decimals
        value_cell.fill = entry_fill
        ws.cell(row=row, column=8).fill = entry_fill
        ws.cell(row=row, column=6).number_format = value_cell.number_format
    for col, width in zip("ABCDEFGH", (40, 10, 40, 10, 22, 12, 12, 40)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"

    info = wb.create_sheet("说明")
    lines = [
        f"方案:{scheme.name}",
        f"地区:{region}",
        f"填报单位:{unit or '全部单位'}",
        f"报告期:{q.label}({q})",
        "",
        "填写说明:",
        "1. 只填写黄色的“填报值”和“备注”两列,不要修改指标编号、报告期和表头。",
        "2. 流量指标填本季度新增量;存量指标填季度末的累计数或水平;里程碑已完成填1,未完成填0。",
        "3. 件、家、人等计数单位只能填整数;百分比不超过100。",
        "4. 存量较上季度下降、或超过上季度3倍时,须在备注中说明原因。",
        "5. 填报值留空的行不导入;整个文件检查无误后才一次性写入。",
    ]
    for line in lines:
        info.append([escape_cell(line)])
    info.column_dimensions["A"].width = 90
    for row in info.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    wb.save(stream)
    return len(inds)
