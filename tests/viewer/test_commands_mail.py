"""`spoolview send`, `test-mail` and `trace` end to end (pickup folder and a real SMTP server)."""

from __future__ import annotations

import base64
import email
from email import policy
from pathlib import Path

import pymupdf
import pytest

from tests.support.smtpd import RecordingHandler, free_port
from viewer import paths
from viewer import settings as S
from viewer.cli import main
from viewer.mail import trace
from viewer.mail.journal import read_log

ROOT = Path(__file__).resolve().parents[2]
QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"
USER, PASSWORD = "agent@example.com", "Cli-Secret-42!"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def configure(**changes) -> S.Settings:
    settings = S.load()
    settings.service.from_identity = "Agent <agent@example.com>"
    for key, value in changes.items():
        section, _, name = key.partition("__")
        setattr(getattr(settings, section), name, value)
    S.save(settings)
    return settings


def direct(server, **changes) -> S.Settings:
    return configure(functions__send_direct=True, functions__host=server.host, functions__port=server.port, functions__from_identity="agent@example.com", **changes)


def import_directory() -> None:
    from viewer.directory import open_directory

    with open_directory(S.load()) as directory:
        directory.import_csv(ROOT / "samples" / "customers.csv", ROOT / "samples" / "contacts.csv")


def pickup_files() -> list[Path]:
    folder = paths.data_dir() / "pickup"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def attachments(raw: bytes) -> list:
    msg = email.message_from_bytes(raw, policy=policy.default)
    return list(msg.iter_attachments())


def test_fresh_user_sends_to_the_pickup_folder_and_says_where(capsys):
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org")
    assert code == 0, err
    [dropped] = pickup_files()
    assert f"message file: {dropped}" in out
    assert "client@example.org: accepted" in out
    assert "no From identity is set" in err
    [att] = attachments(dropped.read_bytes().split(b"\r\n", 2)[2])
    assert att.get_filename().endswith(".pdf") and att.get_content().startswith(b"%PDF")


def test_recipient_from_the_directory_and_duplicate_warning(capsys):
    configure()
    import_directory()
    code, out, err = run(capsys, "send", QUOTE)
    assert code == 0, err
    assert "elodie.marchand@atelier-dupre.example: accepted" in out
    assert "already sent" not in err
    code, out, err = run(capsys, "send", QUOTE)
    assert code == 0 and "already sent: devis D2026-0042 went to elodie.marchand@atelier-dupre.example" in err
    assert (out + err).count("already sent") == 1  # said once, before sending
    code, out, err = run(capsys, "send", QUOTE, "--force")
    assert code == 0 and "already sent" not in out + err
    assert len(pickup_files()) == 3


def test_lookup_falling_back_to_the_customer_says_so(capsys, tmp_path):
    configure(routing__fax="SERV_SMTP:%ADR%@fax.example.com")
    import_directory()
    meta = tmp_path / "releve.txt"
    meta.write_text("Relevé\n", encoding="utf-8")
    (tmp_path / "releve.meta.json").write_text('{"kind": "releve", "customer": "CLI005", "contact": "CT0004"}', encoding="utf-8")
    code, out, err = run(capsys, "send", meta, "--type", "FAX", "--dry-run")
    assert code == 0, err
    assert "Contact CT0004 (Jiří Dvořák) has no fax number: the customer's address is used." in err
    assert "to: +420224811111@fax.example.com" in out


def test_no_recipient_found_says_to_use_to(capsys):
    configure()
    code, out, err = run(capsys, "send", QUOTE)
    assert code == 1 and "--to" in err and "Traceback" not in err
    assert pickup_files() == []


def test_dry_run_sends_nothing(capsys):
    configure()
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--dry-run")
    assert code == 0 and "dry run: nothing sent" in out and "route: pickup folder" in out
    assert pickup_files() == []


def test_no_pdf_attaches_the_spool(capsys):
    configure()
    assert run(capsys, "send", QUOTE, "--to", "c@example.org", "--no-pdf", "--subject", "Sujet", "--cc", "d@example.org")[0] == 0
    data = pickup_files()[0].read_bytes()
    assert b"x-receiver: d@example.org" in data
    [att] = attachments(data.split(b"\r\n", 3)[3])
    assert att.get_filename() == QUOTE.name and att.get_content() == QUOTE.read_bytes()


