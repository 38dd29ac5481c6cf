"""`spoolview oauth login --device | status | logout` against a real authorization server on loopback."""

from __future__ import annotations

import threading

import pytest

from tests.support.oauth_server import OAuthServer
from viewer import settings as settings_mod
from viewer.cli import main


@pytest.fixture
def oauth(server_context):
    server = OAuthServer(server_context)
    server.add_public_client("spoolview-desktop")
    yield server
    server.stop()


@pytest.fixture
def configured(oauth, ca_file):
    s = settings_mod.load()
    fn = s.functions
    fn.auth, fn.oauth_provider, fn.oauth_issuer, fn.oauth_client_id, fn.ca_file = "oauth2", "custom", oauth.issuer, "spoolview-desktop", str(ca_file)
    s.environment.smtp_user = "alice@example.com"
    settings_mod.save(s)
    return s


def _approve_when_shown(oauth: OAuthServer) -> threading.Thread:
    """The user on another device: types the code as soon as the device authorization exists."""

    def approve() -> None:
        for _ in range(400):
            devices = list(oauth.store.devices.values())
            if devices:
                oauth.store.approve_device(str(devices[0]["user_code"]))
                return
            threading.Event().wait(0.025)

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


def test_login_device_status_logout(configured, oauth, capsys):
    assert main(["oauth", "status"]) == 1
    assert "not signed in" in capsys.readouterr().out
    _approve_when_shown(oauth)
    assert main(["oauth", "login", "--device"]) == 0
    out = capsys.readouterr().out
    assert f"{oauth.issuer}/verify" in out and "signed in to OAuth 2.0 as alice@example.com" in out
    assert "private settings file" in out
    assert main(["oauth", "status"]) == 0
    out = capsys.readouterr().out
    assert "alice@example.com" in out and "renewed automatically" in out
    stored = settings_mod.get_secret("oauth:default", settings_mod.load().path)
    for secret in ("refresh_token", "access_token"):
        import json

        assert json.loads(stored)[secret] not in out
    assert main(["oauth", "logout"]) == 0
    assert "revoked at the provider" in capsys.readouterr().out
    assert main(["oauth", "status"]) == 1


def test_login_refused_prints_the_reply_and_no_traceback(configured, oauth, capsys):
    oauth.store.consent = False

    def deny() -> None:
        for _ in range(400):
            devices = list(oauth.store.devices.values())
            if devices:
                oauth.store.approve_device(devices[0]["user_code"], approved=False)
                return
            threading.Event().wait(0.025)

    threading.Thread(target=deny, daemon=True).start()
    assert main(["oauth", "login", "--device"]) == 1
    err = capsys.readouterr().err
    assert "consent not given" in err and "provider's reply: access_denied" in err and "Traceback" not in err


def test_unknown_environment(configured, capsys):
    assert main(["oauth", "status", "-e", "nope"]) == 1
    assert "unknown environment 'nope'" in capsys.readouterr().err
