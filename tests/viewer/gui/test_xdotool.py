"""Drive the real window with xdotool: open through the toolbar's file dialog, page down, zoom;
screenshots taken with ImageMagick's ``import -window root`` change as expected."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import require_tool

pytestmark = pytest.mark.gui

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "devis-D2026-0042.spv"


def screenshot(window):
    """The window's area of a screenshot of the whole screen."""
    from PIL import Image

    window.update()
    png = subprocess.run([require_tool("import"), "-window", "root", "png:-"], capture_output=True, check=True, timeout=30).stdout
    x, y = window.winfo_rootx(), window.winfo_rooty()
    return Image.open(io.BytesIO(png)).convert("RGB").crop((x, y, x + window.winfo_width(), y + window.winfo_height()))


def differs(a, b) -> bool:
    from PIL import ImageChops

    return ImageChops.difference(a, b).getbbox() is not None


def xdo(*args: str) -> None:
    subprocess.run([require_tool("xdotool"), *args], check=True, timeout=30)


def pump(window, until, limit=400):
    for _ in range(limit):
        window.update()
        if until():
            return True
    return until()


@pytest.fixture
def real_window(root, tmp_path):
    """A window with no dialog responder: dialogs are real and answered by typing."""
    from viewer import settings
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    s = settings.Settings()
    s.printing.no_save_offer = True
    win = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=s)
    yield win
    if win.winfo_exists():
        win.close()


def test_open_page_down_and_zoom_with_real_input(real_window, tmp_path):
    window = real_window
    doc = tmp_path / "devis.spv"
    shutil.copy(SAMPLE, doc)
    window.geometry("900x700+0+0")
    pump(window, lambda: window.winfo_viewable())
    empty = screenshot(window)

    # A background xdotool waits for the file dialog, types the path and presses Return.
    title = "Ouvrir un document"
    script = (
        f"id=$(xdotool search --sync --onlyvisible --name '^{title}$' | head -n 1); "
        f"xdotool windowfocus --sync \"$id\"; xdotool type --delay 2 '{doc}'; xdotool key Return"
    )
    helper = subprocess.Popen(["timeout", "30", "sh", "-c", script])
    try:
        button = window.toolbar.buttons["open"]
        x = button.winfo_rootx() + button.winfo_width() // 2
        y = button.winfo_rooty() + button.winfo_height() // 2
        xdo("mousemove", "--sync", str(x), str(y), "click", "1")
        assert pump(window, lambda: window.current_document is not None), "the document did not open"
    finally:
        helper.wait(timeout=30)
    assert window.current_document.name == "devis.spv"
    window.pageview.render_pending()
    opened = screenshot(window)
    assert differs(empty, opened)

    frame = window.wm_frame()
    xdo("windowfocus", "--sync", str(int(frame, 16)))
    xdo("key", "Next")
    assert pump(window, lambda: window.pageview.current_page == 1)
    window.pageview.render_pending()
    page2 = screenshot(window)
    assert differs(opened, page2)

    zoom = window.pageview.zoom
    width = window.pageview.photo(1).width()
    xdo("key", "plus")
    assert pump(window, lambda: window.pageview.zoom > zoom)
    window.pageview.render_pending()
    assert window.pageview.photo(window.pageview.current_page).width() > width
    assert differs(page2, screenshot(window))
