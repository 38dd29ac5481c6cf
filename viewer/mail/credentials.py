"""SMTP credentials, one seam: a password or an OAuth 2.0 token source, their SASL strings and redaction forms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from viewer.errors import SpoolviewError
from viewer.mail.routes.base import ConfigurationError

if TYPE_CHECKING:
    from viewer.settings import Settings

__all__ = [
    "AccessToken",
    "Credentials",
    "PasswordCredentials",
    "OAuth2Credentials",
    "TokenSource",
    "TokenError",
    "SignInRequired",
    "TEMPORARY",
    "CONFIGURATION",
    "SIGN_IN",
    "sasl_plain",
    "sasl_login_answers",
    "sasl_cram_md5",
    "sasl_xoauth2",
    "sasl_oauthbearer",
    "b64",
    "is_loopback",
]

TEMPORARY, CONFIGURATION, SIGN_IN = "temporary", "configuration", "sign-in"
EARLY_REFRESH = 120.0  # seconds: a token this close to its expiry is refreshed before use


class TokenError(SpoolviewError):
    """No access token could be had. ``kind``: temporary (retry), configuration, or sign-in (sign in again).

    ``reply`` holds the authorization server's answer (error code and description), never a token.
    """

    def __init__(self, message: str, *, kind: str = CONFIGURATION, reply: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.reply = reply


class SignInRequired(ConfigurationError):
    """The user must sign in again (no stored token, or the refresh token was refused)."""


@dataclass(frozen=True)
class AccessToken:
    """An OAuth 2.0 access token, its expiry (epoch seconds, 0 when unknown) and the account it is for."""

    value: str = field(repr=False)
    expires_at: float = 0.0
    account: str = ""

    def fresh(self, margin: float = EARLY_REFRESH) -> bool:
        """True when the token can still be used for ``margin`` seconds."""
        return bool(self.value) and (not self.expires_at or self.expires_at - margin > time.time())


class TokenSource(Protocol):
    """Gives access tokens; ``refresh=True`` asks for a new one even if the cached one looks fresh."""

    def token(self, *, refresh: bool = False) -> AccessToken: ...

    def describe(self) -> str: ...

    def secret_forms(self) -> list[str]: ...

    def account(self) -> str: ...


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _utf8(text: str, what: str) -> bytes:
    """``text`` as UTF-8; an error that names ``what`` and shows no character of it."""
    try:
        return text.encode("utf-8")
    except UnicodeError:
        raise ConfigurationError(
            f"the {what} holds a character that is not valid text and cannot be sent (UTF-8): set it again"
        ) from None


def prepared_password(password: str) -> str:
    """The password as sent: its SASLprep form (RFC 4013), so "é" typed precomposed or decomposed, or a
    no-break space, log in the same; as it is when SASLprep refuses it (the server decides)."""
    from viewer.saslprep import SaslprepError, saslprep

    try:
        return saslprep(password)
    except SaslprepError:
        return password


def sasl_plain(user: str, password: str) -> bytes:
    """RFC 4616 PLAIN message: NUL user NUL password (SASLprep form), both UTF-8."""
    if "\0" in user or "\0" in password:
        raise ConfigurationError("the user or password holds a NUL character, which AUTH PLAIN cannot carry: set it again")
    return b"\0" + _utf8(user, "user name") + b"\0" + _utf8(prepared_password(password), "password")


def sasl_login_answers(user: str, password: str) -> tuple[bytes, bytes]:
    """The two answers of AUTH LOGIN (user, then the password's SASLprep form), UTF-8."""
    return _utf8(user, "user name"), _utf8(prepared_password(password), "password")


def sasl_cram_md5(user: str, password: str, challenge: bytes) -> bytes:
    """RFC 2195 answer: user SP hex HMAC-MD5(password, challenge), the key (SASLprep form) in UTF-8."""
    digest = hmac.new(_utf8(prepared_password(password), "password"), challenge, hashlib.md5).hexdigest()
    return _utf8(user, "user name") + b" " + digest.encode("ascii")


def sasl_xoauth2(user: str, token: str) -> bytes:
    """The XOAUTH2 initial response: ``user=…^Aauth=Bearer …^A^A``."""
    return _utf8(f"user={user}\x01auth=Bearer {token}\x01\x01", "OAuth user or token")


def sasl_oauthbearer(user: str, token: str, host: str, port: int) -> bytes:
    """The OAUTHBEARER initial response (RFC 7628), the authzid escaped as RFC 5801 says."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    return _utf8(f"n,a={authzid},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01", "OAuth user or token")


class Credentials:
    """How the SMTP route logs in. ``user`` empty: no login at all."""

    user: str = ""
    kind = "none"

    def secret_forms(self) -> list[str]:
        """Every text that must never reach a trace or a log (plain and encoded)."""
        return []

    def describe(self) -> str:
        return f"user {self.user}" if self.user else "no login"


@dataclass
class PasswordCredentials(Credentials):
    """A user and password: AUTH CRAM-MD5, PLAIN or LOGIN, everything UTF-8 (RFC 4616)."""

    user: str = ""
    password: str = field(default="", repr=False)
    kind = "password"

    def secret_forms(self) -> list[str]:
        if not self.password:
            return []
        forms = {self.password, prepared_password(self.password)}
        for password in set(forms):  # as typed, and as sent
            for text in (password, f"\0{self.user}\0{password}", f"{self.user}\0{self.user}\0{password}"):
                try:
                    forms.add(b64(text.encode("utf-8")))
                except UnicodeError:  # refused when logging in; nothing to hide in an encoded form
                    pass
        return sorted(forms, key=len, reverse=True)

    def describe(self) -> str:
        return f"user {self.user} with a password" if self.user else "no login"


@dataclass
class OAuth2Credentials(Credentials):
    """A user and an OAuth 2.0 token source: AUTH XOAUTH2 (or OAUTHBEARER); tokens are secrets."""

    user: str = ""
    source: TokenSource | None = None
    kind = "oauth2"
    _seen: list[str] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def token(self, *, refresh: bool = False) -> AccessToken:
        """A token from the source, remembered so that every later trace line hides it."""
        if self.source is None:
            raise TokenError("no OAuth 2.0 token source is configured", kind=CONFIGURATION)
        token = self.source.token(refresh=refresh)
        with self._lock:
            if token.value not in self._seen:
                self._seen.append(token.value)
        return token

    def secret_forms(self) -> list[str]:
        forms: set[str] = set(self.source.secret_forms() if self.source is not None else ())
        with self._lock:
            seen = list(self._seen)
        for value in seen:
            forms.update({value, b64(value.encode("utf-8")), f"Bearer {value}", b64(sasl_xoauth2(self.user, value))})
        return sorted(forms, key=len, reverse=True)

    def add_forms_for(self, host: str, port: int) -> list[str]:
        """The secret forms including the OAUTHBEARER strings for ``host:port``."""
        with self._lock:
            seen = list(self._seen)
        extra = [b64(sasl_oauthbearer(self.user, v, host, port)) for v in seen]
        return sorted({*self.secret_forms(), *extra}, key=len, reverse=True)

    def describe(self) -> str:
        where = self.source.describe() if self.source is not None else "no token source"
        return f"user {self.user} with OAuth 2.0 ({where})"


def is_loopback(host: str) -> bool:
    """True for this computer's own names and addresses (nothing crosses a network)."""
    import ipaddress

    host = host.strip().strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def environment_password(settings: Settings) -> str:
    """The active environment's password: the keyring through settings.get_password, else the file."""
    from viewer.settings import get_password

    try:
        return get_password(settings) or ""
    except Exception:  # noqa: BLE001 - a broken keyring must not stop a send; fall back
        return settings.environment.smtp_password or ""


def credentials_for(settings: Settings, *, password: str | None = None) -> Credentials:
    """The active environment's credentials: ``functions.auth`` = password (default) or oauth2.

    With oauth2 the token source is the signed-in user's stored refresh token, or — when the
    environment holds a client secret (the application server's route) — the client
    credentials grant.
    """
    env = settings.environment
    if settings.functions.auth == "oauth2":
        from viewer.oauth.sources import token_source_for

        source = token_source_for(settings)
        return OAuth2Credentials(env.smtp_user or source.account(), source)
    if password is None:
        password = environment_password(settings) if env.smtp_user else ""
    return PasswordCredentials(env.smtp_user, password)
