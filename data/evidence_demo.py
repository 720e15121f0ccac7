"""Small generated evidence files for the demo (no binaries in the repository)."""
from __future__ import annotations

import struct
import zlib


def tiny_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with ASCII text (Helvetica, no embedded fonts): a few hundred bytes."""
    def esc(t: str) -> str:
        return t.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    text = "BT /F1 18 Tf 56 780 Td (" + esc(title) + ") Tj /F1 11 Tf"
    for line in lines:
        text += " 0 -22 Td (" + esc(line) + ") Tj"
    text += " ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(text)).encode() + b" >>\nstream\n" + text.encode() + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiny_png(width: int = 120, height: int = 80, rgb: tuple[int, int, int] = (200, 40, 40), seed: int = 0) -> bytes:
    """A small PNG: a coloured frame on white (``seed`` shifts the frame so files differ)."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            edge = x < 4 + seed % 7 or y < 4 or x >= width - 4 or y >= height - 4
            row += bytes(rgb) if edge else b"\xff\xff\xff"
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))
