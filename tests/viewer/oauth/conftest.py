"""A real OAuth 2.0 authorization server (authlib, HTTPS on loopback) and an SMTP server that takes only XOAUTH2."""

from __future__ import annotations

import ssl

import httpx
import pytest

from tests.support.oauth_server import BasicDisabled, OAuthServer, XOAuth2Handler
from viewer.settings import Settings

USER = "alice@example.com"


@pytest.fixture
def oauth(server_context):
    server = OAuthServer(server_context)
    yield server
    server.stop()


@pytest.fixture
def xoauth_smtpd(smtpd_factory, oauth):
    """STARTTLS, AUTH XOAUTH2 with the OAuth server's tokens; PLAIN/LOGIN answer 535 5.7.139."""
    return smtpd_factory(mode="starttls", handler=XOAuth2Handler(oauth=oauth), authenticator=BasicDisabled())


class Browser:
    """The test's browser: follows the authorization redirect to the loopback listener; keeps each page."""

    def __init__(self, ca_file) -> None:
        self.ca_file = str(ca_file)
        self.pages: list[str] = []
        self.urls: list[str] = []

    def __call__(self, url: str) -> None:
        self.urls.append(url)
        with httpx.Client(verify=ssl.create_default_context(cafile=self.ca_file), follow_redirects=True, timeout=10) as client:
            self.pages.append(client.get(url).text)


@pytest.fixture
def browser(ca_file) -> Browser:
    return Browser(ca_file)


@pytest.fixture
def oauth_settings(tmp_path, oauth, xoauth_smtpd, ca_file) -> Settings:
    """Direct SMTP to the XOAUTH2 server, custom provider = the loopback authorization server."""
    oauth.add_public_client("spoolview-desktop")
    s = Settings(path=tmp_path / "settings.toml")
    s.functions.send_direct = True
    s.functions.host, s.functions.port, s.functions.ssl = xoauth_smtpd.host, xoauth_smtpd.port, True
    s.functions.ca_file = str(ca_file)
    s.functions.timeout = 10
    s.functions.auth, s.functions.oauth_provider = "oauth2", "custom"
    s.functions.oauth_issuer, s.functions.oauth_client_id = oauth.issuer, "spoolview-desktop"
    s.functions.oauth_scope = "smtp.send offline_access"
    s.service.from_identity = USER
    s.environment.smtp_user = USER
    s.copies.sent_folder = str(tmp_path / "sent")
    s.copies.error_folder = str(tmp_path / "error")
    s.copies.log_folder = str(tmp_path / "log")
    return s
