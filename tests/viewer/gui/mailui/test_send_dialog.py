"""Send dialog: pre-filled from the sample quote and the sample directory, sent for real to loopback SMTP."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pymupdf
import pytest

from tests.viewer.gui.mailui.conftest import wait_until
from viewer import settings as settings_mod
from viewer.gui.mailui.send_dialog import SendDialog, open_send_dialog
from viewer.gui.mailui.services import MailServices

pytestmark = pytest.mark.gui

ELODIE = "elodie.marchand@atelier-dupre.example"


@pytest.fixture
def directory(samples):
    from viewer.directory import open_directory

    d = open_directory(settings_mod.Settings())
    d.import_csv(samples / "customers.csv", samples / "contacts.csv")
    return d


@pytest.fixture
def quote(samples):
    from formats import open_document

    with open_document(samples / "devis-D2026-0042.spv") as doc:
        yield doc


def direct(port: int, **pdf) -> settings_mod.Settings:
    s = settings_mod.Settings()
    s.service.from_identity = "Ventes <ventes@example.com>"
    s.functions.send_direct = True
    s.functions.host = "127.0.0.1"
    s.functions.port = port
    s.functions.timeout = 5
    for key, value in pdf.items():
        setattr(s.pdf, key, value)
    return s


def attachments_of(data: bytes) -> list[tuple[str | None, bytes]]:
    msg = email.message_from_bytes(data, policy=policy.default)
    return [(part.get_filename(), part.get_content()) for part in msg.iter_attachments()]


def open_dialog(root, services, doc, notify, address_type="EMAIL", *, ready: bool = True) -> SendDialog:
    """The dialog as the mail icon opens it; ``ready``: once the document's PDF is attached (made on a worker)."""
    dialog = open_send_dialog(root, services, doc, address_type, notify=notify)
    assert dialog is not None, notify.calls
    if ready:
        assert wait_until(root, lambda: not dialog.draft.attachment_pending), "the PDF was never attached"
    return dialog


def test_prefilled_from_lookup_and_templates(root, notify, directory, quote):
    dialog = open_dialog(root, MailServices(direct(25)), quote, notify)
    assert ELODIE in dialog.to_var.get() and "Élodie Marchand" in dialog.to_var.get()
    assert dialog.subject_var.get() == "Votre devis D2026-0042 du 20/11/2026"
    body = dialog.body_text.get("1.0", "end-1c")
    assert "D2026-0042" in body and body.startswith("<html>")  # HTML allowed by default
    rows = [dialog.attachment_list.item(i, "values") for i in dialog.attachment_list.get_children()]
    assert rows[0][0] == "devis-D2026-0042.pdf" and rows[0][1].endswith("Ko")
    assert "127.0.0.1:25" in dialog.route_label.cget("text")
    assert not dialog.draft.ask_protection


def test_send_arrives_with_protected_pdf(root, notify, pump, directory, quote, smtpd):
    dialog = open_dialog(root, MailServices(direct(smtpd.port)), quote, notify)
    dialog.cc_var.set("Jean Lefèvre <jean.lefevre@atelier-dupre.example>")
    assert dialog.send()
    assert str(dialog.send_button.cget("state")) == "disabled"
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text
    assert notify.calls == []  # the outcome shows once, in the dialog, not in a popup too
    assert dialog.outcome_text().startswith("Mail envoyé.") and ELODIE in dialog.outcome_text()
    received = smtpd.handler.wait_for(1)[0]
    assert sorted(received.rcpt_tos) == sorted([ELODIE, "jean.lefevre@atelier-dupre.example"])
    [(name, pdf)] = attachments_of(received.data)
    assert name == "devis-D2026-0042.pdf"
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert doc.is_encrypted or doc.metadata.get("encryption")  # no-modify: encrypted with permissions
        assert not doc.permissions & pymupdf.PDF_PERM_MODIFY
    msg = email.message_from_bytes(received.data, policy=policy.default)
    assert msg.get_body(("html",)) is not None and msg.get_body(("plain",)) is not None
    assert "D2026-0042" in msg.get_body(("plain",)).get_content()


