"""The direct SMTP route against a real aiosmtpd server on loopback."""

from __future__ import annotations

import base64

import pytest

from tests.support.smtpd import RecordingHandler, free_port
from viewer.mail.routes.base import ConfigurationError, Envelope, PermanentError, TemporaryError
from viewer.mail.routes.smtp import SmtpRoute
from viewer.settings import Settings

USER, PASSWORD = "agent@example.com", "S3cr3t-pw!"
MESSAGE = (
    b"From: agent@example.com\nTo: client@example.org\nSubject: Devis 42\n"
    b"Message-ID: <42@example.com>\n\nBonjour,\n.line starting with a dot\nfin\n"
)
ENV = Envelope("agent@example.com", ("client@example.org",))


def route_for(server, **kwargs) -> SmtpRoute:
    return SmtpRoute(server.host, server.port, timeout=10, **kwargs)


def secret_forms() -> list[str]:
    return [
        PASSWORD,
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode(),
    ]


def test_plain_send_reaches_server_with_crlf_and_dots(smtpd):
    result = route_for(smtpd).send(MESSAGE, ENV)
    assert result.ok and [r.address for r in result.accepted] == ["client@example.org"]
    assert result.recipients[0].code == 250
    got = smtpd.handler.wait_for(1)[0]
    assert got.mail_from == "agent@example.com" and got.rcpt_tos == ["client@example.org"]
    assert b"\r\n.line starting with a dot\r\n" in got.data
    assert b"Subject: Devis 42" in got.data


def test_starttls_with_auth_and_redacted_trace(smtpd_factory, ca_file):
    server = smtpd_factory(mode="starttls", auth=(USER, PASSWORD))
    lines: list[str] = []
    route = route_for(server, security="starttls", ca_file=str(ca_file), user=USER, password=PASSWORD, trace=lines.append, local_hostname="client.example.com")
    assert route.send(MESSAGE, ENV).ok
    got = server.handler.wait_for(1)[0]
    assert got.login == USER
    text = "\n".join(lines)
    assert "STARTTLS" in text.upper() and "ehlo client.example.com" in text
    assert "AUTH <redacted>" in text
    for form in secret_forms():
        assert form not in text


def test_implicit_tls(smtpd_factory, ca_file):
    server = smtpd_factory(mode="tls")
    assert route_for(server, security="tls", ca_file=str(ca_file)).send(MESSAGE, ENV).ok
    assert len(server.handler.wait_for(1)) == 1


def test_untrusted_certificate_is_refused(smtpd_factory):
    server = smtpd_factory(mode="tls")
    with pytest.raises(ConfigurationError, match="not trusted.*CA file"):
        route_for(server, security="tls").send(MESSAGE, ENV)
    assert server.messages == []


def test_untrusted_certificate_on_starttls(smtpd_factory):
    server = smtpd_factory(mode="starttls")
    with pytest.raises(ConfigurationError, match="certificate"):
        route_for(server, security="starttls").send(MESSAGE, ENV)


def test_bad_ca_file_is_a_configuration_error(smtpd_factory, tmp_path):
    server = smtpd_factory(mode="tls")
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="CA file"):
        route_for(server, security="tls", ca_file=str(bad)).send(MESSAGE, ENV)


def test_tls_mode_mismatch(smtpd):
    with pytest.raises(ConfigurationError, match="TLS"):
        route_for(smtpd, security="tls").send(MESSAGE, ENV)


def test_starttls_not_offered(smtpd):
    with pytest.raises(ConfigurationError, match="STARTTLS"):
        route_for(smtpd, security="starttls").send(MESSAGE, ENV)


def test_auth_refused_names_user_and_what_to_do(smtpd_factory, ca_file):
    server = smtpd_factory(mode="starttls", auth=(USER, PASSWORD))
    lines: list[str] = []
    route = route_for(server, security="starttls", ca_file=str(ca_file), user=USER, password="wrong-pass", trace=lines.append)
    with pytest.raises(ConfigurationError) as info:
        route.send(MESSAGE, ENV)
    assert USER in str(info.value) and "password" in str(info.value)
    assert "wrong-pass" not in str(info.value) and "wrong-pass" not in "\n".join(lines)
    assert server.messages == []


