"""OAuth 2.0 providers: Microsoft 365, Google, and any standard server found by issuer discovery."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from viewer.mail.credentials import CONFIGURATION, TokenError, is_loopback
from viewer.oauth.http import make_client, network_error
from viewer.settings import SmtpFunctions

__all__ = ["Endpoints", "PROVIDERS", "DEFAULT_SCOPES", "SMTP_SERVERS", "endpoints_for", "discover", "scope_for", "provider_label"]

PROVIDERS = ("microsoft", "google", "custom")
DEFAULT_SCOPES = {
    "microsoft": "https://outlook.office.com/SMTP.Send offline_access",
    "google": "https://mail.google.com/",
    "custom": "",
}
# The provider's submission server: host, port, STARTTLS.
SMTP_SERVERS = {"microsoft": ("smtp.office365.com", 587), "google": ("smtp.gmail.com", 587)}
_LABELS = {"microsoft": "Microsoft 365", "google": "Google", "custom": "OAuth 2.0"}


@dataclass(frozen=True)
class Endpoints:
    """Where to ask: authorization (browser), token, device authorization, revocation ("" when none)."""

    authorization: str
    token: str
    device: str = ""
    revocation: str = ""


def provider_label(name: str) -> str:
    return _LABELS.get(name, name)


def scope_for(fn: SmtpFunctions) -> str:
    """``functions.oauth_scope``, else the provider's default."""
    return fn.oauth_scope.strip() or DEFAULT_SCOPES.get(fn.oauth_provider, "")


def _https(url: str, key: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return url
    raise TokenError(f"{key} {url!r} is not an https address: tokens must not cross the network unencrypted", kind=CONFIGURATION)


def discover(issuer: str, *, ca_file: str | None = None, timeout: float = 30.0) -> Endpoints:
    """Endpoints from ``/.well-known/openid-configuration``, else RFC 8414's ``oauth-authorization-server``."""
    issuer = _https(issuer.rstrip("/"), "functions.oauth_issuer")
    parts = urlsplit(issuer)
    candidates = [
        f"{issuer}/.well-known/openid-configuration",
        f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path}",
    ]
    last = ""
    with make_client(ca_file, timeout) as client:
        for url in candidates:
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                raise network_error(exc, url) from None
            if response.status_code != 200:
                last = f"{url}: HTTP {response.status_code}"
                continue
            try:
                data = response.json()
                token = str(data["token_endpoint"])
            except (ValueError, KeyError, TypeError):
                last = f"{url}: not a discovery document"
                continue
            return Endpoints(
                authorization=str(data.get("authorization_endpoint", "")),
                token=_https(token, "token_endpoint"),
                device=str(data.get("device_authorization_endpoint", "")),
                revocation=str(data.get("revocation_endpoint", "")),
            )
    raise TokenError(f"no OAuth 2.0 discovery document at {issuer} ({last}): check functions.oauth_issuer", kind=CONFIGURATION)


def endpoints_for(fn: SmtpFunctions) -> Endpoints:
    """The endpoints of ``settings.functions``' provider (discovery for custom)."""
    provider = fn.oauth_provider
    if provider == "microsoft":
        tenant = fn.oauth_tenant.strip() or "organizations"
        base = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
        return Endpoints(f"{base}/authorize", f"{base}/token", f"{base}/devicecode", "")
    if provider == "google":
        return Endpoints(
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            "https://oauth2.googleapis.com/device/code",
            "https://oauth2.googleapis.com/revoke",
        )
    if provider == "custom":
        if fn.oauth_issuer:
            return discover(fn.oauth_issuer, ca_file=fn.ca_file or None, timeout=fn.timeout or 30.0)
        if fn.oauth_token_url:
            return Endpoints("", _https(fn.oauth_token_url, "functions.oauth_token_url"))
        raise TokenError("the custom OAuth 2.0 provider needs functions.oauth_issuer (its issuer URL)", kind=CONFIGURATION)
    raise TokenError(f"unknown OAuth 2.0 provider {provider!r}: use microsoft, google or custom", kind=CONFIGURATION)