def test_ask_policy_password_protection(root, notify, pump, directory, quote, smtpd):
    s = direct(smtpd.port, protection="password", password_policy="ask")
    dialog = open_dialog(root, MailServices(s), quote, notify)
    assert dialog.draft.ask_protection
    dialog.protection_box.current(2)
    dialog._protection_changed()
    assert not dialog.send()  # no password yet
    assert "mot de passe" in notify.last()[2]
    dialog.password_var.set("ouvre-moi")
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text
    [(_name, pdf)] = attachments_of(smtpd.handler.wait_for(1)[0].data)
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert doc.needs_pass
        assert doc.authenticate("ouvre-moi")


def test_server_down_shown_not_raised(root, notify, pump, directory, quote):
    from tests.support.smtpd import free_port

    services = MailServices(direct(free_port()))
    dialog = open_dialog(root, services, quote, notify)
    dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert notify.calls == []  # shown once, in the dialog
    message = dialog.outcome_text()
    assert "n'a pas été envoyé" in message and ELODIE in message
    headline, _newline, detail = message.partition("\n")  # the main text, then the detail
    assert headline == "Le mail n'a pas été envoyé. Le serveur n'a pas pu prendre le message pour l'instant : réessayez plus tard."
    assert "127.0.0.1" in detail  # the technical detail is kept below
    assert dialog.outcome_text() == message
    assert dialog.error_button.winfo_manager() == "pack"
    assert str(dialog.send_button.cget("state")) == "normal"  # may try again
    eml = list(Path(services.settings.copies.error_folder).glob("*.eml"))
    assert eml and eml[0].with_suffix(".log").exists()
    opened = []
    dialog.open_folder = opened.append
    dialog.show_error_folder()
    assert opened == [services.settings.copies.error_folder]


def test_refused_recipient_reply_shown(root, notify, pump, directory, quote, smtpd_factory):
    from tests.support.smtpd import RecordingHandler

    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={ELODIE: "550 5.1.1 mailbox unavailable"}))
    dialog = open_dialog(root, MailServices(direct(server.port)), quote, notify)
    dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert not dialog.result.ok
    assert "550" in dialog.outcome_text() and "mailbox unavailable" in dialog.outcome_text()
    assert f"{ELODIE} : NON envoyé, refusé par le serveur : 550" in dialog.outcome_text()  # French, the server's words
    assert "Message conservé dans le répertoire des mails en erreur : " in dialog.outcome_text()
    assert notify.calls == []


def test_wrong_smtp_password_shown_not_raised(root, notify, pump, directory, quote, smtpd_factory, ca_file):
    """The SMTP server refuses the password: the dialog says so (with the server's reply), nothing is raised."""
    server = smtpd_factory(mode="starttls", auth=("ventes", "right-pw"))
    s = direct(server.port)
    s.functions.ssl, s.functions.tls_mode, s.functions.ca_file = True, "starttls", str(ca_file)
    s.environment.smtp_user, s.environment.smtp_password = "ventes", "wrong-pw"
    dialog = open_dialog(root, MailServices(s), quote, notify)
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert not dialog.result.ok
    text = dialog.outcome_text()
    assert "535" in text or "authentication" in text.lower(), text
    assert text.partition("\n")[0] == ("Le mail n'a pas été envoyé. Le serveur de messagerie a refusé l'identification : "
                                       "vérifiez l'utilisateur et le mot de passe dans Paramètres > "
                                       "Protocole SMTP (par les fonctions smtp).")
    assert "wrong-pw" not in text  # never the password
    assert notify.calls == []
    assert str(dialog.send_button.cget("state")) == "normal"  # may fix the settings and try again
    assert server.handler.messages == []  # nothing delivered


def test_no_address_found(root, notify, directory, samples, tmp_path):
    from formats import open_document

    data = (samples / "devis-D2026-0042.spv").read_text(encoding="utf-8")
    spool = tmp_path / "devis-unknown.spv"
    spool.write_text(data.replace('"CLI001"', '"CLI999"').replace('"CT0001"', '""'), encoding="utf-8")
    with open_document(spool) as doc:
        dialog = open_dialog(root, MailServices(direct(25)), doc, notify)
        assert dialog.to_var.get() == ""
        assert "CLI999" in dialog.lookup_label.cget("text")
        assert not dialog.send()
        kind, _title, message = notify.last()
        assert kind == "error" and "Aucun destinataire" in message


