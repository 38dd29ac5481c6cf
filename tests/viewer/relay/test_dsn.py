"""RFC 3464 reports: parseable, with status, action, diagnostic code and original headers."""

from __future__ import annotations

import email
from email import policy

from viewer.relay.dsn import Failure, build_report, status_code


def _report(**kw):
    args = dict(
        original_headers=b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Quote 42\r\n",
        envelope_sender="alice@example.com",
        failures=[Failure("bob@example.com", 550, "550 5.1.1 <bob@example.com>: user unknown")],
        reporting_mta="relay.test",
        report_from="MAILER-DAEMON@relay.test",
        queue_id="Q123",
        arrival=1_700_000_000.0,
        remote_mta="smtp.provider.test",
        subject="Quote 42",
    )
    args.update(kw)
    return email.message_from_bytes(build_report(**args), policy=policy.default)


def test_failed_report_structure():
    msg = _report()
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    assert msg["To"].addresses[0].addr_spec == "alice@example.com"
    assert msg["Auto-Submitted"] == "auto-replied"
    human, status, headers = msg.get_payload()
    assert "bob@example.com" in human.get_content() and "user unknown" in human.get_content()
    assert status.get_content_type() == "message/delivery-status"
    per_message, per_rcpt = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; relay.test"
    assert per_rcpt["Final-Recipient"] == "rfc822; bob@example.com"
    assert per_rcpt["Action"] == "failed"
    assert per_rcpt["Status"] == "5.1.1"
    assert per_rcpt["Diagnostic-Code"].startswith("smtp; 550 5.1.1")
    assert per_rcpt["Remote-MTA"] == "dns; smtp.provider.test"
    assert headers.get_content_type() == "text/rfc822-headers"
    assert b"Subject: Quote 42" in headers.get_payload(decode=True)


def test_delayed_and_several_recipients():
    msg = _report(action="delayed", failures=[Failure("a@x.test", 451, "451 try later"), Failure("b@x.test", None, "connection refused")])
    assert "Delay" in msg["Subject"]
    per_rcpts = msg.get_payload()[1].get_payload()[1:]
    assert [p["Action"] for p in per_rcpts] == ["delayed", "delayed"]
    assert [p["Status"] for p in per_rcpts] == ["4.0.0", "4.4.1"]


def test_status_codes():
    assert status_code(550, "550 5.7.1 denied") == "5.7.1"
    assert status_code(552, "too big") == "5.0.0"
    assert status_code(None, "") == "4.4.1"
    assert status_code(451, "451 4.3.0 later", expired=True) == "4.4.7"
