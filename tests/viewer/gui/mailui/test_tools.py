"""Tools menu: mail test utility popups, debug trace on/off/load, copy folders, Smtp.log viewer."""

from __future__ import annotations

import email
from email import policy

import pytest

from viewer import settings as settings_mod
from viewer.gui.mailui.services import MailServices
from viewer.gui.mailui.tools import FolderBrowser, MailTestDialog, SmtpLogViewer, TraceWindow

pytestmark = pytest.mark.gui


def direct(port: int) -> settings_mod.Settings:
    s = settings_mod.Settings()
    s.service.from_identity = "Ventes <ventes@example.com>"
    s.functions.send_direct = True
    s.functions.host = "127.0.0.1"
    s.functions.port = port
    s.functions.timeout = 5
    return s


def test_success_popup_against_loopback_server(root, notify, pump, smtpd, tmp_path):
    attachment = tmp_path / "note.txt"
    attachment.write_text("pièce jointe €", encoding="utf-8")
    dialog = MailTestDialog(root, MailServices(direct(smtpd.port)), notify=notify)
    assert dialog.type_var.get() == "EMAIL"
    assert "SERV_SMTP:%ADR%" in dialog.template_label.cget("text")
    dialog.to_var.set("client@example.com")
    dialog.attachment_var.set(str(attachment))
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    kind, _title, message = notify.last()
    assert kind == "info", message
    assert "envoyé" in message and "client@example.com" in message
    received = smtpd.handler.wait_for(1)
    assert received[0].rcpt_tos == ["client@example.com"]
    msg = email.message_from_bytes(received[0].data, policy=policy.default)
    assert msg["Subject"] == "Test d'envoi de courriel"
    names = [part.get_filename() for part in msg.iter_attachments()]
    assert names == ["note.txt"]


def test_error_popup_when_server_down(root, notify, pump):
    from tests.support.smtpd import free_port

    dialog = MailTestDialog(root, MailServices(direct(free_port())), notify=notify)
    dialog.to_var.set("client@example.com")
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    kind, _title, message = notify.last()
    assert kind == "error"
    assert "n'a pas été envoyé" in message
    assert "client@example.com" in message
    assert not dialog.result.ok
    headline, _newline, detail = message.partition("\n")
    assert headline == ("Le courriel de test n'a pas été envoyé. "
                        "Le serveur n'a pas pu prendre le message pour l'instant : réessayez plus tard.")
    assert "127.0.0.1" in detail and "client@example.com" in detail


def test_error_popup_in_english(root, notify, pump):
    from tests.support.smtpd import free_port
    from viewer.gui import i18n

    i18n.set_language("en")
    try:
        dialog = MailTestDialog(root, MailServices(direct(free_port())), notify=notify)
        dialog.to_var.set("client@example.com")
        assert dialog.send()
        assert pump(lambda: dialog.result is not None)
    finally:
        i18n.set_language("fr")
    headline, _newline, detail = notify.last()[2].partition("\n")
    assert headline.endswith("The server could not take the message for now: try again later.")
    assert "127.0.0.1" in detail


def test_refused_recipient_popup(root, notify, pump, smtpd_factory):
    from tests.support.smtpd import RecordingHandler

    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={"nobody@example.com": "550 5.1.1 no such user"}))
    dialog = MailTestDialog(root, MailServices(direct(server.port)), notify=notify)
    dialog.to_var.set("nobody@example.com")
    dialog.send()
    assert pump(lambda: dialog.result is not None)
    kind, _title, message = notify.last()
    assert kind == "error"
    assert "550" in message and "no such user" in message
    assert message.partition("\n")[0].startswith("Le courriel de test n'a pas été envoyé. Le serveur a refusé le message")


def test_test_mail_checks_its_fields(root, notify, tmp_path):
    dialog = MailTestDialog(root, MailServices(direct(25)), notify=notify)
    assert not dialog.send()
    assert notify.last()[0] == "error"
    dialog.to_var.set("a@example.com")
    dialog.attachment_var.set(str(tmp_path / "missing.pdf"))
    assert not dialog.send()
    assert "missing.pdf" in notify.last()[2]
    dialog.type_var.set("FAX")
    dialog._type_changed()
    assert "non paramétré" in dialog.template_label.cget("text")


def test_trace_on_send_off_load(root, notify, pump, smtpd, tmp_path):
    s = direct(smtpd.port)
    s.debug.trace_folder = str(tmp_path / "trace")
    services = MailServices(s)
    services.set_trace(True)
    assert settings_mod.load().debug.trace is True
    dialog = MailTestDialog(root, services, notify=notify)
    dialog.to_var.set("client@example.com")
    dialog.send()
    assert pump(lambda: dialog.result is not None)
    services.set_trace(False)
    assert settings_mod.load().debug.trace is False
    window = TraceWindow(root, services, notify=notify)
    content = window.load()
    assert "client@example.com" in content
    assert window.notebook.tab(window.notebook.tabs()[0], "text") == "Trace"


def test_trace_empty_folder_says_what_to_do(root, notify, tmp_path):
    s = direct(25)
    s.debug.trace_folder = str(tmp_path / "none")
    content = TraceWindow(root, MailServices(s), notify=notify).load()
    assert "activez le debug" in content


def test_folder_browser_opens_eml_in_the_viewer_and_shows_logs(root, notify, tmp_path):
    (tmp_path / "a.eml").write_bytes(b"Subject: x\r\n\r\nbody\r\n")
    (tmp_path / "a.log").write_text("550 refused", encoding="utf-8")
    opened = []
    browser = FolderBrowser(root, str(tmp_path), open_path=opened.append, notify=notify)
    files = browser.refresh()
    assert {p.name for p in files} == {"a.eml", "a.log"}
    browser.open_selected(tmp_path / "a.eml")
    assert opened == [tmp_path / "a.eml"]
    browser.open_selected(tmp_path / "a.log")
    assert browser.shown_text() == "550 refused"
    empty = FolderBrowser(root, str(tmp_path / "nothing"), notify=notify)
    assert "vide" in empty.shown_text()


def test_smtp_log_viewer_filters(root, tmp_path):
    s = direct(25)
    s.copies.log_folder = str(tmp_path)
    (tmp_path / "Smtp.log").write_text(
        "2026-11-27 10:00:00\tDevis D1\tv@example.com\ta@example.com\tOK\tx.eml\n"
        "2026-11-27 10:01:00\tDevis D2\tv@example.com\tb@example.com\tERROR 550 refused\ty.eml\n",
        encoding="utf-8",
    )
    viewer = SmtpLogViewer(root, MailServices(s))
    assert len(viewer.refresh()) == 2
    viewer.filter_var.set("b@example")
    assert [line.split("\t")[3] for line in viewer.refresh()] == ["b@example.com"]
    viewer.filter_var.set("")
    viewer.errors_var.set(True)
    assert len(viewer.refresh()) == 1
    assert "1 / 2" in viewer.count_label.cget("text")
