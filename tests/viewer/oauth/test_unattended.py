"""The client credentials grant in the relay's smart host and the application server's route."""

from __future__ import annotations

import pytest

from tests.support.smtpd import free_port
from viewer.mail.routes.base import ConfigurationError, Envelope, TemporaryError
from viewer.relay.config import ConfigError, from_dict
from viewer.relay.delivery import smarthost_route
from viewer.server.config import ServerConfig
from viewer.server.delivery import Deliverer, server_settings

MAILBOX = "devis@example.com"
RAW = b"From: devis@example.com\r\nTo: bob@example.org\r\nSubject: Devis 42\r\n\r\nBonjour\r\n"
ENV = Envelope(MAILBOX, ("bob@example.org",))


def relay_config(tmp_path, smtpd, ca_file, token_url, client_id, secret, **extra):
    smarthost = {"host": smtpd.host, "port": smtpd.port, "security": "starttls", "ca_file": str(ca_file), "timeout": 10.0,
                 "user": MAILBOX, "auth": "oauth2", "oauth_token_url": token_url, "oauth_client_id": client_id,
                 "oauth_client_secret": secret, "oauth_scope": "smtp.send", **extra}
    return from_dict({"queue": {"folder": str(tmp_path / "queue")}, "smarthost": smarthost}, "test relay.toml")


def test_relay_sends_with_a_cached_client_credentials_token(tmp_path, oauth, xoauth_smtpd, ca_file):
    client, secret = oauth.add_confidential_client("relay-a")
    config = relay_config(tmp_path, xoauth_smtpd, ca_file, oauth.token_url, "relay-a", secret)
    for _ in range(3):  # three connections, one token
        assert smarthost_route(config).send(RAW, ENV).ok
    assert oauth.store.token_requests == ["client_credentials"]
    assert [user for user, ok in xoauth_smtpd.handler.attempts if ok] == [MAILBOX] * 3
    assert "relay-a" in repr(config.smarthost) or "oauth2" in repr(config.smarthost)
    assert secret not in repr(config.smarthost) and secret not in repr(config)


def test_relay_token_refused_by_the_server_is_renewed(tmp_path, oauth, xoauth_smtpd, ca_file):
    client, secret = oauth.add_confidential_client("relay-b")
    config = relay_config(tmp_path, xoauth_smtpd, ca_file, oauth.token_url, "relay-b", secret)
    assert smarthost_route(config).send(RAW, ENV).ok
    oauth.store.expire_access_tokens()
    assert smarthost_route(config).send(RAW, ENV).ok
    assert oauth.store.token_requests == ["client_credentials", "client_credentials"]


def test_relay_token_endpoint_down_is_a_temporary_failure(tmp_path, xoauth_smtpd, ca_file):
    config = relay_config(tmp_path, xoauth_smtpd, ca_file, f"https://127.0.0.1:{free_port()}/token", "relay-c", "s3cret-value")
    with pytest.raises(TemporaryError, match="cannot be reached"):
        smarthost_route(config).send(RAW, ENV)
    assert xoauth_smtpd.handler.attempts == []


def test_relay_check_says_invalid_client_is_a_configuration_error(tmp_path, oauth, xoauth_smtpd, ca_file, capsys):
    from viewer.cli import main

    oauth.add_confidential_client("relay-d")
    config = relay_config(tmp_path, xoauth_smtpd, ca_file, oauth.token_url, "relay-d", "wrong-secret-value")
    path = tmp_path / "relay.toml"
    import tomli_w

    path.write_text(tomli_w.dumps({"queue": {"folder": str(tmp_path / "queue")}, "smarthost": {
        k: getattr(config.smarthost, k) for k in ("host", "port", "security", "ca_file", "timeout", "user", "auth",
                                                  "oauth_token_url", "oauth_client_id", "oauth_client_secret")}}))
    path.chmod(0o600)
    assert main(["relay", "check", "--config", str(path)]) == 1
    out = capsys.readouterr()
    assert "configuration" in out.out and "does not accept this application" in out.err
    assert "wrong-secret-value" not in out.out + out.err
    with pytest.raises(ConfigurationError):
        smarthost_route(config).open()


