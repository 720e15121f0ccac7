"""Issue 14, finding 9: any unreadable workbook gets 无法读取Excel文件, never HTTP 500.

Damaged sheet XML inside a valid zip used to pass openpyxl's (lazy) open and fail while
the rows were read, outside the importer's try."""
from __future__ import annotations

import base64
import io
import json
import struct
import time
import zipfile

import pytest

from dashboard import Settings, create_app, ids
from dashboard.entry import forms
from dashboard.permissions import Identity
from data.importer import ImportFileError, read_file

from .files import NS, SHEET_PATH, replace_members, sheet_xml, workbook_bytes

GOOD = workbook_bytes(rows=(("指标编号", "报告期", "填报值", "备注"), ("anning_x", "2025Q2", 1, "")))


def _set_encrypted_flag(data: bytes) -> bytes:
    """Mark every member as encrypted (general purpose bit 0), in local and central headers."""
    buf = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = buf.find(sig)
        while i != -1:
            flags = struct.unpack_from("<H", buf, i + offset)[0]
            struct.pack_into("<H", buf, i + offset, flags | 1)
            i = buf.find(sig, i + 4)
    return bytes(buf)


def _corrupt_sheet_stream(data: bytes) -> bytes:
    """Flip bytes inside the sheet's compressed data (the zip's directory stays valid)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.getinfo(SHEET_PATH)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    buf = bytearray(data)
    for k in range(start + 5, start + min(info.compress_size, 60)):
        buf[k] ^= 0x5A
    return bytes(buf)


def _billion_laughs() -> bytes:
    ents = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE w [{ents}]><worksheet xmlns="{NS}"><sheetData><row r="1">'
           '<c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>')
    return replace_members(GOOD, {SHEET_PATH: xml.encode()})


def _zip_bomb() -> bytes:
    """A 200 MB sheet member that deflates to a few hundred KB."""
    body = sheet_xml("", "A1:A1")[:-len("</sheetData></worksheet>")] + b" " * (200 * 1024 * 1024) + \
        b"</sheetData></worksheet>"
    return replace_members(GOOD, {SHEET_PATH: body})


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "不是表格")
    return out.getvalue()


DAMAGED = {
    "damaged sheet XML": lambda: replace_members(GOOD, {SHEET_PATH: b'<worksheet xmlns="' + NS.encode()
                                                        + b'"><sheetData><row r="1"><c r="A1"><v>1</v></row>'}),
    "sheet is not XML": lambda: replace_members(GOOD, {SHEET_PATH: bytes(range(256)) * 40}),
    "damaged workbook.xml": lambda: replace_members(GOOD, {"xl/workbook.xml": b"<workbook><sheets><sheet"}),
    "workbook names a missing sheet": lambda: _without(GOOD, SHEET_PATH),
    "corrupt compressed data": lambda: _corrupt_sheet_stream(GOOD),
    "truncated zip": lambda: GOOD[: len(GOOD) // 2],
    "zip header then zeros": lambda: b"PK\x03\x04" + b"\x00" * 500,
    "zip that is no workbook": _plain_zip,
    "encrypted members": lambda: _set_encrypted_flag(GOOD),
    "password-protected xlsx (OLE)": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000,
    "zip bomb": _zip_bomb,
    "billion laughs": _billion_laughs,
    "a PNG named .xlsx": lambda: b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 200,
}


def _without(data: bytes, member: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_every_damaged_workbook_gets_one_clear_message(case):
    data = DAMAGED[case]()
    started = time.perf_counter()
    with pytest.raises(ImportFileError) as exc:
        read_file(data, "填报.xlsx")
    assert str(exc.value).startswith("无法读取Excel文件"), str(exc.value)
    assert time.perf_counter() - started < 5


# ---------------------------------------------------------------- through the web upload

@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad-files") / "b.db"
    return create_app(Settings(database_url=f"sqlite:///{path}", secret_key="b" * 40, login_disabled=True))


def upload_body(app, contents: str, filename: str) -> dict:
    """The upload callback's request, built from its definition (whatever else it takes)."""
    key, cb = next((k, cb) for k, cb in app.callback_map.items()
                   if any(d["id"] == ids.EN_UPLOAD and d["property"] == "contents" for d in cb["inputs"]))
    known = {(ids.EN_UPLOAD, "contents"): contents, (ids.EN_UPLOAD, "filename"): filename,
             (ids.EN_SCHEME, "value"): "anning", (ids.EN_REGION, "value"): "安宁市"}

    def arg(d):
        if d["id"].startswith("{"):
            return []  # no form rows on the page
        return {"id": d["id"], "property": d["property"], "value": known.get((d["id"], d["property"]))}

    outs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        outs.append([] if cid.startswith("{") else {"id": cid, "property": prop})
    return {"output": key, "outputs": outs if len(outs) > 1 else outs[0],
            "inputs": [arg(d) for d in cb["inputs"]], "state": [arg(d) for d in cb["state"]],
            "changedPropIds": [f"{ids.EN_UPLOAD}.contents"]}


@pytest.mark.parametrize("case", ["damaged sheet XML", "corrupt compressed data", "encrypted members",
                                  "password-protected xlsx (OLE)", "zip bomb"])
def test_the_upload_answers_the_message_not_500(app, case):
    contents = "data:application/octet-stream;base64," + base64.b64encode(DAMAGED[case]()).decode()
    resp = app.server.test_client().post("/_dash-update-component", data=json.dumps(upload_body(app, contents, "a.xlsx")),
                                         content_type="application/json")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert "无法读取Excel文件" in json.dumps(resp.get_json()["response"], ensure_ascii=False)


def test_preview_of_a_damaged_sheet_changes_nothing(app):
    service = app.server.extensions["monitor"]["service"]
    contents = "data:application/octet-stream;base64," + base64.b64encode(DAMAGED["damaged sheet XML"]()).decode()
    result = forms.preview_upload(service, Identity("office", "办公室", "admin"), "anning", "安宁市", contents, "a.xlsx")
    assert not result.ok and result.errors[0].startswith("无法读取Excel文件")
    assert service.store.data_version() == 0
