"""Sample files for the evidence tests, built in code (no binaries in the repository)."""
from __future__ import annotations

import functools
import io
import struct
import zipfile

from data.evidence_demo import tiny_pdf, tiny_png

FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def cfb(stream_name: str, payload: bytes = b"\x00" * 4096) -> bytes:
    """A minimal OLE compound file (version 3) holding one stream: enough for olefile to list it.
    ("WordDocument": a legacy .doc; "Workbook": .xls; anything else: some other OLE file, e.g. .msi)."""
    payload = payload.ljust(4096, b"\x00")
    n_data = len(payload) // 512
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)          # FAT sectors
    struct.pack_into("<I", header, 48, 1)          # first directory sector
    struct.pack_into("<I", header, 56, 4096)       # mini stream cutoff
    struct.pack_into("<IIII", header, 60, END, 0, END, 0)
    difat = [0] + [FREE] * 108
    struct.pack_into("<109I", header, 76, *difat)
    fat = [FATSECT, END] + [3 + i for i in range(n_data - 1)] + [END]
    fat += [FREE] * (128 - len(fat))
    fat_sector = struct.pack("<128I", *fat)

    def entry(name: str, kind: int, child=NOSTREAM, start=END, size=0) -> bytes:
        e = bytearray(128)
        raw = (name + "\x00").encode("utf-16-le") if name else b""
        e[0:len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, NOSTREAM, NOSTREAM, child)
        struct.pack_into("<IQ", e, 116, start, size)
        return bytes(e)
    directory = (entry("Root Entry", 5, child=1) + entry(stream_name, 2, start=2, size=len(payload))
                 + entry("", 0) + entry("", 0))
    return bytes(header) + fat_sector + directory + payload


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def docx() -> bytes:
    import docx as python_docx

    d = python_docx.Document()
    d.add_paragraph("安宁市知识产权局 佐证材料")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "企业名称"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ofd() -> bytes:
    return zip_of({"OFD.xml": b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>", "Doc_0/Document.xml": b"<x/>"})


def jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def zip_bomb_docx() -> bytes:
    """A .docx-shaped zip whose document unpacks to 300 MB (compressed to ~300 KB)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(300):
                fh.write(chunk)
    return buf.getvalue()


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def pdf(text: str = "evidence") -> bytes:
    return tiny_pdf(text, ["test"])


def png(seed: int = 0) -> bytes:
    return tiny_png(seed=seed)
