"""The « Se connecter… » sign-in of the SMTP settings: OAuth 2.0 on a worker thread, its outcome in words."""

from __future__ import annotations

import queue
import threading
import time
import tkinter as tk
from collections.abc import Callable
from typing import Any

from viewer.gui.i18n import _
from viewer.mail.credentials import SIGN_IN, TEMPORARY, TokenError
from viewer.oauth.replies import CONSENT_REFUSED, TIMED_OUT

POLL_MS = 100


def status_text(settings: Any) -> str:
    """Who is signed in for the active environment and until when, or that nobody is."""
    from viewer.oauth.store import load_tokens

    try:
        stored = load_tokens(settings)
    except Exception:  # noqa: BLE001 - an unreadable store reads as "sign in again"
        stored = None
    if stored is None:
        return _("settings.oauth.status.none")
    return _("settings.oauth.status.signed_in", account=stored.account or "?",
             until=time.strftime("%d/%m/%Y %H:%M", time.localtime(stored.expires_at)))


def error_words(exc: Exception) -> str:
    """The French/English sentence for a failed sign-in, then the technical detail and the provider's reply."""
    text = str(exc)
    if isinstance(exc, TokenError):
        if exc.kind == CONSENT_REFUSED:
            key = "settings.oauth.error.consent"
        elif exc.kind == TIMED_OUT:
            key = "settings.oauth.error.timeout"
        elif exc.kind == TEMPORARY:
            key = "settings.oauth.error.unreachable"
        elif "clock" in text:
            key = "settings.oauth.error.clock"
        elif "tenant" in text:
            key = "settings.oauth.error.tenant"
        elif exc.kind == SIGN_IN:
            key = "settings.oauth.error.signin"
        else:
            key = "settings.oauth.error.configuration"
        reply = f"\n{_('settings.oauth.reply')} {exc.reply}" if exc.reply else ""
        return f"{_(key)}\n\n{text}{reply}"
    return f"{_('settings.oauth.error.configuration')}\n\n{text}"


class SignInRunner:
    """Runs ``work()`` on a worker thread and hands its result (or exception) to ``done`` on the Tk thread."""

    def __init__(self, widget: tk.Misc, work: Callable[[threading.Event], Any], done: Callable[[Any, Exception | None], None]) -> None:
        self.widget, self.work, self.done = widget, work, done
        self.cancel = threading.Event()
        self._results: queue.Queue[tuple[Any, Exception | None]] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="oauth-sign-in", daemon=True)

    def start(self) -> SignInRunner:
        self.thread.start()
        self.widget.after(POLL_MS, self._poll)
        return self

    def _run(self) -> None:
        try:
            self._results.put((self.work(self.cancel), None))
        except Exception as exc:  # noqa: BLE001 - every failure is shown in words, never a traceback
            self._results.put((None, exc))

    def _poll(self) -> None:
        try:
            result, error = self._results.get_nowait()
        except queue.Empty:
            if self.widget.winfo_exists():
                self.widget.after(POLL_MS, self._poll)
            else:
                self.cancel.set()
            return
        if self.widget.winfo_exists():
            self.done(result, error)
