"""Passwords (SASLprep, then scrypt), bearer tokens (random, stored hashed, expiring) and the failed-login limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from viewer.errors import SpoolviewError
from viewer.saslprep import SaslprepError, saslprep
from viewer.server.db import Database

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_PASSWORD = 1024
USER_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


class BadUserName(SpoolviewError):
    """A user name the server does not accept."""


def check_user_name(name: str) -> str:
    """Return ``name`` if it is 1–64 letters, digits or ``. _ - @``; raise BadUserName otherwise."""
    if not name or len(name) > 64 or not set(name) <= USER_NAME_CHARS:
        raise BadUserName(f"user name {name!r} is not allowed: use 1 to 64 letters, digits, '.', '_', '-' or '@'",
                          msgid="server.user.bad_name", params={"name": name})
    return name


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$key`` of the SASLprep form of ``password`` (RFC 4013, as stored), with a fresh salt.

    Raises SpoolviewError (a SaslprepError naming the refused character) for a password that
    cannot be stored, so the one who sets it is told at once."""
    if not password:
        raise SpoolviewError("the password is empty: choose a password", msgid="server.password_empty")
    if len(password) > MAX_PASSWORD:
        raise SpoolviewError(f"the password is longer than {MAX_PASSWORD} characters: choose a shorter one",
                             msgid="server.password_too_long", params={"limit": MAX_PASSWORD})
    return _hash(saslprep(password, stored=True))


def _hash(prepared: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(prepared, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


# A hash of no real password, checked when the user does not exist so timing tells nothing.
_DUMMY = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * SALT_BYTES}${'00' * KEY_BYTES}"


def _matches(password: str, target: str) -> bool:
    try:
        scheme, n, r, p, salt, key = target.split("$")
        if scheme != "scrypt":
            return False
        got = _scrypt(password[:MAX_PASSWORD], bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, bytes.fromhex(key))


def check_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``, and the hash to store instead (else None).

    The SASLprep form is checked first; when it differs from the password as received, the
    received form is checked too, so a hash made before passwords were prepared still
    matches, and is then replaced by the hash of the prepared form. Both forms are checked
    whether or not the user exists (timing tells nothing of who exists).
    """
    target = stored or _DUMMY
    try:
        prepared: str | None = saslprep(password[:MAX_PASSWORD])
    except SaslprepError:  # a password no one could set now: only an old hash of it, as received, can match
        prepared = None
    if prepared is not None and _matches(prepared, target):
        return stored is not None, None
    if prepared == password[:MAX_PASSWORD] or not _matches(password, target) or stored is None:
        return False, None
    return True, (_hash(prepared) if prepared is not None and _storable(prepared) else None)


def _storable(prepared: str) -> bool:
    try:
        saslprep(prepared, stored=True)
    except SaslprepError:
        return False
    return True


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored`` (constant-time compare, SASLprep form then as received)."""
    return check_password(password, stored)[0]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass
class Session:
    """The user a request's bearer token belongs to."""

    user: str
    token_hash: str
    expires_at: float


class TokenInvalid(Exception):
    """The token is unknown (forged, logged out) or expired; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(Exception):
    """Too many failed logins for this user or address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: retry in {retry_after} s")
        self.retry_after = retry_after


class Authenticator:
    """Login, token check and logout over the server database.

    Login limits (counters in the database, so every server process shares them):

    - per user: every attempt is counted *before* the password is checked, atomically, so a
      burst of concurrent guesses gets 429 beyond ``max_per_user`` in the window; a correct
      password resets the count;
    - per client address: only failures count. Once an address has ``max_per_address``
      failures in the window, a user name that already failed from it is refused (429)
      without checking, while another user behind the same address still logs in;
    - at most ``max_concurrent`` scrypt computations run at once (16 MiB each); the other
      logins wait their turn.
    """

    def __init__(
        self,
        db: Database,
        *,
        token_seconds: float,
        window_seconds: float,
        max_per_user: int,
        max_per_address: int,
        max_concurrent: int = 2,
    ) -> None:
        self.db = db
        self.token_seconds = token_seconds
        self.window_seconds = window_seconds
        self.max_per_user = max_per_user
        self.max_per_address = max_per_address
        self.slots = threading.BoundedSemaphore(max(1, max_concurrent))

    def login(self, user: str, password: str, address: str) -> tuple[str, float] | None:
        """A fresh token and its expiry time, or None when the user or password is wrong.

        Raises RateLimited, before checking the password, when this user has tried too
        often within the window, or when this address is over its failure limit and this
        user name already failed from it.
        """
        now = time.time()
        window = self.window_seconds
        user_key, addr_key, pair_key = f"user:{user[:100]}", f"addr:{address[:100]}", f"pair:{user[:100]} {address[:100]}"
        count, start = self.db.bump(user_key, now, window)
        if count > self.max_per_user:
            raise RateLimited(self._retry_after(start, now))
        failures, addr_start = self.db.counter(addr_key, now, window)
        if failures >= self.max_per_address and self.db.counter(pair_key, now, window)[0] > 0:
            raise RateLimited(self._retry_after(addr_start, now))
        stored = self.db.password_hash(user)
        with self.slots:
            good, rehashed = check_password(password, stored)
        if good and rehashed is not None and stored is not None:
            self.db.replace_password_hash(user, stored, rehashed)  # its sessions go on: the password is the same
        if not good:
            self.db.bump(addr_key, now, window)
            self.db.bump(pair_key, now, window)
            return None
        self.db.reset([user_key, pair_key], older_than=now - window)
        token = secrets.token_urlsafe(32)
        expires = now + self.token_seconds
        self.db.add_token(token_hash(token), user, expires)
        return token, expires

    def _retry_after(self, start: float, now: float) -> int:
        return max(1, int(start + self.window_seconds - now + 0.999))

    def check(self, token: str) -> Session:
        """The session of ``token``; raises TokenInvalid("expired"|"unknown")."""
        digest = token_hash(token)
        row = self.db.token(digest)
        if row is None:
            raise TokenInvalid("unknown")
        if row.expires_at <= time.time():
            self.db.delete_token(digest)
            raise TokenInvalid("expired")
        return Session(row.user, digest, row.expires_at)

    def logout(self, session: Session) -> None:
        self.db.delete_token(session.token_hash)
