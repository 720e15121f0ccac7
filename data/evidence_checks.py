"""Checks of an evidence file (佐证材料), pure functions shared by the page and the command line.

The type is taken from the content, never from the name: PDF, JPEG and PNG by their
signatures (``filetype``), legacy Word/Excel by the streams inside the OLE container
(``olefile``: a renamed .msi is an OLE file too), Word/Excel 2007+ and OFD by the
entries of the zip, read from its central directory only. A zip is refused before anything is
extracted when its entries would unpack to too much or compress too well (a zip bomb
disguised as .docx). Every refusal is one Chinese sentence that says what was wrong.
"""
from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from typing import Optional

import filetype
import olefile

DEFAULT_MAX_MB = 20
NAME_MAX = 200
# A zip may unpack to at most this much in total, and no entry may compress better than RATIO_MAX:
# real .docx/.xlsx/.ofd files stay far below both; a zip bomb exceeds them.
ZIP_TOTAL_MAX = 200 * 1024 * 1024
ZIP_RATIO_MAX = 100
ZIP_ENTRIES_MAX = 5000

ACCEPTED_TEXT = "PDF、JPEG、PNG、Word(.doc/.docx)、Excel(.xls/.xlsx)、OFD"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    mime: str
    ext: str
    inline: bool = False   # shown in the browser (PDF, images) rather than downloaded


KINDS = {k.key: k for k in (
    Kind("pdf", "PDF", "application/pdf", ".pdf", True),
    Kind("jpeg", "JPEG图片", "image/jpeg", ".jpg", True),
    Kind("png", "PNG图片", "image/png", ".png", True),
    Kind("doc", "Word文档", "application/msword", ".doc"),
    Kind("docx", "Word文档", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    Kind("xls", "Excel表格", "application/vnd.ms-excel", ".xls"),
    Kind("xlsx", "Excel表格", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    Kind("ofd", "OFD版式文件", "application/ofd", ".ofd"),
)}
KIND_BY_MIME = {k.mime: k for k in KINDS.values()}


class FileRefused(ValueError):
    """The file is not accepted; ``str(exc)`` is the Chinese message for the user."""


@dataclass(frozen=True)
class CheckedFile:
    name: str       # the cleaned original name
    kind: Kind
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def max_bytes(max_mb: float) -> int:
    return int(max_mb * 1024 * 1024)


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(raw: Optional[str]) -> str:
    """The name to keep: its base name (any path, Windows or POSIX, dropped), no control
    characters, at most NAME_MAX characters with the extension kept."""
    name = _CONTROL.sub("", str(raw or "")).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        name = "未命名文件"
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[:NAME_MAX - len(ext) - 1] + "…" + ext
    return name


def _zip_kind(data: bytes, label: str) -> Kind:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FileRefused(f"“{label}”是损坏的压缩格式文件,无法识别为Word、Excel或OFD文件。")
    # The central directory only: nothing is decompressed here or anywhere else.
    if len(infos) > ZIP_ENTRIES_MAX:
        raise FileRefused(f"“{label}”内含{len(infos)}个文件,超过{ZIP_ENTRIES_MAX}个,疑似压缩炸弹,已拒收。")
    total = sum(i.file_size for i in infos)
    if total > ZIP_TOTAL_MAX:
        raise FileRefused(f"“{label}”解压后共{size_text(total)},超过{size_text(ZIP_TOTAL_MAX)},疑似压缩炸弹,已拒收。")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > ZIP_RATIO_MAX * max(i.compress_size, 1):
            raise FileRefused(f"“{label}”中的“{clean_name(i.filename)}”压缩比异常"
                              f"({size_text(i.compress_size)}解压为{size_text(i.file_size)}),疑似压缩炸弹,已拒收。")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return KINDS["docx"]
        if "xl/workbook.xml" in names:
            return KINDS["xlsx"]
    if "OFD.xml" in names:
        return KINDS["ofd"]
    raise FileRefused(f"“{label}”是压缩包或其他压缩格式文件,不是Word(.docx)、Excel(.xlsx)或OFD文件,不能作为佐证材料。"
                      f"可上传的类型:{ACCEPTED_TEXT}。")


def _ole_kind(data: bytes, label: str) -> Kind:
    try:
        ole = olefile.OleFileIO(data)
        try:
            streams = {"/".join(p).lower() for p in ole.listdir()}
        finally:
            ole.close()
    except (OSError, ValueError, IndexError, TypeError, struct.error):
        raise FileRefused(f"“{label}”是损坏的Office 97-2003文件,无法读取。")
    if "worddocument" in streams:
        return KINDS["doc"]
    if "workbook" in streams or "book" in streams:
        return KINDS["xls"]
    raise FileRefused(f"“{label}”不是Word(.doc)或Excel(.xls)文件(如安装包、其他Office文件),不能作为佐证材料。"
                      f"可上传的类型:{ACCEPTED_TEXT}。")


def detect_kind(data: bytes, label: str = "文件") -> Kind:
    """The accepted type of ``data``, from its content; FileRefused otherwise."""
    if data.startswith(b"%PDF-"):
        return KINDS["pdf"]
    guess = filetype.guess(data[:8192])
    mime = guess.mime if guess else ""
    if mime in ("image/jpeg", "image/png"):
        return KIND_BY_MIME[mime]
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data, label)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(data, label)
    if data[:2] == b"MZ" or data[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        found = "可执行程序"
    elif guess:
        found = f"{guess.extension.upper()}文件"
    else:
        found = "无法识别类型的文件"
    raise FileRefused(f"“{label}”的内容是{found},与文件名无关,不能作为佐证材料。可上传的类型:{ACCEPTED_TEXT}。")


def size_refusal(name: str, size: int, max_mb: float) -> Optional[str]:
    """The size rule: not empty, at most ``max_mb``. (The page applies it before decoding.)"""
    if size <= 0:
        return f"“{name}”是空文件(0字节),未上传。"
    if size > max_bytes(max_mb):
        return f"“{name}”大小为{size_text(size)},超过上限{max_mb:g} MB,未上传。"
    return None


def check_file(raw_name: Optional[str], data: Optional[bytes], max_mb: float = DEFAULT_MAX_MB) -> CheckedFile:
    """The one check of an uploaded file (page and command line): name cleaned, not empty,
    not over ``max_mb``, an accepted type by content. FileRefused with the reason otherwise."""
    name = clean_name(raw_name)
    problem = size_refusal(name, len(data or b""), max_mb)
    if problem:
        raise FileRefused(problem)
    kind = detect_kind(data, name)
    return CheckedFile(name, kind, data)
