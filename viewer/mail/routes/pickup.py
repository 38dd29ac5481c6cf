"""Pickup-folder route: drops an IIS/Exchange-compatible message file atomically for a relay."""

from __future__ import annotations

import errno
import os
import re
import string
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.fsutil import fsync_dir, private_dir
from viewer.mail import pickupfile
from viewer.mail.routes.base import (
    ConfigurationError,
    Envelope,
    PermanentError,
    RecipientResult,
    Route,
    SendResult,
    TemporaryError,
)

if TYPE_CHECKING:
    from viewer.settings import Settings

__all__ = ["QUEUED", "PickupRoute", "file_name", "pickup_bytes", "atomic_write", "strip_header"]

QUEUED = "queued in the pickup folder"  # the route's own reply per recipient (worded again by the CLI)

_ALPHABET = string.ascii_lowercase + string.digits
_HOST_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_NAME_TRIES = 20


def _host() -> str:
    name = os.uname().nodename.split(".")[0] or "HOST"  # socket.gethostname(), without importing socket
    return _HOST_SAFE.sub("_", name)[:32]


def file_name(extension: str = ".eml", *, now: datetime | None = None) -> str:
    """A unique name like the reference's ``201009031428380000PORT_JPT28r5eihy86zo6ajn.eml``."""
    now = now or datetime.now()
    stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 100:04d}"
    if extension and not extension.startswith("."):
        extension = "." + extension
    number = int.from_bytes(os.urandom(11), "big")  # 88 random bits, 16 base-36 digits
    digits = []
    for _ in range(16):
        number, rest = divmod(number, 36)
        digits.append(_ALPHABET[rest])
    rand = "".join(digits)
    return f"{stamp}{_host()}{rand}{extension}"


def strip_header(message: bytes, name: bytes) -> bytes:
    """Remove every ``name:`` header (with its folded lines) from the header block."""
    return pickupfile.strip_fields(message, {name.decode("ascii").lower()})


def pickup_bytes(message: bytes, envelope: Envelope | None) -> bytes:
    """The file content: CRLF lines; with ``envelope``, x-sender/x-receiver lines first and no Bcc.

    x-sender/x-receiver inside the message would be read by a relay as envelope lines
    (extra recipients nobody checked): they never pass, and a header whose name holds a
    control character is refused (the grammar is ``viewer.mail.pickupfile``'s, the relay's).
    """
    if envelope is not None:
        envelope.check()
    try:
        if envelope is None:
            return pickupfile.write(message, None)
        return pickupfile.write(message, envelope.sender, envelope.recipients)
    except pickupfile.PickupFormatError as exc:
        raise PermanentError(f"the message cannot be written to the pickup folder: {exc}") from None


def _temp_folder(folder: Path) -> Path:
    """``<parent>/<name>.tmp`` on the same file system when possible, else ``folder`` itself."""
    sibling = folder.parent / f"{folder.name}.tmp"
    try:
        sibling.mkdir(mode=0o700, exist_ok=True)
        if sibling.stat().st_dev == folder.stat().st_dev and os.access(sibling, os.W_OK | os.X_OK):
            return sibling
    except OSError:
        pass
    return folder


_prepared: dict[Path, Path] = {}  # folder -> its temporary folder, made and checked once per process


def _prepare(folder: Path, what: str, *, fresh: bool) -> Path:
    """The temporary folder of ``folder``, both made (private when new) and checked on the first write
    only: a batch writes hundreds of files there (``fresh``: check again, the folder went away)."""
    tmp_dir = None if fresh else _prepared.get(folder)
    if tmp_dir is None:
        try:
            private_dir(folder, tighten=False)  # one we create is 0700; one set up to be shared stays so
        except OSError as exc:
            raise ConfigurationError(f"cannot create the {what} {folder} ({exc.strerror}): check the path in the settings") from None
        if not folder.is_dir():
            raise ConfigurationError(f"the {what} {folder} is not a folder: check the path in the settings")
        tmp_dir = _prepared[folder] = _temp_folder(folder)
    return tmp_dir


