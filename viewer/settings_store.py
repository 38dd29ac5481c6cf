"""One settings store per process: every window reads it, saving notifies them all, another process's change is re-read.

``shared()`` is the process's store for the per-user settings file. ``settings`` is the
object in force (no disk access); ``refresh()`` re-reads the file when another process
(``spoolview settings set``, a second viewer) changed it since — callers do it before a
send; ``save(settings)`` writes and makes those the settings of every window. Listeners
(``subscribe``) are called with the new settings on the thread that refreshed or saved:
GUI callers do both on the UI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from viewer import logsetup, paths
from viewer import settings as settings_mod
from viewer.errors import SpoolviewError
from viewer.settings import Settings

__all__ = ["Listener", "SettingsStore", "shared"]

Listener = Callable[[Settings], None]


class SettingsStore:
    """The settings of one file, shared by every reader of this process."""

    def __init__(self, path: Path | None = None, *, settings: Settings | None = None, watch: bool = True) -> None:
        """``settings`` given: start from them instead of reading the file; ``watch=False``: never
        re-read the file (settings that are not the file's, e.g. a test's or a dialog's candidate)."""
        self.path = Path(path) if path is not None else paths.config_file()
        self.watch = watch
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self.problem = ""  # why the file could not be read last time ('' when it could)
        self._stamp = self._file_stamp()
        self._settings = settings if settings is not None else self._read(Settings(path=self.path))

    @property
    def settings(self) -> Settings:
        """The settings in force (as last loaded or saved; see ``refresh``)."""
        return self._settings

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _read(self, fallback: Settings) -> Settings:
        try:
            loaded = settings_mod.load(self.path)
        except SpoolviewError as exc:  # a broken file: keep what we had; `spoolview settings check` explains
            self.problem = str(exc)
            logsetup.logger(__name__).warning("settings not re-read: %s", exc)
            return fallback
        self.problem = ""
        return loaded

    def refresh(self) -> Settings:
        """Re-read the file if it changed on disk since it was loaded or saved here; notify on change."""
        if not self.watch:
            return self._settings
        stamp = self._file_stamp()
        with self._lock:
            if stamp == self._stamp:
                return self._settings
            self._stamp = stamp
            self._settings = self._read(self._settings)
            current = self._settings
        self._notify(current)
        return current

    def save(self, settings: Settings) -> Path:
        """Write ``settings`` and make them the ones every window reads (listeners are told)."""
        with self._lock:
            path = settings_mod.save(settings, self.path)
            self._settings = settings
            self._stamp = self._file_stamp()
        self._notify(settings)
        return path

    def adopt(self, settings: Settings) -> None:
        """Make ``settings``, just saved by their own dialog, the ones every window reads (listeners are told)."""
        with self._lock:
            self._settings = settings
            self._stamp = self._file_stamp()
        self._notify(settings)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(settings)`` after every change; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, settings: Settings) -> None:
        for listener in list(self._listeners):
            listener(settings)


_shared: SettingsStore | None = None
_shared_lock = threading.Lock()


def shared() -> SettingsStore:
    """The process's store for the per-user settings file (a new one when that file's path changed)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.path != paths.config_file():
            _shared = SettingsStore()
        return _shared
