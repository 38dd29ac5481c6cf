"""Smtp.log, sent copies and the error folder."""

from __future__ import annotations

from datetime import datetime

from viewer.mail.journal import ERROR, OK, Journal, LogLine, read_log
from viewer.settings import MailCopies


def copies(tmp_path, **kw) -> MailCopies:
    return MailCopies(sent_folder=str(tmp_path / "sent"), error_folder=str(tmp_path / "err"), log_folder=str(tmp_path / "log"), **kw)


def line(status: str, recipient: str = "a@x") -> LogLine:
    return LogLine(datetime(2026, 11, 27, 14, 28, 38), "Devis\t42\nsuite", "me@x", recipient, status, "250 ok" if status == OK else "550 no", "f.eml")


def test_log_columns_and_read_back(tmp_path):
    journal = Journal(copies(tmp_path))
    assert journal.log([line(OK), line(ERROR, "b@x")]) == ""
    text = (tmp_path / "log" / "Smtp.log").read_text()
    assert text.splitlines()[0] == "2026-11-27 14:28:38\tDevis 42 suite\tme@x\ta@x\tOK 250 ok\tf.eml"
    parsed = read_log(tmp_path / "log" / "Smtp.log")
    assert [(p.recipient, p.status, p.reply) for p in parsed] == [("a@x", "OK", "250 ok"), ("b@x", "ERROR", "550 no")]


def test_errors_only(tmp_path):
    journal = Journal(copies(tmp_path, log_errors_only=True))
    journal.log([line(OK)])
    assert not (tmp_path / "log" / "Smtp.log").exists()
    journal.log([line(OK), line(ERROR)])
    assert [p.status for p in read_log(tmp_path / "log" / "Smtp.log")] == ["ERROR"]


def test_sent_copy_and_error_pair(tmp_path):
    journal = Journal(copies(tmp_path))
    path, note = journal.keep_sent(b"raw", "2026x.eml")
    assert note == "" and path == tmp_path / "sent" / "2026x.eml" and path.read_bytes() == b"raw"
    path, note = journal.keep_error(b"raw", "2026y.eml", "error: boom\n")
    assert note == "" and path.read_bytes() == b"raw"
    assert (tmp_path / "err" / "2026y.log").read_text() == "error: boom\n"


def test_unwritable_folders_give_notes_not_exceptions(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    journal = Journal(MailCopies(sent_folder=str(blocker / "s"), error_folder=str(blocker / "e"), log_folder=str(blocker / "l")))
    assert "not kept" in journal.keep_sent(b"raw", "a.eml")[1]
    assert "error folder" in journal.keep_error(b"raw", "a.eml", "x")[1]
    assert "could not write" in journal.log([line(OK)])


def test_empty_sent_folder_keeps_nothing(tmp_path):
    journal = Journal(MailCopies(sent_folder="", error_folder="", log_folder=str(tmp_path)))
    assert journal.keep_sent(b"raw", "a.eml") == (None, "")
    assert "no error folder" in journal.keep_error(b"raw", "a.eml", "x")[1]


def test_batch_mode_keeps_the_log_open_and_writes_each_line_at_once(tmp_path):
    journal = Journal(copies(tmp_path))
    journal.hold()
    journal.log([line(OK)])
    assert len(read_log(tmp_path / "log" / "Smtp.log")) == 1
    journal.log([line(ERROR)])
    journal.release()
    assert len(read_log(tmp_path / "log" / "Smtp.log")) == 2