def test_same_document_twice_warns(root, notify, pump, directory, quote, smtpd):
    services = MailServices(direct(smtpd.port))
    first = open_dialog(root, services, quote, notify)
    first.send()
    assert pump(lambda: first.result is not None) and first.result.ok
    second = open_dialog(root, services, quote, notify)
    notify.answer = False
    assert not second.send()
    kind, _title, message = notify.last()
    assert kind == "yesno" and message.startswith("Ce document a déjà été envoyé :\n— à " + ELODIE + " le ")
    assert message.endswith("L'envoyer encore une fois ?")
    notify.answer = True
    assert second.send()
    assert pump(lambda: second.result is not None) and second.result.ok
    assert len(smtpd.handler.wait_for(2)) == 2


def test_completion_and_attachments(root, notify, directory, quote, tmp_path):
    dialog = open_dialog(root, MailServices(direct(25)), quote, notify)
    box = dialog.address_boxes["cc"]
    box.insert(0, "Lefè")
    assert dialog.complete(box) == ["Jean Lefèvre <jean.lefevre@atelier-dupre.example>"]
    assert dialog.suggestions.winfo_manager() == "place"
    assert dialog.accept_suggestion(0) == "Jean Lefèvre <jean.lefevre@atelier-dupre.example>"
    assert dialog.cc_var.get() == "Jean Lefèvre <jean.lefevre@atelier-dupre.example>"
    assert dialog.suggestions.winfo_manager() == ""
    box.insert("end", ", Marchand")
    assert dialog.complete(box) == [
        "Jean Lefèvre <jean.lefevre@atelier-dupre.example>, Élodie Marchand <elodie.marchand@atelier-dupre.example>"]
    dialog.hide_suggestions()
    extra = tmp_path / "conditions.txt"
    extra.write_text("CGV", encoding="utf-8")
    dialog.add_attachments([extra, tmp_path / "missing.pdf"])
    assert "missing.pdf" in notify.last()[2]
    assert [a.filename for a in dialog.draft.attachments] == ["devis-D2026-0042.pdf", "conditions.txt"]
    dialog.attachment_list.selection_set("0")
    dialog.remove_attachment()
    assert [a.filename for a in dialog.draft.attachments] == ["conditions.txt"]


def test_html_preview(root, notify, directory, quote, pump):
    dialog = open_dialog(root, MailServices(direct(25)), quote, notify)
    dialog.body_notebook.select(2)
    pump(lambda: dialog.preview is not None, timeout=5)
    dialog.refresh_preview()
    assert dialog.preview is not None


def test_plain_body_when_html_not_allowed(root, notify, directory, quote):
    s = direct(25)
    s.advanced.allow_html = False
    dialog = open_dialog(root, MailServices(s), quote, notify)
    assert dialog.body_notebook is None
    assert dialog.body_text.get("1.0", "end-1c").startswith("Bonjour")


def test_fax_uses_fax_route(root, notify, directory, samples, tmp_path, smtpd):
    from formats import open_document

    data = (samples / "devis-D2026-0042.spv").read_text(encoding="utf-8")
    spool = tmp_path / "devis-fax.spv"
    spool.write_text(data.replace('"CLI001"', '"CLI002"').replace('"CT0001"', '""'), encoding="utf-8")
    s = direct(smtpd.port)
    s.routing.fax = "SERV_SMTP:%ADR%@fax.example.com"
    with open_document(spool) as doc:
        dialog = open_dialog(root, MailServices(s), doc, notify, "FAX")
        assert dialog.title().startswith("Envoyer par fax")
        assert "88" in dialog.to_var.get()
        report = dialog.services.send(dialog.collect())
    assert report.ok, report.text
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == ["+33388123456@fax.example.com"]


def test_failure_offers_the_trace(root, notify, pump, directory, quote, tmp_path):
    from tests.support.smtpd import free_port
    from viewer.gui.mailui.tools import TraceWindow

    s = direct(free_port())
    s.debug.trace, s.debug.trace_folder = True, str(tmp_path / "trace")
    dialog = open_dialog(root, MailServices(s), quote, notify)
    dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert dialog.trace_button.winfo_manager() == "pack"
    dialog.show_trace()
    [window] = [w for w in dialog.winfo_children() if isinstance(w, TraceWindow)]
    assert "127.0.0.1" in window.content()