def atomic_write(
    folder: Path, data: bytes, extension: str = ".eml", *, name: str | None = None, what: str = "folder", fsync: bool = True
) -> Path:
    """Write ``data`` as a new file in ``folder`` so a reader never sees a partial file.

    The content goes to a temporary file (sibling ``.tmp`` folder, or a hidden name in
    ``folder``), is fsynced, then linked into place under a fresh unique name, and the folder
    is fsynced: the file and its name are on disk when this returns. Raises
    ConfigurationError when the folder cannot be written, TemporaryError when the disk is
    full; nothing half-written is left behind. ``fsync=False`` (for mere copies) skips the
    flushes to disk but keeps the rename, so readers still never see a partial file.
    """
    folder = Path(folder)
    fresh = folder not in _prepared
    while True:
        tmp_dir = _prepare(folder, what, fresh=fresh)
        try:
            return _write(folder, tmp_dir, data, extension, name, fsync)
        except (FileNotFoundError, NotADirectoryError) as exc:
            if fresh:
                raise _write_error(exc, folder, what) from None
            fresh = True  # removed or replaced since the last write: made (or refused) again, then written once more
        except OSError as exc:
            raise _write_error(exc, folder, what) from None


def _write(folder: Path, tmp_dir: Path, data: bytes, extension: str, name: str | None, fsync: bool) -> Path:
    prefix = "" if tmp_dir != folder else "."
    tmp = tmp_dir / f"{prefix}{os.urandom(8).hex()}.{os.getpid()}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        final = _link_into_place(tmp, folder, extension, name)
    finally:
        _unlink(tmp)
    if fsync:
        fsync_dir(folder)
    return final


def _link_into_place(tmp: Path, folder: Path, extension: str, name: str | None) -> Path:
    for attempt in range(_MAX_NAME_TRIES):
        final = folder / (name if name and attempt == 0 else file_name(extension))
        try:
            os.link(tmp, final)
            return final
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            # No hard links here (some network shares): a rename is still atomic.
            if final.exists():
                continue
            os.replace(tmp, final)
            return final
    raise TemporaryError(f"could not find a free file name in {folder} after {_MAX_NAME_TRIES} tries")


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        pass


def _write_error(exc: OSError, folder: Path, what: str) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return TemporaryError(f"the disk of the {what} {folder} is full: free some space and send again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ConfigurationError(f"cannot write in the {what} {folder} ({exc.strerror}): check the path and its permissions in the settings")
    return TemporaryError(f"cannot write in the {what} {folder} ({exc.strerror or exc}): try again later")


class PickupRoute(Route):
    """Hands messages to a relay (spoolview's, IIS, Exchange) by dropping files in its pickup folder."""

    name = "pickup"

    def __init__(self, folder: str | Path, *, extension: str = ".eml", envelope_lines: bool = True,
                 trace: Callable[[str], None] | None = None) -> None:
        if not str(folder).strip():
            raise ConfigurationError("no pickup folder is set: fill in the folder in the SMTP (service) settings")
        self.folder = Path(folder).expanduser()
        self.extension = extension or ".eml"
        self.envelope_lines = envelope_lines
        self.trace = trace

    @classmethod
    def from_settings(cls, settings: Settings, *, trace: Callable[[str], None] | None = None) -> PickupRoute:
        return cls(settings.service.pickup_folder, extension=settings.advanced.file_extension, trace=trace)

    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        if not envelope.recipients:
            raise PermanentError("the message has no recipient")
        data = pickup_bytes(message, envelope if self.envelope_lines else None)
        start = time.perf_counter()
        path = atomic_write(self.folder, data, self.extension, what="pickup folder")
        if self.trace:
            self.trace(f"wrote {path} ({len(data)} bytes, {1000 * (time.perf_counter() - start):.1f} ms)")
        detail = f"written to {path}"
        results = [RecipientResult(r, True, None, QUEUED) for r in envelope.recipients]
        return SendResult(self.name, results, file=path, detail=detail)
