"""The native .spv spool: samples, writer round trip, schema errors naming page/item/field."""

from __future__ import annotations

import base64
import codecs
import json
import struct
import zlib
from pathlib import Path

import pytest

from formats import DocumentError, open_document
from formats.native import MM, SpoolWriter, schema
from formats.pdf import to_pdf
from formats.render import page_text, render_ppm


def _write(tmp_path: Path, data: dict | str, name: str = "bad.spv") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _spool(items: list[dict], **extra) -> dict:
    return {"format": "spv", "version": 1, "pages": [{"items": [{"type": "text", "x": 1, "y": 5, "text": "ok"}]}, {"items": items}], **extra}


def test_quote_sample_docinfo(samples: Path) -> None:
    doc = open_document(samples / "devis-D2026-0042.spv")
    assert doc.source == "spv"
    assert doc.page_count == 2
    info = doc.info
    assert (info.kind, info.number, info.date, info.customer, info.contact, info.language, info.title) == (
        "devis", "D2026-0042", "2026-11-20", "CLI001", "CT0001", "fr", "Devis D2026-0042"
    )
    assert info.mail_subject == ""
    text = page_text(doc, 0) + page_text(doc, 1)
    for word in ("Fenêtre", "Crémone", "façade", "Cœur de chêne", "À l'attention", "1 849,00 €", "Total TTC", "Hôtel"):
        assert word in text
    raw = json.loads((samples / "devis-D2026-0042.spv").read_text("utf-8"))
    assert "logo" in raw["resources"]["images"]


def test_invoice_sample_docinfo(samples: Path) -> None:
    doc = open_document(samples / "facture-F2026-0107.spv")
    info = doc.info
    assert (info.kind, info.number, info.date, info.customer, info.contact, info.language) == (
        "facture", "F2026-0107", "2026-11-24", "CLI002", "", "fr"
    )
    text = page_text(doc, 0)
    assert "Brasserie Kowalski & Fils" in text and "Dépôt de Łódź — Antonín Dvořák" in text


def test_writer_round_trip_and_page_sizes(tmp_path: Path) -> None:
    w = SpoolWriter({"kind": "commande", "number": "C1", "customer": "CLI009"}, page_size=(148, 210))
    p = w.new_page()
    p.text(10, 10, "Première ligne\nseconde ligne", family="serif", bold=True, italic=True, color="#ff0000", align="left")
    p.text(74, 30, "centré", align="center").text(138, 40, "à droite", align="right", family="mono")
    p.rect(5, 5, 138, 200, fill="#eeeeee", stroke=None).line(5, 100, 143, 100, color="#0000ff")
    w.new_page(width=297, height=210).table(10, 10, [(40, "left"), (30, "right")], [["a", "1"], ["b"]], header=["x", "y"])
    doc = open_document(w.save(tmp_path / "c.spv", indent=1))
    assert doc.info.kind == "commande" and doc.info.customer == "CLI009"
    assert doc.page(0).width == pytest.approx(148 * 72 / 25.4)
    assert doc.page(1).width == pytest.approx(297 * 72 / 25.4)
    text = page_text(doc, 0)
    assert "Première ligne" in text and "seconde ligne" in text and "centré" in text and "à droite" in text
    assert render_ppm(doc, 1, dpi=20).startswith(b"P6")


def test_schema_file_is_valid_json_schema() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema())


def test_samples_validate_against_the_published_schema(samples: Path) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    for name in ("devis-D2026-0042.spv", "facture-F2026-0107.spv"):
        validator.validate(json.loads((samples / name).read_text("utf-8")))


