"""Signed-in tokens per environment, kept like passwords: the system keyring, else the private settings file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from viewer.errors import SpoolviewError
from viewer.settings import Settings, delete_secret, get_secret, set_secret

__all__ = ["StoredTokens", "secret_name", "load_tokens", "save_tokens", "delete_tokens"]


@dataclass
class StoredTokens:
    """What a sign-in leaves: the refresh token (a secret), the current access token (a secret) and facts."""

    provider: str = ""
    client_id: str = ""
    account: str = ""
    token_endpoint: str = ""
    scope: str = ""
    refresh_token: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    expires_at: float = 0.0  # of the access token, epoch seconds
    signed_in_at: float = 0.0


def secret_name(environment: str) -> str:
    """Name under which an environment's OAuth 2.0 tokens are stored."""
    return f"oauth:{environment}"


def load_tokens(settings: Settings, environment: str | None = None) -> StoredTokens | None:
    """The tokens of ``environment`` (default: the active one), None when nobody signed in."""
    name = secret_name(environment or settings.active_environment)
    text = get_secret(name, settings.path)
    if not text:
        return None
    try:
        data: Any = json.loads(text)
        known = {f.name for f in fields(StoredTokens)}
        return StoredTokens(**{k: v for k, v in data.items() if k in known})
    except (ValueError, TypeError, AttributeError):
        raise SpoolviewError(f"the stored OAuth 2.0 sign-in of environment {environment or settings.active_environment!r} "
                             "cannot be read: sign in again (`spoolview oauth login`)") from None


def save_tokens(settings: Settings, tokens: StoredTokens, environment: str | None = None) -> str:
    """Store the tokens; answers where they went: "keyring" or "file"."""
    name = secret_name(environment or settings.active_environment)
    return set_secret(name, json.dumps(asdict(tokens)), settings.path)


def delete_tokens(settings: Settings, environment: str | None = None) -> None:
    """Forget the tokens of ``environment`` in the keyring and the settings file."""
    delete_secret(secret_name(environment or settings.active_environment), settings.path)