class SlowConnection:
    """A connection to the application server whose recipient look-up waits until released."""

    is_connected = True
    name = "central"
    url = "https://127.0.0.1:1"

    def __init__(self, found=None, customer=None, error: Exception | None = None) -> None:
        import threading

        self.release = threading.Event()
        self.found, self.record, self.error = found, customer, error
        self.on_main_thread: list[bool] = []

    def lookup(self, info, address_type="EMAIL"):
        import threading

        self.on_main_thread.append(threading.current_thread() is threading.main_thread())
        assert self.release.wait(20), "the test never released the look-up"
        if self.error is not None:
            raise self.error
        return self.found

    def customer(self, code):
        return self.record

    def contact(self, code):
        return None


def test_connected_lookup_does_not_block_the_dialog(root, notify, pump, directory, quote):
    found = directory.lookup(quote.info, address_type="EMAIL")
    connection = SlowConnection(found, directory.customer(found.customer_code))
    services = MailServices(direct(25), directory=directory, connection=connection)
    dialog = open_dialog(root, services, quote, notify)  # returns while the server has not answered
    assert dialog.draft.lookup_pending
    assert dialog.to_var.get() == "recherche du destinataire…"
    assert str(dialog.to_box.cget("state")) == "disabled"
    assert str(dialog.send_button.cget("state")) == "disabled"
    assert not dialog.send()
    assert dialog.subject_var.get() == "Votre devis D2026-0042 du 20/11/2026"
    dialog.body_text.insert("end", "Typed while waiting.")
    connection.release.set()
    assert pump(lambda: not dialog.draft.lookup_pending)
    assert connection.on_main_thread == [False]
    assert ELODIE in dialog.to_var.get() and "Élodie Marchand" in dialog.to_var.get()
    assert str(dialog.to_box.cget("state")) == "normal"
    assert str(dialog.send_button.cget("state")) == "normal"
    assert dialog.body_text.get("1.0", "end-1c").endswith("Typed while waiting.")  # the user's edit is kept
    assert dialog.collect().to == dialog.to_var.get()
    assert not notify.calls


def test_connected_lookup_falls_back_to_the_local_directory_and_says_so(root, notify, pump, directory, quote):
    from viewer.connection import ServerUnavailable

    connection = SlowConnection(error=ServerUnavailable("the application server at https://127.0.0.1:1 did not answer within 5 s"))
    services = MailServices(direct(25), directory=directory, connection=connection)
    dialog = open_dialog(root, services, quote, notify)
    assert dialog.to_var.get() == "recherche du destinataire…"
    connection.release.set()
    assert pump(lambda: not dialog.draft.lookup_pending)
    assert ELODIE in dialog.to_var.get()  # the local directory answered
    assert dialog.lookup_label.cget("text") == "annuaire local : le serveur ne répond pas"
    assert dialog.lookup_label.winfo_manager() == "grid"
    assert str(dialog.to_box.cget("state")) == "normal"
    assert not notify.calls


def test_no_directory_answering_says_so_and_leaves_to_editable(root, notify, pump, quote, tmp_path):
    from viewer.connection import ServerUnavailable

    settings = direct(25)
    (tmp_path / "nowhere").write_text("a file where a folder should be")
    settings.directory.database_url = f"sqlite:///{tmp_path / 'nowhere' / 'dir.sqlite'}"
    connection = SlowConnection(error=ServerUnavailable("the application server at https://127.0.0.1:1 did not answer within 5 s"))
    dialog = open_dialog(root, MailServices(settings, connection=connection), quote, notify)
    connection.release.set()
    assert pump(lambda: not dialog.draft.lookup_pending)
    message = dialog.lookup_label.cget("text")
    assert message.startswith("annuaire local : le serveur ne répond pas\nLa recherche du destinataire")
    assert "no directory answers: the application server at https://127.0.0.1:1 did not answer within 5 s" in message
    assert dialog.to_var.get() == "" and str(dialog.to_box.cget("state")) == "normal"
    dialog.to_var.set(ELODIE)
    assert dialog.collect().to == ELODIE
    assert not notify.calls


