"""The debug trace: redaction, files per day and process, reading back."""

from __future__ import annotations

import base64
import json
import os

from viewer.mail import trace
from viewer.settings import Settings


def test_redact_password_base64_and_auth_lines():
    forms = trace.secret_forms("pw-123", ["bob"])
    text = (
        "login pw-123 then " + base64.b64encode(b"pw-123").decode()
        + " and " + base64.b64encode(b"\0bob\0pw-123").decode() + "\nsend: 'AUTH PLAIN AGJvYgBwdy0xMjM='"
    )
    out = trace.redact(text, forms)
    assert "pw-123" not in out and base64.b64encode(b"pw-123").decode() not in out
    assert "AGJvYgBwdy0xMjM=" not in out and "AUTH PLAIN <redacted>" in out
    # What the server offers stays readable: it is what one debugs a refused login with.
    assert trace.redact("reply: b'250-AUTH LOGIN PLAIN CRAM-MD5'", forms) == "reply: b'250-AUTH LOGIN PLAIN CRAM-MD5'"


def test_write_and_load_back(tmp_path):
    tracer = trace.Tracer(tmp_path / "t", secrets=trace.secret_forms("hunter2"))
    tracer.write("route", "pickup folder /x")
    tracer.sink("smtp")("send: password hunter2")
    [path] = trace.files(tmp_path / "t")
    assert path.name.startswith("spoolview-") and str(os.getpid()) in path.name
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    entries = trace.load(tmp_path / "t")
    assert [(e.kind, e.text) for e in entries] == [("route", "pickup folder /x"), ("smtp", "send: password ***")]
    assert "hunter2" not in path.read_text()
    assert "route: pickup folder /x" in entries[0].format()


def test_load_skips_bad_lines_and_sorts_across_files(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "spoolview-20261127-2.trace.jsonl").write_text(
        json.dumps({"time": "2026-11-27T10:00:02", "pid": 2, "kind": "note", "text": "second"}) + "\n{broken\n"
    )
    (folder / "spoolview-20261127-1.trace.jsonl").write_text(
        json.dumps({"time": "2026-11-27T10:00:01", "pid": 1, "kind": "note", "text": "first"}) + "\n"
    )
    (folder / "other.txt").write_text("ignored")
    assert [e.text for e in trace.load(folder)] == ["first", "second"]
    assert trace.load(tmp_path / "missing") == []


def test_unwritable_folder_does_not_raise(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    tracer = trace.Tracer(blocker / "trace")
    tracer.write("note", "x")
    assert "cannot write the trace" in tracer.failed


def test_settings_summary_has_no_password():
    settings = Settings()
    settings.environment.smtp_user = "bob"
    settings.environment.smtp_password = "s3cret-value"
    summary = json.dumps(trace.settings_summary(settings))
    assert "s3cret-value" not in summary and "bob" in summary
    assert "s3cret-value" in trace.settings_secrets(settings)
