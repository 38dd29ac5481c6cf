"""Fixtures of the printer tests: a private cupsd (tests/support/cups.py)."""

from tests.support.cups import cupsd, cupsd_lp

__all__ = ["cupsd", "cupsd_lp"]