def test_first_local_lookup_without_the_directory_loaded_runs_after_the_dialog_shows(root, notify, pump, directory,
                                                                                      quote, monkeypatch):
    from viewer.gui.mailui import services as services_mod

    monkeypatch.setattr(services_mod, "directory_loaded", lambda _settings: False)  # a viewer that has not needed it yet
    dialog = open_dialog(root, MailServices(direct(25)), quote, notify, ready=False)  # the settings' local directory
    assert dialog.draft.lookup_pending
    assert dialog.to_var.get() == "recherche du destinataire…"
    assert pump(lambda: not dialog.draft.lookup_pending and not dialog.draft.attachment_pending)
    assert ELODIE in dialog.to_var.get() and "Élodie Marchand" in dialog.to_var.get()
    assert dialog.subject_var.get() == "Votre devis D2026-0042 du 20/11/2026"
    assert str(dialog.send_button.cget("state")) == "normal"
    assert not notify.calls


def test_local_lookup_stays_synchronous(root, notify, directory, quote):
    dialog = open_dialog(root, MailServices(direct(25), directory=directory), quote, notify)
    assert not dialog.draft.lookup_pending and ELODIE in dialog.to_var.get()
    assert dialog.lookup_label.winfo_manager() == ""


def test_password_to_open_can_be_shown_and_its_strength_is_said(root, notify, directory, quote, tmp_path):
    import os

    from tests.viewer.gui.conftest import shoot
    from viewer.gui.mailui.send_dialog import password_strength

    assert [password_strength(p) for p in ("", "abc", "ouvre-moi", "Ouvre-moi-2026!")] == ["", "weak", "fair", "strong"]
    s = direct(25, protection="password", password_policy="ask")
    root.deiconify()
    dialog = open_dialog(root, MailServices(s), quote, notify)
    dialog.protection_box.current(2)
    dialog._protection_changed()
    dialog.password_var.set("abc")
    assert dialog.strength_label.cget("text").startswith("Faible")
    assert dialog.password_entry.cget("show") == "•"
    dialog.eye.invoke()  # the eye: what was typed shows, so no second field to retype
    assert dialog.password_entry.cget("show") == ""
    dialog.password_var.set("Ouvre-moi-2026!")
    assert dialog.strength_label.cget("text") == "Fort"
    dialog.geometry("+0+0")
    dialog.update()
    shoot(os.environ["DISPLAY"], tmp_path / "screens" / "password.png", dialog)
    dialog.protection_box.current(1)  # no password: no hint, no eye
    dialog._protection_changed()
    assert dialog.strength_label.cget("text") == "" and dialog.eye.instate(["disabled"])
    dialog.destroy()
    root.withdraw()


def test_send_to_another_recipient_without_reopening(root, notify, pump, directory, quote, smtpd, tmp_path):
    import os

    from tests.viewer.gui.conftest import shoot

    root.deiconify()
    dialog = open_dialog(root, MailServices(direct(smtpd.port)), quote, notify)
    dialog.geometry("+0+0")
    assert dialog.send()
    assert pump(lambda: dialog.result is not None) and dialog.result.ok
    assert dialog.another_button.winfo_manager() == "pack"
    pump(lambda: dialog.winfo_viewable(), timeout=5)
    shoot(os.environ["DISPLAY"], tmp_path / "screens" / "sent.png", dialog)
    dialog.another_button.invoke()
    assert dialog.to_var.get() == "" and str(dialog.send_button.cget("state")) == "normal"
    assert dialog.another_button.winfo_manager() == ""
    dialog.to_var.set("jean.lefevre@atelier-dupre.example")
    assert dialog.send()  # a new recipient: no already-sent question
    assert pump(lambda: dialog.result is not None) and dialog.result.ok
    assert [m.rcpt_tos for m in smtpd.handler.wait_for(2)] == [[ELODIE], ["jean.lefevre@atelier-dupre.example"]]
    assert notify.calls == []
    dialog.destroy()
    root.withdraw()