def test_password_protection(capsys, tmp_path):
    configure()
    pw = tmp_path / "pw.txt"
    pw.write_text("open-sesame\n")
    assert run(capsys, "send", QUOTE, "--to", "c@example.org", "--protect", "password", "--password-file", pw)[0] == 0
    [att] = attachments(pickup_files()[0].read_bytes().split(b"\r\n", 2)[2])
    pdf = pymupdf.open(stream=att.get_content(), filetype="pdf")
    assert pdf.needs_pass and pdf.authenticate("open-sesame")
    code, out, err = run(capsys, "send", QUOTE, "--to", "c@example.org", "--protect", "password")
    assert code == 1 and "--password-file" in err


def test_smtp_send_and_partial_refusal_exit_codes(capsys, smtpd_factory):
    handler = RecordingHandler(rcpt_replies={"gone@example.org": "550 5.1.1 no such user"})
    server = smtpd_factory(handler=handler)
    direct(server)
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org")
    assert code == 0, out + err
    assert f"route: SMTP server {server.host}:{server.port}" in out
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--to", "gone@example.org")
    assert code == 3
    assert "gone@example.org: NOT sent (permanent): 550 5.1.1 no such user" in out
    code, out, err = run(capsys, "send", QUOTE, "--to", "gone@example.org")
    assert code == 1 and "NOT sent" in out
    log = read_log(paths.data_dir() / "log" / "Smtp.log")
    assert [(e.recipient, e.status) for e in log] == [
        ("client@example.org", "OK"),
        ("client@example.org", "OK"),
        ("gone@example.org", "ERROR"),
        ("gone@example.org", "ERROR"),
    ]
    errors = sorted((paths.data_dir() / "errors").iterdir())
    assert [p.suffix for p in errors] == [".eml", ".log", ".eml", ".log"]
    assert len(handler.wait_for(2)) == 2


@pytest.mark.parametrize(("reply", "kind"), [("451 4.3.0 try later", "temporary"), ("554 5.6.0 rejected", "permanent")])
def test_smtp_data_refusal(capsys, smtpd_factory, reply, kind):
    server = smtpd_factory(handler=RecordingHandler(data_replies=[reply]))
    direct(server)
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org")
    assert code == 1 and f"NOT sent ({kind})" in out and reply[:3] in out


def test_server_down(capsys):
    port = free_port()
    configure(functions__send_direct=True, functions__host="127.0.0.1", functions__port=port, functions__timeout=5.0)
    code, out, err = run(capsys, "test-mail", "--to", "client@example.org")
    assert code == 1 and f"127.0.0.1:{port}" in out and "(temporary)" in out
    assert len(list((paths.data_dir() / "errors").glob("*.log"))) == 1


def test_size_limit_refused_before_data(capsys, smtpd_factory):
    server = smtpd_factory(data_size_limit=5000)
    direct(server)
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org")
    assert code == 1 and "accepts at most 5000 bytes" in out
    assert server.messages == []


def test_test_mail_with_attachment(capsys, smtpd, tmp_path):
    direct(smtpd)
    att = tmp_path / "note.txt"
    att.write_text("bonjour")
    code, out, err = run(capsys, "test-mail", "--to", "x@example.org", "--attach", att, "--subject", "Essai")
    assert code == 0, out + err
    got = smtpd.handler.wait_for(1)[0]
    msg = email.message_from_bytes(got.data, policy=policy.default)
    assert msg["Subject"] == "Essai" and [a.get_filename() for a in msg.iter_attachments()] == ["note.txt"]
    code, out, err = run(capsys, "test-mail", "--to", "x@example.org", "--attach", tmp_path / "missing.txt")
    assert code == 1 and "missing.txt" in err


def test_body_file_problems_are_one_clear_line(capsys, tmp_path):
    code, out, err = run(capsys, "send", QUOTE, "--to", "x@example.org", "--body-file", tmp_path / "missing.txt")
    assert code == 1 and f"cannot read the body file {tmp_path / 'missing.txt'} (No such file or directory)" in err
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Café".encode("latin-1"))
    code, out, err = run(capsys, "send", QUOTE, "--to", "x@example.org", "--body-file", latin)
    assert code == 1 and "is not UTF-8 text" in err and "Errno" not in err
    assert pickup_files() == []


