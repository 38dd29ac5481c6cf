"""The batch dialog under Xvfb over a real SMTP server: rows, edits, the progress bar moving, cancel, results, CSV, the menu."""

from __future__ import annotations

import csv
import os
import re
import threading
import time
import tkinter as tk

import pytest

from tests.support.smtpd import RecordingHandler
from tests.viewer.gui.mailui.conftest import batch_address, direct_settings
from viewer.gui import dialogs
from viewer.gui.mailui.batch_dialog import BatchDialog
from viewer.gui.mailui.services import MailServices
from viewer.mail.history import History

pytestmark = pytest.mark.gui
REFUSAL = "550 5.1.1 no such user"


class Gate:
    """Holds each DATA on the server until the test lets it through: the test sees every step of the run."""

    def __init__(self) -> None:
        self.semaphore = threading.Semaphore(0)
        self.arrived = threading.Semaphore(0)

    def __call__(self, _message) -> None:
        self.arrived.release()
        self.semaphore.acquire(timeout=30)

    def open(self, count: int = 1) -> None:
        for _ in range(count):
            self.semaphore.release()


@pytest.fixture
def gate():
    gate = Gate()
    yield gate
    gate.open(10)  # never leave the server's thread blocked


@pytest.fixture
def server(smtpd_factory, gate):
    return smtpd_factory(handler=RecordingHandler(rcpt_replies={batch_address(2): REFUSAL}, on_data=gate))


@pytest.fixture
def open_dialog(root, notify, pump):
    made = []

    def make(settings, paths=()):
        dialog = BatchDialog(root, MailServices(settings), paths, notify=notify)
        made.append(dialog)
        assert pump(lambda: dialog.looking_up == 0)
        return dialog

    yield make
    for dialog in made:
        if dialog.winfo_exists():
            dialog.cancel_event.set()
            pump(lambda d=dialog: not d.running, timeout=10)
            dialog.destroy()


