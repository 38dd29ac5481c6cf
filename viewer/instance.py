"""One viewer per user and display: a later ``spoolview FILE`` hands its files to the running one.

The running viewer listens on a Unix socket in the user's runtime folder
(``$XDG_RUNTIME_DIR/spoolview``, else a 0700 ``spoolview-UID`` folder in the temporary
folder); the socket file is 0600 and a connection from another user is refused by its
peer credentials (SO_PEERCRED), so the folder's modes are not the only guard. The socket
name carries the display and the ``SPOOLVIEW_HOME`` in force, so a viewer on another
display or with other settings is never reused. One request per connection, one JSON
line each way::

    client -> {"open": ["/abs/a.pdf", ...]}\\n     ("open": [] asks for an empty window)
    viewer -> {"ok": true}\\n  (or {"ok": false, "error": "..."})

A socket file left by a viewer that died is recognised (nobody answers) and replaced.
No Tk here: the client side runs before tkinter is imported; gui.app serves requests.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import struct
import zlib
from pathlib import Path

TYPE_CHECKING = False  # not typing's: the client side (a `spoolview FILE` handing over) stays light
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_REQUEST = 256 * 1024  # bytes of one request line: thousands of paths
CLIENT_TIMEOUT = 10.0  # seconds a second `spoolview FILE` waits for a running viewer (it may still be starting)
_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid


class InstanceError(Exception):
    """The running viewer could not be reached or refused the request."""


def runtime_dir() -> Path | None:
    """The user's private runtime folder for sockets, created 0700; None when none is safe."""
    uid = os.getuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and _private(Path(xdg), uid, exact_mode=False):
        folder = Path(xdg) / "spoolview"
    else:
        import tempfile  # only here: most sessions have a runtime folder

        folder = Path(tempfile.gettempdir()) / f"spoolview-{uid}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder if _private(folder, uid, exact_mode=True) else None


def _private(folder: Path, uid: int, *, exact_mode: bool) -> bool:
    """``folder`` is a real folder (not a link) owned by ``uid`` that nobody else can enter."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
        return False
    return (st.st_mode & 0o077) == 0 if exact_mode else (st.st_mode & 0o022) == 0


def socket_path() -> Path | None:
    """The socket of this user's viewer on this display with these settings (None: no safe folder)."""
    folder = runtime_dir()
    if folder is None:
        return None
    scope = f"{os.environ.get('DISPLAY', '')}|{os.environ.get('WAYLAND_DISPLAY', '')}|{os.environ.get('SPOOLVIEW_HOME', '')}"
    # A tag of the scope, not a secret: zlib's checksum spares the client (a `spoolview FILE` handing its
    # files over) hashlib's OpenSSL load; the folder's mode and the peer check guard the socket.
    return folder / f"viewer-{zlib.crc32(scope.encode()):08x}{len(scope):04x}.sock"


def peer_uid(conn: socket.socket) -> int | None:
    """The user id of the process at the other end of a Unix socket (None where unknown)."""
    option = getattr(socket, "SO_PEERCRED", None)  # Linux; elsewhere the 0600 file is the guard
    if option is None:
        return None
    _pid, uid, _gid = _CREDENTIALS.unpack(conn.getsockopt(socket.SOL_SOCKET, option, _CREDENTIALS.size))
    return uid


def same_user(conn: socket.socket, uid: int | None = None) -> bool:
    """True when the peer of ``conn`` runs as ``uid`` (default: this process's user).

    Where the system cannot tell (no SO_PEERCRED), the socket file's 0600 mode in a 0700
    folder already keeps other users out, and this answers True.
    """
    peer = peer_uid(conn)
    return peer is None or peer == (os.getuid() if uid is None else uid)


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise InstanceError("request too long")
    return data


def forward(files: list[str], *, path: Path | None = None, timeout: float = CLIENT_TIMEOUT) -> bool:
    """Ask the running viewer to open ``files`` (absolute paths are sent); True when it did.

    False when no viewer runs (no socket, or a stale one) or it does not answer in time:
    the caller then opens its own window.
    """
    path = path or socket_path()
    if path is None:
        return False
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(str(path))
        if not same_user(conn):  # a socket someone else put there: do not hand them paths
            return False
        conn.sendall(json.dumps({"open": [os.path.abspath(f) for f in files]}).encode() + b"\n")
        reply = json.loads(_read_line(conn) or b"{}")
    except (OSError, ValueError, InstanceError):
        return False
    finally:
        conn.close()
    return isinstance(reply, dict) and reply.get("ok") is True


class Listener:
    """The running viewer's end: a listening socket whose requests a callback handles."""

    def __init__(self, sock: socket.socket, path: Path) -> None:
        self.sock = sock
        self.path = path
        self._inode = os.stat(path).st_ino

    @classmethod
    def start(cls, path: Path | None = None) -> Listener | None:
        """Listen on the user's socket; None when another viewer already listens (or no safe folder)."""
        path = path or socket_path()
        if path is None:
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            _bind_private(sock, path)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or _alive(path):
                sock.close()
                return None
            try:  # a viewer died and left its socket: take the place over
                path.unlink()
                _bind_private(sock, path)
            except OSError:
                sock.close()
                return None
        sock.listen(8)
        sock.setblocking(False)
        return cls(sock, path)

    def fileno(self) -> int:
        return self.sock.fileno()

    def handle(self, open_files: Callable[[list[str]], None]) -> bool:
        """Serve one pending connection with ``open_files(list_of_paths)``; True when files were opened."""
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return False
        with conn:
            conn.settimeout(1.0)  # the client writes its line at once; never hang the window
            if not same_user(conn):
                _send(conn, {"ok": False, "error": "refused: another user"})
                return False
            try:
                request = json.loads(_read_line(conn) or b"null")
                files = request["open"] if isinstance(request, dict) else None
                if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                    raise ValueError("bad request")
            except (OSError, ValueError, KeyError, InstanceError) as exc:
                _send(conn, {"ok": False, "error": str(exc)})
                return False
            try:
                open_files(files)
            except Exception as exc:
                _send(conn, {"ok": False, "error": type(exc).__name__})
                raise
            _send(conn, {"ok": True})
            return True

    def close(self) -> None:
        """Stop listening; remove the socket file unless another viewer has replaced it."""
        self.sock.close()
        try:
            if os.stat(self.path).st_ino == self._inode:
                self.path.unlink()
        except OSError:
            pass


def _send(conn: socket.socket, reply: dict) -> None:
    try:
        conn.sendall(json.dumps(reply).encode() + b"\n")
    except OSError:
        pass


def _bind_private(sock: socket.socket, path: Path) -> None:
    """Bind with mode 0600 from the start (the umask applies to the socket file)."""
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)


def _alive(path: Path) -> bool:
    """Someone listens on ``path`` (a refused or failed connection means a stale file)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()
