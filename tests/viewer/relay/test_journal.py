"""The relay's Smtp.log journal."""

from __future__ import annotations

from viewer.relay.journal import Journal


def test_one_line_per_attempt_with_every_field(tmp_path):
    j = Journal(tmp_path / "log" / "Smtp.log")
    j.record(subject="Devis\t42\nsuite", sender="a@x", recipient="b@y", outcome="SENT", reply="250 2.0.0 ok", qid="Q1")
    j.record(subject="", sender="", recipient="c@y", outcome="FAILED", reply="550 5.1.1 unknown", qid="Q2")
    lines = (tmp_path / "log" / "Smtp.log").read_text().splitlines()
    assert len(lines) == 2
    date, subject, sender, to, outcome, qid = lines[0].split("\t")
    assert (subject, sender, to, outcome, qid) == ("Devis 42 suite", "a@x", "b@y", "SENT 250 2.0.0 ok", "Q1")
    assert date[:4].isdigit()
    assert lines[1].split("\t")[2] == "<>"
    assert lines[1].split("\t")[4] == "FAILED 550 5.1.1 unknown"


def test_errors_only(tmp_path):
    j = Journal(tmp_path / "Smtp.log", errors_only=True)
    j.record(subject="s", sender="a@x", recipient="b@y", outcome="SENT", reply="250", qid="Q")
    j.record(subject="s", sender="a@x", recipient="b@y", outcome="DEFERRED", reply="451", qid="Q")
    assert [line.split("\t")[4] for line in (tmp_path / "Smtp.log").read_text().splitlines()] == ["DEFERRED 451"]
