"""A fresh viewer process for tests/viewer/gui/test_firstpage.py: the first-page child forked as the CLI
forks it (before tkinter is imported), then a window built as ``run()`` builds it; prints a JSON report.

Usage: ``python firstpage_probe.py MODE FILE [SCREENSHOT_FOLDER]``; MODE is ``real`` (the child draws
the file), ``die`` (the child exits at once), ``hang`` (it sleeps) or ``orphan`` (this process is
killed with its child still working; the report, printed first, names the child).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

mode, path = sys.argv[1], sys.argv[2]
shots = sys.argv[3] if len(sys.argv) > 3 else ""


def hang(path: str, to_parent: int, from_parent: int) -> int:
    time.sleep(600)
    return 0


WORK = {"real": None, "die": lambda path, to_parent, from_parent: os._exit(3), "hang": hang, "orphan": hang}

from viewer import firstpage  # noqa: E402 - after the modes: nothing of the viewer before the fork

child = firstpage.start(path, work=WORK[mode])
assert child is not None, "the first-page child was not started"
report: dict = {"child": child.pid, "tk_before_fork": "tkinter" in sys.modules}
if mode == "orphan":
    print(json.dumps(report), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

from viewer.gui import app as app_mod  # noqa: E402
from viewer.gui import dialogs  # noqa: E402
from viewer.gui.firstpage import EarlyPage  # noqa: E402

shown_dialogs: list = []


def answer(dialog) -> None:
    shown_dialogs.append({"kind": dialog.kind, "message": getattr(dialog, "message", "")})
    dialog.cancel()


def screenshot(name: str, window) -> bytes:
    """The page area as the X server shows it (ImageMagick's import), saved as PNG when asked."""
    canvas = window.pageview.canvas
    x, y, w, h = canvas.winfo_rootx(), canvas.winfo_rooty(), canvas.winfo_width(), canvas.winfo_height()
    crop = f"{w}x{h}+{x}+{y}"
    if shots:
        subprocess.run(["import", "-window", "root", os.path.join(shots, f"{name}.png")], check=True)
    return subprocess.run(["import", "-window", "root", "-crop", crop, "ppm:-"], check=True,
                          capture_output=True).stdout


def pump(until, seconds: float = 60.0) -> float:
    start = time.monotonic()
    while not until() and time.monotonic() - start < seconds:
        application.root.update()
        time.sleep(0.002)
    return time.monotonic() - start


with dialogs.respond_with(answer):
    application = app_mod.App(defer_plugins=True)
    window = application.new_window()
    window.update_idletasks()
    opened: list[bool] = []
    painted: list[tuple[bytes, bool, bytes | None]] = []  # the screen, a document open?, the page's pixels
    paint_now = window.pageview.paint_now

    def paint_now_and_look() -> None:
        """The screen as soon as EarlyPage has page 1 painted, before it returns to the event loop."""
        paint_now()
        if not painted:
            pageview = window.pageview
            painted.append((screenshot("1-early-page", window), window.current_document is not None,
                            pageview.cache.get((0, pageview.render_dpi, 0))))
            report["status_early"] = window.status.document.get()

    window.pageview.paint_now = paint_now_and_look  # type: ignore[method-assign]
    early = EarlyPage(window, child, then=lambda: opened.append(True), timeout_ms=int(os.environ.get("PROBE_TIMEOUT_MS", "3000")))
    report["waited_s"] = pump(lambda: early.done)
    report["shown"] = early.shown
    report["asked"] = early.asked
    if early.shown:
        before, report["document_before"], early_pixels = painted[0]
    pump(lambda: bool(opened))
    report["opened"] = window.current_document is not None
    report["status_opened"] = window.status.document.get()
    application.root.update()
    if early.shown and window.current_document is not None:
        window.pageview.render_pending()
        application.root.update()
        after = screenshot("2-real-view", window)
        from formats import render

        own = render.render_ppm(window.current_document, 0, dpi=window.pageview.render_dpi)
        report["screen_same"] = before == after
        report["screen_has_page"] = min(before[20:]) < 40  # the page's black text is on screen, not only paper and grey
        report["own_render_same"] = own == early_pixels
        report["rendered_again"] = window.pageview.rendered
    report["dialogs"] = shown_dialogs
    report["view"] = [window.pageview.canvas.winfo_width(), window.pageview.canvas.winfo_height()]
    report["geometry"] = window.state.geometry
    try:
        os.waitpid(child.pid, os.WNOHANG)
        report["child_left"] = True
    except ChildProcessError:
        report["child_left"] = False
    window.close()
    application.destroy()
try:
    os.waitpid(-1, os.WNOHANG)
    report["any_child_left"] = True
except ChildProcessError:
    report["any_child_left"] = False
print(json.dumps(report))
