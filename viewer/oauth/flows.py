"""The desktop sign-in (public client, no secret): authorization code + PKCE through the browser, or device code.

Authorization code (RFC 6749 4.1 with PKCE S256, RFC 7636) uses the system browser and a
one-shot HTTP listener on ``http://127.0.0.1:<random port>/`` (RFC 8252 7.3) that shows a
page saying whether the sign-in worked. The device code flow (RFC 8628) shows a code to
type on another device. Either stores the tokens per environment (viewer.oauth.store).
"""

from __future__ import annotations

import base64
import html
import http.server
import json
import secrets
import shlex
import subprocess
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from viewer.mail.credentials import CONFIGURATION, TEMPORARY, TokenError
from viewer.oauth.http import make_client, network_error, post_token
from viewer.oauth.providers import Endpoints, endpoints_for, provider_label, scope_for
from viewer.oauth.replies import TIMED_OUT, explain
from viewer.oauth.sources import expiry
from viewer.oauth.store import StoredTokens, delete_tokens, load_tokens, save_tokens

__all__ = ["SignIn", "DeviceCode", "sign_in_browser", "sign_in_device", "sign_out", "open_browser", "DEVICE_GRANT"]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>spoolview</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>{title_fr}</h1><p>{text_fr}</p>
<hr><h2>{title_en}</h2><p>{text_en}</p></body></html>"""


@dataclass
class SignIn:
    """A finished sign-in: who, until when (the access token; the refresh token renews it), where it is kept."""

    provider: str
    account: str
    expires_at: float
    stored_in: str  # "keyring" or "file"


@dataclass
class DeviceCode:
    """What the user must do on another device: open ``verification_uri`` and type ``user_code``."""

    user_code: str
    verification_uri: str
    expires_at: float
    message: str = ""


def open_browser(command: str) -> Callable[[str], None]:
    """An opener for ``functions.oauth_browser``: the command with {url} replaced (else appended); empty: the system browser."""
    if not command.strip():
        def system(url: str) -> None:
            if not webbrowser.open(url):
                raise TokenError(f"no web browser could be opened: open {url} yourself, or use the device code sign-in (--device)", kind=CONFIGURATION)
        return system
    args = shlex.split(command)

    def run(url: str) -> None:
        argv = [a.replace("{url}", url) for a in args] if any("{url}" in a for a in args) else [*args, url]
        try:
            subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise TokenError(f"the browser command {args[0]!r} cannot be started ({exc.strerror or exc}): fix functions.oauth_browser", kind=CONFIGURATION) from None
    return run


def _claims(jwt: str) -> dict[str, Any]:
    """The payload of a JWT, unverified: only to show who signed in (the token came over TLS from the provider)."""
    try:
        payload = jwt.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return data if isinstance(data, dict) else {}
    except (IndexError, ValueError):
        return {}


def _account(reply: dict[str, Any], fallback: str) -> str:
    for jwt in (reply.get("id_token", ""), reply.get("access_token", "")):
        claims = _claims(str(jwt)) if jwt else {}
        for key in ("preferred_username", "email", "upn", "unique_name"):
            if isinstance(claims.get(key), str) and "@" in claims[key]:
                return str(claims[key])
    return fallback


def _finish(settings: Any, endpoints: Endpoints, reply: dict[str, Any], environment: str | None) -> SignIn:
    fn = settings.functions
    env_name = environment or settings.active_environment
    account = _account(reply, settings.environments.get(env_name).smtp_user if env_name in settings.environments else "")
    tokens = StoredTokens(
        provider=fn.oauth_provider, client_id=fn.oauth_client_id, account=account, token_endpoint=endpoints.token,
        scope=str(reply.get("scope") or scope_for(fn)), refresh_token=str(reply.get("refresh_token") or ""),
        access_token=str(reply["access_token"]), expires_at=expiry(reply), signed_in_at=time.time(),
    )
    where = save_tokens(settings, tokens, env_name)
    return SignIn(fn.oauth_provider, account, tokens.expires_at, where)


def _client(settings: Any) -> httpx.Client:
    fn = settings.functions
    if not fn.oauth_client_id.strip():
        raise TokenError("no application (client) ID is set: fill in functions.oauth_client_id (see docs/oauth.md)", kind=CONFIGURATION)
    return make_client(fn.ca_file or None, fn.timeout or 30.0)


class _Redirect(http.server.BaseHTTPRequestHandler):
    """Answers the browser's redirect once: records the query and shows a page saying how it went."""

    server: _Listener

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        if "code" not in query and "error" not in query:
            self.send_error(404)
            return
        params = {k: v[0] for k, v in query.items()}
        ok = "code" in params and params.get("state") == self.server.state
        if ok:
            page = PAGE.format(title_fr="Connexion réussie", text_fr="spoolview est connecté. Vous pouvez fermer cette fenêtre.",
                               title_en="Signed in", text_en="spoolview is signed in. You can close this window.")
        else:
            why = html.escape(params.get("error_description") or params.get("error") or "state mismatch")
            page = PAGE.format(title_fr="Échec de la connexion", text_fr=f"La connexion n'a pas abouti : {why}. Revenez à spoolview.",
                               title_en="Sign-in failed", text_en=f"The sign-in did not complete: {why}. Go back to spoolview.")
        body = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        if self.server.result is None:
            self.server.result = params
            self.server.done.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Listener(http.server.HTTPServer):
    def __init__(self, state: str) -> None:
        super().__init__(("127.0.0.1", 0), _Redirect)
        self.state = state
        self.result: dict[str, str] | None = None
        self.done = threading.Event()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


