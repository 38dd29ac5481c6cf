"""Saved mails: headers, HTML/text body as pages, attachments openable as documents."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from formats import DocumentError, open_document
from formats.eml import Attachment
from formats.pdf import to_pdf
from formats.render import page_text


def test_mail_sample(samples: Path) -> None:
    doc = open_document(samples / "mail-devis.eml")
    assert doc.source == "eml"
    assert doc.headers["Subject"] == "Votre devis D2026-0042 — remplacement des menuiseries"
    assert doc.headers["From"] == "Menuiseries Beaumont <devis@menuiseries-beaumont.example>"
    assert doc.headers["To"] == "Élodie Marchand <elodie.marchand@atelier-dupre.example>"
    assert doc.headers["Cc"] == "commercial@menuiseries-beaumont.example"
    assert "2026" in doc.headers["Date"]
    assert "<b>devis D2026-0042</b>" in doc.backend.html
    assert "Bonjour Madame Marchand" in doc.backend.text
    text = page_text(doc, 0)
    assert "Votre devis D2026-0042" in text and "Cœur de chêne" in text
    assert doc.info.title == doc.headers["Subject"]
    assert to_pdf(doc).startswith(b"%PDF")


def test_attachment_opens_as_a_document(samples: Path) -> None:
    doc = open_document(samples / "mail-devis.eml")
    assert [(a.filename, a.content_type) for a in doc.attachments] == [("devis-D2026-0042.pdf", "application/pdf")]
    att = doc.attachments[0]
    assert isinstance(att, Attachment)
    inner = att.open()
    assert inner.source == "pdf" and inner.page_count == 2
    assert "Total TTC" in page_text(inner, 1)
    folder = inner.path.parent
    assert folder.is_dir()
    inner.close()
    del inner
    import gc

    gc.collect()
    assert not folder.exists()  # the temporary copy goes with the document


def test_unreadable_attachment() -> None:
    with pytest.raises(DocumentError, match="not a recognised document"):
        Attachment("../../etc/passwd", "application/octet-stream", b"\x00\x01\x02" * 10).open()


def test_text_only_mail_with_long_body(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.com"
    msg["Subject"] = "Relance — facture F2026-0107 (Łódź)"
    msg.set_content("\n".join(f"Ligne {k} : <pas du HTML> & œuvre" for k in range(150)))
    path = tmp_path / "m.eml"
    path.write_bytes(bytes(msg))
    doc = open_document(path)
    assert doc.page_count >= 2  # a long body continues on further pages
    assert "Ligne 0 : <pas du HTML> & œuvre" in page_text(doc, 0)
    assert "&lt;pas du HTML&gt;" in doc.backend.html
    assert doc.attachments == []
    assert "Cc" not in doc.headers


def test_inline_image_is_not_an_attachment(tmp_path: Path) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buf, "PNG")
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "logo"
    msg["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    msg.set_content("text")
    msg.add_alternative('<p>Logo: <img src="cid:logo1"></p>', subtype="html")
    html_part = msg.get_payload()[1]  # type: ignore[index]  # a multipart payload is a list of parts
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(buf.getvalue(), "image", "png", cid="<logo1>")
    path = tmp_path / "inline.eml"
    path.write_bytes(bytes(msg))
    doc = open_document(path)
    assert doc.attachments == []
    assert doc.page_count == 1


def test_body_the_layout_engine_refuses_falls_back_to_text(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from formats import eml

    real = eml._render

    def picky(headers, html, inline):
        if "<b>" in html:
            raise RuntimeError("layout failure")
        return real(headers, html, inline)

    monkeypatch.setattr(eml, "_render", picky)
    doc = open_document(samples / "mail-devis.eml")
    assert "Bonjour Madame Marchand" in page_text(doc, 0)

    def broken(headers, html, inline):
        raise RuntimeError("no layout at all")

    monkeypatch.setattr(eml, "_render", broken)
    with pytest.raises(DocumentError, match="cannot lay out the mail body"):
        open_document(samples / "mail-devis.eml")


def test_damaged_mail_headers_still_open(tmp_path: Path) -> None:
    path = tmp_path / "odd.eml"
    path.write_bytes(b"From: =?utf-8?q?Caf=C3=A9?= <a@example.com>\r\nSubject: =?bogus-charset?q?x?=\r\nTo: b@example.com\r\n\r\nhello\r\n")
    doc = open_document(path)
    assert doc.headers["From"].startswith("Café")
    assert "hello" in page_text(doc, 0)
