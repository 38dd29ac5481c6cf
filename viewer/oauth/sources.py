"""Token sources: the signed-in user's refresh token (viewer), and the client credentials grant (relay, server)."""

from __future__ import annotations

import threading
import time
from typing import Any

from viewer.mail.credentials import CONFIGURATION, SIGN_IN, AccessToken, TokenError
from viewer.oauth.http import make_client, post_token
from viewer.oauth.providers import endpoints_for, provider_label
from viewer.oauth.store import load_tokens, save_tokens

__all__ = ["StoredTokenSource", "ClientCredentialsSource", "token_source_for", "shared_client_credentials", "expiry"]

# The client credentials grant asks for the application's permissions as a whole.
APP_SCOPES = {"microsoft": "https://outlook.office365.com/.default", "google": "https://mail.google.com/"}
SIGN_IN_AGAIN = "run `spoolview oauth login` or use Se connecter… in the SMTP settings"


def expiry(token: dict[str, Any]) -> float:
    """The absolute expiry of a token reply (``expires_in`` counted from now; 1 hour when absent)."""
    try:
        return time.time() + float(token.get("expires_in") or 3600)
    except (TypeError, ValueError):
        return time.time() + 3600


class StoredTokenSource:
    """The desktop's source: the stored access token while fresh, else a refresh (public client, no secret)."""

    def __init__(self, settings: Any, environment: str | None = None) -> None:
        self.settings = settings
        self.environment = environment or settings.active_environment
        self._lock = threading.Lock()

    def account(self) -> str:
        try:
            stored = load_tokens(self.settings, self.environment)
        except Exception:  # noqa: BLE001 - an unreadable store says so when a token is asked for
            return ""
        return stored.account if stored else ""

    def secret_forms(self) -> list[str]:
        return []

    def describe(self) -> str:
        return f"{provider_label(self.settings.functions.oauth_provider)} sign-in, environment {self.environment}"

    def token(self, *, refresh: bool = False) -> AccessToken:
        with self._lock:
            try:
                stored = load_tokens(self.settings, self.environment)
            except Exception as exc:  # noqa: BLE001 - SpoolviewError from an unreadable store
                raise TokenError(f"{exc}", kind=SIGN_IN) from None
            if stored is None:
                raise TokenError(f"nobody is signed in to {provider_label(self.settings.functions.oauth_provider)} for environment "
                                 f"{self.environment!r}: sign in again ({SIGN_IN_AGAIN})", kind=SIGN_IN)
            current = AccessToken(stored.access_token, stored.expires_at, stored.account)
            if not refresh and current.fresh():
                return current
            if not stored.refresh_token:
                raise TokenError(f"the sign-in of {stored.account or 'this environment'} has expired: sign in again ({SIGN_IN_AGAIN})", kind=SIGN_IN)
            fn = self.settings.functions
            url = stored.token_endpoint or endpoints_for(fn).token
            data = {"grant_type": "refresh_token", "refresh_token": stored.refresh_token, "client_id": stored.client_id or fn.oauth_client_id}
            with make_client(fn.ca_file or None, fn.timeout or 30.0) as client:
                try:
                    reply = post_token(client, url, data, "refresh_token")
                except TokenError as exc:
                    if exc.kind == SIGN_IN:
                        raise TokenError(f"{exc} ({SIGN_IN_AGAIN})", kind=SIGN_IN, reply=exc.reply) from None
                    raise
            stored.access_token = reply["access_token"]
            stored.expires_at = expiry(reply)
            stored.refresh_token = reply.get("refresh_token") or stored.refresh_token  # rotated, or kept
            save_tokens(self.settings, stored, self.environment)
            return AccessToken(stored.access_token, stored.expires_at, stored.account)


class ClientCredentialsSource:
    """The unattended source (RFC 6749 4.4): a confidential client's token, cached and renewed before expiry."""

    def __init__(self, *, client_id: str, client_secret: str, scope: str, token_url: str = "", issuer: str = "",
                 ca_file: str | None = None, timeout: float = 30.0, account: str = "") -> None:
        self.client_id, self._secret, self.scope = client_id, client_secret, scope
        self.token_url, self.issuer, self.ca_file, self.timeout = token_url, issuer, ca_file, timeout
        self._account = account
        self._cached = AccessToken("")
        self._lock = threading.Lock()

    def account(self) -> str:
        return self._account

    def describe(self) -> str:
        return f"client credentials of {self.client_id}"

    def secret_forms(self) -> list[str]:
        return [self._secret] if self._secret else []

    def _url(self) -> str:
        if self.token_url:
            return self.token_url
        from viewer.oauth.providers import discover

        self.token_url = discover(self.issuer, ca_file=self.ca_file, timeout=self.timeout).token
        return self.token_url

    def token(self, *, refresh: bool = False) -> AccessToken:
        with self._lock:
            if not refresh and self._cached.fresh():
                return self._cached
            if not self.client_id or not self._secret:
                raise TokenError("the client credentials grant needs oauth_client_id and oauth_client_secret (or oauth_client_secret_env)", kind=CONFIGURATION)
            url = self._url()
            data = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret}
            if self.scope:
                data["scope"] = self.scope
            with make_client(self.ca_file, self.timeout) as client:
                reply = post_token(client, url, data, "client_credentials")
            self._cached = AccessToken(reply["access_token"], expiry(reply), self._account)
            return self._cached


_SHARED: dict[tuple[Any, ...], ClientCredentialsSource] = {}
_SHARED_LOCK = threading.Lock()


def shared_client_credentials(**kwargs: Any) -> ClientCredentialsSource:
    """One ClientCredentialsSource per configuration in this process, so its cached token serves every connection."""
    key = tuple(sorted(kwargs.items()))
    with _SHARED_LOCK:
        source = _SHARED.get(key)
        if source is None:
            source = _SHARED[key] = ClientCredentialsSource(**kwargs)
        return source


def token_source_for(settings: Any) -> StoredTokenSource | ClientCredentialsSource:
    """The source for ``settings``: client credentials when the environment holds a client secret, else the sign-in."""
    env, fn = settings.environment, settings.functions
    if env.oauth_client_secret or env.oauth_client_secret_env:
        return shared_client_credentials(
            client_id=fn.oauth_client_id, client_secret=env.client_secret(),
            scope=fn.oauth_scope.strip() or APP_SCOPES.get(fn.oauth_provider, ""),
            token_url=fn.oauth_token_url or ("" if fn.oauth_provider == "custom" else endpoints_for(fn).token),
            issuer=fn.oauth_issuer, ca_file=fn.ca_file or None, timeout=fn.timeout or 30.0, account=env.smtp_user,
        )
    return StoredTokenSource(settings)
