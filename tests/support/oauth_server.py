"""A real OAuth 2.0 authorization server on loopback over HTTPS (authlib + Flask), and an XOAUTH2-only SMTP handler.

Grants: authorization code with PKCE (public client, loopback redirect on any port),
device code (RFC 8628), refresh token (rotated), client credentials; revocation (RFC 7009)
and discovery (``/.well-known/openid-configuration``). Tokens live in memory; the SMTP
handler checks them there like a resource server sharing the authorization server's store.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.smtp import AuthResult, LoginPassword
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialDict
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from tests.support.smtpd import RecordingHandler

BASIC_DISABLED = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled"
TOKEN_REFUSED = "535 5.7.3 Authentication unsuccessful"
NOT_LICENSED = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant"
SCOPE = "smtp.send offline_access"


@dataclass
class User:
    email: str

    def get_user_id(self) -> str:
        return self.email


@dataclass
class Client(ClientMixin):
    client_id: str
    secret: str = ""
    grants: tuple[str, ...] = ("authorization_code", "refresh_token", DeviceCodeGrant.GRANT_TYPE)
    auth_method: str = "none"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: Any) -> str:
        return str(scope or "")

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)  # RFC 8252 7.3: any port on the loopback address
        return parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.path == "/"

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.secret) and hmac.compare_digest(self.secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.auth_method == "none":
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grants


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token(TokenMixin):
    client_id: str
    access_token: str
    refresh_token: str
    scope: str
    expires_in: int
    user: User | None
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> User | None:
        return self.user

    def get_client(self) -> Client:
        raise NotImplementedError


class Store:
    """Everything the server knows: clients, codes, device codes, tokens; what the tests change."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.devices: dict[str, DeviceCredentialDict] = {}
        self.device_grants: dict[str, tuple[User, bool]] = {}
        self.tokens: list[Token] = []
        self.user = User("alice@example.com")
        self.consent = True  # the user accepts in the browser
        self.token_requests: list[str] = []  # grant_type of each token request
        self.clock_offset = 0.0  # seconds added to the server's Date header (a server clock apart from ours)

    def valid_access(self, value: str) -> Token | None:
        with self.lock:
            for token in self.tokens:
                if hmac.compare_digest(token.access_token, value) and not token.revoked and not token.is_expired():
                    return token
        return None

    def expire_access_tokens(self) -> None:
        """As if the access tokens' lifetime had passed (the refresh tokens still work)."""
        with self.lock:
            for token in self.tokens:
                token.issued_at -= token.expires_in + 1

    def revoke_all(self) -> None:
        """As if an administrator had revoked the user's sessions."""
        with self.lock:
            for token in self.tokens:
                token.revoked = True

    def approve_device(self, user_code: str, approved: bool = True) -> None:
        self.device_grants[user_code] = (self.user, approved)


class _AuthorizationCode(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_post"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.server.store.codes[code] = Code(code, request.client.client_id, request.payload.redirect_uri, request.payload.scope,
                                             request.user, data.get("code_challenge"), data.get("code_challenge_method"))

    def query_authorization_code(self, code: str, client: Any) -> Code | None:
        found = self.server.store.codes.get(code)
        return found if found and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.store.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> User:
        return authorization_code.user