def test_auth_not_offered_before_tls(smtpd_factory):
    server = smtpd_factory(mode="starttls", auth=(USER, PASSWORD))
    with pytest.raises(ConfigurationError, match="does not offer authentication.*SSL on"):
        route_for(server, user=USER, password=PASSWORD).send(MESSAGE, ENV)


def test_server_down_is_temporary_and_names_host_port():
    port = free_port()
    with pytest.raises(TemporaryError, match=f"127.0.0.1:{port}"):
        SmtpRoute("127.0.0.1", port, timeout=5).send(MESSAGE, ENV)


def test_partial_refusal_reports_each_recipient(smtpd_factory):
    handler = RecordingHandler(rcpt_replies={"gone@example.org": "550 5.1.1 no such user"})
    server = smtpd_factory(handler=handler)
    env = Envelope("agent@example.com", ("client@example.org", "gone@example.org"))
    result = route_for(server).send(MESSAGE, env)
    assert not result.ok
    assert [r.address for r in result.accepted] == ["client@example.org"]
    refused = result.refused[0]
    assert (refused.address, refused.code, refused.temporary) == ("gone@example.org", 550, False)
    assert "no such user" in refused.reply
    assert handler.wait_for(1)[0].rcpt_tos == ["client@example.org"]


@pytest.mark.parametrize(("reply", "error"), [("450 4.2.0 mailbox busy", TemporaryError), ("550 5.1.1 no such user", PermanentError)])
def test_all_recipients_refused(smtpd_factory, reply, error):
    handler = RecordingHandler(rcpt_replies={"client@example.org": reply})
    server = smtpd_factory(handler=handler)
    with pytest.raises(error) as info:
        route_for(server).send(MESSAGE, ENV)
    assert info.value.code == int(reply[:3])
    assert info.value.results[0].address == "client@example.org"


@pytest.mark.parametrize(("reply", "error"), [("451 4.3.0 try later", TemporaryError), ("554 5.6.0 rejected", PermanentError)])
def test_data_refused(smtpd_factory, reply, error):
    server = smtpd_factory(handler=RecordingHandler(data_replies=[reply]))
    with pytest.raises(error, match=reply[:3]):
        route_for(server).send(MESSAGE, ENV)


def test_sender_refused(smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(mail_reply="553 5.7.1 sender not allowed"))
    with pytest.raises(PermanentError, match="sender"):
        route_for(server).send(MESSAGE, ENV)


def test_size_limit_checked_before_mail_from(smtpd_factory):
    server = smtpd_factory(data_size_limit=2000)
    lines: list[str] = []
    big = MESSAGE + b"x" * 5000 + b"\n"
    with pytest.raises(PermanentError) as info:
        route_for(server, trace=lines.append).send(big, ENV)
    assert "2000" in str(info.value) and str(len(big.replace(b"\n", b"\r\n"))) in str(info.value)
    assert not any("mail from" in line.lower() for line in lines)
    assert server.messages == []


def test_batch_reuses_one_connection_and_continues_after_a_failure(smtpd_factory):
    handler = RecordingHandler(data_replies=["250 ok", "554 5.6.0 no", "250 ok"])
    server = smtpd_factory(handler=handler)
    lines: list[str] = []
    results = route_for(server, trace=lines.append).send_many([(MESSAGE, ENV)] * 3)
    assert [type(r).__name__ for r in results] == ["SendResult", "PermanentError", "SendResult"]
    assert sum(1 for line in lines if "security=" in line) == 1
    assert len(handler.wait_for(2)) == 2


def test_from_settings_uses_functions_and_environment(smtpd_factory, ca_file):
    server = smtpd_factory(mode="starttls", auth=(USER, PASSWORD))
    settings = Settings()
    fn = settings.functions
    fn.host, fn.port, fn.ssl, fn.tls_mode, fn.ca_file, fn.domain = server.host, server.port, True, "starttls", str(ca_file), "erp.example.com"
    settings.environment.smtp_user = USER
    settings.environment.smtp_password = PASSWORD
    route = SmtpRoute.from_settings(settings)
    assert (route.port, route.security, route.local_hostname) == (server.port, "starttls", "erp.example.com")
    assert route.send(MESSAGE, ENV).ok
    assert server.handler.wait_for(1)[0].login == USER


