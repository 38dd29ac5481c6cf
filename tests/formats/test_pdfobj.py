"""formats.pdfobj: PDF syntax of each object, a valid cross-reference table, per-object encryption."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from formats.pdfobj import Name, Raw, Ref, Stream, Writer, fmt_number, serialize
from tests.support.tools import require_tool


def test_objects_are_written_in_pdf_syntax() -> None:
    assert serialize(Name("Type")) == b"/Type" and serialize(Name("A B#(")) == b"/A#20B#23#28"
    assert serialize("a (b) \\ c\r") == b"(a \\(b\\) \\\\ c\\r)"
    assert serialize("Dupré") == b"(\xfe\xff" + "Dupré".encode("utf-16-be") + b")"  # UTF-16BE with its BOM
    assert serialize(b"\x00\xff") == b"(\x00\xff)"
    assert serialize([1, 2.5, -0.00001, 1e-3, True, None, Ref(7)]) == b"[1 2.5 0 0.001 true null 7 0 R]"
    assert serialize({"A": 1, "Gone": None, "B": Raw(b"<00>")}) == b"<</A 1/B <00>>>"
    assert fmt_number(595.2755905511812) == "595.2756" and fmt_number(-3.0) == "-3"
    with pytest.raises(TypeError, match="cannot write set"):
        serialize({1, 2})  # type: ignore[arg-type]


def test_a_written_file_is_valid_for_qpdf(tmp_path: Path) -> None:
    w = Writer()
    tree = w.reserve()
    content = w.add(Stream({}, b"0 0 m 100 100 l S"))
    page = w.add({"Type": Name("Page"), "Parent": tree, "MediaBox": [0, 0, 200, 200], "Contents": content})
    w.put(tree, {"Type": Name("Pages"), "Kids": [page], "Count": 1})
    root = w.add({"Type": Name("Catalog"), "Pages": tree})
    info = w.add({"Title": "Essai à blanc"})
    out = tmp_path / "w.pdf"
    data = w.finish(root, info, bytes(range(16)))
    out.write_bytes(data)
    assert b"/FlateDecode" in data and b"100 100 l" not in data  # compressed
    assert b"/ID [<000102030405060708090a0b0c0d0e0f> <000102030405060708090a0b0c0d0e0f>]" in data
    check = subprocess.run([require_tool("qpdf"), "--check", str(out)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout + check.stderr
    info_out = subprocess.run([require_tool("pdfinfo"), str(out)], capture_output=True, text=True, timeout=30).stdout
    assert "Essai à blanc" in info_out


def test_a_reserved_object_never_written_is_an_error() -> None:
    w = Writer()
    w.reserve()
    with pytest.raises(ValueError, match="object 1 reserved but never written"):
        w.finish(Ref(1), None, bytes(16))


def test_encryption_covers_strings_and_streams_but_not_plain_objects() -> None:
    seen: list[bytes] = []

    def enc(data: bytes) -> bytes:
        seen.append(data)
        return b"X" + data

    w = Writer(encrypt=enc, compress=False)
    w.add({"Title": "secret"})
    w.add(Stream({}, b"stream data"))
    w.add({"O": "plain", "U": Raw(b"<00>")}, plain=True)
    data = w.finish(Ref(1), None, bytes(16))
    assert seen == [b"secret", b"stream data"]
    assert b"<58736563726574>" in data and b"Xstream data" in data and b"(plain)" in data
