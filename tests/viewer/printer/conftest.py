"""Fixtures of the printer tests: a private cupsd (tests/support/cups.py)."""

from tests.support.cups import cupsd

__all__ = ["cupsd"]
