"""The .eml view: headers above the body, the body's HTML, attachments open or save."""

from __future__ import annotations

from email.message import EmailMessage
from types import SimpleNamespace

import pytest

import formats
from viewer.gui.emlview import EmlView, body_html, describe

pytestmark = pytest.mark.gui


@pytest.fixture
def eml(tmp_path):
    msg = EmailMessage()
    msg["From"] = "Atelier <a@example.com>"
    msg["To"] = "client@example.com"
    msg["Subject"] = "Votre devis"
    msg["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    msg.set_content("Bonjour,\nci-joint le devis.")
    msg.add_alternative("<p>Bonjour,<br><b>ci-joint</b> le devis &amp; <i>conditions</i>.</p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="devis.pdf")
    path = tmp_path / "mail.eml"
    path.write_bytes(bytes(msg))
    return path


def test_headers_body_and_attachments(root, eml):
    document = formats.open_document(eml)
    opened, saved = [], []
    view = EmlView(root, document, on_open=opened.append, on_save=saved.append)
    assert view.header_values["Subject"] == "Votre devis"
    assert view.header_values["From"].startswith("Atelier")
    assert "<b>ci-joint</b>" in view.html
    assert type(view.body).__name__ == "HtmlFrame"  # rendered by tkinterweb
    assert [a.filename for a in view.attachments] == ["devis.pdf"]
    view.open_selected()
    view.save_selected()
    assert opened[0].filename == "devis.pdf" and saved[0].filename == "devis.pdf"
    view.destroy()


def test_plain_text_body_is_escaped(tmp_path):
    doc = SimpleNamespace(backend=SimpleNamespace(text="a < b & c"), path=tmp_path / "x.eml")
    assert "a &lt; b &amp; c" in body_html(doc)


def test_body_read_from_the_file_when_the_reader_keeps_none(eml):
    doc = SimpleNamespace(backend=object(), path=eml)
    assert "<b>ci-joint</b>" in body_html(doc)


def test_missing_file_gives_an_empty_body(tmp_path):
    doc = SimpleNamespace(backend=object(), path=tmp_path / "gone.eml")
    assert body_html(doc).startswith("<pre")


def test_describe_sizes():
    att = SimpleNamespace(filename="a.pdf", content_type="application/pdf", data=b"x" * 4096)
    from viewer.gui import i18n

    assert describe(att) == "a.pdf  (application/pdf, 4,0 Ko)"  # French units and decimal comma
    i18n.set_language("en")
    try:
        assert describe(att) == "a.pdf  (application/pdf, 4.0 KB)"
        assert describe(SimpleNamespace(filename="n.txt", content_type="text/plain", data=b"xy")) == \
            "n.txt  (text/plain, 2 B)"
    finally:
        i18n.set_language("fr")


def test_attachment_that_cannot_open_shows_an_error(window, answer, tmp_path):
    class Broken:
        filename = "data.bin"

        def open(self):
            raise formats.DocumentError("unsupported file", file="data.bin")

    shown = answer(lambda d: d.ok())
    window.open_attachment(Broken())
    assert shown[0].kind == "error" and "data.bin" in shown[0].message


def test_saving_an_attachment(window, answer, tmp_path):
    target = tmp_path / "saved.pdf"

    def respond(request):
        request.result = str(target)

    answer(respond)
    window.save_attachment(SimpleNamespace(filename="devis.pdf", data=b"%PDF-1.4 data"))
    assert target.read_bytes() == b"%PDF-1.4 data"


def test_mail_date_reads_as_a_date_in_the_interface_language():
    from viewer.gui import i18n
    from viewer.gui.emlview import mail_date

    assert mail_date("Fri, 20 Nov 2026 09:30:00 +0100") == "20/11/2026 09:30 (+0100)"
    assert mail_date("not a date") == "not a date"
    assert mail_date("") == ""
    i18n.set_language("en")
    try:
        assert mail_date("Fri, 20 Nov 2026 09:30:00 +0000") == "20 Nov 2026 09:30 (+0000)"
    finally:
        i18n.set_language("fr")