def test_test_mail_says_when_the_body_falls_back_to_utf8(capsys):
    configure()
    code, out, err = run(capsys, "test-mail", "--to", "x@example.org", "--body", "Dzień dobry, Łódź")
    assert code == 0, err
    assert "did not fit windows-1252" in err and "UTF-8" in err
    [dropped] = pickup_files()
    msg = email.message_from_bytes(dropped.read_bytes().split(b"\r\n", 2)[2], policy=policy.default)
    assert msg.get_content_charset() == "utf-8" and "Łódź" in msg.get_content()


def test_trace_on_show_files_off(capsys):
    configure()
    err = run(capsys, "trace", "show")[2]
    assert err.startswith("the trace in") and "does not exist yet; the trace is off (spoolview trace on)" in err
    code, out, err = run(capsys, "trace", "on")
    assert code == 0 and "debug trace on" in out and S.load().debug.trace
    run(capsys, "test-mail", "--to", "x@example.org")
    code, out, err = run(capsys, "trace", "show")
    assert "route: local: service.use_server_service is off" in out and "pickup folder" in out and "outcome: x@example.org: accepted" in out
    code, out, err = run(capsys, "trace", "files")
    assert out.strip().endswith(".trace.jsonl")
    assert run(capsys, "trace", "show", "--last", "1")[1].count("\n") == 1
    run(capsys, "trace", "off")
    assert not S.load().debug.trace


def test_password_never_in_any_output_after_authenticated_cli_sends(capsys, smtpd_factory, ca_file):
    handler = RecordingHandler()
    server = smtpd_factory(mode="starttls", auth=(USER, PASSWORD), handler=handler)
    settings = direct(server, functions__ssl=True, functions__ca_file=str(ca_file))
    settings.environment.smtp_user = USER
    S.save(settings)
    S.set_password(settings, PASSWORD)
    outputs = []
    for argv in (("trace", "on"), ("send", QUOTE, "--to", "client@example.org"), ("test-mail", "--to", "x@example.org"), ("trace", "show")):
        code, out, err = run(capsys, *argv)
        assert code == 0, out + err
        outputs += [out, err]
    assert handler.wait_for(2)[0].login == USER
    settings = S.load()
    S.set_password(settings, "Wrong-" + PASSWORD)
    code, out, err = run(capsys, "test-mail", "--to", "x@example.org")
    assert code == 1 and USER in out
    outputs += [out, err]
    outputs += list(run(capsys, "settings", "show")[1:])
    outputs += list(run(capsys, "settings", "show", "--json")[1:])
    entries = trace.load(S.load().debug.trace_folder)
    assert any("AUTH <redacted>" in e.text for e in entries)
    forms = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(), base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()]
    config = paths.config_file()
    for path in [p for p in Path(paths.data_dir()).rglob("*") if p.is_file()] + [p for p in paths.log_dir().rglob("*") if p.is_file()]:
        if path == config:
            continue
        data = path.read_bytes()
        for form in forms:
            assert form.encode() not in data, f"{form!r} in {path}"
    for text in outputs:
        for form in forms:
            assert form not in text


def test_fax_number_goes_through_the_fax_gateway_template(capsys):
    configure(routing__fax="SERV_SMTP:%ADR%@fax.example.com")
    code, out, err = run(capsys, "send", QUOTE, "--type", "FAX", "--to", "03 88.12-34 56")
    assert code == 0, err
    [dropped] = pickup_files()
    head = dropped.read_bytes().split(b"\r\n\r\n", 1)[0]
    assert b"0388123456@fax.example.com" in head


def test_fax_without_a_template_names_the_setting(capsys):
    code, out, err = run(capsys, "send", QUOTE, "--type", "FAX", "--to", "03 88 12 34 56")
    assert code == 1
    assert "FAX" in err and "Traceback" not in err
    assert pickup_files() == []


def _connect(live_url: str) -> None:
    import io
    import sys

    assert main(["profiles", "add", "office", live_url, "--user", "alice"]) == 0
    saved, sys.stdin = sys.stdin, io.StringIO("alice-pw\n")
    try:
        assert main(["connect", "office"]) == 0
    finally:
        sys.stdin = saved


def test_via_server_when_not_connected_says_to_connect(capsys):
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--via-server")
    assert code == 1
    assert "spoolview connect" in err
    assert pickup_files() == []


