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

The viewer answers as soon as the request is valid, before it opens anything: the client
ends at once, and what goes wrong while opening (a corrupt file) is shown by the viewer.

A socket file left by a viewer that died is recognised (nobody answers) and replaced.
No Tk here: the client side runs before tkinter is imported; gui.app serves requests.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: the client side (a `spoolview FILE` handing over) stays light
if TYPE_CHECKING:
    import _socket
    from collections.abc import Callable
    from pathlib import Path

# The client side (``forward``) imports only ``os``, ``sys`` and the C ``_socket``: no socket.py (enum,
# selectors), json (re), pathlib (fnmatch, re, urllib), struct or zlib, so a `spoolview FILE` handed to
# the running viewer costs little more than the interpreter's start. The viewer's side imports them.

MAX_REQUEST = 256 * 1024  # bytes of one request line: thousands of paths
CLIENT_TIMEOUT = 10.0  # seconds a second `spoolview FILE` waits for a running viewer (it may still be starting)
_UCRED_SIZE = 12  # struct ucred: pid, uid, gid (32-bit each)
OK_REPLY = b'{"ok": true}\n'


class InstanceError(Exception):
    """The running viewer could not be reached or refused the request."""


def runtime_dir() -> Path | None:
    """The user's private runtime folder for sockets, created 0700; None when none is safe."""
    folder = _runtime_folder()
    if folder is None:
        return None
    from pathlib import Path

    return Path(folder)