def test_default_ports():
    settings = Settings()
    settings.functions.host = "smtp.example.com"
    assert SmtpRoute.from_settings(settings).port == 25
    settings.functions.ssl = True
    assert SmtpRoute.from_settings(settings).port == 587
    settings.functions.tls_mode = "implicit"
    route = SmtpRoute.from_settings(settings)
    assert (route.port, route.security) == (465, "tls")


def test_missing_host_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="server name"):
        SmtpRoute.from_settings(Settings())


def test_auth_login_exchange_is_redacted(smtpd_factory, ca_file, monkeypatch):
    from viewer.mail.routes import smtp as smtp_mod

    original = smtp_mod._SMTP.ehlo

    def login_only(self, name=""):
        reply = original(self, name)
        if "auth" in self.esmtp_features:
            self.esmtp_features["auth"] = " LOGIN"
        return reply

    monkeypatch.setattr(smtp_mod._SMTP, "ehlo", login_only)
    server = smtpd_factory(mode="starttls", auth=(USER, PASSWORD))
    lines: list[str] = []
    route = route_for(server, security="starttls", ca_file=str(ca_file), user=USER, password=PASSWORD, trace=lines.append)
    assert route.send(MESSAGE, ENV).ok
    text = "\n".join(lines)
    assert "<redacted AUTH data>" in text and "AUTH <redacted>" in text
    for form in secret_forms() + [base64.b64encode(USER.encode()).decode()]:
        assert form not in text


def test_silent_server_times_out_as_temporary():
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP connection, never greets
        port = listener.getsockname()[1]
        with pytest.raises(TemporaryError, match=f"127.0.0.1:{port}.*0.3 s"):
            SmtpRoute("127.0.0.1", port, timeout=0.3).send(MESSAGE, ENV)


@pytest.mark.parametrize(
    "envelope",
    [
        Envelope("agent@example.com", ("client@example.org\r\nRCPT TO:<evil@example.net>",)),
        Envelope("agent@example.com\r\nRSET", ("client@example.org",)),
        Envelope("agent@example.com", ("Client <client@example.org>",)),
        Envelope("agent@example.com", ("client@example.org, evil@example.net",)),
        Envelope("agent@example.com", ("client.example.org",)),
    ],
)
def test_envelope_that_is_not_bare_addresses_is_refused_before_connecting(smtpd, envelope):
    with pytest.raises(PermanentError, match="not a bare address.*nothing was sent"):
        route_for(smtpd).send(MESSAGE, envelope)
    assert smtpd.handler.messages == []


def test_null_reverse_path_is_allowed_for_reports(smtpd):
    assert route_for(smtpd).send(MESSAGE, Envelope("", ("client@example.org",))).ok
    assert smtpd.handler.wait_for(1)[0].mail_from in ("", "<>")


# --- no login without TLS beyond this computer (issue 12.1) ------------------------------------


def _non_loopback_address() -> str:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # a UDP "connect" sends nothing: it only picks the outgoing address
        address = s.getsockname()[0]
    if address.startswith("127.") or address == "0.0.0.0":
        pytest.skip("this machine has no non-loopback IPv4 address")
    return address


class _CountingHandler(RecordingHandler):
    """Counts EHLO: a route that refuses before connecting never says EHLO."""

    ehlos = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        type(self).ehlos += 1
        session.host_name = hostname
        return responses


