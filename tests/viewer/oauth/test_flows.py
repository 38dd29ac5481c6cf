"""The desktop sign-in against a real authorization server: PKCE + loopback redirect, device code, sign-out."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.smtpd import free_port
from viewer.mail.credentials import CONFIGURATION, TEMPORARY, TokenError
from viewer.oauth.flows import DeviceCode, open_browser, sign_in_browser, sign_in_device, sign_out
from viewer.oauth.replies import CONSENT_REFUSED, TIMED_OUT
from viewer.oauth.store import StoredTokens, load_tokens

from .conftest import USER


def _stored(settings) -> StoredTokens:
    found = load_tokens(settings)
    assert found is not None, "nobody is signed in"
    return found


def test_browser_sign_in_with_pkce_and_loopback_redirect(oauth_settings, oauth, browser):
    done = sign_in_browser(oauth_settings, open_url=browser, timeout=30)
    assert done.account == USER and done.stored_in == "file"  # the tests have no keyring
    query = parse_qs(urlsplit(browser.urls[0]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:") and "client_secret" not in query
    assert "Connexion réussie" in browser.pages[0] and "Signed in" in browser.pages[0]
    stored = load_tokens(oauth_settings)
    assert stored is not None and stored.refresh_token and oauth.store.valid_access(stored.access_token)
    assert stored.token_endpoint == oauth.token_url
    text = oauth_settings.path.read_text()
    assert oauth_settings.path.stat().st_mode & 0o777 == 0o600 and stored.refresh_token in text


def test_consent_refused_in_the_browser(oauth_settings, oauth, browser):
    oauth.store.consent = False
    with pytest.raises(TokenError, match="consent not given") as info:
        sign_in_browser(oauth_settings, open_url=browser, timeout=30)
    assert info.value.kind == CONSENT_REFUSED and "access_denied" in info.value.reply
    assert "Échec de la connexion" in browser.pages[0]
    assert load_tokens(oauth_settings) is None


def test_browser_closed_times_out(oauth_settings):
    with pytest.raises(TokenError, match="no answer from the browser") as info:
        sign_in_browser(oauth_settings, open_url=lambda url: None, timeout=0.3)
    assert info.value.kind == TIMED_OUT


def test_cancel_stops_the_wait(oauth_settings):
    cancel = threading.Event()
    with pytest.raises(TokenError, match="cancelled"):
        sign_in_browser(oauth_settings, open_url=lambda url: cancel.set(), timeout=30, cancel=cancel)


def test_device_code_sign_in(oauth_settings, oauth):
    shown: list[DeviceCode] = []

    def show(code: DeviceCode) -> None:
        shown.append(code)
        oauth.store.approve_device(code.user_code)  # the user types the code on another device

    done = sign_in_device(oauth_settings, show=show)
    assert done.account == USER and shown[0].verification_uri == f"{oauth.issuer}/verify"
    assert oauth.store.token_requests[-1] == "urn:ietf:params:oauth:grant-type:device_code"
    assert _stored(oauth_settings).refresh_token


def test_device_code_refused(oauth_settings, oauth):
    with pytest.raises(TokenError, match="consent not given") as info:
        sign_in_device(oauth_settings, show=lambda code: oauth.store.approve_device(code.user_code, approved=False))
    assert info.value.kind == CONSENT_REFUSED


def test_unknown_client_id(oauth_settings, browser):
    oauth_settings.functions.oauth_client_id = "not-registered"
    with pytest.raises(TokenError) as info:
        sign_in_device(oauth_settings, show=lambda code: None)
    assert info.value.kind == CONFIGURATION and "oauth_client_id" in str(info.value)


def test_endpoint_unreachable_is_temporary(oauth_settings):
    oauth_settings.functions.oauth_issuer = f"https://127.0.0.1:{free_port()}"
    with pytest.raises(TokenError, match="cannot be reached") as info:
        sign_in_device(oauth_settings, show=lambda code: None)
    assert info.value.kind == TEMPORARY


def test_untrusted_certificate_of_the_provider(oauth_settings):
    oauth_settings.functions.ca_file = ""
    with pytest.raises(TokenError, match="not trusted.*functions.ca_file") as info:
        sign_in_device(oauth_settings, show=lambda code: None)
    assert info.value.kind == CONFIGURATION


def test_sign_out_revokes_and_forgets(oauth_settings, oauth, browser):
    sign_in_browser(oauth_settings, open_url=browser, timeout=30)
    stored = _stored(oauth_settings)
    assert sign_out(oauth_settings) == "sign-in revoked at the provider, tokens deleted"
    assert load_tokens(oauth_settings) is None and stored.refresh_token not in oauth_settings.path.read_text()
    assert not any(t.refresh_token == stored.refresh_token and not t.revoked for t in oauth.store.tokens)
    assert sign_out(oauth_settings) == "nobody was signed in"


def test_browser_command_gets_the_url(tmp_path):
    out = tmp_path / "url.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf %s "$2" > {out}\n')
    script.chmod(0o755)
    open_browser(f"{script} --new-window {{url}}")("https://example.test/authorize?x=1&y=2")
    import time

    for _ in range(100):
        if out.exists() and out.read_text():
            break
        time.sleep(0.05)
    assert out.read_text() == "https://example.test/authorize?x=1&y=2"


def test_broken_browser_command_is_a_configuration_error():
    with pytest.raises(TokenError, match="cannot be started.*oauth_browser"):
        open_browser("/no/such/browser")("https://example.test/")
