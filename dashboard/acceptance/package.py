"""The acceptance package (验收材料包) of a scheme and region: one zip, built without Dash.

    索引.docx                          per indicator: the cited target (clause and words), the final
                                       value and status, and its evidence files with their paths here
    佐证材料/<维度>/<指标>/<文件>       every evidence file not removed (safe names, duplicates numbered)
    台账.xlsx                          the ledgers, when a ledger exporter is given
    manifest.json                      path, size and SHA-256 of every other member
    清单.sha256                        the same in ``sha256sum -c`` form

Memory stays bounded: evidence files are streamed into the zip in chunks (the writer and the
hashing are data.backup's), and the zip is written to a file, never held whole.
"""
from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from data.backup import _add_member, _file_chunks, atomic_output

from . import collect
from .collect import Checklist

INDEX = "索引.docx"
EVIDENCE_ROOT = "佐证材料"
LEDGERS = "台账.xlsx"
MANIFEST = "manifest.json"
SUMS = "清单.sha256"
NAME_MAX = 80   # characters of one path part: zip tools and Windows Explorer cope with the whole path

Progress = Callable[[int, int, str], None]   # (done, total, what)


class PackageError(RuntimeError):
    """The package could not be built (message in Chinese, for the user)."""


# ---------------------------------------------------------------- paths inside the zip (pure)

