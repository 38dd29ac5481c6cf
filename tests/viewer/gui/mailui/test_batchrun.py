"""The GUI batch without Tk: rows from the L1 look-up, the run through the CLI's Batch over a real SMTP server, cancel, CSV."""

from __future__ import annotations

import csv
import io
import os
import threading

import pytest

from tests.support.smtpd import RecordingHandler
from tests.viewer.gui.mailui.conftest import batch_address, direct_settings
from viewer.gui.i18n import set_language
from viewer.gui.mailui.batchrun import (
    ACCEPTED,
    ALREADY,
    CANCELLED,
    CSV_COLUMNS,
    NOT_SENT,
    REFUSED,
    UNREADABLE,
    BatchRun,
    DocResult,
    Finished,
    Started,
    Waiting,
    csv_text,
    look_up,
    recipient_problem,
    write_csv,
)
from viewer.gui.mailui.services import MailServices
from viewer.mail.history import History

pytestmark = pytest.mark.gui
REFUSAL = "550 5.1.1 no such user"


@pytest.fixture
def refusing(smtpd_factory):
    return smtpd_factory(handler=RecordingHandler(rcpt_replies={batch_address(2): REFUSAL}))


def events_of(run: BatchRun, rows, cancel: threading.Event | None = None):
    return list(run.run(rows, cancel or threading.Event()))


def test_rows_say_what_the_look_up_found_or_why_not(batch_documents, tmp_path):
    files = batch_documents(3, corrupt=(2,), nobody=(3,))
    services = MailServices(direct_settings(25))
    rows = look_up([*files, tmp_path / "missing.spv"], services)
    first, corrupt, nobody, missing = rows
    assert (first.name, first.kind, first.number, first.customer) == ("facture F2026-0001", "facture", "F2026-0001",
                                                                      "CLI001 (Client 1)")
    assert first.recipient == first.found == f"Client 1 <{batch_address(1)}>"
    assert not first.edited and not first.unreadable
    assert corrupt.unreadable and corrupt.name == "facture-02.spv" and "facture-02.spv" in corrupt.note
    assert nobody.recipient == "" and not nobody.unreadable
    assert "CLI003" in nobody.note and "Client 3" in nobody.note  # the customer has no address: said in words
    assert missing.unreadable and "missing.spv" in missing.note


def test_a_directory_that_cannot_be_opened_is_said_on_the_row(batch_documents):
    settings = direct_settings(25)
    settings.directory.database_url = "sqlite:////nonexistent-folder/directory.sqlite"
    [row] = look_up(batch_documents(1), MailServices(settings))
    assert row.recipient == "" and not row.unreadable
    first, detail = row.note.split("\n", 1)
    assert first == "Recherche du destinataire impossible : saisissez-le ci-dessous."
    assert "/nonexistent-folder/directory.sqlite" in detail


def test_a_batch_goes_through_the_send_job_with_honest_outcomes_and_csv(batch_documents, refusing, tmp_path):
    files = batch_documents(4, corrupt=(3,))
    services = MailServices(direct_settings(refusing.port))
    rows = look_up(files, services)
    events = events_of(BatchRun(services.settings), rows)
    assert [type(e).__name__ for e in events] == ["Started", "Finished"] * 4
    assert [e.name for e in events if isinstance(e, Started)] == ["facture F2026-0001", "facture F2026-0002",
                                                                  "facture-03.spv", "facture F2026-0004"]
    results = [e.result for e in events if isinstance(e, Finished)]
    assert [r.outcome for r in results] == [ACCEPTED, REFUSED, UNREADABLE, ACCEPTED]
    assert results[0].recipient == batch_address(1) and results[0].route.startswith("SMTP server 127.0.0.1:")
    assert results[1].detail == REFUSAL and not results[1].sent
    assert results[2].route == "" and "facture-03.spv" in results[2].detail
    assert sorted(r for m in refusing.messages for r in m.rcpt_tos) == [batch_address(1), batch_address(4)]
    # The same documents again: the history is the memory, nothing goes twice.
    again = [e.result for e in events_of(BatchRun(services.settings), look_up(files, services)) if isinstance(e, Finished)]
    assert [r.outcome for r in again] == [ALREADY, REFUSED, UNREADABLE, ALREADY]
    assert again[0].detail.startswith(f"à {batch_address(1)} le ") and "--force" not in again[0].detail
    assert len(refusing.messages) == 2
    # CSV: the columns of `spoolview report --csv`, one line per recipient, the reason for the others.
    path = write_csv(tmp_path / "results.csv", results)
    assert os.stat(path).st_mode & 0o777 == 0o600
    lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert tuple(lines[0]) == CSV_COLUMNS
    body = [dict(zip(CSV_COLUMNS, line, strict=True)) for line in lines[1:]]
    assert [(b["document"], b["recipient"], b["outcome"]) for b in body] == [
        ("facture F2026-0001", batch_address(1), "accepted"), ("facture F2026-0002", batch_address(2), "refused"),
        ("facture-03.spv", "", "unreadable"), ("facture F2026-0004", batch_address(4), "accepted")]
    assert body[1]["reply"] == REFUSAL and body[0]["message_id"].startswith("<")
    assert body[0]["route"] == results[0].route and body[0]["subject"]
    history = History()
    try:
        reported = {(e.document, e.recipient, e.outcome, e.route) for e in history.recent(0)}
    finally:
        history.close()
    assert {(b["document"], b["recipient"], b["outcome"], b["route"]) for b in body if b["message_id"]} <= reported


