"""Durable file writes shared by the settings, the pickup route and the relay queue."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["fsync_dir", "write_durable"]


def fsync_dir(path: Path, *, strict: bool = False) -> None:
    """Make a new name or a rename in folder ``path`` durable.

    ``strict`` raises OSError when the folder cannot be flushed (a queue must know); else
    a file system that cannot fsync folders (some network shares) is accepted quietly.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        if strict:
            raise
        return
    try:
        os.fsync(fd)
    except OSError:
        if strict:
            raise
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes, tmp_dir: Path | None = None, *, mode: int = 0o600, strict: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: temporary name, fsync, os.replace, fsync folder.

    The file is created with ``mode`` (private by default); on any failure (a full disk)
    the temporary file is removed and ``path`` is left as it was.
    """
    tmp = (tmp_dir or path.parent) / f".{path.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent, strict=strict)
