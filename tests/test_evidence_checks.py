"""The checks of an evidence file (data.evidence_checks): type from the content, size, name."""
from __future__ import annotations

import pytest

from data.evidence_checks import NAME_MAX, FileRefused, check_file, clean_name
from tests import evidence_files as f


@pytest.mark.parametrize("name,make,kind", [
    ("a.pdf", f.pdf, "pdf"), ("a.png", f.png, "png"), ("a.jpg", f.jpeg, "jpeg"), ("a.docx", f.docx, "docx"),
    ("a.xlsx", f.xlsx, "xlsx"), ("a.ofd", f.ofd, "ofd"), ("a.doc", lambda: f.cfb("WordDocument"), "doc"),
    ("a.xls", lambda: f.cfb("Workbook"), "xls"),
])
def test_accepted_types_are_recognised_from_the_content(name, make, kind):
    assert check_file(name, make()).kind.key == kind


def test_the_type_comes_from_the_content_not_the_name():
    # A PNG named .pdf is a PNG (served as image/png), not a PDF.
    assert check_file("scan.pdf", f.png()).kind.mime == "image/png"


@pytest.mark.parametrize("name,make,words", [
    ("合同.pdf", f.exe, "可执行程序"),
    ("报告.docx", f.zip_bomb_docx, "疑似压缩炸弹"),
    ("空.pdf", lambda: b"", "空文件(0字节)"),
    ("大.pdf", lambda: b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024), "超过上限20 MB"),
    ("安装包.doc", lambda: f.cfb("\x05SummaryInformation"), "不是Word(.doc)或Excel(.xls)文件"),
    ("资料.docx", lambda: f.zip_of({"a.txt": b"hello"}), "不是Word(.docx)、Excel(.xlsx)或OFD文件"),
    ("说明.pdf", lambda: "纯文本".encode(), "无法识别类型的文件"),
    ("损坏.docx", lambda: b"PK\x03\x04" + b"\x00" * 40, "损坏"),
])
def test_bad_files_are_refused_with_what_was_wrong(name, make, words):
    with pytest.raises(FileRefused) as exc:
        check_file(name, make())
    assert words in str(exc.value) and name in str(exc.value)


def test_the_limit_is_configurable():
    data = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    with pytest.raises(FileRefused, match="超过上限1 MB"):
        check_file("a.pdf", data, max_mb=1)
    assert check_file("a.pdf", data, max_mb=3).size == len(data)


def test_the_bomb_is_refused_before_anything_is_extracted(monkeypatch):
    import zipfile

    bomb = f.zip_bomb_docx()

    def no_reading(*a, **k):
        raise AssertionError("extracted")
    monkeypatch.setattr(zipfile.ZipFile, "read", no_reading)
    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    with pytest.raises(FileRefused, match="疑似压缩炸弹"):
        check_file("报告.docx", bomb)


@pytest.mark.parametrize("raw,clean", [
    ("../../etc/passwd.pdf", "passwd.pdf"), ("C:\\Users\\me\\Desktop\\证书.png", "证书.png"),
    ("/abs/path/a.pdf", "a.pdf"), ("a\x00b.pdf", "ab.pdf"), ("..", "未命名文件"), ("", "未命名文件"),
])
def test_names_are_reduced_to_their_base_name(raw, clean):
    assert clean_name(raw) == clean


def test_long_names_are_shortened_keeping_the_extension():
    name = clean_name("证" * 300 + ".docx")
    assert len(name) == NAME_MAX and name.endswith("….docx")
    assert clean_name("a" * 200) == "a" * 200
