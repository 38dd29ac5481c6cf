"""The system keyring, when a usable backend exists; callers fall back to the private file.

Every function here answers ``None``/``False`` instead of raising when the keyring is
missing or fails, so the caller can store the secret in the settings file instead. No
secret value is ever logged.
"""

from __future__ import annotations

from typing import Any

SERVICE = "spoolview"


def _warn(message: str, *args: Any) -> None:
    """A warning on this module's logger (logging imported only then: a send that reads no keyring skips it)."""
    import logging

    logging.getLogger(__name__).warning(message, *args)


def _backend() -> Any:
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - no keyring at all: the file is used
        return None
    if isinstance(backend, fail.Keyring):
        return None
    if type(backend).__module__ == "keyring.backends.null":
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def keyring_usable() -> bool:
    """True when a real keyring backend is configured (not the fail/null one)."""
    return _backend() is not None


def keyring_name() -> str:
    """A short name of the keyring backend in use, or "" when none is usable."""
    backend = _backend()
    return type(backend).__module__ + "." + type(backend).__name__ if backend else ""


def keyring_get(name: str) -> str | None:
    """The secret stored under ``name``, or None (absent, or the keyring is unusable)."""
    backend = _backend()
    if backend is None:
        return None
    try:
        return backend.get_password(SERVICE, name)
    except Exception as exc:  # noqa: BLE001 - a broken backend must not stop a send
        _warn("keyring %s: cannot read secret %r (%s)", keyring_name(), name, type(exc).__name__)
        return None


def keyring_set(name: str, value: str) -> bool:
    """Store ``value`` under ``name``; False when the keyring is unusable or refused."""
    backend = _backend()
    if backend is None:
        return False
    try:
        backend.set_password(SERVICE, name, value)
    except Exception as exc:  # noqa: BLE001 - keyring backends raise many types: fall back to the file
        _warn("keyring %s: cannot store secret %r (%s)", keyring_name(), name, type(exc).__name__)
        return False
    return True


def keyring_delete(name: str) -> bool:
    """Remove ``name`` from the keyring; False when it was absent or the keyring unusable."""
    backend = _backend()
    if backend is None:
        return False
    try:
        backend.delete_password(SERVICE, name)
    except Exception:  # noqa: BLE001 - PasswordDeleteError when absent
        return False
    return True
