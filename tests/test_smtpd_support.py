"""The loopback SMTP test server itself works in each mode (the other tests rely on it)."""

import smtplib
import ssl

import pytest


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_server_receives_in_each_mode(smtpd_factory, ca_file, mode):
    server = smtpd_factory(mode=mode, auth=("alice", "s3cret"))
    ctx = ssl.create_default_context(cafile=str(ca_file))
    if mode == "tls":
        client = smtplib.SMTP_SSL(server.host, server.port, context=ctx, timeout=5)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=5)
        if mode == "starttls":
            client.starttls(context=ctx)
    with client:
        client.login("alice", "s3cret")
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nhello\r\n")
    [msg] = server.handler.wait_for(1)
    assert msg.rcpt_tos == ["b@example.com"]
    assert msg.login == "alice"


def test_scripted_refusal(smtpd):
    smtpd.handler.rcpt_replies["bad@example.com"] = "550 5.1.1 no such user"
    with smtplib.SMTP(smtpd.host, smtpd.port, timeout=5) as client:
        refused = client.sendmail("a@example.com", ["ok@example.com", "bad@example.com"], b"Subject: x\r\n\r\nhi\r\n")
    assert refused == {"bad@example.com": (550, b"5.1.1 no such user")}
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == ["ok@example.com"]