def test_login_without_tls_to_another_host_is_refused_before_connecting(smtpd_factory):
    _CountingHandler.ehlos = 0
    server = smtpd_factory(handler=_CountingHandler(), auth=(USER, PASSWORD), bind=_non_loopback_address())
    lines: list[str] = []
    with pytest.raises(ConfigurationError, match="without TLS would send the password unencrypted.*turn SSL on") as info:
        route_for(server, user=USER, password=PASSWORD, trace=lines.append).send(MESSAGE, ENV)
    assert server.host in str(info.value) and PASSWORD not in str(info.value)
    assert _CountingHandler.ehlos == 0 and server.messages == []
    # Without a user nothing secret crosses: the same server is used.
    assert route_for(server).send(MESSAGE, ENV).ok


def test_login_without_tls_on_loopback_still_works(smtpd_factory):
    server = smtpd_factory(auth=(USER, PASSWORD))
    assert route_for(server, user=USER, password=PASSWORD).send(MESSAGE, ENV).ok
    assert server.handler.wait_for(1)[0].login == USER


# --- passwords beyond ASCII (issue 12.3) ---------------------------------------------------------

UNICODE_PASSWORD = "Pässwort-€-ß"


@pytest.mark.parametrize("exclude", [["LOGIN"], ["PLAIN"]], ids=["PLAIN", "LOGIN"])
def test_non_ascii_password_is_sent_as_utf8(smtpd_factory, ca_file, exclude):
    server = smtpd_factory(mode="starttls", auth=(USER, UNICODE_PASSWORD), auth_exclude_mechanism=exclude)
    lines: list[str] = []
    route = route_for(server, security="starttls", ca_file=str(ca_file), user=USER, password=UNICODE_PASSWORD, trace=lines.append)
    assert route.send(MESSAGE, ENV).ok
    assert server.handler.wait_for(1)[0].login == USER
    text = "\n".join(lines)
    for form in (UNICODE_PASSWORD, base64.b64encode(UNICODE_PASSWORD.encode()).decode(),
                 base64.b64encode(f"\0{USER}\0{UNICODE_PASSWORD}".encode()).decode()):
        assert form not in text


def test_cram_md5_with_non_ascii_password():
    import hashlib
    import hmac

    from viewer.mail.credentials import sasl_cram_md5

    answer = sasl_cram_md5(USER, UNICODE_PASSWORD, b"<1.2@example>")
    digest = hmac.new(UNICODE_PASSWORD.encode("utf-8"), b"<1.2@example>", hashlib.md5).hexdigest()
    assert answer == f"{USER} {digest}".encode()


@pytest.mark.parametrize("password", ["Zq9\udcffXk7", "Zq9\0Xk7"], ids=["lone-surrogate", "nul"])
def test_password_that_cannot_be_sent_is_a_clean_error_without_the_secret(smtpd_factory, ca_file, password):
    server = smtpd_factory(mode="starttls", auth=(USER, "whatever"))
    route = route_for(server, security="starttls", ca_file=str(ca_file), user=USER, password=password)
    with pytest.raises(ConfigurationError) as info:
        route.send(MESSAGE, ENV)
    message = str(info.value)
    assert "set it again" in message
    for part in ("Zq9", "Xk7", "\udcff", "\\udcff", "position"):
        assert part not in message
    assert server.messages == []


def test_basic_auth_disabled_says_to_use_oauth(smtpd_factory, ca_file):
    from tests.support.oauth_server import BasicDisabled

    server = smtpd_factory(mode="starttls", authenticator=BasicDisabled())
    with pytest.raises(ConfigurationError, match="5.7.139.*password logins.*off.*functions.auth = oauth2") as info:
        route_for(server, security="starttls", ca_file=str(ca_file), user=USER, password=PASSWORD).send(MESSAGE, ENV)
    assert info.value.code == 535 and PASSWORD not in str(info.value)


def test_no_user_means_no_keyring_look_up(monkeypatch):
    from viewer import secrets

    asked = []
    monkeypatch.setattr(secrets, "keyring_get", lambda name: asked.append(name) or "from-keyring")
    settings = Settings()
    settings.functions.host = "127.0.0.1"
    settings.environment.smtp_user = ""
    SmtpRoute.from_settings(settings)
    assert asked == []  # no login would use it: the keyring (maybe slow or locked) is not asked
    settings.environment.smtp_user = "alice"
    SmtpRoute.from_settings(settings)
    assert len(asked) == 1
