"""open_document: the reader is chosen by content; bad input gets a readable error."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from formats import DocumentError, open_document
from formats.detect import sniff


@pytest.mark.parametrize(
    "name, source, pages",
    [
        ("devis-D2026-0042.spv", "spv", 2),
        ("facture-F2026-0107.spv", "spv", 1),
        ("releve-CLI003.txt", "text", 3),
        ("scan-3pages.tiff", "image", 3),
        ("notice.pdf", "pdf", 2),
        ("mail-devis.eml", "eml", 1),
    ],
)
def test_each_sample_opens_with_its_reader(samples: Path, name: str, source: str, pages: int) -> None:
    with open_document(samples / name) as doc:
        assert doc.source == source
        assert doc.page_count == pages
        assert doc.name == name
        assert doc.page(0).width > 100


def test_content_wins_over_extension(samples: Path, tmp_path: Path) -> None:
    for name, ext, source in (("notice.pdf", ".txt", "pdf"), ("devis-D2026-0042.spv", ".dat", "spv"), ("mail-devis.eml", ".txt", "eml"), ("scan-3pages.tiff", ".pdf", "image")):
        target = tmp_path / (Path(name).stem + ext)
        shutil.copy(samples / name, target)
        assert open_document(target).source == source


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.spv"
    path.write_bytes(b"")
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert str(err.value).startswith(str(path)) and "empty" in str(err.value)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as err:
        open_document(tmp_path)
    assert str(tmp_path) in str(err.value) and "folder" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="file not found"):
        open_document(tmp_path / "nope.pdf")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("x")
    real_open = Path.open

    def refused(self: Path, *args: Any, **kwargs: Any) -> Any:  # root reads any file: simulate the refusal
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert str(err.value) == f"{path}: permission denied (check the file's access rights)"


def test_random_binary(tmp_path: Path) -> None:
    path = tmp_path / "noise.spv"
    path.write_bytes(random.Random(4).randbytes(5000) + b"\x00")
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert str(path) in str(err.value) and "not a recognised document" in str(err.value)


def test_zip_that_is_not_xps(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "a.xps"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(DocumentError, match="not a recognised document"):
        open_document(path)


def test_sniff_basics(tmp_path: Path) -> None:
    p = tmp_path / "x"
    assert sniff(b"%PDF-1.7\n", p) == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....", p) == "image"
    assert sniff(b"\xff\xd8\xff\xe0", p) == "image"
    assert sniff(b'  {"format": "spv"}', p) == "spv"
    assert sniff(b"From: a@b\r\nTo: c@d\r\nSubject: x\r\n\r\nbody", p) == "eml"
    assert sniff(b"From a@b Sat Nov 21 10:00:00 2026\nFrom: a@b\nSubject: x\n\nbody", p) == "eml"
    assert sniff(b"Received: from x\n  by y\nDate: today\n\n", p) == "eml"  # folded header
    assert sniff(b"Total: 12\nNet: 3\n", p) == "text"  # header-like lines but no mail headers
    assert sniff(b"REPORT\r\n  line 1\f page 2", p) == "text"
    assert sniff(b"\x01\x02\x03\x04\x05\x06\x07" * 20, p) is None


def test_utf16_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("Relevé de compte\n", encoding="utf-16")
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert "UTF-16 text is not supported" in str(err.value) and "UTF-8, cp1252 or cp850" in str(err.value)