def test_an_edited_row_goes_to_the_address_typed(batch_documents, smtpd):
    files = batch_documents(2)
    services = MailServices(direct_settings(smtpd.port))
    rows = look_up(files, services)
    rows[1].recipient = "Autre <autre@example.org>"
    assert rows[1].edited and not rows[0].edited
    results = [e.result for e in events_of(BatchRun(services.settings), rows) if isinstance(e, Finished)]
    assert [r.recipient for r in results] == [batch_address(1), "autre@example.org"]
    assert [m.rcpt_tos for m in smtpd.handler.messages] == [[batch_address(1)], ["autre@example.org"]]


def test_a_recipient_of_another_customer_is_held_back_and_said_why(batch_documents, smtpd):
    files = batch_documents(2)
    services = MailServices(direct_settings(smtpd.port))
    rows = look_up(files, services)
    rows[0].recipient = batch_address(2)  # typed by mistake: customer 2's address on customer 1's invoice
    results = [e.result for e in events_of(BatchRun(services.settings), rows) if isinstance(e, Finished)]
    assert [r.outcome for r in results] == [NOT_SENT, ACCEPTED]
    assert results[0].detail == (f"{batch_address(2)} appartient au client CLI002 (Client 2), "
                                 "mais le document est pour le client CLI001 (Client 1).")
    assert [m.rcpt_tos for m in smtpd.handler.messages] == [[batch_address(2)]]  # only invoice 2, to its own customer


def test_cancel_before_the_next_document_sends_nothing_more(batch_documents, smtpd):
    files = batch_documents(3)
    services = MailServices(direct_settings(smtpd.port))
    cancel = threading.Event()
    seen = []
    for event in BatchRun(services.settings).run(look_up(files, services), cancel):
        seen.append(event)
        if isinstance(event, Finished) and event.index == 0:
            cancel.set()
    results = [e.result for e in seen if isinstance(e, Finished)]
    assert [r.outcome for r in results] == [ACCEPTED, CANCELLED, CANCELLED]
    assert [r.sent for r in results] == [True, False, False]
    assert len(smtpd.handler.messages) == 1


def test_the_delay_between_sends_is_waited_where_cancel_can_stop_it(batch_documents, smtpd):
    files = batch_documents(2)
    settings = direct_settings(smtpd.port)
    settings.advanced.delay_seconds = 600  # S7: a cancel during the wait must not wait it out
    services = MailServices(settings)
    cancel = threading.Event()
    seen = []
    for event in BatchRun(settings).run(look_up(files, services), cancel):
        seen.append(event)
        if isinstance(event, Waiting):
            cancel.set()
    assert [type(e).__name__ for e in seen] == ["Started", "Finished", "Waiting", "Finished"]
    waiting = seen[2]
    assert waiting.index == 1 and 0 < waiting.seconds <= 600
    assert seen[3].result.outcome == CANCELLED
    assert len(smtpd.handler.messages) == 1


def test_recipient_problems_in_words():
    assert recipient_problem("a@example.org, Bob <b@example.org>") == ""
    assert "retirez le document" in recipient_problem("  ")
    assert "« pas une adresse »" in recipient_problem("pas une adresse")
    set_language("en")
    try:
        assert "not a valid e-mail address" in recipient_problem("x@")
    finally:
        set_language("fr")


def test_csv_of_documents_that_never_reached_a_route():
    text = csv_text([DocResult("facture F1", "a@example.org", "", CANCELLED),
                     DocResult("devis D2", "b@example.org", "", ALREADY, "b@example.org on 2026-11-30 10:00")])
    rows = list(csv.reader(io.StringIO(text)))
    assert [(r[1], r[2], r[4], r[5]) for r in rows[1:]] == [
        ("facture F1", "a@example.org", "cancelled", ""),
        ("devis D2", "b@example.org", "skipped (already sent)", "b@example.org on 2026-11-30 10:00")]


def test_csv_into_a_folder_that_cannot_be_written_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        write_csv(tmp_path / "no-such-folder" / "results.csv", [DocResult("x", "", "", CANCELLED)])


def test_a_failure_the_list_did_not_foresee_keeps_the_batchs_own_words(tmp_path):
    from viewer.commands._batch import UNREADABLE as CLI_UNREADABLE
    from viewer.commands._batch import Result
    from viewer.gui.mailui.batchrun import Row, doc_result

    row = Row(tmp_path / "a.pdf", "devis D1", recipient="a@example.org", found="a@example.org",
              note="le contact C1 n'a pas d'adresse : celle du client est utilisée")
    failed = Result(CLI_UNREADABLE, "devis D1", "devis D1: unreadable: page 2: cannot convert",
                    detail="page 2: cannot convert")
    result = doc_result(failed, row)
    assert (result.outcome, result.detail) == (UNREADABLE, "page 2: cannot convert")  # not the look-up's note
