"""The error type every user-facing failure of the application derives from."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_NO_PARAMS: Mapping[str, object] = MappingProxyType({})


class SpoolviewError(Exception):
    """An error a person reads: ``str()`` says what went wrong and what to do (in English, as logs keep it).

    ``msgid``, the key of its text in the catalogue (e.g. ``"appserver.unreachable"``),, with ``params``, lets
    viewer.messages word it in the interface language; a parameter may itself be an
    error, worded in turn. Never carries a password; the CLI prints it on one line, the
    GUI in a dialog.
    """

    msgid: str = ""
    params: Mapping[str, object] = _NO_PARAMS

    def __init__(self, *args: object, msgid: str = "", params: Mapping[str, object] | None = None) -> None:
        super().__init__(*args)
        self.msgid = msgid
        self.params = MappingProxyType(dict(params or {}))
