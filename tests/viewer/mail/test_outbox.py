"""The outbox: route, Smtp.log, copies, error folder, trace, history — and no password anywhere."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.support.smtpd import RecordingHandler
from viewer import paths
from viewer.errors import SpoolviewError
from viewer.mail import trace
from viewer.mail.compose import Composed
from viewer.mail.journal import read_log
from viewer.mail.outbox import Outbox
from viewer.mail.routes.base import ConfigurationError, Envelope, PermanentError, TemporaryError
from viewer.mail.routes.memory import MemoryRoute
from viewer.mail.throttle import Throttle
from viewer.settings import Settings

USER, PASSWORD = "agent@example.com", "Pw-0f-the-Agent!"
RAW = (
    b"From: agent@example.com\r\nTo: client@example.org\r\nSubject: Devis D-42\r\n"
    b"Message-ID: <d42@example.com>\r\n\r\nBonjour\r\n"
)
ENV = Envelope("agent@example.com", ("client@example.org",))


def smtp_log() -> list:
    return read_log(paths.data_dir() / "log" / "Smtp.log")


def test_fresh_user_sends_to_the_pickup_folder_and_records_everything():
    outbox = Outbox(Settings())
    outcome = outbox.send((RAW, ENV), document="devis D-42")
    assert outcome.ok and outcome.error is None
    pickup_file = outcome.result.file
    assert pickup_file.parent == paths.data_dir() / "pickup"
    assert pickup_file.read_bytes().startswith(b"x-sender: agent@example.com\r\n")
    assert outcome.file == paths.data_dir() / "sent" / pickup_file.name
    assert outcome.file.read_bytes() == RAW
    assert outcome.message_id == "<d42@example.com>" and outcome.subject == "Devis D-42"
    [line] = smtp_log()
    assert (line.subject, line.sender, line.recipient, line.status, line.file) == ("Devis D-42", ENV.sender, "client@example.org", "OK", pickup_file.name)
    lines = outcome.summary_lines()
    assert lines[0].startswith("client@example.org: accepted by pickup folder")
    assert f"message file: {pickup_file}" in lines
    assert outcome.duplicate_of == []


def test_second_send_of_the_same_document_is_flagged_before_and_after():
    outbox = Outbox(Settings(), MemoryRoute())
    outbox.send((RAW, ENV), document="devis D-42")
    assert len(outbox.already_sent("devis D-42", ["CLIENT@example.org"])) == 1
    again = outbox.send((RAW, ENV), document="devis D-42")
    assert again.ok and len(again.duplicate_of) == 1
    assert any("already sent before" in line for line in again.summary_lines())
    assert not any("already sent" in line for line in again.summary_lines(duplicates=False))
    assert outbox.send((RAW, ENV), document="devis D-43").duplicate_of == []


def test_partial_refusal_is_not_ok_and_lands_in_the_error_folder():
    route = MemoryRoute(refuse={"gone@example.org": "550 5.1.1 no such user"})
    env = Envelope(ENV.sender, ("client@example.org", "gone@example.org"))
    outcome = Outbox(Settings(), route).send((RAW, env), document="devis D-42")
    assert not outcome.ok and outcome.error is None
    assert outcome.file.parent == paths.data_dir() / "errors"
    log = outcome.file.with_suffix(".log").read_text()
    assert "gone@example.org: refusé 550 5.1.1 no such user" in log  # the interface language, the reply verbatim
    assert [(e.recipient, e.status) for e in smtp_log()] == [("client@example.org", "OK"), ("gone@example.org", "ERROR")]
    assert (paths.data_dir() / "sent" / outcome.name).exists()  # it did go to one recipient
    assert any(line.startswith("gone@example.org: NOT sent (permanent)") for line in outcome.summary_lines())


def test_route_failure_is_returned_not_raised():
    outcome = Outbox(Settings(), MemoryRoute(errors=[TemporaryError("relay down", code=421, reply="try later")])).send((RAW, ENV))
    assert not outcome.ok and isinstance(outcome.error, TemporaryError)
    assert outcome.summary_lines()[0] == "client@example.org: NOT sent (temporary): relay down"
    log = outcome.file.with_suffix(".log").read_text()
    assert "erreur: le serveur n'a pas pu prendre le message pour l'instant" in log
    assert "détail technique: relay down" in log
    assert "réponse du serveur: 421 try later" in log
    assert not (paths.data_dir() / "sent").exists()
    assert [e.status for e in smtp_log()] == ["ERROR"]


def test_a_route_that_crashes_is_a_failed_send_with_the_message_kept():
    class Broken(MemoryRoute):
        def send(self, message, envelope):
            raise ValueError("bug in a route")

    outcome = Outbox(Settings(), Broken()).send((RAW, ENV))
    assert not outcome.ok and "ValueError: bug in a route" in str(outcome.error)
    assert outcome.file.read_bytes() == RAW and outcome.file.parent == paths.data_dir() / "errors"
    assert [e.status for e in smtp_log()] == ["ERROR"]


def test_unwritable_pickup_folder_keeps_the_message_in_the_error_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = Settings()
    settings.service.pickup_folder = str(blocker / "pickup")
    outcome = Outbox(settings).send((RAW, ENV))
    assert isinstance(outcome.error, ConfigurationError)
    assert str(blocker / "pickup") in str(outcome.error)
    assert outcome.file.read_bytes() == RAW and outcome.file.parent == paths.data_dir() / "errors"


def test_log_errors_only_and_no_copy_when_send_without_file(smtpd):
    settings = Settings()
    fn = settings.functions
    fn.send_direct, fn.send_without_file, fn.host, fn.port = True, True, smtpd.host, smtpd.port
    settings.copies.log_errors_only = True
    outcome = Outbox(settings).send((RAW, ENV))
    assert outcome.ok and outcome.file is None and outcome.name == ""
    assert not (paths.data_dir() / "sent").exists()
    assert smtp_log() == []
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == ["client@example.org"]


def test_missing_message_id_is_added():
    route = MemoryRoute()
    outcome = Outbox(Settings(), route).send((b"Subject: x\r\n\r\nhi\r\n", ENV))
    assert outcome.message_id.endswith("@example.com>")
    assert route.messages[0].startswith(b"Message-ID: " + outcome.message_id.encode())


def test_accepts_a_composed_object():
    composed = Composed(envelope=ENV, raw=RAW, charset_used="utf-8", subject="Devis")
    assert Outbox(Settings(), MemoryRoute()).send(composed).ok


@pytest.mark.parametrize(("item", "match"), [((RAW, Envelope("a@x", ())), "no recipient"), ((RAW, Envelope("", ("b@x",))), "no sender"), ("junk", "nothing to send")])
def test_bad_input_raises(item, match):
    with pytest.raises(SpoolviewError, match=match):
        Outbox(Settings(), MemoryRoute()).send(item)


def test_delay_is_applied_between_sends(tmp_path):
    slept: list[float] = []
    now = [100.0]

    def sleep(s):
        slept.append(s)
        now[0] += s

    outbox = Outbox(Settings(), MemoryRoute(), throttle=Throttle(15, tmp_path, clock=lambda: now[0], sleep=sleep))
    assert outbox.send((RAW, ENV)).waited == 0
    now[0] += 5
    assert outbox.send((RAW, ENV)).waited == 10


def test_send_many_keeps_one_connection(smtpd):
    settings = Settings()
    settings.functions.send_direct, settings.functions.host, settings.functions.port = True, smtpd.host, smtpd.port
    settings.debug.trace = True
    outcomes = Outbox(settings).send_many([(RAW, ENV)] * 3)
    assert all(o.ok for o in outcomes)
    entries = trace.load(settings.debug.trace_folder)
    assert sum(1 for e in entries if e.kind == "smtp" and "security=" in e.text) == 1
    assert len(smtpd.handler.wait_for(3)) == 3


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_password_never_written_after_authenticated_sends(smtpd_factory, ca_file, tmp_path):
    handler = RecordingHandler(rcpt_replies={"gone@example.org": "550 5.1.1 no such user"})
    server = smtpd_factory(mode="starttls", auth=(USER, PASSWORD), handler=handler)
    settings = Settings()
    fn = settings.functions
    fn.send_direct, fn.host, fn.port, fn.ssl, fn.ca_file = True, server.host, server.port, True, str(ca_file)
    settings.environment.smtp_user = USER
    settings.environment.smtp_password = PASSWORD
    settings.debug.trace = True
    env = Envelope(USER, ("client@example.org", "gone@example.org"))
    outcome = Outbox(settings).send((RAW, env), document="devis D-42")
    assert [r.accepted for r in outcome.recipient_results()] == [True, False]
    assert handler.wait_for(1)[0].login == USER
    # And a refused login, which goes to the error folder with its reply.
    settings.environment.smtp_password = PASSWORD + "-old"
    failed = Outbox(settings).send((RAW, ENV))
    assert isinstance(failed.error, ConfigurationError) and USER in str(failed.error)
    entries = trace.load(settings.debug.trace_folder)
    kinds = {e.kind for e in entries}
    assert {"settings", "route", "send", "smtp", "outcome"} <= kinds
    assert any("AUTH <redacted>" in e.text for e in entries)
    forms = [PASSWORD, PASSWORD + "-old", base64.b64encode(PASSWORD.encode()).decode(), base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()]
    files = all_files(paths.data_dir()) + all_files(Path(settings.debug.trace_folder))
    assert any(p.name == "Smtp.log" for p in files) and any(p.suffix == ".log" and "errors" in str(p) for p in files)
    for path in files:
        data = path.read_bytes()
        for form in forms:
            assert form.encode() not in data, f"{form!r} found in {path}"
    for text in [str(failed.error), *failed.summary_lines(), *outcome.summary_lines()]:
        assert PASSWORD not in text


def test_server_switch_without_connection_sends_locally_and_the_trace_says_so():
    settings = Settings()
    settings.service.use_server_service = True
    settings.debug.trace = True
    outcome = Outbox(settings).send((RAW, ENV))
    assert outcome.ok and outcome.route_name.startswith("pickup folder")
    texts = [e.text for e in trace.load(settings.debug.trace_folder) if e.kind == "route"]
    assert any("use_server_service is set but not connected" in t for t in texts)


def test_broken_history_does_not_stop_the_send(tmp_path):
    from viewer.mail.history import History

    bad = tmp_path / "h.sqlite"
    bad.write_bytes(b"not a database" * 100)
    outcome = Outbox(Settings(), MemoryRoute(), history=History(bad)).send((RAW, ENV), document="d")
    assert outcome.ok and any("send history" in n for n in outcome.notes)


def test_route_that_cannot_be_built_is_an_outcome_error():
    settings = Settings()
    settings.functions.send_direct = True  # and no server name
    outcome = Outbox(settings).send((RAW, ENV))
    assert isinstance(outcome.error, ConfigurationError) and "server name" in str(outcome.error)
    assert outcome.route_name == "direct SMTP" and outcome.file.parent == paths.data_dir() / "errors"


def test_delay_that_cannot_be_kept_stops_the_send(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    route = MemoryRoute()
    outcome = Outbox(Settings(), route, throttle=Throttle(5, blocker / "d")).send((RAW, ENV))
    assert isinstance(outcome.error, ConfigurationError) and "space the sends" in str(outcome.error)
    assert route.sent == []


def test_error_log_follows_the_interface_language():
    from viewer.mail.outbox import LOG_WORDS, log_language

    assert set(LOG_WORDS["fr"]) == set(LOG_WORDS["en"])  # every word in both languages
    s = Settings()
    s.printing.language = "en"
    outcome = Outbox(s, MemoryRoute(errors=[PermanentError("no", code=554, reply="5.7.1 rejected: spam")])).send((RAW, ENV))
    log = outcome.file.with_suffix(".log").read_text()
    assert "error: the server refused the message" in log and "server reply: 554 5.7.1 rejected: spam" in log
    assert log_language("auto") == "fr"  # LANGUAGE=fr in the tests


def test_the_error_log_words_a_coded_server_error_in_the_interface_language():
    """The server route's errors carry their words' key: the .log's detail is French, the server's reply verbatim."""
    error = TemporaryError("the server could not send: 452 mailbox full", code=452, reply="4.2.2 mailbox full",
                           msgid="appserver.server_could_not_send", params={"reason": "452 mailbox full"})
    outcome = Outbox(Settings(), MemoryRoute(errors=[error])).send((RAW, ENV))
    log = outcome.file.with_suffix(".log").read_text()
    assert "détail technique: le serveur n'a pas pu envoyer ; réponse du serveur : « 452 mailbox full »" in log
    assert "réponse du serveur: 452 4.2.2 mailbox full" in log
    assert "could not send" not in log


# -- the outcome lines in the interface language (the CLI's send, batch and watcher print them) -------


def test_summary_lines_in_french_accepted_and_refused_with_the_replies_verbatim():
    route = MemoryRoute(refuse={"gone@example.org": "550 5.1.1 no such user"})
    env = Envelope(ENV.sender, ("client@example.org", "gone@example.org"))
    outbox = Outbox(Settings(), route)
    outcome = outbox.send((RAW, env), document="devis D-42")
    lines = outcome.summary_lines(lang="fr")
    assert lines[0].startswith("client@example.org : accepté par ")
    assert lines[1] == "gone@example.org : NON envoyé (refus définitif) : 550 5.1.1 no such user"
    assert lines[2] == f"message gardé dans le dossier des erreurs : {outcome.file}"
    again = outbox.send((RAW, ENV), document="devis D-42")
    [note] = [line for line in again.summary_lines(lang="fr") if line.startswith("remarque : ")]
    assert note.startswith("remarque : déjà envoyé : devis D-42 envoyé à client@example.org le ")
    assert again.summary_lines(lang="en") == again.summary_lines()  # English: the lines as they always were


@pytest.mark.parametrize(("error", "french"), [
    (TemporaryError("relay down", code=421, reply="try later"), "client@example.org : NON envoyé (temporaire) : relay down"),
    (ConfigurationError("no SMTP server name is set", msgid="smtp.no_host"),
     "client@example.org : NON envoyé (paramétrage) : {no_host}"),
])
def test_a_whole_message_error_is_worded_in_french(error, french):
    from viewer.messages import text

    outcome = Outbox(Settings(), MemoryRoute(errors=[error])).send((RAW, ENV))
    assert outcome.summary_lines(lang="fr")[0] == french.format(no_host=text("fr", "smtp.no_host"))
    assert outcome.summary_lines(lang="en")[0].startswith("client@example.org: NOT sent (")


def test_an_unknown_outcome_never_says_not_sent_in_french_either():
    from viewer.mail.routes.base import OutcomeUnknown

    outcome = Outbox(Settings(), MemoryRoute(errors=[OutcomeUnknown("the answer was lost", key="k1")])).send((RAW, ENV))
    first = outcome.summary_lines(lang="fr")[0]
    assert first == "client@example.org : résultat INCONNU (le serveur l'a peut-être envoyé) : the answer was lost"
    assert "NON envoyé" not in first
