"""A cold ``spoolview FILE``'s first page, drawn by a forked child while the window is built (Linux).

Importing PyMuPDF, opening the document and rendering page 1 take about as long as Tk's
start-up and the window's construction; one after the other they made the cold start
slower than evince. So ``start(path)`` forks, before tkinter is imported, a child that
opens the document exactly as the viewer does (``viewer.docopen`` with the user's
settings) and renders page 1 with ``formats.render.render_ppm`` at the size the window
will show it, while the parent starts Tk and builds the window on the other core. The
parent shows the child's pixels (PPM, which Tk reads itself) as soon as they come, then
opens the document itself: same reader, same renderer, same zoom, so the page does not
change when the real view takes over (viewer/gui/firstpage.py).

The child never touches the display (it is forked before the parent connects to it), dies
with the parent (``PR_SET_PDEATHSIG``, checked against a parent already gone), ends by
itself after ``CHILD_LIFETIME_S`` whatever happens, and exits with ``os._exit`` (no
atexit handler, no buffered output of the parent written twice). Any failure in it
(corrupt file, password, crash, hang) only means the parent opens the document the
ordinary way, which says what is wrong as it always did.

Parent and child talk on two pipes. Child -> parent: messages of a 4-byte length, a JSON
header and ``header["size"]`` bytes of payload::

    {"kind": "info", "pages": N, "page": [w, h], "name": "...", "view": the record used or null}
    {"kind": "page", "dpi": 123.45, "size": bytes}  + PPM bytes of page 1 at that dpi
    {"kind": "none"}  (not a paged document, or it failed to open: the parent opens it itself)

Parent -> child: ``render DPI\\n`` lines; end of file = done. The child renders at once,
without waiting to be asked, at the dpi the last start-up's window gave (``read_view``:
the page area recorded in the user's cache folder for the remembered window size).

``viewer.cli`` forks as soon as a plain ``spoolview [open] FILE...`` is known to be cold
(``start_for_command``), before argparse and logging; the open command ``take``s it. Not
forked: another platform, another thread running (a fork copies one thread),
``SPOOLVIEW_FIRST_PAGE=sequential``. A PDF's page 1 is drawn through MuPDF's C library
(formats/mupdfc.py) unless ``SPOOLVIEW_FIRST_PAGE=pymupdf``.

No tkinter here: the page-fitting arithmetic the page view uses lives here so the child
computes the same zoom without Tk.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys

TYPE_CHECKING = False  # not typing's: this module runs before anything else of the viewer is imported
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from formats.document import Document

GAP = 12  # pixels between pages and around them (the page view's layout)
MAX_ZOOM = 6.4  # the page view's largest zoom step
MIN_FIT_ZOOM = 0.05
CHILD_LIFETIME_S = 60  # the child ends by itself after this, whatever it is doing (SIGALRM)
VIEW_FILE = "first-page-view.json"  # in the user's cache folder: the page area of the last start-up's window
DISABLE_ENV = "SPOOLVIEW_FIRST_PAGE"  # "sequential": no child; "pymupdf": a PDF's page 1 by PyMuPDF (benchmark, diagnosis)
_LENGTH = struct.Struct(">I")
PIPE_BYTES = 4 << 20  # the child -> parent pipe's wanted size (a page's PPM), capped by the system's limit
PR_SET_PDEATHSIG = 1


def fit_zoom(view: tuple[int, int], page: tuple[float, float], screen_dpi: float, fit: str) -> float:
    """The zoom that fits a page of ``page`` points (as shown, rotation applied) into a page area of
    ``view`` pixels: its width (``fit`` "width") or the whole page ("page")."""
    width = max(view[0], 50) - 2 * GAP
    height = max(view[1], 50) - 2 * GAP
    per_point = screen_dpi / 72.0
    zoom = width / (page[0] * per_point)
    if fit == "page":
        zoom = min(zoom, height / (page[1] * per_point))
    return max(MIN_FIT_ZOOM, min(zoom, MAX_ZOOM))


def render_dpi(zoom: float, screen_dpi: float) -> float:
    """The dpi a page is rendered at for ``zoom`` on a screen of ``screen_dpi`` (the page cache's key)."""
    return round(zoom * screen_dpi, 2)


def window_key(geometry: str) -> str:
    """What a first window's size is made from: the remembered geometry's size ("WxH", which the window
    keeps within the screen), else "default" (MainWindow's own size, as it is)."""
    size = geometry.split("+")[0].split("-")[0] if geometry else ""
    return size if "x" in size else "default"


def view_file() -> Path:
    from viewer import paths

    return paths.cache_dir() / VIEW_FILE


def read_view() -> dict | None:
    """The page area recorded by the last start-up: {"window": "WxH", "view": [w, h], "dpi": screen dpi}."""
    try:
        with open(view_file(), encoding="utf-8") as f:
            record = json.load(f)
        window, (w, h), dpi = record["window"], record["view"], record["dpi"]
        return {"window": str(window), "view": [int(w), int(h)], "dpi": float(dpi)}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_view(record: dict) -> None:
    """Remember the page area of this start-up's window for the next one's child (never raises)."""
    from viewer import paths

    path = view_file()
    try:
        paths.ensure_private_dir(path.parent)
        tmp = path.with_name(f".{VIEW_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def predicted_dpi(record: dict | None, geometry: str, page: tuple[float, float]) -> float | None:
    """The dpi page 1 will be shown at when the window comes out as the last one did, else None."""
    if record is None or record["window"] != window_key(geometry):
        return None
    view = (record["view"][0], record["view"][1])
    return render_dpi(fit_zoom(view, page, record["dpi"], "width"), record["dpi"])


# ---------------------------------------------------------------------------------- parent side
class Child:
    """The parent's end of a first-page child: its pid and pipes, messages as they come."""

    def __init__(self, pid: int, reader: int, writer: int | None, path: str) -> None:
        self.pid = pid
        self.path = path
        self._reader = reader
        self._writer: int | None = writer
        self._buffer = bytearray()
        self.ended = False  # the child closed its end (exited, crashed, or said all it had)

    def fileno(self) -> int:
        return self._reader

    def read(self) -> list[tuple[dict, bytes]]:
        """The complete messages readable now (never blocks; ``ended`` set at end of file)."""
        while not self.ended:
            try:
                chunk = os.read(self._reader, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.ended = True
                break
            self._buffer += chunk
        messages: list[tuple[dict, bytes]] = []
        while len(self._buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self._buffer)
            if len(self._buffer) < _LENGTH.size + length:
                break
            try:
                header = json.loads(bytes(self._buffer[_LENGTH.size:_LENGTH.size + length]))
                size = int(header.get("size", 0))
            except (ValueError, AttributeError, TypeError):
                self.ended = True  # not our child's words: give it up
                return messages
            end = _LENGTH.size + length + size
            if len(self._buffer) < end:
                break
            messages.append((header, bytes(self._buffer[_LENGTH.size + length:end])))
            del self._buffer[:end]
        return messages

    def request(self, dpi: float) -> bool:
        """Ask for page 1 at ``dpi``; False when the child can no longer be asked."""
        if self._writer is None:
            return False
        try:
            os.write(self._writer, f"render {dpi!r}\n".encode())
            return True
        except OSError:
            return False

    def stop(self) -> None:
        """End the child (killed: its work is taken or abandoned) and reap it; later calls do nothing."""
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = 0
            os.close(self._reader)
            self.ended = True


def available(path: str) -> bool:
    """Whether a child may draw ``path``'s first page here: Linux, a regular file, no thread running."""
    if not sys.platform.startswith("linux") or os.environ.get(DISABLE_ENV) == "sequential":
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False  # a fork copies one thread only: another's locks would stay taken in the child
    return os.path.isfile(path)


_started: Child | None = None  # forked by ``start_for_command``, not yet taken by the open command
_OPEN_OPTIONS = ("--new-window", "--no-reuse")


def start_for_command(words: list[str]) -> None:
    """Fork the child as soon as the command line is known to be a cold ``spoolview [open] FILE...``
    (``viewer.cli`` calls it once the running viewer did not take the files, before argparse and
    logging are imported); ``take`` hands it to the open command. Anything unusual (another
    option, ``--config``, no display) waits for the open command, which forks then if it can."""
    global _started
    path = first_file(words)
    if path is not None and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        # What both sides import anyway (the settings' classes, the remembered window) is imported once,
        # here: neither side's road is longer, and a busy machine has that much less to do.
        import viewer.gui.recent
        import viewer.settings  # noqa: F401

        _started = start(path)


def first_file(words: list[str]) -> str | None:
    """The file a plain ``[-v] open [--new-window] FILE...`` (the words viewer.cli made) opens first, else None."""
    i = 0
    while i < len(words) and words[i] in ("-v", "--verbose"):
        i += 1
    rest = words[i + 1:] if words[i:i + 1] == ["open"] else []
    files = [w for w in rest if w not in _OPEN_OPTIONS]
    if not files or any(w.startswith("-") for w in files):
        return None
    return files[0]


def take(path: str) -> Child | None:
    """The child ``start_for_command`` forked for ``path`` (else None; one for another file is ended)."""
    global _started
    child, _started = _started, None
    if child is not None and child.path != path:
        child.stop()
        return None
    return child


def start(path: str, *, work: Callable[[str, int, int], int] | None = None) -> Child | None:
    """Fork a child drawing ``path``'s first page (None when not possible here: the ordinary road).

    ``work(path, to_parent, from_parent)`` is what the child runs (the tests give a failing or
    hanging one); its return value is the child's exit status.
    """
    if not available(path):
        return None
    to_parent = os.pipe()
    _widen(to_parent[1])
    from_parent = os.pipe()
    parent_pid = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        for fd in (*to_parent, *from_parent):
            os.close(fd)
        return None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(to_parent[0])
            os.close(from_parent[1])
            _die_with(parent_pid)
            _quiet()
            status = (work or draw_first_page)(path, to_parent[1], from_parent[0])
        except BaseException:  # noqa: BLE001 - whatever happens, the parent takes the ordinary road
            status = 1
        finally:
            os._exit(status)
    os.close(to_parent[1])
    os.close(from_parent[0])
    os.set_blocking(to_parent[0], False)
    os.set_inheritable(to_parent[0], False)
    os.set_inheritable(from_parent[1], False)
    return Child(pid, to_parent[0], from_parent[1], path)


def _widen(fd: int) -> None:
    """Let the pipe hold a whole page (up to the system's limit for a user, 1 MB by default): a
    page of 2-3 MB then crosses in a few writes instead of forty 64 KB ones, each waiting for the
    parent to read and the child to be scheduled again."""
    import fcntl

    try:
        with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as limit:
            size = min(int(limit.read()), PIPE_BYTES)
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (OSError, ValueError):  # an older kernel, a locked-down /proc: the default size works, slower
        pass


def _die_with(parent_pid: int) -> None:
    """The child is killed when the parent ends, and ends by itself after CHILD_LIFETIME_S."""
    signal.alarm(CHILD_LIFETIME_S)  # SIGALRM's default action ends the process
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C in the terminal ends it at once, like the parent
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent ended before the request took effect
        os._exit(1)


def _quiet() -> None:
    """The child reads no terminal and writes to none: the parent says whatever must be said."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


# ---------------------------------------------------------------------------------- child side
def send(fd: int, header: dict, payload: bytes = b"") -> None:
    """Write one message (see the module's docstring) to ``fd``."""
    head = json.dumps({**header, "size": len(payload)}).encode()
    data = memoryview(_LENGTH.pack(len(head)) + head + payload)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def draw_first_page(path: str, to_parent: int, from_parent: int) -> int:
    """The child's work: open ``path`` as the viewer does, send its page 1 at the predicted dpi, then
    at each dpi asked, until the parent closes its end."""
    import gc

    gc.disable()  # a short-lived process: no cyclic garbage worth the scans
    from formats.document import DocumentError
    from viewer.docopen import open_document
    from viewer.gui.recent import ViewerState
    from viewer.settings import load

    try:
        document = open_document(path, load())
        page = document.page(0) if document.source != "eml" and document.page_count else None
    except (DocumentError, OSError, ValueError, RuntimeError):  # the parent says what is wrong, as always
        send(to_parent, {"kind": "none"})
        return 0
    if page is None:
        send(to_parent, {"kind": "none"})
        return 0
    size = (float(page.width), float(page.height))
    record = read_view()
    send(to_parent, {"kind": "info", "pages": document.page_count, "page": size, "name": document.name,
                     "view": record})
    render = _renderer(document, path)
    dpi = predicted_dpi(record, ViewerState.load().geometry, size)
    if dpi is not None:
        send(to_parent, {"kind": "page", "dpi": dpi}, render(dpi))
    with os.fdopen(from_parent, "rb") as requests:
        for line in requests:
            word, _, value = line.decode().partition(" ")
            if word == "render":
                dpi = float(value)
                send(to_parent, {"kind": "page", "dpi": dpi}, render(dpi))
    return 0


def _renderer(document: Document, path: str) -> Callable[[float], bytes]:
    """Page 1 at a dpi, as PPM. A PDF file or a spool's page is drawn by PyMuPDF's MuPDF library through ctypes
    (formats/mupdfc.py: the same pixels, without PyMuPDF's ~250 M-instruction import, the longer
    side of a cold start; a MuPDF error there ends this child, and the window draws the page the
    ordinary way), anything else by the viewer's renderer."""
    if os.environ.get(DISABLE_ENV) != "pymupdf" and document.source in ("pdf", "spv"):
        from formats.mupdfc import Renderer

        renderer = None
        if document.source == "spv":  # page 1 drawn as a one-page PDF, as the viewer draws it for display
            from formats.draw import spv_page_pdf

            renderer = Renderer.from_pdf_bytes(spv_page_pdf(document.backend, 0))
        elif path.lower().endswith(".pdf"):
            renderer = Renderer.open(path)
        if renderer is not None:
            return renderer.render
    from formats.render import render_ppm

    return lambda dpi: render_ppm(document, 0, dpi=dpi)