def test_via_server_delivers_through_the_application_server(capsys, smtpd, tmp_path):
    from tests.viewer.server.live import LiveServer, smtp_config

    configure()
    with LiveServer(smtp_config(tmp_path, smtpd, from_identity="agent@example.com"), users={"alice": "alice-pw"}) as live:
        _connect(live.url)
        capsys.readouterr()
        code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--via-server")
        assert code == 0, err
    [got] = smtpd.handler.wait_for(1)
    assert got.rcpt_tos == ["client@example.org"]
    assert [a.get_filename() for a in attachments(got.data)] == ["devis-D2026-0042.pdf"]
    assert pickup_files() == []


def test_via_server_sends_as_the_identity_the_server_allows_with_replies_to_the_user(capsys, smtpd, tmp_path):
    """The server decides the sender (403 otherwise): the viewer's own From becomes Reply-To."""
    from email import message_from_bytes

    from tests.viewer.server.live import LiveServer, smtp_config

    configure(service__from_identity="Alice Martin <alice@office.example>")
    with LiveServer(smtp_config(tmp_path, smtpd, from_identity="Ventes <sales@example.com>"), users={"alice": "alice-pw"}) as live:
        live.app.state.db.set_identities("alice", email="alice@office.example")
        _connect(live.url)
        capsys.readouterr()
        code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--via-server")
        assert code == 0, err
        assert "sent as sales@example.com" in out + err and "replies go to Alice Martin <alice@office.example>" in out + err
        live.app.state.db.set_identities("alice", email="")  # not the user's own address: no Reply-To
        code, out, err = run(capsys, "send", QUOTE, "--to", "other@example.org", "--via-server", "--force")
        assert code == 0, err
    first, second = smtpd.handler.wait_for(2)
    mail = message_from_bytes(first.data)
    assert first.mail_from == "sales@example.com" and "sales@example.com" in mail["From"]
    assert mail["Reply-To"] == "Alice Martin <alice@office.example>"
    assert message_from_bytes(second.data)["Reply-To"] is None


def test_send_from_server_set_but_server_down_sends_locally(capsys, smtpd, tmp_path):
    from tests.viewer.server.live import LiveServer, smtp_config

    configure(service__use_server_service=True)
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org")
    assert code == 0, err
    assert "not connected to an application server: sending locally" in err
    with LiveServer(smtp_config(tmp_path, smtpd), users={"alice": "alice-pw"}) as live:
        _connect(live.url)
    capsys.readouterr()  # the server is gone now, the saved connection remains
    code, out, err = run(capsys, "send", QUOTE, "--to", "other@example.org")
    assert code == 0, err
    assert f"warning: local after server failure: cannot reach the application server at {live.url}" in err
    assert "route: pickup folder" in out and "(local after server failure: cannot reach" in out
    assert "application server" not in out.partition("(local after")[0]  # the route named is the route used
    assert len(pickup_files()) == 2
    assert smtpd.handler.messages == []


def test_another_customers_contact_is_refused_naming_both_customers_unless_forced(capsys):
    configure()
    import_directory()
    code, out, err = run(capsys, "send", QUOTE, "--to", "f.hebert@menuiserie.example")
    assert code == 1
    assert "CLI003 (Société Générale de Menuiserie)" in err and "CLI001 (Atelier Dupré SARL)" in err and "--force" in err
    assert "Traceback" not in err and pickup_files() == []
    code, out, err = run(capsys, "send", QUOTE, "--to", "f.hebert@menuiserie.example", "--force")
    assert code == 0, err
    [dropped] = pickup_files()
    assert b"X-Spoolview-Document: devis D2026-0042" in dropped.read_bytes()


