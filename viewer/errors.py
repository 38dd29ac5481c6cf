"""The error type every user-facing failure of the application derives from."""

from __future__ import annotations


class SpoolviewError(Exception):
    """An error a person reads: ``str()`` says what went wrong and what to do.

    Never carries a password; the CLI prints it on one line, the GUI in a dialog.
    """