def _runtime_folder() -> str | None:
    """``runtime_dir()`` as a string (the client's road: no pathlib)."""
    uid = os.getuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and _private(xdg, uid, exact_mode=False):
        folder = os.path.join(xdg, "spoolview")
    else:
        import tempfile  # only here: most sessions have a runtime folder

        folder = os.path.join(tempfile.gettempdir(), f"spoolview-{uid}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    return folder if _private(folder, uid, exact_mode=True) else None


def _private(folder: str | os.PathLike[str], uid: int, *, exact_mode: bool) -> bool:
    """``folder`` is a real folder (not a link) owned by ``uid`` that nobody else can enter."""
    import stat  # already loaded by os

    try:
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
        return False
    return (st.st_mode & 0o077) == 0 if exact_mode else (st.st_mode & 0o022) == 0


def socket_path() -> Path | None:
    """The socket of this user's viewer on this display with these settings (None: no safe folder)."""
    name = _socket_name()
    if name is None:
        return None
    from pathlib import Path

    return Path(name)


def _socket_name() -> str | None:
    """``socket_path()`` as a string (the client's road: no pathlib)."""
    folder = _runtime_folder()
    if folder is None:
        return None
    scope = f"{os.environ.get('DISPLAY', '')}|{os.environ.get('WAYLAND_DISPLAY', '')}|{os.environ.get('SPOOLVIEW_HOME', '')}"
    # A tag of the scope, not a secret (the folder's mode and the peer check guard the socket):
    # computed here in Python, so the client loads neither hashlib (OpenSSL) nor zlib.
    return os.path.join(folder, f"viewer-{scope_tag(scope):08x}{len(scope) & 0xFFFF:04x}.sock")


def scope_tag(scope: str) -> int:
    """A 32-bit FNV-1a hash of ``scope``'s UTF-8 bytes (stable across processes, unlike ``hash``)."""
    tag = 0x811C9DC5
    for byte in scope.encode("utf-8", "surrogateescape"):
        tag = ((tag ^ byte) * 0x01000193) & 0xFFFFFFFF
    return tag


def has_display() -> bool:
    """Whether a window could open here, as far as the environment tells (X11/Wayland systems need one)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def peer_uid(conn: _socket.socket) -> int | None:
    """The user id of the process at the other end of a Unix socket (None where unknown)."""
    import _socket

    option = getattr(_socket, "SO_PEERCRED", None)  # Linux; elsewhere the 0600 file is the guard
    if option is None:
        return None
    credentials = conn.getsockopt(_socket.SOL_SOCKET, option, _UCRED_SIZE)
    return int.from_bytes(credentials[4:8], sys.byteorder)


def same_user(conn: _socket.socket, uid: int | None = None) -> bool:
    """True when the peer of ``conn`` runs as ``uid`` (default: this process's user).

    Where the system cannot tell (no SO_PEERCRED), the socket file's 0600 mode in a 0700
    folder already keeps other users out, and this answers True.
    """
    peer = peer_uid(conn)
    return peer is None or peer == (os.getuid() if uid is None else uid)


def _read_line(conn: _socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise InstanceError("request too long")
    return data


def encode_request(files: list[str]) -> bytes:
    """The request line asking to open ``files``: ``{"open": [...]}`` as ``json.dumps`` writes it (ASCII).

    Written here rather than with json, whose import (and re's) would cost the client more
    than the rest of its work; names that are not valid UTF-8 (surrogate escapes) go as
    ``\\udcXX`` like json's, and come back the same from ``json.loads``.
    """
    return ('{"open": [' + ", ".join(map(_json_string, files)) + "]}\n").encode("ascii")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _json_string(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code > 0xFFFF:  # a surrogate pair, as JSON writes characters beyond the BMP
            code -= 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return '"' + "".join(out) + '"'


def forward(files: list[str], *, path: str | os.PathLike[str] | None = None, timeout: float = CLIENT_TIMEOUT) -> bool:
    """Ask the running viewer to open ``files`` (absolute paths are sent); True when it did.

    False when no viewer runs (no socket, or a stale one) or it does not answer in time:
    the caller then opens its own window.
    """
    name = os.fspath(path) if path is not None else _socket_name()
    if name is None:
        return False
    import _socket  # the C module: socket.py would import enum and selectors

    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(name)
        if not same_user(conn):  # a socket someone else put there: do not hand them paths
            return False
        conn.sendall(encode_request([os.path.abspath(f) for f in files]))
        reply = _read_line(conn)
    except (OSError, InstanceError):
        return False
    finally:
        conn.close()
    return reply.replace(b" ", b"") == OK_REPLY.replace(b" ", b"")


class Listener:
    """The running viewer's end: a listening socket whose requests a callback handles."""

    def __init__(self, sock: _socket.socket, path: Path) -> None:
        self.sock = sock
        self.path = path
        self._inode = os.stat(path).st_ino

    @classmethod
    def start(cls, path: Path | None = None) -> Listener | None:
        """Listen on the user's socket; None when another viewer already listens (or no safe folder)."""
        import _socket  # the C module: socket.py (its enums, selectors) was 2% of a cold start
        import errno

        path = path or socket_path()
        if path is None:
            return None
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
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
        """Serve one pending connection with ``open_files(list_of_paths)``; True when files were opened.

        A valid request is answered ``{"ok": true}`` before ``open_files`` runs: the client ends at
        once instead of sharing the processor with the window being painted. What goes wrong in
        the opening (a corrupt file) is then shown by the viewer, as for a file opened from it.
        """
        import _socket
        import json

        try:
            fd, _ = self.sock._accept()  # type: ignore[attr-defined]  # the C accept that socket.py wraps
        except (BlockingIOError, InterruptedError):
            return False
        conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM, 0, fd)
        try:
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
            _send(conn, {"ok": True})
        finally:
            conn.close()
        open_files(files)
        return True

    def close(self) -> None:
        """Stop listening; remove the socket file unless another viewer has replaced it."""
        self.sock.close()
        try:
            if os.stat(self.path).st_ino == self._inode:
                self.path.unlink()
        except OSError:
            pass


def _send(conn: _socket.socket, reply: dict) -> None:
    import json

    try:
        conn.sendall(json.dumps(reply).encode() + b"\n")
    except OSError:
        pass


def _bind_private(sock: _socket.socket, path: Path) -> None:
    """Bind with mode 0600 from the start (the umask applies to the socket file)."""
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)


def _alive(path: Path) -> bool:
    """Someone listens on ``path`` (a refused or failed connection means a stale file)."""
    import _socket

    probe = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()
