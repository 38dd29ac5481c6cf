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


# -- remote content (issue 12.9): nothing from the web before the user asks -------------------

@pytest.fixture
def web():
    """A loopback HTTP server that counts the requests it gets (paths, in order)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []
    png = _tiny_png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body, kind = (png, "image/png") if self.path.endswith(".png") else (
                (b"body { color: #333 }", "text/css") if self.path.endswith(".css") else (b"<p>frame</p>", "text/html"))
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", hits=hits)
    server.shutdown()
    server.server_close()


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def tracking_eml(tmp_path, web):
    msg = EmailMessage()
    msg["From"] = "Promo <promo@example.com>"
    msg["To"] = "client@example.com"
    msg["Subject"] = "Nouveautés"
    msg.set_content("texte")
    html = (f"<html><head><link rel='stylesheet' href='{web.url}/style.css'>"
            f"<style>@import '{web.url}/more.css'; p {{ background: url({web.url}/bg.png) }}</style></head>"
            f"<body><p>Bonjour</p><img src='{web.url}/pixel.png' width=40 height=30>"
            f"<img src='cid:logo@x' width=40 height=30><img src='data:image/png;base64,"
            + __import__("base64").b64encode(_tiny_png()).decode() + "'>"
            f"<iframe src='{web.url}/frame.html'></iframe>"
            f"<a href='{web.url}/page.html'>le site</a></body></html>")
    msg.add_alternative(html, subtype="html")
    msg.get_payload()[1].add_related(_tiny_png(), maintype="image", subtype="png", cid="<logo@x>")
    path = tmp_path / "promo.eml"
    path.write_bytes(bytes(msg))
    return path


def _pump(widget, turns=300):
    import time

    for _ in range(turns):
        widget.update()
        time.sleep(0.005)


def test_remote_content_is_not_loaded_until_the_user_asks(root, tracking_eml, web, tmp_path):
    from viewer.gui.mailhtml import RemoteContentBlocked

    document = formats.open_document(tracking_eml)
    opened = []
    top = __import__("tkinter").Toplevel(root)
    top.geometry("700x500+0+0")
    view = EmlView(top, document, on_open=opened.append, on_save=opened.append, open_link=opened.append)
    view.pack(fill="both", expand=True)
    _pump(top)
    assert web.hits == []  # no image, stylesheet, @import, background or frame fetched
    assert len(view.remote) == 5 and view.remote_bar is not None
    assert "contenu distant" in view.remote_button.cget("text")
    # the mail's own parts are served; the web and local files are refused at the one door
    assert view.resources.request("cid:logo@x")[1].startswith(b"\x89PNG")
    with pytest.raises(RemoteContentBlocked):
        view.resources.request(f"{web.url}/pixel.png")
    with pytest.raises(RemoteContentBlocked):
        view.resources.request("file:///etc/passwd")
    # a click on a link goes to the system browser only
    view.link_clicked(f"{web.url}/page.html")
    view.link_clicked("javascript:alert(1)")
    _pump(top, 50)
    assert opened == [f"{web.url}/page.html"] and web.hits == []
    # the user asks: this mail's web content loads
    view.remote_button.invoke()
    for _ in range(2000):
        top.update()
        if "/pixel.png" in web.hits:
            break
        __import__("time").sleep(0.005)
    assert "/pixel.png" in web.hits and view.remote_bar is None
    top.destroy()


def test_another_mail_still_blocks_after_one_was_allowed(root, tracking_eml, web):
    document = formats.open_document(tracking_eml)
    first = EmlView(root, document, on_open=print, on_save=print, open_link=print)
    first.show_remote()
    second = EmlView(root, document, on_open=print, on_save=print, open_link=print)
    assert second.resources.allow_remote is False and second.remote_bar is not None
    first.destroy()
    second.destroy()
