"""reportlab's parsed TrueType metrics kept across processes: the same font, the same PDF, never a wrong cache."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from formats import fontcache
from formats.fonts import font_file

ROOT = Path(__file__).resolve().parents[2]

# Draws text with a face loaded through the cache (argv: cache folder, font file, "forbid-parsing"?)
# and prints the PDF's hex; "forbid-parsing" makes reportlab's parser fail, so the face must come from the cache.
DRAW = """
import io, sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfgen.canvas import Canvas
from formats import fontcache
if sys.argv[3] == "forbid-parsing":
    ttfonts.TTFontFile.extractInfo = lambda *a, **k: sys.exit("parsed instead of cached")
fontcache.use_folder(Path(sys.argv[1]))
pdfmetrics.registerFont(fontcache.load_ttfont("SV-test", Path(sys.argv[2])))
buf = io.BytesIO()
c = Canvas(buf, invariant=1)
c.setFont("SV-test", 12)
c.drawString(72, 720, "Devis n° D2026-0042 — façade, œil-de-bœuf, Łódź, 1 234,50 €")
c.save()
print(buf.getvalue().hex())
"""


def draw(folder: Path, font: Path, mode: str = "") -> bytes:
    proc = subprocess.run([sys.executable, "-c", DRAW, str(folder), str(font), mode or "-", str(ROOT)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return bytes.fromhex(proc.stdout.strip())


@pytest.fixture
def font(tmp_path: Path) -> Path:
    copy = tmp_path / "fonts" / "DejaVuSans.ttf"
    copy.parent.mkdir()
    shutil.copy(font_file("sans"), copy)
    return copy


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    return cache


def test_a_cached_face_draws_the_same_pdf_as_a_parsed_one(folder: Path, font: Path) -> None:
    parsed = draw(folder, font)  # parses, writes the cache
    [cached_file] = folder.iterdir()
    assert stat.S_IMODE(cached_file.stat().st_mode) == 0o600
    assert draw(folder, font, "forbid-parsing") == parsed  # read from the cache, not parsed
    assert parsed.startswith(b"%PDF") and b"FontFile2" in parsed  # the face embedded, subset from the file's bytes


def test_the_cached_font_holds_what_reportlab_parsed(folder: Path, font: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportlab.pdfbase.ttfonts import TTFont

    monkeypatch.setattr(fontcache, "_folder", None)
    monkeypatch.setattr(fontcache, "_create", None)
    fontcache.use_folder(folder)
    first = fontcache.load_ttfont("a", font)  # parsed and saved
    second = fontcache.load_ttfont("a", font)  # from the cache
    plain = TTFont("a", str(font))
    for loaded in (first, second):
        assert sorted(loaded.__dict__) == sorted(plain.__dict__)
        mine = {k: v for k, v in loaded.face.__dict__.items() if k != "_pdfScale"}
        assert mine == {k: v for k, v in plain.face.__dict__.items() if k != "_pdfScale"}
        assert loaded.face.name.ustr == plain.face.name.ustr
        assert loaded.face._pdfScale(2048) == plain.face._pdfScale(2048)  # type: ignore[attr-defined]  # private
        assert loaded.stringWidth("façade Łódź €", 10) == plain.stringWidth("façade Łódź €", 10)


def test_a_changed_font_file_or_a_broken_cache_is_parsed_again(folder: Path, font: Path) -> None:
    parsed = draw(folder, font)
    [cached_file] = folder.iterdir()
    cached_file.write_bytes(b"\x00 not marshal data")
    proc = subprocess.run([sys.executable, "-c", DRAW, str(folder), str(font), "forbid-parsing", str(ROOT)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "parsed instead of cached" in proc.stderr  # the broken cache was not used
    assert draw(folder, font) == parsed  # parsed again, and the cache written again
    assert draw(folder, font, "forbid-parsing") == parsed
    font.touch()  # another modification time: another key, parsed again
    proc = subprocess.run([sys.executable, "-c", DRAW, str(folder), str(font), "forbid-parsing", str(ROOT)],
                          capture_output=True, text=True, timeout=120)
    assert "parsed instead of cached" in proc.stderr


def test_without_a_folder_or_a_writable_one_the_font_is_parsed(tmp_path: Path, font: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fontcache, "_folder", None)
    monkeypatch.setattr(fontcache, "_create", None)
    assert fontcache.load_ttfont("b", font).face.unitsPerEm == 2048
    missing = tmp_path / "no-such-folder"
    fontcache.use_folder(missing)
    assert fontcache.load_ttfont("b", font).face.unitsPerEm == 2048  # no error, nothing written
    assert not missing.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("where the cache folder's parent should be")
    fontcache.use_folder(blocker / "fonts", create=lambda folder: folder.mkdir(mode=0o700))
    assert fontcache.load_ttfont("b", font).face.unitsPerEm == 2048  # the folder cannot be made: parsed, no error
    fontcache.use_folder(tmp_path / "made" / "fonts", create=lambda folder: folder.mkdir(mode=0o700, parents=True))
    fontcache.load_ttfont("b", font)
    assert len(list((tmp_path / "made" / "fonts").glob("*.marshal"))) == 1  # made on the first save
