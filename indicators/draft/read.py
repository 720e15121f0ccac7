"""Read a scheme document (.txt, .docx, .pdf) into plain text, bounded in size.

A 200-page document is cut to :data:`MAX_PAGES` pages and :data:`MAX_CHARS` characters, and the
cut is reported (``Text.notes``) rather than hidden, so drafting stays bounded work.
"""
from __future__ import annotations

import io
import logging
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .clauses import reflow
from .errors import DraftInputError

MAX_CHARS = 150_000   # about 150 pages of Chinese text; the five shipped schemes are 12k–36k
MAX_PAGES = 150       # PDF pages read at most
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy binary Word (.doc), also .xls/.ppt
SUFFIXES = (".txt", ".docx", ".pdf")
# CJK radicals-supplement forms that NFKC leaves alone but PDF fonts emit for ordinary characters
_RADICALS = str.maketrans({
    "⻓": "长", "⻔": "门", "⻆": "角", "⻩": "黄", "⻢": "马", "⻚": "页", "⻅": "见", "⻋": "车", "⻜": "飞",
    "⻝": "食", "⻥": "鱼", "⻘": "青", "⻬": "齐", "⻮": "齿", "⻰": "龙", "⻳": "龟", "⻛": "风", "⻙": "韦",
    "⻈": "讠", "⻉": "贝", "⻐": "钅", "⻠": "饣", "⻣": "骨", "⻤": "鬼", "⻦": "鸟", "⻨": "麦", "⻪": "黾",
})


@dataclass
class Text:
    text: str
    source: str
    pages: int | None = None        # PDF pages in the file
    pages_read: int | None = None   # PDF pages read
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DraftInputError("无法识别文本文件的编码,请另存为UTF-8编码的.txt文件后重试。")


def _docx(data: bytes) -> str:
    import docx  # python-docx
    try:
        doc = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DraftInputError("无法打开Word文件:文件已损坏或不是.docx格式。") from exc
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:  # targets are often tabulated (指标 | 目标值 | 责任单位)
        for row in table.rows:
            lines.append(",".join(c.text.strip() for c in row.cells))
    return "\n".join(lines)


def _pdf(data: bytes, out: Text) -> str:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    # pdfminer warns on every glyph of a subset font without a bounding box: noise, not news
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFSyntaxError, ValueError, TypeError, KeyError) as exc:
        raise DraftInputError("无法读取PDF文件:文件已损坏或不是PDF。") from exc
    except Exception as exc:  # pdfminer raises many private types for broken files
        raise DraftInputError("无法读取PDF文件:文件已损坏、加密或不是PDF。") from exc
    with pdf:
        out.pages = len(pdf.pages)
        pages = pdf.pages[:MAX_PAGES]
        out.pages_read = len(pages)
        texts = []
        for page in pages:
            texts.append(page.extract_text() or "")
            page.close()  # frees the page's parsed objects: memory stays bounded on long files
    if out.pages > MAX_PAGES:
        out.truncated = True
        out.notes.append(f"文件共{out.pages}页,只读取了前{MAX_PAGES}页。")
    # PDF text of CJK fonts comes as Kangxi radicals (⼯作⽅案 for 工作方案): NFKC maps them back.
    # Lines wrapped by the page width are joined into their sentences again.
    text = reflow(unicodedata.normalize("NFKC", "\n".join(texts)).translate(_RADICALS))
    if not text.strip():
        raise DraftInputError("未能从PDF中读出文字,可能是扫描件(图片)或空白文件。"
                              "请提供文字版PDF、Word(.docx)或文本(.txt)文件,或先做文字识别(OCR)。")
    return text


def read_bytes(data: bytes, name: str) -> Text:
    """The text of a document given as bytes and its file name (the suffix decides the reader)."""
    suffix = Path(name).suffix.lower()
    out = Text("", Path(name).name)
    if suffix == ".doc":
        raise DraftInputError("这是旧版Word(.doc)文件,无法直接读取。请在Word或WPS中“另存为”.docx格式后重试。")
    if data[:8] == OLE_MAGIC:  # a .doc renamed, or a .docx with an opening password (also stored as OLE)
        raise DraftInputError("这个文件是旧版Word(.doc)格式,或设了打开密码,无法直接读取。"
                              "请取消密码,并在Word或WPS中“另存为”.docx格式后重试。")
    if suffix not in SUFFIXES:
        raise DraftInputError(f"不支持的文件类型“{suffix or '无扩展名'}”:请提供.txt、.docx或.pdf文件。")
    if not data.strip():
        raise DraftInputError("文件是空的,没有可读取的内容。")
    if suffix == ".txt":
        text = _decode(data)
    elif suffix == ".docx":
        text = _docx(data)
    else:
        text = _pdf(data, out)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DraftInputError("文件中没有文字内容。")
    if len(text) > MAX_CHARS:
        out.truncated = True
        out.notes.append(f"文件共{len(text)}字,只处理了前{MAX_CHARS}字。")
        text = text[:MAX_CHARS]
    out.text = text
    return out


def read_document(path: str | Path) -> Text:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DraftInputError(f"找不到文件:{path}") from exc
    except OSError as exc:
        raise DraftInputError(f"无法读取文件 {path}:{exc.strerror or exc}") from exc
    return read_bytes(data, path.name)