class _Refresh(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Any:
        for token in self.server.store.tokens:
            if token.refresh_token and hmac.compare_digest(token.refresh_token, refresh_token) and not token.revoked:
                return token
        return None

    def authenticate_user(self, credential: Token) -> User | None:
        return credential.user

    def revoke_old_credential(self, credential: Any) -> None:
        credential.revoked = True


class _ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Device(DeviceCodeGrant):
    def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
        return self.server.store.devices.get(device_code)

    def query_user_grant(self, user_code: str) -> tuple[User, bool] | None:
        return self.server.store.device_grants.get(user_code)

    def should_slow_down(self, credential: Any) -> bool:
        return False


class _DeviceEndpoint(DeviceAuthorizationEndpoint):
    INTERVAL = 0  # poll at once in tests (the client waits what the server says)

    def get_verification_uri(self) -> str:
        return f"{self.server.base_url}/verify"

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        self.server.store.devices[data["device_code"]] = DeviceCredentialDict(
            client_id=client_id, scope=scope, expires_at=time.time() + self.EXPIRES_IN, **data)


class _Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["none", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        for token in self.server.store.tokens:
            if token_string in (token.access_token, token.refresh_token):
                return token
        return None

    def revoke_token(self, token: Token, request: Any) -> None:
        token.revoked = True


class _Server(AuthorizationServer):
    store: Store
    base_url: str


class OAuthServer:
    """The running server: ``issuer`` (https://127.0.0.1:PORT), ``store``, ``stop()``."""

    def __init__(self, server_context: ssl.SSLContext, *, expires_in: int = 3600) -> None:
        self.store = Store()
        app = Flask("spoolview-test-oauth")
        app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {g: expires_in for g in (
            "authorization_code", "refresh_token", "client_credentials", DeviceCodeGrant.GRANT_TYPE)}
        store = self.store

        def save_token(token: dict[str, Any], req: Any) -> None:
            with store.lock:
                store.tokens.append(Token(req.client.client_id, token["access_token"], token.get("refresh_token", ""),
                                          token.get("scope", ""), int(token["expires_in"]), req.user))

        server = _Server(app, query_client=store.clients.get, save_token=save_token)
        server.store = store
        server.register_grant(_AuthorizationCode, [CodeChallenge(required=True)])
        server.register_grant(_Refresh)
        server.register_grant(_Device)
        server.register_grant(_ClientCredentials)
        server.register_endpoint(_DeviceEndpoint)  # type: ignore[arg-type]  # the device endpoint predates authlib's Endpoint base
        server.register_endpoint(_Revocation)

        @app.after_request
        def date_header(response: Any) -> Any:
            from email.utils import formatdate

            response.headers["Date"] = formatdate(time.time() + store.clock_offset, usegmt=True)
            return response

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            base = server.base_url
            return jsonify(issuer=base, authorization_endpoint=f"{base}/authorize", token_endpoint=f"{base}/token",
                           device_authorization_endpoint=f"{base}/device", revocation_endpoint=f"{base}/revoke")

        @app.get("/authorize")
        def authorize() -> Any:
            return server.create_authorization_response(grant_user=store.user if store.consent else None)

        @app.post("/token")
        def token() -> Any:
            store.token_requests.append(request.form.get("grant_type", ""))
            return server.create_token_response()

        @app.post("/device")
        def device() -> Any:
            return server.create_endpoint_response(DeviceAuthorizationEndpoint.ENDPOINT_NAME)

        @app.post("/revoke")
        def revoke() -> Any:
            return server.create_endpoint_response(RevocationEndpoint.ENDPOINT_NAME)

        self.http = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=server_context)
        self.issuer = server.base_url = f"https://127.0.0.1:{self.http.server_port}"
        self._thread = threading.Thread(target=self.http.serve_forever, name="oauth-server", daemon=True)
        self._thread.start()

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    def add_public_client(self, client_id: str = "spoolview-desktop") -> Client:
        client = Client(client_id)
        self.store.clients[client_id] = client
        return client

    def add_confidential_client(self, client_id: str = "spoolview-relay") -> tuple[Client, str]:
        secret = secrets.token_urlsafe(24)
        client = Client(client_id, secret, ("client_credentials",), "client_secret_post")
        self.store.clients[client_id] = client
        return client, secret

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


class BasicDisabled:
    """The authenticator of PLAIN/LOGIN on a provider that turned passwords off."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        return AuthResult(success=False, handled=False, message=BASIC_DISABLED)


@dataclass
class XOAuth2Handler(RecordingHandler):
    """Accepts AUTH XOAUTH2 with a token the OAuth server issued for that user; answers like Exchange/Gmail otherwise."""

    oauth: OAuthServer | None = None
    licensed: bool = True  # False plays a mailbox without SMTP AUTH: every login answers NOT_LICENSED
    attempts: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's hook name
        blob = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth("")
        user, token = "", ""
        for part in bytes(blob).decode("utf-8", "replace").split("\x01"):
            if part.startswith("user="):
                user = part[5:]
            elif part.startswith("auth=Bearer "):
                token = part[12:]
        found = self.oauth.store.valid_access(token) if self.oauth else None
        ok = found is not None and (found.user is None or found.user.email == user)
        self.attempts.append((user, ok and self.licensed))
        if not self.licensed:
            return AuthResult(success=False, handled=False, message=NOT_LICENSED)
        if ok:
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        # Gmail and Exchange send an error challenge first; the client answers with an empty line.
        await server.challenge_auth(json.dumps({"status": "401", "schemes": "bearer"}).encode())
        return AuthResult(success=False, handled=False, message=TOKEN_REFUSED)
