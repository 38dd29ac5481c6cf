"""The mail windows' facade, without Tk: drafts, routes in words, background sends, errors as reports."""

from __future__ import annotations

import pytest

from viewer import settings as settings_mod
from viewer.errors import SpoolviewError
from viewer.gui.mailui.services import AttachmentItem, Draft, MailServices, warm_up

pytestmark = pytest.mark.gui


def settings() -> settings_mod.Settings:
    s = settings_mod.Settings()
    s.service.from_identity = "Ventes <ventes@example.com>"
    return s


@pytest.fixture
def services(samples):
    from viewer.directory import open_directory

    s = settings()
    open_directory(s).import_csv(samples / "customers.csv", samples / "contacts.csv")
    return MailServices(s)


def test_route_in_words():
    s = settings()
    svc = MailServices(s)
    assert "répertoire de dépôt" in svc.route_text() and s.service.pickup_folder in svc.route_text()
    s.functions.send_direct, s.functions.host, s.functions.ssl = True, "smtp.example.com", True
    assert svc.route_text() == "fonctions SMTP — serveur smtp.example.com:587 STARTTLS"
    assert "non paramétré" in svc.route_text("FAX")
    s.functions.use_server_functions = True
    assert "(envoi local" in svc.route_text()
    assert svc.status_text().startswith("Local — ")


def test_completions(services):
    assert services.completions("Marchand") == ["Élodie Marchand <elodie.marchand@atelier-dupre.example>"]
    assert services.completions("a@example.com, Marchand") == [
        "a@example.com, Élodie Marchand <elodie.marchand@atelier-dupre.example>"]
    assert services.completions("x") == []


def test_prepare_without_document_for_a_record(services):
    draft = services.prepare(None, to="compta@brasserie-kowalski.example", name="Brasserie Kowalski & Fils",
                             customer_code="CLI002", attach_document=False)
    assert draft.to == "Brasserie Kowalski & Fils <compta@brasserie-kowalski.example>"
    assert draft.attachments == [] and draft.subject


def test_checks_before_sending(services):
    assert "Aucun destinataire" in services.check(Draft())
    draft = Draft(to="a@example.com", ask_protection=True, protection="password")
    assert "mot de passe" in services.check(draft)
    attached = [AttachmentItem("devis.pdf", b"%PDF-1.7", "application/pdf", from_document=True)]
    with pytest.raises(SpoolviewError):
        services.protection_change(Draft(to="a@example.com", ask_protection=True, protection="password", document=object(),
                                         attachments=attached))
    ask = Draft(to="a@example.com", ask_protection=True, protection="password", password="pw", document=object(),
                attachments=attached, attached_protection="no-modify")
    assert services.protection_change(ask) == ("password", "pw")
    ask.protection = "no-modify"
    assert services.protection_change(ask) is None  # the attached PDF already has it
    ask.protection = "none"
    assert services.protection_change(ask) == ("none", "")
    assert services.already_sent(Draft(to="a@example.com")) == []
    assert services.history(["nobody@example.com"]) == []


def test_send_failures_become_reports(services, tmp_path):
    report = services.send(Draft(to="not an address", subject="x", body="y"))
    assert not report.ok and report.error and "Traceback" not in report.text
    report = services.test_mail("EMAIL", "a@example.com", "s", "b", str(tmp_path / "absent.pdf"))
    assert not report.ok and "absent.pdf" in report.error
    report = services.test_mail("FAX", "0388123456", "s", "b")
    assert not report.ok and "FAX" in report.error


def test_unknown_profile(services):
    with pytest.raises(SpoolviewError, match="nowhere"):
        services.connect("nowhere", "pw")
    assert services.resume_connection() is False
    assert services.alive() is False


def test_trace_switch_and_load(services, tmp_path):
    services.settings.debug.trace_folder = str(tmp_path / "trace")
    assert services.set_trace(True) == str(tmp_path / "trace")
    assert settings_mod.load().debug.trace
    services.set_trace(False)
    assert services.load_trace() == ""


def test_warm_up_is_harmless():
    warm_up()