def sign_in_browser(
    settings: Any,
    *,
    open_url: Callable[[str], None] | None = None,
    timeout: float = 300.0,
    cancel: threading.Event | None = None,
    environment: str | None = None,
) -> SignIn:
    """Sign in through the browser (authorization code + PKCE S256, loopback redirect) and store the tokens."""
    fn = settings.functions
    endpoints = endpoints_for(fn)
    if not endpoints.authorization:
        raise TokenError("the provider has no browser sign-in (no authorization endpoint): use the device code sign-in", kind=CONFIGURATION)
    opener = open_url or open_browser(fn.oauth_browser)
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(24)
    listener = _Listener(state)
    thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.1}, name="oauth-redirect", daemon=True)
    thread.start()
    try:
        with _client(settings) as client:
            url = prepare_grant_uri(endpoints.authorization, fn.oauth_client_id, "code", redirect_uri=listener.redirect_uri,
                                    scope=scope_for(fn), state=state, code_challenge=create_s256_code_challenge(verifier),
                                    code_challenge_method="S256")
            opener(url)
            deadline = time.monotonic() + timeout
            while not listener.done.wait(0.2):
                if cancel is not None and cancel.is_set():
                    raise TokenError("the sign-in was cancelled", kind=TIMED_OUT)
                if time.monotonic() > deadline:
                    raise TokenError(f"no answer from the browser within {timeout / 60:g} minutes (window closed?): sign in again", kind=TIMED_OUT)
            params = listener.result or {}
            if "error" in params:
                raise explain(params["error"], params.get("error_description", ""), endpoints.authorization, grant="authorization_code")
            if params.get("state") != state:
                raise TokenError("the browser came back with another sign-in's answer (state mismatch): sign in again", kind=CONFIGURATION)
            reply = post_token(client, endpoints.token, {
                "grant_type": "authorization_code", "code": params["code"], "redirect_uri": listener.redirect_uri,
                "client_id": fn.oauth_client_id, "code_verifier": verifier}, "authorization_code")
    finally:
        listener.shutdown()
        listener.server_close()
    return _finish(settings, endpoints, reply, environment)


def sign_in_device(
    settings: Any,
    *,
    show: Callable[[DeviceCode], None],
    cancel: threading.Event | None = None,
    environment: str | None = None,
) -> SignIn:
    """Sign in with a code typed on another device (RFC 8628) and store the tokens."""
    fn = settings.functions
    endpoints = endpoints_for(fn)
    if not endpoints.device:
        raise TokenError(f"{provider_label(fn.oauth_provider)} offers no device code sign-in here: use the browser sign-in", kind=CONFIGURATION)
    with _client(settings) as client:
        try:
            response = client.post(endpoints.device, data={"client_id": fn.oauth_client_id, "scope": scope_for(fn)})
        except httpx.HTTPError as exc:
            raise network_error(exc, endpoints.device) from None
        try:
            data = response.json()
        except ValueError:
            raise TokenError(f"the device endpoint {endpoints.device} did not answer with JSON (HTTP {response.status_code})", kind=TEMPORARY) from None
        if "error" in data or "device_code" not in data:
            raise explain(str(data.get("error", "invalid_request")), str(data.get("error_description", "")), endpoints.device, grant="device_code")
        interval = max(float(data.get("interval") or 5), 0.2)  # never a busy loop, whatever the server says
        expires_at = time.time() + float(data.get("expires_in") or 900)
        code = DeviceCode(str(data["user_code"]), str(data.get("verification_uri") or data.get("verification_url") or ""),
                          expires_at, str(data.get("message") or ""))
        show(code)
        waiter = cancel or threading.Event()
        while True:
            if waiter.wait(interval):
                raise TokenError("the sign-in was cancelled", kind=TIMED_OUT)
            if time.time() > expires_at:
                raise TokenError("the sign-in code expired before anyone used it: sign in again", kind=TIMED_OUT)
            try:
                reply = post_token(client, endpoints.token, {
                    "grant_type": DEVICE_GRANT, "device_code": str(data["device_code"]), "client_id": fn.oauth_client_id}, "device_code")
                break
            except TokenError as exc:
                pending = exc.reply.split(":")[0]
                if pending == "authorization_pending":
                    continue
                if pending == "slow_down":
                    interval += 5
                    continue
                raise
    return _finish(settings, endpoints, reply, environment)


def sign_out(settings: Any, environment: str | None = None) -> str:
    """Revoke the refresh token where the provider can, then forget the tokens; answers what was done."""
    stored = load_tokens(settings, environment)
    if stored is None:
        return "nobody was signed in"
    note = "tokens deleted"
    try:
        revocation = endpoints_for(settings.functions).revocation
    except TokenError:
        revocation = ""
    if revocation and stored.refresh_token:
        try:
            with _client(settings) as client:
                response = client.post(revocation, data={"token": stored.refresh_token, "token_type_hint": "refresh_token",
                                                         "client_id": stored.client_id or settings.functions.oauth_client_id})
            if response.status_code == 200:  # RFC 7009 2.2
                note = "sign-in revoked at the provider, tokens deleted"
            else:
                note = f"the provider did not revoke the sign-in (HTTP {response.status_code}); tokens deleted here"
        except (httpx.HTTPError, TokenError) as exc:
            note = f"the provider could not be told ({type(exc).__name__}); tokens deleted here"
    delete_tokens(settings, environment)
    return note