def safe_part(text: str, limit: int = NAME_MAX) -> str:
    """One path part from a name: no separators, reserved or control characters, no leading dots
    (never a hidden file or ``..``), at most ``limit`` characters keeping the extension."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", text).strip().lstrip(".").strip()
    if not text:
        return "_"
    if len(text) > limit:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 8 and stem:
            text = stem[:limit - len(ext) - 1] + "." + ext
        else:
            text = text[:limit]
    return text


def _numbered(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}({n}).{ext}" if dot and stem else f"{name}({n})"


def unique_name(name: str, used: set) -> str:
    """``name``, or 名称(2).pdf, 名称(3).pdf … when taken (compared case-insensitively, as Windows does)."""
    candidate, n = name, 1
    while candidate.casefold() in used:
        n += 1
        candidate = _numbered(name, n)
    used.add(candidate.casefold())
    return candidate


def plan_paths(checklist: Checklist) -> dict[int, str]:
    """Evidence id -> its path in the zip: 佐证材料/<维度>/<指标>/<文件>, every path distinct."""
    out: dict[int, str] = {}
    folders: set = set()
    for row in checklist.rows:
        files = checklist.evidence.get(row.indicator_id, [])
        if not files:
            continue
        folder = unique_name(f"{safe_part(row.dimension)}/{safe_part(row.name)}", folders)
        used: set = set()
        for e in files:
            out[e.id] = f"{EVIDENCE_ROOT}/{folder}/{unique_name(safe_part(e.name), used)}"
    return out


def package_filename(scheme, region: str, quarter) -> str:
    """e.g. 安宁市_验收材料包_2025Q4.zip (the scheme's short name added for another scheme's region)."""
    from ..figures import safe_name

    parts = [region] if region == scheme.region else [region, scheme.short_name]
    return safe_name(*parts, "验收材料包", str(quarter)) + ".zip"


# ---------------------------------------------------------------- the index (Word)

@dataclass(frozen=True)
class Packed:
    """One evidence file as it went into the zip."""

    path: str
    name: str
    period: str
    size: int
    problem: str = ""     # the file is missing from storage or its content changed since upload


def _index_docx(checklist: Checklist, packed: dict[str, list[Packed]], ledgers: bool, demo: bool) -> bytes:
    from docx.shared import Pt

    from ..reports import _add_row, _cell_text, _page_number_footer, _setup_document, _status_cell, _table

    doc = _setup_document()
    _page_number_footer(doc, demo)
    scheme = checklist.scheme
    doc.add_paragraph(f"{checklist.region}验收材料索引", style="Title")
    doc.add_paragraph(f"方案:{scheme.name}。依据:《{scheme.document.title}》"
                      + (f"({scheme.document.number})" if scheme.document.number else "") + "。")
    from .rules import summarise

    from ..entry.forms import local_time

    doc.add_paragraph(f"评价季度:{checklist.quarter.label}(方案期末或最近结束的季度)。"
                      f"生成时间:{local_time(datetime.now(timezone.utc))}。{summarise(checklist.rows).text}")
    doc.add_paragraph(f"本材料包内:{INDEX}(本索引);{EVIDENCE_ROOT}/(按维度、指标分文件夹的佐证材料)"
                      + (f";{LEDGERS}(台账)" if ledgers else "")
                      + f";{MANIFEST} 与 {SUMS}(每个文件的大小和SHA-256,可用 sha256sum -c {SUMS} 校验)。")
    dimension = None
    for row in checklist.rows:
        if row.dimension != dimension:
            dimension = row.dimension
            doc.add_heading(dimension, level=1)
        doc.add_heading(row.name, level=2)
        widths = (3.0, 14.0)
        table = _table(doc, widths, ("项目", "内容"))
        items = [("目标(条款)", f"{row.target_text}(第{row.clause}条)"), ("原文", row.quote),
                 ("填报单位", row.reporting_unit), ("最终数值", row.value_text), ("最终状态", None),
                 ("缺项", row.missing_text)]
        if row.verified:
            items.append(("核验", f"已核验({row.verified_by},{row.verified_at:%Y-%m-%d})"))
        if row.ledger is not None:
            items.append(("台账", f"{row.ledger}行(见{LEDGERS})"))
        for head, text in items:
            cells = _add_row(table, widths).cells
            _cell_text(cells[0], head, size=9, bold=True)
            if text is None:
                _status_cell(cells[1], row.status, size=9)
            else:
                _cell_text(cells[1], text, size=9)
        files = packed.get(row.indicator_id, [])
        if not files:
            doc.add_paragraph("佐证材料:无。")
            continue
        doc.add_paragraph(f"佐证材料{len(files)}份:")
        for f in files:
            par = doc.add_paragraph(style="List Bullet")
            run = par.add_run(f.path)
            run.font.size = Pt(9)
            # The name as uploaded, where the zip's differs (made safe or numbered).
            named = "" if f.path.rsplit("/", 1)[-1] == f.name else f",原名“{f.name}”"
            extra = f"({f.period}{named})" + (f" {f.problem}" if f.problem else "")
            par.add_run(extra).font.size = Pt(9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- the zip

def build_package(service, scheme_id: str, region: str, fh, *, ledgers_xlsx: Optional[Callable] = None,
                  progress: Optional[Progress] = None, today: Optional[date] = None) -> dict:
    """Write the package of ``region`` under ``scheme_id`` to the binary file ``fh``; returns the
    manifest (``{"files": [{"path", "size", "sha256"}, …], …}``). ``ledgers_xlsx(service, scheme_id,
    region) -> bytes`` writes 台账.xlsx (default: the ledgers' own workbook, when the scheme keeps
    ledgers); ``progress(done, total, what)`` is called as files go in."""
    import zipfile

    if scheme_id not in service.registry.schemes:
        raise PackageError(f"未知方案“{scheme_id}”")
    if ledgers_xlsx is None and any(i.ledger for i in service.indicators(scheme_id)):
        from ..ledger.export import ledgers_xlsx  # the scheme keeps ledgers: 台账.xlsx goes in
    checklist = collect.gather(service, scheme_id, region, today=today)
    paths = plan_paths(checklist)
    total = len(paths) + 2 + (1 if ledgers_xlsx else 0)
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, what)

    if progress:
        progress(0, total, "开始")
    now = datetime.now(timezone.utc)
    members: dict[str, dict] = {}
    packed: dict[str, list[Packed]] = {}
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for row in checklist.rows:
            for e in checklist.evidence.get(row.indicator_id, []):
                path = paths[e.id]
                source = service.evidence.path(e)
                problem = ""
                if not source.is_file():
                    problem = "【存储中找不到该文件,未能打包,请重新上传】"
                else:
                    _add_member(zf, members, path, _file_chunks(source), now)
                    if members[path]["sha256"] != e.sha256:
                        problem = "【文件内容与上传时登记的SHA-256不符,请核查】"
                packed.setdefault(row.indicator_id, []).append(Packed(path, e.name, e.period.label, e.size, problem))
                step(e.name)
        if ledgers_xlsx is not None:
            data = ledgers_xlsx(service, scheme_id, region)
            _add_member(zf, members, LEDGERS, [data], now)
            step(LEDGERS)
        index = _index_docx(checklist, packed, ledgers_xlsx is not None, service.store.is_demo())
        _add_member(zf, members, INDEX, [index], now)
        step(INDEX)
        files = [{"path": p, "size": m["bytes"], "sha256": m["sha256"]} for p, m in members.items()]
        manifest = {"scheme": scheme_id, "region": region, "quarter": str(checklist.quarter),
                    "created_at": now.isoformat(), "files": files}
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        zf.writestr(SUMS, "".join(f"{f['sha256']}  {f['path']}\n" for f in files))
        step(MANIFEST)
    return manifest


def write_package(service, scheme_id: str, region: str, out: Path | str, **kw) -> dict:
    """build_package into ``out``; nothing is left under that name when it fails (atomic_output)."""
    with atomic_output(out) as fh:
        return build_package(service, scheme_id, region, fh, **kw)
