"""SASL strings (UTF-8, RFC 4616 / XOAUTH2 / RFC 7628), secret forms and the credentials of the settings."""

from __future__ import annotations

import base64

import pytest

from viewer.mail.credentials import (
    AccessToken,
    OAuth2Credentials,
    PasswordCredentials,
    credentials_for,
    is_loopback,
    sasl_oauthbearer,
    sasl_plain,
    sasl_xoauth2,
)
from viewer.mail.routes.base import ConfigurationError
from viewer.settings import Settings


class FixedSource:
    def __init__(self, value: str) -> None:
        self.value = value

    def token(self, *, refresh: bool = False) -> AccessToken:
        return AccessToken(self.value + ("-new" if refresh else ""), 0.0, "a@example.com")

    def describe(self) -> str:
        return "fixed"

    def secret_forms(self) -> list[str]:
        return []

    def account(self) -> str:
        return "a@example.com"


def test_plain_is_utf8():
    assert sasl_plain("agent", "Pässwort") == b"\0agent\0P\xc3\xa4sswort"
    with pytest.raises(ConfigurationError, match="NUL"):
        sasl_plain("agent", "a\0b")


def test_xoauth2_and_oauthbearer_strings():
    assert sasl_xoauth2("a@example.com", "tok") == b"user=a@example.com\x01auth=Bearer tok\x01\x01"
    assert sasl_oauthbearer("a,b=c@example.com", "tok", "smtp.example.com", 587) == (
        b"n,a=a=2Cb=3Dc@example.com,\x01host=smtp.example.com\x01port=587\x01auth=Bearer tok\x01\x01")


def test_password_secret_forms_cover_the_auth_blobs():
    forms = PasswordCredentials("agent", "Pässwort").secret_forms()
    assert "Pässwort" in forms
    assert base64.b64encode("\0agent\0Pässwort".encode()).decode() in forms
    assert PasswordCredentials("agent", "").secret_forms() == []


def test_token_forms_include_every_token_seen():
    creds = OAuth2Credentials("a@example.com", FixedSource("tok123"))
    assert creds.secret_forms() == []
    creds.token()
    creds.token(refresh=True)
    forms = creds.add_forms_for("smtp.example.com", 587)
    for value in ("tok123", "tok123-new"):
        assert value in forms and f"Bearer {value}" in forms
        assert base64.b64encode(sasl_xoauth2("a@example.com", value)).decode() in forms
        assert base64.b64encode(sasl_oauthbearer("a@example.com", value, "smtp.example.com", 587)).decode() in forms
    assert "tok123" not in repr(creds)


def test_fresh_token_margin():
    import time

    assert AccessToken("x", time.time() + 3600).fresh()
    assert not AccessToken("x", time.time() + 60).fresh()
    assert AccessToken("x", 0).fresh() and not AccessToken("", 0).fresh()


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
                                                ("smtp.localhost", True), ("192.0.2.2", False), ("smtp.office365.com", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_credentials_for_settings(tmp_path):
    s = Settings(path=tmp_path / "s.toml")
    assert isinstance(credentials_for(s), PasswordCredentials) and credentials_for(s).user == ""
    s.environment.smtp_user, s.environment.smtp_password = "agent", "pw"
    creds = credentials_for(s)
    assert isinstance(creds, PasswordCredentials) and (creds.user, creds.password) == ("agent", "pw")
    s.functions.auth = "oauth2"
    assert isinstance(credentials_for(s), OAuth2Credentials)