def test_relay_refuses_a_login_without_tls(tmp_path, ca_file):
    with pytest.raises(ConfigError, match="without TLS"):
        from_dict({"queue": {"folder": str(tmp_path / "q")}, "smarthost": {
            "host": "smtp.office365.com", "security": "none", "user": MAILBOX, "password": "pw"}}, "relay.toml")
    with pytest.raises(ConfigError, match="oauth_client_id"):
        from_dict({"queue": {"folder": str(tmp_path / "q")}, "smarthost": {
            "host": "smtp.office365.com", "security": "starttls", "user": MAILBOX, "auth": "oauth2",
            "oauth_token_url": "https://login.example/token"}}, "relay.toml")
    with pytest.raises(ConfigError, match="not an https address"):
        from_dict({"queue": {"folder": str(tmp_path / "q")}, "smarthost": {
            "host": "smtp.office365.com", "security": "starttls", "user": MAILBOX, "auth": "oauth2",
            "oauth_token_url": "http://login.example/token", "oauth_client_id": "x", "oauth_client_secret": "y"}}, "relay.toml")


def _server_config(tmp_path, smtpd, ca_file, issuer, client_id, secret_env):
    return ServerConfig(route={
        "functions": {"send_direct": True, "host": smtpd.host, "port": smtpd.port, "ssl": True, "ca_file": str(ca_file),
                      "timeout": 10, "auth": "oauth2", "oauth_provider": "custom", "oauth_issuer": issuer,
                      "oauth_client_id": client_id, "oauth_scope": "smtp.send"},
        "service": {"from_identity": MAILBOX},
        "environment": {"smtp_user": MAILBOX, "oauth_client_secret_env": secret_env},
        "copies": {"sent_folder": str(tmp_path / "sent"), "error_folder": str(tmp_path / "error"), "log_folder": str(tmp_path / "log")},
    })


def test_server_route_uses_client_credentials(tmp_path, oauth, xoauth_smtpd, ca_file, monkeypatch):
    client, secret = oauth.add_confidential_client("server-a")
    monkeypatch.setenv("SPOOLVIEW_TEST_OAUTH_SECRET", secret)
    deliverer = Deliverer(server_settings(_server_config(tmp_path, xoauth_smtpd, ca_file, oauth.issuer, "server-a", "SPOOLVIEW_TEST_OAUTH_SECRET")))
    first = deliverer.deliver(RAW, ENV)
    second = deliverer.deliver(RAW, ENV)
    assert first.ok and second.ok, (first.detail, second.detail)
    assert oauth.store.token_requests == ["client_credentials"]
    assert xoauth_smtpd.handler.wait_for(2)[1].login == MAILBOX
    assert secret not in "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_server_route_with_a_revoked_client_fails_as_configuration(tmp_path, oauth, xoauth_smtpd, ca_file, monkeypatch):
    monkeypatch.setenv("SPOOLVIEW_TEST_OAUTH_SECRET", "not-the-secret")
    oauth.add_confidential_client("server-b")
    deliverer = Deliverer(server_settings(_server_config(tmp_path, xoauth_smtpd, ca_file, oauth.issuer, "server-b", "SPOOLVIEW_TEST_OAUTH_SECRET")))
    done = deliverer.deliver(RAW, ENV)
    assert not done.ok and isinstance(done.error, ConfigurationError) and "does not accept this application" in done.detail
    assert xoauth_smtpd.messages == []


def test_server_route_refuses_a_login_without_tls(tmp_path):
    from viewer.server.config import ServerConfigError

    config = ServerConfig(route={"functions": {"send_direct": True, "host": "smtp.office365.com", "ssl": False},
                                 "environment": {"smtp_user": MAILBOX}})
    with pytest.raises(ServerConfigError, match="without TLS"):
        server_settings(config)


def test_client_secret_of_a_wrong_type_is_not_shown(tmp_path):
    with pytest.raises(ConfigError) as info:
        from_dict({"queue": {"folder": str(tmp_path / "q")}, "smarthost": {"host": "smtp.example.com", "oauth_client_secret": 987654321}},
                  "relay.toml")
    assert "987654321" not in str(info.value) and "oauth_client_secret" in str(info.value)
