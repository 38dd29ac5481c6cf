"""« Se connecter… » on the SMTP settings screen: a real sign-in through a browser command, under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.support.oauth_server import OAuthServer
from viewer import settings as settings_mod
from viewer.gui.mailui.settings_dialog import SettingsDialog
from viewer.gui.mailui.signin import error_words
from viewer.mail.credentials import TokenError
from viewer.oauth.replies import CONSENT_REFUSED
from viewer.oauth.store import load_tokens

pytestmark = pytest.mark.gui

BROWSER = '''import ssl, sys, httpx
ctx = ssl.create_default_context(cafile=sys.argv[1])
with httpx.Client(verify=ctx, follow_redirects=True, timeout=10) as client:
    client.get(sys.argv[2])
'''


@pytest.fixture
def oauth(server_context):
    server = OAuthServer(server_context)
    server.add_public_client("spoolview-desktop")
    yield server
    server.stop()


def oauth_settings(tmp_path, oauth, ca_file) -> settings_mod.Settings:
    script = tmp_path / "browser.py"
    script.write_text(BROWSER)
    s = settings_mod.load()
    s.service.from_identity = "Ventes <alice@example.com>"
    fn = s.functions
    fn.send_direct, fn.host, fn.ssl, fn.ca_file = True, "smtp.example.com", True, str(ca_file)
    fn.auth, fn.oauth_provider, fn.oauth_issuer, fn.oauth_client_id = "oauth2", "custom", oauth.issuer, "spoolview-desktop"
    fn.oauth_browser = f"{sys.executable} {script} {ca_file} {{url}}"  # the test's browser follows the redirect
    s.environment.smtp_user = "alice@example.com"
    settings_mod.save(s)
    return s


def test_sign_in_button_signs_in_and_shows_who_and_until_when(root, notify, pump, tmp_path, oauth, ca_file):
    settings = oauth_settings(tmp_path, oauth, ca_file)
    dialog = SettingsDialog(root, settings, notify=notify, screen="functions")
    assert dialog.shown["functions.auth"].get() == "Autre fournisseur OAuth"
    assert "Non connecté" in dialog.signin_status.cget("text")
    dialog.signin_button.invoke()
    assert "navigateur" in dialog.signin_status.cget("text")
    assert pump(lambda: "Connecté en tant que alice@example.com" in dialog.signin_status.cget("text"), timeout=30), notify.calls
    assert notify.calls == [] and "jusqu'au" in dialog.signin_status.cget("text")
    assert dialog.signin_button.instate(["!disabled"])
    stored = load_tokens(settings)
    assert stored is not None and stored.account == "alice@example.com"
    if os.environ.get("DISPLAY") and shutil.which("import"):
        dialog.deiconify()
        pump(lambda: dialog.winfo_viewable(), timeout=5)
        root.update()
        subprocess.run(["import", "-window", "root", str(tmp_path / "signin.png")], check=False, timeout=30)
    dialog.cancel()


def test_refused_consent_is_said_in_french_with_the_reply_below(root, notify, pump, tmp_path, oauth, ca_file):
    oauth.store.consent = False
    settings = oauth_settings(tmp_path, oauth, ca_file)
    dialog = SettingsDialog(root, settings, notify=notify, screen="functions")
    dialog.signin_button.invoke()
    assert pump(lambda: bool(notify.calls), timeout=30)
    kind, title, message = notify.last()
    assert kind == "error" and title == "Se connecter…"
    first, _, rest = message.partition("\n\n")
    assert "consentement" in first and "Réponse du fournisseur : access_denied" in rest
    assert "Non connecté" in dialog.signin_status.cget("text")
    dialog.cancel()


def test_choosing_microsoft_saves_oauth2_and_the_provider(root, notify, tmp_path):
    s = settings_mod.load()
    s.service.from_identity = "Ventes <ventes@example.com>"
    dialog = SettingsDialog(root, s, notify=notify, screen="functions")
    assert dialog.shown["functions.auth"].get() == "Mot de passe"
    dialog.vars["functions.auth"].set("microsoft")
    dialog.apply()
    assert (dialog.candidate.functions.auth, dialog.candidate.functions.oauth_provider) == ("oauth2", "microsoft")
    dialog.vars["functions.auth"].set("password")
    dialog.apply()
    assert dialog.candidate.functions.auth == "password"
    dialog.cancel()


def test_error_words_for_each_case():
    cases = {
        "consentement": TokenError("refused", kind=CONSENT_REFUSED, reply="access_denied: user cancelled"),
        "pas répondu à temps": TokenError("no answer", kind="timed-out"),
        "injoignable": TokenError("cannot be reached", kind="temporary"),
        "horloge": TokenError("this computer's clock is 12 minutes ahead", kind="configuration"),
        "locataire": TokenError("the tenant does not exist", kind="configuration", reply="invalid_request: AADSTS90002"),
        "reconnectez-vous": TokenError("expired", kind="sign-in", reply="invalid_grant: AADSTS70008"),
    }
    for needle, exc in cases.items():
        text = error_words(exc)
        assert needle in text.split("\n\n")[0], (needle, text)
        if exc.reply:
            assert text.endswith(f"Réponse du fournisseur : {exc.reply}")
