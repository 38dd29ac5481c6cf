"""Per-user folders (XDG on Linux, else platformdirs), overridable for tests and portable installs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from viewer.fsutil import private_dir

APP = "spoolview"

# XDG variable, default under the home folder and sub-folder of each kind: platformdirs' answers on
# Linux, worked out here because importing platformdirs cost every command about 0.7x `python -c pass`.
_XDG = {
    "config": ("XDG_CONFIG_HOME", "~/.config", ""),
    "data": ("XDG_DATA_HOME", "~/.local/share", ""),
    "log": ("XDG_STATE_HOME", "~/.local/state", "log"),
    "cache": ("XDG_CACHE_HOME", "~/.cache", ""),
}


def _user_dir(kind: str) -> Path:
    """platformdirs' ``user_<kind>_dir`` of spoolview, computed without it on Linux."""
    variable, default, sub = _XDG[kind]
    home = os.environ.get("HOME")
    if sys.platform != "linux" or (home is not None and not os.path.isabs(home)):
        import platformdirs  # another system, or an odd HOME: its rules, not a copy of them

        return Path(getattr(platformdirs, f"user_{kind}_dir")(APP))
    base = os.environ.get(variable, "")
    if not os.path.isabs(base):
        base = os.path.expanduser(default)
    return Path(base, APP, sub) if sub else Path(base, APP)


def _home() -> Path | None:
    value = os.environ.get("SPOOLVIEW_HOME")
    return Path(value) if value else None


def config_dir() -> Path:
    """Folder of the per-user settings (``SPOOLVIEW_HOME/config`` when set)."""
    home = _home()
    return home / "config" if home else _user_dir("config")


def config_file() -> Path:
    """The settings file: ``SPOOLVIEW_CONFIG`` if set, else ``config_dir()/settings.toml``."""
    value = os.environ.get("SPOOLVIEW_CONFIG")
    return Path(value) if value else config_dir() / "settings.toml"


def data_dir() -> Path:
    """Folder of per-user data: pickup, copies, directory database, history."""
    home = _home()
    return home / "data" if home else _user_dir("data")


def log_dir() -> Path:
    """Folder of logs and debug traces."""
    home = _home()
    return home / "log" if home else _user_dir("log")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by the user only (0700 whatever the umask,
    an existing one of ours tightened); return it."""
    return private_dir(path)


def cache_dir() -> Path:
    """Folder of per-user caches (PostScript converted to PDF); created private (0700) by its user."""
    home = _home()
    return home / "cache" if home else _user_dir("cache")