def test_truncated_json(tmp_path: Path, samples: Path) -> None:
    text = (samples / "facture-F2026-0107.spv").read_text("utf-8")
    path = _write(tmp_path, text[: len(text) // 2])
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert "invalid JSON at line" in str(err.value) and "truncated" in str(err.value)
    assert err.value.file == str(path)


def test_envelope_schema_violation_names_field(tmp_path: Path) -> None:
    data = _spool([])
    data["info"] = {"kind": 12}
    with pytest.raises(DocumentError) as err:
        open_document(_write(tmp_path, data))
    assert err.value.field == "info.kind"
    assert "12 is not of type 'string'" in str(err.value)


def test_wrong_format_marker(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="format"):
        open_document(_write(tmp_path, {"format": "other", "version": 1, "pages": [{"items": []}]}))


def test_item_schema_violation_names_page_item_field(tmp_path: Path) -> None:
    items = [{"type": "line", "x1": 0, "y1": 0, "x2": 1, "y2": 1}, {"type": "text", "x": 1, "y": 2, "text": "t", "font": {"size": "big"}}]
    doc = open_document(_write(tmp_path, _spool(items)))
    assert doc.page_count == 2
    render_ppm(doc, 0, dpi=10)  # page 1 is fine: pages are checked lazily
    with pytest.raises(DocumentError) as err:
        render_ppm(doc, 1, dpi=10)
    assert (err.value.page, err.value.item, err.value.field) == (2, 2, "font.size")
    assert str(err.value).startswith(f"{tmp_path / 'bad.spv'}, page 2, item 2, field 'font.size': ")
    with pytest.raises(DocumentError) as err2:
        to_pdf(doc)
    assert err2.value.page == 2


def test_missing_required_field(tmp_path: Path) -> None:
    doc = open_document(_write(tmp_path, _spool([{"type": "rect", "x": 1, "y": 1, "width": 3}])))
    with pytest.raises(DocumentError, match="'height' is a required property") as err:
        doc.page(1)
    assert (err.value.page, err.value.item) == (2, 1)


def test_unknown_item_type(tmp_path: Path) -> None:
    doc = open_document(_write(tmp_path, _spool([{"type": "circle", "x": 1}])))
    with pytest.raises(DocumentError) as err:
        doc.page(1)
    assert "unknown item type 'circle'" in str(err.value)
    assert (err.value.page, err.value.item, err.value.field) == (2, 1, "type")
    assert "text, line, rect, image, table" in str(err.value)


def test_item_without_type(tmp_path: Path) -> None:
    doc = open_document(_write(tmp_path, _spool([{"x": 1}])))
    with pytest.raises(DocumentError, match="no type"):
        doc.page(1)


def test_missing_image_resource(tmp_path: Path) -> None:
    doc = open_document(_write(tmp_path, _spool([{"type": "image", "x": 1, "y": 1, "width": 5, "height": 5, "resource": "logo"}])))
    with pytest.raises(DocumentError) as err:
        render_ppm(doc, 1)
    assert "missing image resource 'logo'" in str(err.value)
    assert (err.value.page, err.value.item, err.value.field) == (2, 1, "resource")


def test_unknown_font_family(tmp_path: Path) -> None:
    doc = open_document(_write(tmp_path, _spool([{"type": "text", "x": 1, "y": 1, "text": "a", "font": {"family": "comic"}}])))
    with pytest.raises(DocumentError, match="unknown font family 'comic'") as err:
        doc.page(1)
    assert err.value.field == "font.family"


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size (never decoded in full)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_resource_refused(tmp_path: Path) -> None:
    w = SpoolWriter()
    w.add_image("bomb", _png_header(9000, 9000))
    w.add_image("huge", _png_header(60000, 60000))
    w.new_page().image(1, 1, 10, 10, "bomb")
    w.new_page().image(1, 1, 10, 10, "huge")
    doc = open_document(w.save(tmp_path / "bomb.spv"))
    with pytest.raises(DocumentError) as err:
        render_ppm(doc, 0)
    assert "too large (9000 x 9000 pixels; at most 40 megapixels)" in str(err.value)
    assert err.value.field == "resources.images.bomb"
    with pytest.raises(DocumentError, match="too large"):
        render_ppm(doc, 1)


def test_bad_base64_and_bad_image_resource(tmp_path: Path) -> None:
    data = _spool([{"type": "image", "x": 1, "y": 1, "width": 5, "height": 5, "resource": "a"}])
    data["resources"] = {"images": {"a": {"data": "@@@not base64"}}}
    with pytest.raises(DocumentError, match="not valid base64"):
        to_pdf(open_document(_write(tmp_path, data)))
    data["resources"] = {"images": {"a": {"data": base64.b64encode(b"not an image").decode()}}}
    with pytest.raises(DocumentError, match="not a readable image"):
        to_pdf(open_document(_write(tmp_path, data, "b.spv")))


def test_embedded_font_resource(tmp_path: Path) -> None:
    from formats.fonts import font_file

    w = SpoolWriter()
    w.add_font("corporate", font_file("serif").read_bytes())
    w.new_page().text(10, 10, "Société Łódź", family="corporate")
    doc = open_document(w.save(tmp_path / "f.spv"))
    assert "Société Łódź" in page_text(doc, 0)
    w.add_font("corporate", b"garbage")
    with pytest.raises(DocumentError, match="not a usable TrueType font"):
        to_pdf(open_document(w.save(tmp_path / "g.spv")))


def test_not_utf8_spool(tmp_path: Path) -> None:
    path = tmp_path / "latin1.spv"
    path.write_bytes('{"format": "spv", "version": 1, "pages": [{"items": [{"type": "text", "x": 1, "y": 1, "text": "é"}]}]}'.encode("latin-1"))
    with pytest.raises(DocumentError, match="not UTF-8"):
        open_document(path)


def test_pages_must_not_be_empty(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="should be non-empty") as err:
        open_document(_write(tmp_path, {"format": "spv", "version": 1, "pages": []}))
    assert err.value.field == "pages"


def test_missing_fonts_give_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from formats import fonts

    monkeypatch.setattr(fonts, "_candidate_dirs", lambda: [tmp_path])
    fonts.font_dir.cache_clear()
    try:
        with pytest.raises(DocumentError, match="fonts-dejavu-core"):
            fonts.font_dir()
    finally:
        fonts.font_dir.cache_clear()


def test_the_shipped_fonts_are_used_first() -> None:
    from formats import fonts

    fonts.font_dir.cache_clear()
    assert fonts.font_dir() == Path(fonts.__file__).with_name("fonts")
    for family in fonts.FAMILIES:
        for bold in (False, True):
            for italic in (False, True):
                path = fonts.font_file(family, bold, italic)
                assert path.parent == fonts.font_dir() and path.name == fonts._FILES[(family, bold, italic)]


FULL_INFO = {
    "kind": "commande",
    "number": "C-2026/0815",
    "date": "2026-11-27",
    "customer": "CLI001",
    "contact": "CT0002",
    "language": "pl",
    "title": "Zamówienie — Łódź",
    "mail_subject": "Votre commande C-2026/0815 — « urgent »",
    "mail_body": "Bonjour,\n\nveuillez trouver ci-joint… 1 200,00 €\n\tCordialement",
    "mail_to": "Zoë Dvořák <zoe@example.com>",
}


def test_every_docinfo_field_read_back_exactly(tmp_path: Path) -> None:
    from formats.document import DocInfo

    w = SpoolWriter(DocInfo(**FULL_INFO))
    w.new_page().text(10, 10, "x")
    doc = open_document(w.save(tmp_path / "c.spv"))
    assert doc.info == DocInfo(**FULL_INFO)
    assert doc.info.to_dict() == FULL_INFO


def test_every_sample_docinfo_is_exactly_what_the_file_says(samples: Path) -> None:
    for name in ("devis-D2026-0042.spv", "facture-F2026-0107.spv"):
        declared = json.loads((samples / name).read_text("utf-8"))["info"]
        assert open_document(samples / name).info.to_dict() == declared, name
    sidecar = json.loads((samples / "releve-CLI003.meta.json").read_text("utf-8"))
    assert open_document(samples / "releve-CLI003.txt").info.to_dict() == sidecar


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
@pytest.mark.parametrize("indent", [None, 2])
def test_lazy_pages_are_the_pages_parsed_whole(tmp_path: Path, bom: bytes, indent: int | None) -> None:
    w = SpoolWriter({"number": "LAZY-1"})
    for n in range(30):  # characters of 1, 2, 3 and 4 bytes in UTF-8, escapes, before and after each page
        p = w.new_page(width=100 + n if n % 7 == 0 else None)
        p.text(10, 10, f"page {n} — Łódź œil {'🙂' * (n % 3)} \"quoted\" \\ back\tslash")
        p.table(10, 20, [(30, "left"), (40, "right")], [[f"r{k}", f"{k},50 €"] for k in range(n % 5)], header=["a", "b"])
    path = tmp_path / "lazy.spv"
    path.write_bytes(bom + w.dumps(indent=indent).encode("utf-8"))
    eager = json.loads(path.read_bytes().decode("utf-8-sig"))["pages"]
    with open_document(path) as doc:
        lazy = doc.backend.pages_raw
        assert [lazy[i] for i in reversed(range(len(lazy)))][::-1] == eager  # any order, one at a time
        assert [p.width for p in doc.pages()] == [(100 + n if n % 7 == 0 else 210) * MM for n in range(30)]
        assert "page 2 — Łódź œil" in page_text(doc, 2)  # (the emoji is not in the spool fonts)


def test_a_corrupt_page_is_named_when_it_is_shown_not_at_open(tmp_path: Path) -> None:
    w = SpoolWriter()
    for n in range(5):
        w.new_page().text(10, 10, f"page {n + 1}")
    data = w.to_dict()
    data["pages"][3]["items"][0]["x"] = "left"  # page 4: a coordinate that is not a number
    path = tmp_path / "corrupt.spv"
    path.write_text(json.dumps(data), encoding="utf-8")
    with open_document(path) as doc:  # opens: pages are checked when used
        assert doc.page_count == 5 and "page 3" in page_text(doc, 2)
        with pytest.raises(DocumentError) as err:
            render_ppm(doc, 3)
        assert err.value.page == 4 and err.value.item == 1 and err.value.field == "x"
        assert str(err.value).startswith(f"{path}, page 4, item 1")