def test_warm_up_leaves_the_directory_and_sqlalchemy_out():
    import subprocess
    import sys

    code = ("import sys; from viewer.gui.mailui.services import warm_up; warm_up(); "
            "import viewer.mail.compose; "  # what the warm-up is for is there
            "print(sorted(m for m in ('viewer.directory', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_names_with_commas_survive_the_send(services, smtpd):
    import email
    from email import policy

    s = services.settings
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", smtpd.port
    report = services.send(Draft(to='"Dupont, Fils" <d@example.com>; e@example.com', subject="x", body="y"))
    assert report.ok, report.text
    received = smtpd.handler.wait_for(1)[0]
    assert sorted(received.rcpt_tos) == ["d@example.com", "e@example.com"]
    msg = email.message_from_bytes(received.data, policy=policy.default)
    assert msg["To"].addresses[0].display_name == "Dupont, Fils"


def test_a_draft_whose_pdf_is_not_attached_is_never_sent(services, smtpd, samples):
    """The dialog's PDF is made on a worker: until it is attached (or when it failed) the send refuses, in words."""
    from formats import open_document

    s = services.settings
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", smtpd.port
    with open_document(samples / "devis-D2026-0042.spv") as doc:
        draft = services.prepare(doc, defer_attachment=True)
        assert draft.attachment_pending and draft.attachments == [] and draft.to  # looked up, not converted
        assert services.check(draft).startswith("Le PDF du document est en préparation")
        report = services.send(draft)
        assert not report.ok and "en préparation" in report.text
        draft.attachment_pending, draft.attachment_error = False, "page 2 illisible"
        assert "ne peut pas partir sans lui : page 2 illisible" in services.check(draft)
        assert not services.send(draft).ok
        assert smtpd.handler.messages == []  # nothing went
        item = services.document_attachment(doc, "EMAIL")  # what the dialog's worker makes
        services.attach(draft, item, "")
        assert draft.attachments == [item] and not draft.attachment_error and services.check(draft) == ""
        report = services.send(draft)
    assert report.ok, report.text
    [(name, pdf)] = attachments_of(smtpd.handler.wait_for(1)[0].data)
    assert name == "devis-D2026-0042.pdf" and pdf.startswith(b"%PDF")


def attachments_of(data: bytes) -> list[tuple[str | None, bytes]]:
    import email
    from email import policy

    msg = email.message_from_bytes(data, policy=policy.default)
    return [(part.get_filename(), part.get_content()) for part in msg.iter_attachments()]


def test_rtf_body_sent_when_allowed(services, smtpd):
    """Settings > Advanced 'allow RTF': the mail carries a text/rtf alternative made from the body."""
    import email
    from email import policy

    s = services.settings
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", smtpd.port
    draft = Draft(to="e@example.com", subject="Devis", body="Bonjour Élodie,\n\nCordialement,\n")
    assert services.job_draft(draft).rtf is None  # off by default
    s.advanced.allow_rtf = True
    assert services.job_draft(Draft(to="0102030405", subject="x", body="y", address_type="FAX")).rtf is None
    report = services.send(draft)
    assert report.ok, report.text
    msg = email.message_from_bytes(smtpd.handler.wait_for(1)[0].data, policy=policy.default)
    types = [part.get_content_type() for part in msg.walk()]
    assert "text/plain" in types and "text/rtf" in types
    rtf = next(p for p in msg.walk() if p.get_content_type() == "text/rtf").get_content()
    assert "Bonjour \\u201?lodie,\\par" in rtf


def test_lookup_says_what_to_do_in_the_interface_language(services, samples, tmp_path):
    from types import SimpleNamespace

    from formats import open_document

    with open_document(samples / "notice.pdf") as doc:  # a PDF names no customer
        assert services.prepare(doc).lookup_message == "Le document ne nomme aucun client : saisissez l'adresse mail."
    data = (samples / "devis-D2026-0042.spv").read_text(encoding="utf-8")
    spool = tmp_path / "devis-unknown.spv"
    spool.write_text(data.replace('"CLI001"', '"CLI999"').replace('"CT0001"', '""'), encoding="utf-8")
    with open_document(spool) as doc:
        text = services.prepare(doc).lookup_message
    assert text.startswith("Le client CLI999 n'est pas dans l'annuaire") and "spoolview directory import" in text
    missing = SimpleNamespace(message="Customer CLI001 (x) has no fax number", found=False, customer_code="CLI001")
    assert services.lookup_text(missing, "FAX") == ("Le client CLI001 (Atelier Dupré SARL) n'a pas de numéro de fax"
                                                     " dans l'annuaire : saisissez le numéro de fax ou complétez sa fiche.")
    no_mail = SimpleNamespace(message="Customer CLI001 (x) has no e-mail address", found=False, customer_code="CLI001")
    assert services.lookup_text(no_mail).startswith("Le client CLI001 (Atelier Dupré SARL) n'a pas d'adresse mail dans")
    used = SimpleNamespace(message="Contact CT9 is not in the directory: the customer's address is used.", found=True,
                           customer_code="CLI001", contact_code="CT9")
    assert services.lookup_text(used).startswith("Le contact CT9 n'a pas d'adresse")
    assert services.lookup_text(SimpleNamespace(message="", found=True)) == ""


def test_outcome_in_the_interface_language(services):
    """Fresh-install route (pickup folder): the outcome reads in French, with where the message is."""
    from pathlib import Path

    report = services.send(Draft(to="Élodie <e@example.com>", subject="Devis", body="Bonjour"))
    assert report.ok, report.text
    first = report.lines[0]
    assert first.startswith("e@example.com : accepté (") and "dépôt" in first
    assert any(line.startswith("Fichier du message : ") for line in report.lines)
    assert any(line.startswith("Copie conservée dans ") for line in report.lines)
    assert Path(report.file).is_file()
    assert not any("accepted by" in line or "copy kept" in line for line in report.lines)


def _raised(exc: BaseException, inside: BaseException | None = None) -> BaseException:
    """``exc`` as a route raises it: ``from None`` inside the handler of ``inside``."""
    try:
        try:
            if inside is not None:
                raise inside
        except BaseException:  # noqa: BLE001 - rebuilds whatever a route raises, any type
            raise exc from None
        raise exc
    except BaseException as caught:  # noqa: BLE001 - hands back whatever was raised, any type
        return caught


HEADLINES = {
    "fr": {
        "temporary": "Le serveur n'a pas pu prendre le message pour l'instant : réessayez plus tard.",
        "permanent": "Le serveur a refusé le message",
        "configuration": "L'envoi est mal paramétré : vérifiez le serveur, le port, le mode SSL, l'utilisateur et les "
                         "répertoires dans Paramètres > Protocole SMTP (par le service smtp).",
        "unavailable": "Le serveur d'applications ne répond pas",
        "server_login": "Le serveur d'applications a refusé la connexion",
        "login": "Le serveur de messagerie a refusé l'identification",
        "certificate": "Le certificat du serveur n'est pas reconnu",
        "session": "La session sur le serveur d'applications a pris fin",
        "compose": "Le message ne peut pas être construit",
        "reply": "Réponse du serveur : 421 4.3.2 busy",
    },
    "en": {
        "temporary": "The server could not take the message for now: try again later.",
        "permanent": "The server refused the message",
        "configuration": "Sending is not set up right: check the server, port, SSL mode, user and folders in "
                         "Settings > SMTP protocol — service.",
        "unavailable": "The application server does not answer",
        "server_login": "The application server refused the login",
        "login": "The mail server refused the login",
        "certificate": "The server's certificate is not trusted",
        "session": "The session on the application server has ended",
        "compose": "The message cannot be built",
        "reply": "Server reply: 421 4.3.2 busy",
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_mail_road_errors_read_in_the_interface_language(lang):
    """Each kind of error: a sentence saying what to do first, the technical detail (server reply verbatim) below."""
    import smtplib
    import ssl

    from viewer import connection as conn
    from viewer.gui import i18n
    from viewer.mail.compose import ComposeError
    from viewer.mail.routes.base import ConfigurationError, PermanentError, TemporaryError

    svc = MailServices(settings())
    errors = {
        "temporary": TemporaryError("127.0.0.1:2525 closed the session", code=421, reply="4.3.2 busy"),
        "permanent": PermanentError("127.0.0.1:2525 answered 554 5.7.1 rejected as spam", code=554, reply="5.7.1 rejected as spam"),
        "configuration": ConfigurationError("no pickup folder is set: fill in the folder in the SMTP (service) settings"),
        "unavailable": _raised(TemporaryError("the application server at https://127.0.0.1:8443 did not answer within 5 s"),
                               conn.ServerUnavailable("did not answer")),
        "server_login": conn.LoginRefused("wrong user name or password for 'alice' on https://127.0.0.1:8443"),
        "login": _raised(ConfigurationError("127.0.0.1:2525 refused the login of user 'ventes' (535 5.7.8 bad credentials)",
                                            code=535, reply="5.7.8 bad credentials"),
                         smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials")),
        "certificate": _raised(ConfigurationError("the certificate of 127.0.0.1:2525 is not trusted (self-signed)"),
                               ssl.SSLCertVerificationError("self-signed")),
        "session": _raised(ConfigurationError("the session on https://127.0.0.1:8443 has ended"),
                           conn.SessionExpired("ended")),
        "compose": ComposeError("header injection in the subject"),
    }
    i18n.set_language(lang)
    try:
        reports = {kind: svc._failure(exc) for kind, exc in errors.items()}
        lookup_text = svc.error_message(errors["unavailable"])
    finally:
        i18n.set_language("fr")
    expected = HEADLINES[lang]
    for kind, report in reports.items():
        assert report.headline.startswith(expected[kind]), (kind, report.headline)
        first, _newline, detail = report.message("!").partition("\n")
        assert first == f"! {report.headline}"
        assert str(errors[kind]) in detail  # the original words are kept, below
    assert reports["temporary"].error.endswith(expected["reply"])  # the reply verbatim, when the message lacks it
    assert reports["permanent"].error.count("5.7.1 rejected as spam") == 1  # not repeated
    assert "bad credentials" in reports["login"].error
    assert lookup_text.startswith(expected["unavailable"])
    assert "did not answer within 5 s" in lookup_text


def test_unknown_errors_keep_their_text():
    report = MailServices(settings())._failure(SpoolviewError("cannot read the attachment x.pdf"))
    assert report.headline == "" and report.text == "cannot read the attachment x.pdf"


def test_the_detail_of_a_refused_application_server_and_of_a_corrupt_spool_is_french(tmp_path, samples):
    """Under the French headline of the send outcome, the technical detail is French too (the server's
    reply, when there is one, stays verbatim)."""
    import json
    import socket

    from formats import open_document
    from viewer.connection import Connection, ServerUnreachable

    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(ServerUnreachable) as caught:
        Connection(settings_mod.ConnectionProfile(name="bureau", url=url, user="alice")).connect("pw")
    report = MailServices(settings())._failure(caught.value)
    assert report.headline.startswith("Le serveur d'applications ne répond pas")
    assert report.error == f"le serveur d'applications {url} est injoignable : vérifiez qu'il fonctionne et l'adresse du profil « bureau »"

    data = json.loads((samples / "devis-D2026-0042.spv").read_text(encoding="utf-8"))
    data["pages"][1]["items"][2]["type"] = "texte"
    bad = tmp_path / "devis-abime.spv"
    bad.write_text(json.dumps(data), encoding="utf-8")
    from formats.document import DocumentError
    from viewer.gui.mailui.services import error_text

    svc = MailServices(settings())
    with open_document(bad) as doc, pytest.raises(DocumentError) as caught:
        svc.prepare(doc, to="elodie@example.com")  # page 2 is checked when converted; the dialog shows error_text
    assert error_text(caught.value) == ("fichier « devis-abime.spv », page 2, élément 3, champ « type » : "
                            "type d'élément « texte » inconnu (types possibles : text, line, rect, image, table)")
