"""Per-user folders (platformdirs), overridable for tests and portable installs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from viewer.fsutil import private_dir

APP = "spoolview"


def _home() -> Path | None:
    value = os.environ.get("SPOOLVIEW_HOME")
    return Path(value) if value else None


def config_dir() -> Path:
    """Folder of the per-user settings (``SPOOLVIEW_HOME/config`` when set)."""
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP))


def config_file() -> Path:
    """The settings file: ``SPOOLVIEW_CONFIG`` if set, else ``config_dir()/settings.toml``."""
    value = os.environ.get("SPOOLVIEW_CONFIG")
    return Path(value) if value else config_dir() / "settings.toml"


def data_dir() -> Path:
    """Folder of per-user data: pickup, copies, directory database, history."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP))


def log_dir() -> Path:
    """Folder of logs and debug traces."""
    home = _home()
    return home / "log" if home else Path(platformdirs.user_log_dir(APP))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by the user only (0700 whatever the umask,
    an existing one of ours tightened); return it."""
    return private_dir(path)


def cache_dir() -> Path:
    """Folder of per-user caches (PostScript converted to PDF); created private (0700) by its user."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP))
