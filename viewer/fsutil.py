"""Durable and private file writes shared by the settings, the pickup route, the history and the relay queue."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir", "write_durable", "private_dir", "private_file"]


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
    tmp = (tmp_dir or path.parent) / f".{path.name}.{os.urandom(4).hex()}.tmp"
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


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create folder ``path`` (and missing parents) readable by this user only (0700, whatever the umask).

    ``tighten`` also takes group and other rights away from an existing folder of ours
    (one made by an older version under umask 022); a folder shared on purpose (a pickup
    folder another account writes to) is created private but left alone once it exists.
    Raises OSError when the folder cannot be created.
    """
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for made in missing:  # mkdir's mode is filtered by the umask; parents get the umask's mode
        _chmod_own(made, 0o700)
    if tighten and not missing:
        _chmod_own(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Make sure file ``path`` exists and is readable by this user only (0600), before anything opens it."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _chmod_own(path, 0o600)
        return path
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def _chmod_own(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` when it is ours and has other rights; quietly nothing otherwise."""
    try:
        st = os.stat(path)
        if (st.st_mode & 0o777) & ~mode and (not hasattr(os, "getuid") or st.st_uid == os.getuid()):
            os.chmod(path, (st.st_mode & 0o777) & mode)
    except OSError:
        pass  # a file system without Unix modes (some shares): nothing more we can do
