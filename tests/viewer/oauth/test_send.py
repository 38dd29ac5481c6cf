"""Sending with OAuth 2.0 through the outbox: XOAUTH2, refresh before expiry and after a refusal, sign in again."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from viewer.mail import trace
from viewer.mail.credentials import SignInRequired, sasl_xoauth2
from viewer.mail.outbox import Outbox
from viewer.mail.routes.base import ConfigurationError, Envelope
from viewer.oauth.flows import sign_in_browser
from viewer.oauth.store import StoredTokens, load_tokens, save_tokens

from .conftest import USER

RAW = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Devis 42\r\n\r\nBonjour\r\n"
ENV = Envelope(USER, ("bob@example.org",))


def _stored(settings) -> StoredTokens:
    found = load_tokens(settings)
    assert found is not None, "nobody is signed in"
    return found


@pytest.fixture
def signed_in(oauth_settings, browser):
    sign_in_browser(oauth_settings, open_url=browser, timeout=30)
    return oauth_settings


def _forms(token: str) -> list[str]:
    """Every encoded form of an access token that could leak: plain, base64, the XOAUTH2 string in base64."""
    return [token, base64.b64encode(token.encode()).decode(), base64.b64encode(sasl_xoauth2(USER, token)).decode(),
            base64.b64encode(f"user={USER}\x01auth=Bearer {token}\x01\x01".encode()).decode()]


def _all_text(settings, caplog) -> bytes:
    folders = [Path(settings.debug.trace_folder), Path(settings.copies.log_folder), Path(settings.copies.error_folder)]
    data = b"".join(p.read_bytes() for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file())
    return data + caplog.text.encode()


def test_send_with_xoauth2_and_nothing_secret_in_trace_or_logs(signed_in, xoauth_smtpd, caplog):
    caplog.set_level(logging.DEBUG)
    signed_in.debug.trace = True
    outcome = Outbox(signed_in).send((RAW, ENV), document="devis D-42")
    assert outcome.ok, outcome.summary_lines()
    assert xoauth_smtpd.handler.wait_for(1)[0].login == USER
    assert xoauth_smtpd.handler.attempts == [(USER, True)]
    token = _stored(signed_in).access_token
    entries = trace.load(signed_in.debug.trace_folder)
    assert any("AUTH <redacted>" in e.text for e in entries) and any("OAuth 2.0" in e.text for e in entries)
    data = _all_text(signed_in, caplog)
    for form in _forms(token):
        assert form.encode() not in data
    for line in outcome.summary_lines():
        assert token not in line


def test_expired_token_is_refreshed_before_connecting(signed_in, oauth, xoauth_smtpd):
    stored = _stored(signed_in)
    old_refresh = stored.refresh_token
    stored.expires_at = 1.0  # the access token's lifetime has passed on this computer
    save_tokens(signed_in, stored)
    oauth.store.expire_access_tokens()
    assert Outbox(signed_in).send((RAW, ENV)).ok
    assert oauth.store.token_requests[-1] == "refresh_token"
    assert xoauth_smtpd.handler.attempts == [(USER, True)]  # no refused attempt: refreshed first
    assert _stored(signed_in).refresh_token != old_refresh  # the rotated refresh token is kept


def test_token_refused_by_the_server_is_refreshed_once_during_the_send(signed_in, oauth, xoauth_smtpd):
    oauth.store.expire_access_tokens()  # the server no longer takes it, the computer still thinks it fresh
    outcome = Outbox(signed_in).send((RAW, ENV))
    assert outcome.ok, outcome.summary_lines()
    assert xoauth_smtpd.handler.attempts == [(USER, False), (USER, True)]
    assert oauth.store.token_requests.count("refresh_token") == 1


def test_revoked_sign_in_says_sign_in_again(signed_in, oauth, xoauth_smtpd):
    oauth.store.revoke_all()
    outcome = Outbox(signed_in).send((RAW, ENV))
    assert not outcome.ok and isinstance(outcome.error, SignInRequired)
    assert "sign in again" in str(outcome.error) and "spoolview oauth login" in str(outcome.error)
    assert "invalid_grant" in outcome.error.reply
    assert outcome.file is not None and outcome.file.exists()  # kept in the error folder
    assert xoauth_smtpd.messages == []


def test_not_signed_in(oauth_settings, xoauth_smtpd):
    outcome = Outbox(oauth_settings).send((RAW, ENV))
    assert isinstance(outcome.error, SignInRequired) and "nobody is signed in" in str(outcome.error)
    assert xoauth_smtpd.handler.attempts == []


def test_mailbox_without_smtp_auth(signed_in, xoauth_smtpd):
    xoauth_smtpd.handler.licensed = False
    outcome = Outbox(signed_in).send((RAW, ENV))
    assert isinstance(outcome.error, ConfigurationError) and not isinstance(outcome.error, SignInRequired)
    assert "SMTP AUTH is not enabled" in str(outcome.error) and outcome.error.code == 535
    assert "SmtpClientAuthentication" in outcome.error.reply


def test_token_refused_twice_asks_to_sign_in_again(signed_in, oauth, xoauth_smtpd):
    xoauth_smtpd.handler.oauth = None  # the SMTP server knows no token at all (another tenant)
    outcome = Outbox(signed_in).send((RAW, ENV))
    assert isinstance(outcome.error, SignInRequired) and "even with a fresh token" in str(outcome.error)
    assert len(xoauth_smtpd.handler.attempts) == 2


def test_password_auth_to_an_oauth_only_server(oauth_settings, xoauth_smtpd):
    oauth_settings.functions.auth = "password"
    oauth_settings.environment.smtp_password = "Pässwort"
    outcome = Outbox(oauth_settings).send((RAW, ENV))
    assert isinstance(outcome.error, ConfigurationError) and "5.7.139" in str(outcome.error)
    assert "functions.auth = oauth2" in str(outcome.error) and "Pässwort" not in str(outcome.error)


def test_clock_skew_is_named_when_the_sign_in_is_refused(signed_in, oauth, xoauth_smtpd):
    oauth.store.clock_offset = -20 * 60  # the provider's clock is 20 minutes behind ours
    oauth.store.revoke_all()
    outcome = Outbox(signed_in).send((RAW, ENV))
    assert isinstance(outcome.error, SignInRequired)
    assert "clock is 20 minutes ahead of 127.0.0.1's" in str(outcome.error) and "set the date and time right" in str(outcome.error)