def test_via_server_answers_lost_is_unknown_then_connection_history_tells_the_real_outcome(capsys, smtpd, tmp_path, monkeypatch):
    import time

    from tests.support.dropproxy import DropProxy
    from tests.viewer.server.live import LiveServer, smtp_config
    from viewer.mail.routes.server import ServerRoute

    monkeypatch.setattr(ServerRoute, "RETRY_DELAYS", (0.1, 0.1, 0.1))
    configure()
    config = smtp_config(tmp_path, smtpd, from_identity="agent@example.com")
    with LiveServer(config, users={"alice": "alice-pw"}) as live, DropProxy(("127.0.0.1", live.port)) as proxy:
        _connect(proxy.url)
        capsys.readouterr()
        proxy.lose = 100
        code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--via-server")
        assert code != 0
        assert "client@example.org: outcome UNKNOWN" in out + err
        assert "NOT sent" not in out + err
        assert proxy.lost >= 4  # the answer, then three retries with the same key
        assert pickup_files() == []  # never sent locally instead
        proxy.lose = 0
        assert run(capsys, "connection")[1].count("1 send(s) with an unknown outcome") == 1
        code, out, err = run(capsys, "connection", "--history")
        assert code == 0 and "devis D2026-0042" in out and "now known: sent (client@example.org: accepted)" in out
        assert "now known" not in run(capsys, "connection", "--history")[1]  # forgotten once known
    assert len(smtpd.handler.wait_for(1)) == 1
    time.sleep(0.3)
    assert len(smtpd.messages) == 1


# -- the outcome lines in the interface language ----------------------------------------------


def test_pickup_send_lines_in_french_with_printing_language(capsys):
    configure(printing__language="fr")
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org")
    assert code == 0, err
    [dropped] = pickup_files()
    folder = paths.data_dir() / "pickup"
    [kept] = (paths.data_dir() / "sent").iterdir()
    assert out.splitlines() == [
        f"voie d'envoi : dossier de dépôt {folder}",
        f"client@example.org : accepté par dossier de dépôt {folder} (mis en file dans le dossier de dépôt)",
        f"fichier du message : {dropped}",
        f"copie gardée dans {kept}",
    ]
    # The history keeps the route in English: `report --csv` and scripts read stable values.
    code, csv_out, _err = run(capsys, "report", "--csv")
    assert code == 0 and f",pickup folder {folder},accepted,queued in the pickup folder," in csv_out


def test_pickup_send_lines_in_english_under_a_french_locale_when_the_setting_says_english(capsys, monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    configure(printing__language="en")
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org")
    assert code == 0, err
    folder = paths.data_dir() / "pickup"
    assert out.splitlines()[:2] == [f"route: pickup folder {folder}",
                                    f"client@example.org: accepted by pickup folder {folder} (queued in the pickup folder)"]


def test_the_locale_chooses_when_the_setting_is_auto(capsys, monkeypatch):
    configure()  # printing.language = auto
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    code, out, _err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "essai : rien n'a été envoyé"
    assert lines[1].startswith("voie d'envoi : dossier de dépôt ")
    assert lines[2:4] == ["de : agent@example.com", "à : client@example.org"]
    assert lines[4].startswith("objet : ")
    assert lines[5].startswith("pièce jointe : ") and " octets) ; message de " in lines[5] and lines[5].endswith(" octets")
    monkeypatch.setenv("LANG", "C.UTF-8")  # LANGUAGE=fr is ignored under the C locale, as gettext does
    code, out, _err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--dry-run")
    assert out.splitlines()[0] == "dry run: nothing sent"
    assert pickup_files() == []


def test_smtp_refusal_in_french_keeps_the_server_reply_verbatim(capsys, smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={"gone@example.org": "550 5.1.1 no such user"}))
    direct(server, printing__language="fr")
    code, out, err = run(capsys, "send", QUOTE, "--to", "client@example.org", "--to", "gone@example.org")
    assert code == 3, out + err
    lines = out.splitlines()
    assert lines[0] == f"voie d'envoi : serveur SMTP {server.host}:{server.port} (sans TLS)"
    assert lines[1].startswith(f"client@example.org : accepté par serveur SMTP {server.host}:{server.port} (sans TLS) (250 ")
    assert lines[2] == "gone@example.org : NON envoyé (refus définitif) : 550 5.1.1 no such user"
    assert lines[3].startswith("copie gardée dans ") or lines[3].startswith("message gardé dans le dossier des erreurs : ")


def test_duplicate_warning_in_french(capsys):
    configure(printing__language="fr")
    import_directory()
    assert run(capsys, "send", QUOTE)[0] == 0
    code, _out, err = run(capsys, "send", QUOTE)
    assert code == 0
    assert ("spoolview : avertissement : déjà envoyé : devis D2026-0042 envoyé à elodie.marchand@atelier-dupre.example le "
            in err) and "(--force pour ne plus le signaler)" in err