def until(root, predicate, timeout: float = 30.0) -> bool:
    """Run ``root``'s event loop until ``predicate()`` holds (bounded); returns whether it did."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        root.update()
        if predicate():  # asked once per turn: a predicate may take what it waits for (a semaphore)
            return True
        time.sleep(0.005)
    return False


def progress(dialog) -> float:
    return float(dialog.progress.cget("value"))


def test_rows_progress_results_and_csv(open_dialog, batch_documents, server, gate, pump, tmp_path):
    files = batch_documents(4, corrupt=(3,))
    dialog = open_dialog(direct_settings(server.port), files)
    assert [dialog.row_values(i)[:5] for i in range(4)] == [
        ("facture-01.spv", "facture", "F2026-0001", "CLI001 (Client 1)", f"Client 1 <{batch_address(1)}>"),
        ("facture-02.spv", "facture", "F2026-0002", "CLI002 (Client 2)", f"Client 2 <{batch_address(2)}>"),
        ("facture-03.spv", "", "", "", ""),
        ("facture-04.spv", "facture", "F2026-0004", "CLI004 (Client 4)", f"Client 4 <{batch_address(4)}>")]
    assert "facture-03.spv" in dialog.row_values(2)[5]  # why it cannot be read, naming the file
    assert dialog.tree.item("2", "tags") == ("problem",)
    assert dialog.progress_label.cget("text") == "3 document(s) sur 4 prêt(s) à partir."
    assert dialog.route_text() == f"Envoi par : SMTP 127.0.0.1:{server.port}"
    assert dialog.csv_button.instate(["disabled"]) and dialog.cancel_button.instate(["disabled"])

    assert dialog.send()
    assert dialog.send_button.instate(["disabled"]) and dialog.cancel_button.instate(["!disabled"])
    seen = []
    # Document 1 is on the server, held: the bar has not moved, the label names it.
    assert pump(lambda: "1/4" in dialog.progress_label.cget("text") and gate.arrived.acquire(blocking=False))
    seen.append(progress(dialog))
    assert dialog.progress_label.cget("text") == "Envoi 1/4 : facture F2026-0001"
    assert dialog.result_values(0)[3] == "en attente" and dialog.result_tree.item("0", "values")[3] == "envoi en cours…"
    gate.open()
    # 2 is refused at RCPT, 3 cannot be read: the run reaches 4, held on the server.
    assert pump(lambda: "4/4" in dialog.progress_label.cget("text") and gate.arrived.acquire(blocking=False))
    seen.append(progress(dialog))
    assert dialog.result_values(0)[3] == "accepté"
    gate.open()
    assert pump(lambda: dialog.finished)
    seen.append(progress(dialog))
    assert seen == [0.0, 3.0, 4.0]  # the bar moved with the documents

    route = f"SMTP 127.0.0.1:{server.port}"
    assert [dialog.result_values(i) for i in (0, 1, 3)] == [
        ("facture F2026-0001", batch_address(1), route, "accepté"),
        ("facture F2026-0002", batch_address(2), route, f"NON envoyé, refusé : {REFUSAL}"),
        ("facture F2026-0004", batch_address(4), route, "accepté")]
    name, recipient, where, outcome = dialog.result_values(2)
    assert (name, recipient, where) == ("facture-03.spv", "", "—")
    assert outcome.startswith("NON envoyé, document illisible : ") and "facture-03.spv" in outcome
    assert [dialog.result_tree.item(str(i), "tags") for i in range(4)] == [("ok",), ("problem",), ("problem",), ("ok",)]
    assert dialog.progress_label.cget("text") == "4 document(s) : 2 envoyé(s), 1 refusé(s), 1 illisible(s)"
    assert sorted(r for m in server.handler.messages for r in m.rcpt_tos) == [batch_address(1), batch_address(4)]
    assert dialog.csv_button.instate(["!disabled"]) and dialog.send_button.instate(["disabled"])

    with dialogs.respond_with(lambda request: setattr(request, "result", str(tmp_path / "envois.csv"))) as asked:
        path = dialog.save_csv()
    assert asked[0].kind == "save" and asked[0].initialfile == "envois.csv"
    assert path == tmp_path / "envois.csv" and os.stat(path).st_mode & 0o777 == 0o600
    with open(path, encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(line["document"], line["recipient"], line["route"].startswith("SMTP server 127.0.0.1:"), line["outcome"])
            for line in lines] == [
        ("facture F2026-0001", batch_address(1), True, "accepted"), ("facture F2026-0002", batch_address(2), True, "refused"),
        ("facture-03.spv", "", False, "unreadable"), ("facture F2026-0004", batch_address(4), True, "accepted")]
    assert lines[1]["reply"] == REFUSAL
    assert dialog.progress_label.cget("text") == f"Résultats enregistrés dans {path}"


def test_cancel_mid_batch_sends_nothing_more_and_reports_nothing_unsent(open_dialog, batch_documents, server, gate,
                                                                         pump):
    files = batch_documents(5)
    files = [f for i, f in enumerate(files, 1) if i != 2]  # 2 is the refused one: four documents that would all go
    dialog = open_dialog(direct_settings(server.port), files)
    assert dialog.send()
    gate.open()  # the first goes through
    assert pump(lambda: "2/4" in dialog.progress_label.cget("text") and gate.arrived.acquire(blocking=False))
    dialog.cancel()  # while the second is on the server
    assert dialog.cancel_button.instate(["disabled"]) and "Annulation" in dialog.progress_label.cget("text")
    gate.open()  # the server answers for the document in hand
    assert pump(lambda: dialog.finished)
    outcomes = [dialog.result_values(i)[3] for i in range(4)]
    assert outcomes == ["accepté", "accepté", "NON envoyé (annulation)", "NON envoyé (annulation)"]
    assert dialog.progress_label.cget("text") == "4 document(s) : 2 envoyé(s), 2 non envoyé(s) (annulation)"
    got = [m.rcpt_tos for m in server.handler.messages]
    assert got == [[batch_address(1)], [batch_address(3)]]
    history = History()
    try:
        accepted = sorted(e.document for e in history.recent(0) if e.outcome == "accepted")
    finally:
        history.close()
    assert accepted == ["facture F2026-0001", "facture F2026-0003"]  # exactly what the server took


def test_closing_during_a_run_cancels_then_closes(open_dialog, batch_documents, server, gate, pump):
    files = [f for i, f in enumerate(batch_documents(4), 1) if i != 2]
    dialog = open_dialog(direct_settings(server.port), files)
    assert dialog.send()
    assert pump(lambda: gate.arrived.acquire(blocking=False))
    dialog.event_generate("<Escape>")  # Escape (like Ctrl+W and Close) during the run: stop after this one
    dialog.update()
    assert dialog.winfo_exists() and dialog.cancel_event.is_set()
    gate.open()
    assert pump(lambda: not dialog.winfo_exists())
    assert [m.rcpt_tos for m in server.handler.messages] == [[batch_address(1)]]


def test_destroyed_with_its_parent_during_a_run_the_worker_stops(root, batch_documents, server, gate, pump):
    files = [f for i, f in enumerate(batch_documents(4), 1) if i != 2]
    parent = tk.Toplevel(root)
    dialog = BatchDialog(parent, MailServices(direct_settings(server.port)), files)
    assert pump(lambda: dialog.looking_up == 0)
    assert dialog.send()
    assert pump(lambda: gate.arrived.acquire(blocking=False))
    parent.destroy()  # the viewer window goes (Quit) while the first document is on the server
    assert dialog.cancel_event.is_set()
    gate.open()
    dialog.worker.join(timeout=30)
    assert not dialog.worker.is_alive()  # the run ended after the document in hand
    assert [m.rcpt_tos for m in server.handler.messages] == [[batch_address(1)]]


def test_editing_a_recipient_changes_where_that_document_goes(open_dialog, batch_documents, server, gate, pump):
    gate.open(10)
    files = batch_documents(3, nobody=(3,))
    dialog = open_dialog(direct_settings(server.port), [files[0], files[2]])
    assert dialog.row_values(1)[4] == "(aucun)" and "CLI003" in dialog.row_values(1)[5]
    dialog.select(0)
    assert dialog.recipient_var.get() == f"Client 1 <{batch_address(1)}>"
    dialog.recipient_var.set("pas une adresse")
    assert "« pas une adresse »" in dialog.apply_recipient()
    assert dialog.edit_message.cget("text").startswith("« pas une adresse »")
    assert dialog.rows[0].recipient == f"Client 1 <{batch_address(1)}>"  # a refused edit changes nothing
    dialog.recipient_var.set("Autre <autre@example.org>")
    dialog.recipient_entry.focus_force()
    dialog.update()
    dialog.recipient_entry.event_generate("<Return>")
    assert dialog.rows[0].recipient == "Autre <autre@example.org>"
    assert dialog.edit_message.cget("text") == f"modifié (annuaire : Client 1 <{batch_address(1)}>)"  # no complaint left
    assert dialog.row_values(0)[4:] == ("Autre <autre@example.org>", f"modifié (annuaire : Client 1 <{batch_address(1)}>)")
    assert dialog.tree.item("0", "tags") == ("edited",)
    assert dialog.set_recipient(1, "client3@example.org") == ""  # the one without address gets one
    assert dialog.send()
    assert pump(lambda: dialog.finished)
    assert [m.rcpt_tos for m in server.handler.messages] == [["autre@example.org"], ["client3@example.org"]]
    assert [dialog.result_values(i)[1:4:2] for i in range(2)] == [("autre@example.org", "accepté"),
                                                                   ("client3@example.org", "accepté")]


def test_already_sent_documents_are_not_sent_again(open_dialog, batch_documents, server, gate, pump):
    gate.open(10)
    files = batch_documents(1)
    first = open_dialog(direct_settings(server.port), files)
    assert first.send() and pump(lambda: first.finished)
    again = open_dialog(direct_settings(server.port), files)
    assert again.send() and pump(lambda: again.finished)
    outcome = again.result_values(0)[3]
    assert re.fullmatch(rf"déjà envoyé, pas renvoyé : à {re.escape(batch_address(1))} le \d\d/\d\d/20\d\d à \d\d:\d\d",
                        outcome), outcome
    assert len(server.handler.messages) == 1


def test_no_sender_no_send_and_nothing_to_send(open_dialog, batch_documents, notify, smtpd):
    settings = direct_settings(smtpd.port)
    settings.functions.from_identity = ""
    dialog = open_dialog(settings, batch_documents(1))
    assert not dialog.send()
    kind, _title, message = notify.last()
    assert kind == "error" and message.startswith("Aucun expéditeur n'est défini")
    assert not dialog.running and smtpd.handler.messages == []
    empty = open_dialog(direct_settings(smtpd.port))
    assert empty.send_button.instate(["disabled"]) and not empty.send()


def test_files_chosen_in_the_file_chooser_once_each_and_removed(open_dialog, batch_documents, smtpd, pump):
    files = batch_documents(3)
    dialog = open_dialog(direct_settings(smtpd.port), files[:1])
    with dialogs.respond_with(lambda request: setattr(request, "results", [str(f) for f in files])) as asked:
        dialog.choose_files()
    assert asked[0].kind == "open_many" and asked[0].initialdir == str(files[0].parent)
    assert pump(lambda: dialog.looking_up == 0)
    assert [r.path for r in dialog.rows] == files  # the one already listed is not listed twice
    dialog.select(1)
    dialog.tree.focus_force()
    dialog.update()
    dialog.tree.event_generate("<Delete>")
    assert [r.path for r in dialog.rows] == [files[0], files[2]]
    assert dialog.progress_label.cget("text") == "2 document(s) sur 2 prêt(s) à partir."
    dialog.add_paths([files[1]])
    dialog.add_paths([files[1], files[1]])  # again while it is being looked up: listed once
    assert dialog.looking_up == 1
    assert pump(lambda: dialog.looking_up == 0)
    assert [r.path for r in dialog.rows] == [files[0], files[2], files[1]]


def test_english(open_dialog, batch_documents, smtpd):
    from viewer.gui.i18n import set_language

    set_language("en")
    try:
        dialog = open_dialog(direct_settings(smtpd.port), batch_documents(1))
        assert dialog.title() == "Send several documents"
        assert dialog.send_button.cget("text") == "Send" and dialog.csv_button.cget("text") == "Save as CSV…"
        assert dialog.tree.heading("recipient", "text") == "Recipient"
        assert dialog.progress_label.cget("text") == "1 of 1 document(s) ready to go."
    finally:
        set_language("fr")


def test_before_and_after_a_batch_on_a_1024x768_screen(small_screen, batch_documents, server, gate, tmp_path,
                                                        screenshot):
    """The dialog over the themed main window: whole on the screen, its buttons and lines visible (screenshots kept)."""
    from viewer.gui.mailui import install
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    root, display = small_screen(1024, 768)
    settings = direct_settings(server.port)
    window = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=settings,
                        hooks=[lambda w: install(w, notify=lambda *a: None, start_delay_ms=None)])
    files = batch_documents(5, corrupt=(3,), nobody=(5,))
    dialog = window.mailui.batch(files)
    dialog.geometry("+0+0")
    until(root, lambda: not dialog.looking_up)
    dialog.select(4)
    root.update()
    shots = tmp_path / "screens"
    screenshot(display, shots / "batch-before.png", dialog)
    assert dialog.winfo_width() <= 1024 and dialog.winfo_height() <= 768
    for button in (dialog.add_button, dialog.send_button, dialog.close_button, dialog.csv_button, dialog.apply_button):
        right = button.winfo_rootx() + button.winfo_width()
        bottom = button.winfo_rooty() + button.winfo_height()
        assert right <= dialog.winfo_rootx() + dialog.winfo_width() and bottom <= dialog.winfo_rooty() + dialog.winfo_height()
        assert button.winfo_width() >= button.winfo_reqwidth() - 1, button.cget("text")  # not clipped
    assert "CLI005" in dialog.edit_message.cget("text")  # the selected line's note in full
    assert dialog.send()
    assert until(root, lambda: gate.arrived.acquire(blocking=False))
    gate.open()
    assert until(root, lambda: "4/5" in dialog.progress_label.cget("text") and gate.arrived.acquire(blocking=False))
    screenshot(display, shots / "batch-running.png", dialog)  # document 4 on the server, 3 done
    assert dialog.cancel_button.instate(["!disabled"]) and dialog.progress.winfo_ismapped()
    gate.open(10)
    assert until(root, lambda: dialog.finished)
    dialog.result_tree.selection_set("1")
    root.update()
    screenshot(display, shots / "batch-after.png", dialog)
    assert dialog.edit_message.cget("text") == (f"facture F2026-0002 → {batch_address(2)} (SMTP 127.0.0.1:{server.port})"
                                                 f" : NON envoyé, refusé : {REFUSAL}")
    assert dialog.results_frame.winfo_ismapped() and not dialog.rows_frame.winfo_ismapped()
    dialog.destroy()
    window.close()


def test_a_run_that_cannot_start_says_why_and_reports_nothing_sent(root, batch_documents, smtpd, notify, pump):
    from viewer.errors import SpoolviewError
    from viewer.gui.mailui.batchrun import BatchRun

    def broken(_args, _settings):
        raise SpoolviewError("cannot use /nowhere to space the sends (Permission denied): check that folder's permissions")

    dialog = BatchDialog(root, MailServices(direct_settings(smtpd.port)), batch_documents(2), notify=notify,
                         make_run=lambda services: BatchRun(services.settings, make_batch=broken))
    assert pump(lambda: dialog.looking_up == 0)
    assert dialog.send() and pump(lambda: dialog.finished)
    kind, _title, message = notify.last()
    assert kind == "error" and message.startswith("cannot use /nowhere to space the sends")
    assert [dialog.result_values(i)[3] for i in range(2)] == [f"NON envoyé : {message}"] * 2
    assert dialog.progress_label.cget("text") == "2 document(s) : 0 envoyé(s), 2 non envoyé(s) (erreur)"
    assert smtpd.handler.messages == []
    dialog.destroy()


def test_the_delay_between_sends_is_shown_and_cancel_cuts_it_short(open_dialog, batch_documents, smtpd, pump):
    settings = direct_settings(smtpd.port)
    settings.advanced.delay_seconds = 600  # S7
    dialog = open_dialog(settings, batch_documents(2))
    assert dialog.send()
    assert pump(lambda: "Délai entre deux envois" in dialog.progress_label.cget("text"))
    assert dialog.progress_label.cget("text").endswith("s avant le document 2/2")
    assert progress(dialog) == 1.0
    dialog.cancel_button.invoke()
    assert pump(lambda: dialog.finished)
    assert [dialog.result_values(i)[3] for i in range(2)] == ["accepté", "NON envoyé (annulation)"]
    assert len(smtpd.handler.messages) == 1


def test_results_that_cannot_be_saved_say_where_and_what_to_do(open_dialog, batch_documents, smtpd, notify, pump,
                                                                 tmp_path):
    settings = direct_settings(smtpd.port)
    settings.directory.database_url = "sqlite:////nonexistent-folder/directory.sqlite"
    dialog = open_dialog(settings, batch_documents(1))
    assert dialog.tree.item("0", "values")[5] == "Recherche du destinataire impossible : saisissez-le ci-dessous."
    dialog.select(0)
    assert "/nonexistent-folder/directory.sqlite" in dialog.edit_message.cget("text")  # the detail, under the list
    assert dialog.send_button.instate(["disabled"])  # no recipient anywhere: nothing to send yet
    assert dialog.set_recipient(0, "client1@example.org") == ""
    assert dialog.send() and pump(lambda: dialog.finished)
    assert dialog.result_values(0)[3] == "accepté"
    target = tmp_path / "no-such-folder" / "envois.csv"
    assert dialog.save_csv(target) is None
    kind, _title, message = notify.last()
    assert kind == "error" and message.startswith(f"Impossible d’enregistrer {target} : ")
    assert message.endswith("Choisissez un autre dossier.") and not target.exists()
