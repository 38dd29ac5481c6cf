"""Fixtures for the Tk tests: a withdrawn root destroyed after each test, dialog answering."""

from __future__ import annotations

import gc
import tkinter as tk
from pathlib import Path

import pytest


@pytest.fixture
def root():
    """A hidden Tk root; every window a test makes is its child and goes with it."""
    try:
        r = tk.Tk()
    except tk.TclError as exc:  # pragma: no cover - no display at all
        pytest.fail(f"no display ({exc}): the GUI tests run under Xvfb (pytest-xvfb); `make deps` installs it, "
                    "or run: sudo apt-get install -y --no-install-recommends xvfb xauth", pytrace=False)
    r.withdraw()
    yield r
    r.update_idletasks()
    r.destroy()
    collect_tk_garbage()


@pytest.fixture(autouse=True, scope="module")
def _tk_garbage_stays_in_its_module():
    """After each GUI test module, its dead Tk objects are collected here, in the main thread, even
    those of tests that made their own root: left to the cyclic GC, they were collected in the
    threads of later tests (a relay's SMTP server) and stalled them a second per object."""
    yield
    collect_tk_garbage()


# The viewer's own worker threads (they hold their window until they end).
_WORKERS = ("mailui-", "oauth-sign-in")


def collect_tk_garbage(wait: float = 10.0) -> None:
    """Collect the test's dead Tk objects now, in the main thread.

    Collected later by the cyclic GC in another test's thread (an SMTP or HTTP server), a Tk
    variable's ``__del__`` waits about a second for a main loop no test runs, per object, and
    the last reference to a Tk interpreter aborts the process (Tcl_AsyncDelete). So the
    viewer's worker threads still running (a batch stopping after its document, a look-up)
    are waited for first, bounded: the windows they hold become garbage here.
    """
    import threading
    import time

    end = time.monotonic() + wait
    for thread in threading.enumerate():
        if thread.name.startswith(_WORKERS) and thread is not threading.current_thread():
            thread.join(max(0.0, end - time.monotonic()))
    gc.collect()


@pytest.fixture
def answer():
    """Install a dialog responder: ``answer(fn)`` returns the list of dialogs shown."""
    from viewer.gui import dialogs

    stack = []

    def install(fn=lambda d: d.cancel()):
        cm = dialogs.respond_with(fn)
        shown = cm.__enter__()
        stack.append(cm)
        return shown

    yield install
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def make_pdf(tmp_path: Path):
    """``make_pdf(name, pages=[text, ...], password=None)`` writes a small PDF with PyMuPDF."""
    import pymupdf

    def make(name: str = "doc.pdf", pages=("Hello page 1",), password: str | None = None,
             size=(595, 842)) -> Path:
        doc = pymupdf.open()
        for text in pages:
            page = doc.new_page(width=size[0], height=size[1])
            page.insert_text((72, 100), text, fontsize=24)
            page.draw_rect(pymupdf.Rect(50, 50, 545, 792), color=(0, 0, 0), width=2)
        path = tmp_path / name
        options = {}
        if password:
            options = dict(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password + "-owner",
                           permissions=pymupdf.PDF_PERM_ACCESSIBILITY | pymupdf.PDF_PERM_PRINT)
        doc.save(path, **options)
        doc.close()
        return path

    return make



@pytest.fixture
def settle():
    """``settle(window)``: process pending events and run queued page renders now."""

    def run(window) -> None:
        for _ in range(3):
            window.update()
            view = getattr(window, "pageview", window)
            if hasattr(view, "render_pending"):
                view.render_pending()
        window.update_idletasks()

    return run


@pytest.fixture
def window(root, tmp_path, answer):
    """A MainWindow with fresh settings and state; every dialog is cancelled unless a test answers."""
    from viewer import settings as settings_mod
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    answer()  # default: cancel whatever asks
    win = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=settings_mod.Settings())
    win.geometry("900x700+0+0")
    win.update()
    yield win
    if win.winfo_exists():
        win.close()


def non_blank(photo) -> bool:
    """True when the PhotoImage holds something other than white."""
    from PIL import ImageTk

    image = ImageTk.getimage(photo).convert("L")
    low = image.getextrema()[0]  # an "L" image: (min, max) of one band
    assert isinstance(low, (int, float))
    return low < 200


@pytest.fixture
def is_non_blank():
    return non_blank


@pytest.fixture(scope="session")
def _private_displays():
    """Xvfb servers by screen size, kept for the whole session: Tk never closes a display it
    opened, so a server stopped under a live interpreter would kill it (XIO error)."""
    import subprocess

    servers: dict[tuple[int, int, int], tuple[subprocess.Popen, str]] = {}
    yield servers
    for server, _display in servers.values():
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def small_screen(_private_displays):
    """``small_screen(width=1024, height=768)``: a Tk root on a private Xvfb of that size, and its DISPLAY.

    Returns ``(root, display)``; xdotool and ``import`` take ``DISPLAY=display``. Needs
    the Debian packages xvfb, xdotool and imagemagick.
    """
    import os
    import subprocess

    from tests.support.tools import require_tool

    require_tool("Xvfb")
    roots: list[tk.Tk] = []

    def start(width: int = 1024, height: int = 768, dpi: int = 96):
        key = (width, height, dpi)
        if key not in _private_displays:
            read_fd, write_fd = os.pipe()
            server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                                       "-nolisten", "tcp", "-dpi", str(dpi)], pass_fds=(write_fd,),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os.close(write_fd)
            with os.fdopen(read_fd) as pipe:
                _private_displays[key] = (server, ":" + pipe.readline().strip())
        display = _private_displays[key][1]
        main = os.environ.get("DISPLAY")
        r = tk.Tk(screenName=display)
        if main is not None:
            # _tkinter writes DISPLAY=display into the C environment (Tcl's env array), out of os.environ's
            # sight: every later plain tk.Tk() of the session would open on this small screen, where the
            # xdotool tests (DISPLAY from os.environ) cannot reach their windows.
            os.putenv("DISPLAY", main)
        r.withdraw()
        roots.append(r)
        return r, display

    yield start
    for r in roots:
        try:
            r.update_idletasks()
            r.destroy()
        except tk.TclError:
            pass
    gc.collect()


def shoot(display: str, path: Path, window=None) -> Path:
    """Write a PNG of the whole screen ``display`` (or of ``window`` on it) to ``path``; returns it."""
    import io
    import os
    import subprocess

    from PIL import Image

    if window is not None:
        window.update()
    png = subprocess.run(["import", "-window", "root", "png:-"], capture_output=True, check=True, timeout=30,
                         env={**os.environ, "DISPLAY": display}).stdout
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if window is not None:
        x, y = window.winfo_rootx(), window.winfo_rooty()
        image = image.crop((x, y, x + window.winfo_width(), y + window.winfo_height()))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


@pytest.fixture
def screenshot():
    return shoot