def test_an_expired_provider_sign_in_says_so_and_offers_to_sign_in_again(root, notify, pump, directory, quote,
                                                                          smtpd_factory, ca_file):
    """OAuth 2.0 with no usable sign-in (expired, revoked or never made): words, then the sign-in screen on Yes."""
    server = smtpd_factory(mode="starttls")
    s = direct(server.port)
    s.functions.ssl, s.functions.tls_mode, s.functions.ca_file = True, "starttls", str(ca_file)
    s.functions.auth, s.functions.oauth_provider, s.functions.oauth_client_id = "oauth2", "microsoft", "client-1"
    s.environment.smtp_user = "ventes@example.com"
    services = MailServices(s)
    opened: list[str] = []
    notify.answer = True
    dialog = SendDialog(root, services, services.prepare(quote, "EMAIL"), notify=notify, open_settings=opened.append)
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert not dialog.result.ok and dialog.result.kind == "signin"
    assert "reconnectez-vous avec « Se connecter… »" in dialog.outcome_text().partition("\n")[0]
    assert [kind for kind, _title, _message in notify.calls] == ["yesno"] and opened == ["functions"]
    assert server.handler.messages == []  # nothing sent without a sign-in


# -- the document's PDF made on a worker after the dialog shows ------------------------------------


class Gate:
    """Holds the dialog's PDF worker before its real conversion until ``set()``; ``threads``: the workers held."""

    def __init__(self) -> None:
        import threading

        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def set(self) -> None:
        self.release.set()


@pytest.fixture
def gate(monkeypatch) -> Iterator[Gate]:
    import threading

    gate = Gate()
    convert = MailServices.document_attachment

    def held(self, *args, **kwargs):
        gate.threads.append(threading.current_thread())
        assert gate.release.wait(30), "the test never released the conversion"
        return convert(self, *args, **kwargs)

    monkeypatch.setattr(MailServices, "document_attachment", held)
    yield gate
    gate.set()


