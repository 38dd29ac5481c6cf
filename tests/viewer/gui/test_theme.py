"""One look: the clam theme and palette everywhere, Tk scaling and toolbar icons following the display's DPI
(100 % and 200 %, on private Xvfb screens; screenshots under the test's folder)."""

from __future__ import annotations

import pytest

from viewer import settings as settings_mod
from viewer.gui import theme

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("_imagemagick")]


@pytest.fixture
def _imagemagick() -> None:
    """ImageMagick's import (tools/system-deps.sh): missing, the test fails with the install command."""
    from tests.support.tools import require_tool
    require_tool("import")


@pytest.mark.parametrize("dpi, icon", [(96, 24), (192, 48)])
def test_scaling_and_icons_follow_the_dpi(small_screen, tmp_path, screenshot, dpi, icon):
    import tkinter as tk

    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    root, display = small_screen(1024 * dpi // 96, 768 * dpi // 96, dpi)
    s = settings_mod.Settings()
    s.printing.no_save_offer = True
    window = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=s)
    window.geometry(f"{900 * dpi // 96}x{400 * dpi // 96}+0+0")
    window.update()
    assert float(root.tk.call("tk", "scaling")) == pytest.approx(dpi / 72, rel=0.02)
    assert ttk_theme(root) == "clam"
    assert window.toolbar.size == icon
    button = window.toolbar.buttons["open"]
    assert button.winfo_height() >= icon  # the icon shows whole at this scale
    text = tk.Text(window)
    assert text.cget("background") == theme.PALETTE["field"]  # classic widgets share the palette
    screenshot(display, tmp_path / "screens" / f"main-{dpi}dpi.png", window)
    window.close()


def ttk_theme(root) -> str:
    from tkinter import ttk

    return ttk.Style(root).theme_use()


def test_scaling_never_below_96_dpi(root):
    assert theme.dpi_scaling(root) >= 96 / 72
