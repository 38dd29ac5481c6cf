"""The relay's Smtp.log journal (viewer.mail's format, readable by its read_log)."""

from __future__ import annotations

from viewer.mail.journal import read_log
from viewer.relay.journal import Journal


def test_one_line_per_attempt_with_every_field(tmp_path):
    j = Journal(tmp_path / "log" / "Smtp.log")
    j.record(subject="Devis\t42\nsuite", sender="a@x", recipient="b@y", outcome="SENT", reply="250 2.0.0 ok", qid="Q1")
    j.record(subject="", sender="", recipient="c@y", outcome="DEFERRED", reply="451 4.3.0 later", qid="Q2")
    first, second = read_log(tmp_path / "log" / "Smtp.log")
    assert (first.subject, first.sender, first.recipient, first.status, first.reply, first.file) == (
        "Devis 42 suite", "a@x", "b@y", "OK", "250 2.0.0 ok", "Q1")
    assert (second.sender, second.status, second.reply) == ("<>", "ERROR", "DEFERRED 451 4.3.0 later")
    assert first.time.year >= 2024


def test_errors_only(tmp_path):
    j = Journal(tmp_path / "Smtp.log", errors_only=True)
    j.record(subject="s", sender="a@x", recipient="b@y", outcome="SENT", reply="250", qid="Q")
    j.record(subject="s", sender="a@x", recipient="b@y", outcome="FAILED", reply="550", qid="Q")
    assert [line.reply for line in read_log(tmp_path / "Smtp.log")] == ["FAILED 550"]


def test_unwritable_journal_does_not_raise(tmp_path):
    (tmp_path / "Smtp.log").mkdir()  # a folder where the file should be
    Journal(tmp_path / "Smtp.log").record(subject="s", sender="a", recipient="b", outcome="SENT", reply="250", qid="Q")


def test_a_rotated_journal_is_followed_by_a_new_file(tmp_path, monkeypatch):
    j = Journal(tmp_path / "Smtp.log")
    j.record(subject="s", sender="a@x", recipient="b@y", outcome="SENT", reply="250", qid="Q1")
    (tmp_path / "Smtp.log").rename(tmp_path / "Smtp.log.1")  # logrotate
    monkeypatch.setattr(Journal, "REOPEN", 0.0)
    j.record(subject="s", sender="a@x", recipient="b@y", outcome="SENT", reply="250", qid="Q2")
    j.close()
    assert [line.file for line in read_log(tmp_path / "Smtp.log.1")] == ["Q1"]
    assert [line.file for line in read_log(tmp_path / "Smtp.log")] == ["Q2"]