def qpdf_report(pdf: bytes, tmp_path: Path) -> str:
    """What qpdf says of a PDF (structure checked, encryption shown)."""
    import subprocess

    from tests.support.tools import require_tool

    path = tmp_path / "received.pdf"
    path.write_bytes(pdf)
    run = subprocess.run([require_tool("qpdf"), "--check", "--show-encryption", str(path)], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def shown_rows(dialog) -> list[tuple[str, ...]]:
    return [tuple(dialog.attachment_list.item(i, "values")) for i in dialog.attachment_list.get_children()]


def test_the_dialog_shows_before_its_pdf_and_send_waits_for_it(root, notify, pump, directory, quote, smtpd, gate, tmp_path):
    import os
    import threading

    from tests.viewer.gui.conftest import shoot

    root.deiconify()
    dialog = open_dialog(root, MailServices(direct(smtpd.port)), quote, notify, ready=False)
    dialog.geometry("+0+0")
    assert pump(lambda: dialog.winfo_viewable() and bool(gate.threads), timeout=10)  # drawn, then the worker started
    [worker] = gate.threads
    assert worker.name == "mailui-attachment" and worker is not threading.main_thread()
    assert ELODIE in dialog.to_var.get()  # the rest of the mail is there already
    assert shown_rows(dialog) == [("Préparation du PDF…", "")]
    assert str(dialog.send_button.cget("state")) == "disabled"
    assert not dialog.send() and smtpd.handler.messages == []  # never a mail without its PDF
    shoot(os.environ["DISPLAY"], tmp_path / "screens" / "preparing.png", dialog)
    gate.set()
    assert pump(lambda: not dialog.draft.attachment_pending)
    [(name, size)] = shown_rows(dialog)
    assert name == "devis-D2026-0042.pdf" and size.endswith("Ko")
    assert str(dialog.send_button.cget("state")) == "normal"
    shoot(os.environ["DISPLAY"], tmp_path / "screens" / "ready.png", dialog)
    assert dialog.send()
    assert pump(lambda: dialog.result is not None) and dialog.result.ok, dialog.result.text
    [(filename, pdf)] = attachments_of(smtpd.handler.wait_for(1)[0].data)
    assert filename == "devis-D2026-0042.pdf"
    report = qpdf_report(pdf, tmp_path)
    assert "No syntax or stream encoding errors found" in report
    assert "R = 6" in report and "modify anything: not allowed" in report  # AES-256, no-modify (the default)
    dialog.destroy()
    root.withdraw()


def test_a_document_that_cannot_be_converted_is_said_in_the_dialog_and_nothing_is_sent(root, notify, pump, directory,
                                                                                        samples, smtpd, tmp_path):
    import json
    import os

    from formats import open_document
    from tests.viewer.gui.conftest import shoot

    data = json.loads((samples / "devis-D2026-0042.spv").read_text(encoding="utf-8"))
    data["pages"][1]["items"][2]["type"] = "texte"  # page 2 is read when converted
    bad = tmp_path / "devis-abime.spv"
    bad.write_text(json.dumps(data), encoding="utf-8")
    root.deiconify()
    with open_document(bad) as doc:
        dialog = open_dialog(root, MailServices(direct(smtpd.port)), doc, notify)
        dialog.geometry("+0+0")
        shoot(os.environ["DISPLAY"], tmp_path / "screens" / "failed.png", dialog)
        assert shown_rows(dialog) == [("PDF non joint", "")]
        note = dialog.attachment_note.cget("text")
        assert note.startswith("Le document n'a pas pu être joint en PDF, le mail ne peut pas partir sans lui : ")
        assert "« devis-abime.spv », page 2, élément 3, champ « type » : type d'élément « texte » inconnu" in note
        assert dialog.attachment_note.winfo_manager() == "grid"
        assert str(dialog.send_button.cget("state")) == "disabled"
        assert not dialog.send()
        assert not notify.calls and smtpd.handler.messages == []
        dialog.destroy()
    root.withdraw()


def test_closing_while_the_pdf_is_made_drops_it_cleanly(root, notify, pump, directory, quote, gate, monkeypatch):
    import sys
    import threading

    problems: list[object] = []
    root.report_callback_exception = lambda *exc: problems.append(exc)  # a Tk callback that failed
    monkeypatch.setattr(sys, "unraisablehook", problems.append)  # e.g. a Tk variable deleted from the worker
    monkeypatch.setattr(threading, "excepthook", problems.append)
    dialog = open_dialog(root, MailServices(direct(25)), quote, notify, ready=False)
    assert pump(lambda: bool(gate.threads), timeout=10)
    task = dialog.attachment_task
    dialog.close()
    gate.set()
    assert task is not None and task.wait(30) and task.error is None  # the worker ended; its PDF is dropped
    for _ in range(10):  # the poll that would have handed it to the dialog runs, and does nothing
        root.update()
        threading.Event().wait(0.05)
    assert not [t for t in threading.enumerate() if t.name.startswith("mailui-")]
    assert problems == [] and notify.calls == []
    assert dialog.draft.attachment_pending  # never attached to the closed dialog's draft


def test_a_protection_chosen_at_send_is_made_on_the_worker_then_sent(root, notify, pump, directory, quote, smtpd,
                                                                     tmp_path):
    s = direct(smtpd.port, protection="password", password_policy="ask")
    dialog = open_dialog(root, MailServices(s), quote, notify)
    assert dialog.draft.attached_protection == "no-modify"  # the base mode, made when the dialog showed
    dialog.protection_box.current(2)
    dialog._protection_changed()
    dialog.password_var.set("ouvre-moi")
    assert dialog.send()
    assert dialog.draft.attachment_pending and dialog.outcome_text().startswith("Préparation du PDF, puis envoi par ")
    assert shown_rows(dialog)[0] == ("Préparation du PDF…", "")
    assert pump(lambda: dialog.result is not None) and dialog.result.ok, dialog.result.text
    [(_name, pdf)] = attachments_of(smtpd.handler.wait_for(1)[0].data)
    assert "R = 6" in qpdf_report_with_password(pdf, tmp_path, "ouvre-moi")  # AES-256, opened with the password
    assert dialog.draft.attached_protection == "password"


def qpdf_report_with_password(pdf: bytes, tmp_path: Path, password: str) -> str:
    import subprocess

    from tests.support.tools import require_tool

    path = tmp_path / "protected.pdf"
    path.write_bytes(pdf)
    locked = subprocess.run([require_tool("qpdf"), "--check", str(path)], capture_output=True, text=True, timeout=30)
    assert locked.returncode != 0 and "invalid password" in (locked.stdout + locked.stderr)
    run = subprocess.run([require_tool("qpdf"), f"--password={password}", "--check", "--show-encryption", str(path)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout
