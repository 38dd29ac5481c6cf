"""Window manners: every window fits a 1024x768 screen with its buttons visible, remembers its size,
closes with Close, Escape and Ctrl+W (real keys through xdotool); paths elide in the middle."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from viewer import settings as settings_mod
from viewer.gui import windows

pytestmark = pytest.mark.gui
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


@pytest.fixture
def _xdotool() -> None:
    """xdotool and ImageMagick's import (tools/system-deps.sh): a missing one fails the test, never skips it."""
    from tests.support.tools import require_tool
    require_tool("xdotool")
    require_tool("import")


needs_xdotool = pytest.mark.usefixtures("_xdotool")


def test_elide_middle_keeps_both_ends():
    path = "/home/marie/Documents/Devis/2026/novembre/devis-D2026-0042.pdf"
    short = windows.elide_middle(path, lambda t: len(t) <= 30)
    assert len(short) == 30 and "…" in short
    assert short.startswith("/home/marie/") and short.endswith("0042.pdf")
    assert windows.elide_middle("court", lambda t: len(t) <= 30) == "court"
    assert windows.elide_middle(path, lambda t: len(t) <= 1) == "…"
    assert windows.elide_end("Société Coopérative Ouvrière", lambda t: len(t) <= 12) == "Société Coo…"


def test_fitted_size_never_exceeds_the_screen():
    assert windows.fitted_size((1187, 900), (1008, 704)) == (1008, 704)
    assert windows.fitted_size((500, 300), (1008, 704)) == (500, 300)
    assert windows.fitted_size((10, 10), (1008, 704)) == windows.MIN_SIZE


def test_sizes_are_remembered_and_a_damaged_file_is_ignored():
    assert windows.saved_sizes() == {}
    assert windows.remember_size("records", 800, 500)
    assert windows.saved_sizes() == {"records": "800x500"}
    assert oct(windows.sizes_file().stat().st_mode & 0o777) != "0o666"
    windows.sizes_file().write_text("{not json", encoding="utf-8")
    assert windows.saved_sizes() == {}
    windows.sizes_file().write_text('{"a": "12x", "b": "640x480"}', encoding="utf-8")
    assert windows.saved_sizes() == {"b": "640x480"}


def settings_for_test() -> settings_mod.Settings:
    s = settings_mod.Settings()
    s.printing.no_save_offer = True
    s.service.from_identity = "Ventes <ventes@example.com>"
    return s


def all_windows(ui, window):
    """Every secondary window of the viewer, opened the way the menus open them."""
    from viewer.gui.mailui.connection_dialog import ConnectDialog, ProfilesDialog

    made = {
        "send": ui.mail(),
        "records": ui.records(),
        "settings": ui.settings(),
        "settings-functions": ui.settings("functions"),
        "test-mail": ui.test_mail(),
        "trace": ui.trace_load(),
        "sent-folder": ui.sent_folder(),
        "error-folder": ui.error_folder(),
        "smtp-log": ui.smtp_log(),
        "profiles": ProfilesDialog(window, ui.services),
        "batch": ui.batch([SAMPLES / "devis-D2026-0042.spv", SAMPLES / "facture-F2026-0107.spv"]),
    }
    ui.services.settings.profiles["bureau"] = settings_mod.ConnectionProfile(
        name="bureau", url="https://srv.example:8443", user="alice")
    made["connect"] = ConnectDialog(window, ui.services)
    return made


def button_boxes(toplevel):
    """(text, x0, y0, x1, y1) of every button shown in ``toplevel``, in screen coordinates."""
    from tkinter import ttk

    out, todo = [], [toplevel]
    while todo:
        widget = todo.pop()
        todo.extend(widget.winfo_children())
        if isinstance(widget, ttk.Button) and widget.winfo_ismapped() and not in_scrolled_area(widget):
            x, y = widget.winfo_rootx(), widget.winfo_rooty()
            out.append((str(widget.cget("text")), x, y, x + widget.winfo_width(), y + widget.winfo_height(),
                        widget.winfo_reqwidth()))
    return out


def in_scrolled_area(widget) -> bool:
    """True inside a scrolled canvas: reached by scrolling (checked apart), not by the window's size."""
    import tkinter as tk

    parent = widget.master
    while parent is not None:
        if isinstance(parent, tk.Canvas):
            return True
        parent = parent.master
    return False


@needs_xdotool
def test_every_window_fits_1024x768_with_its_buttons_visible(small_screen, samples, tmp_path, screenshot):
    from viewer.gui.mailui import install
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    root, display = small_screen(1024, 768)
    shots = tmp_path / "screens-1024x768"
    window = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=settings_for_test(),
                        hooks=[lambda w: install(w, notify=lambda *a: None, start_delay_ms=None)])
    window.update()
    assert window.open_path(samples / "devis-D2026-0042.spv")
    window.geometry("1024x740+0+0")
    screenshot(display, shots / "main.png", window)
    made = all_windows(window.mailui, window)
    for name, dialog in made.items():
        dialog.geometry("+0+0")
        dialog.lift()
        dialog.update()
        width, height = dialog.winfo_width(), dialog.winfo_height()
        assert width <= 1024 and height <= 768, (name, width, height)
        screenshot(display, shots / f"{name}.png", dialog)
        buttons = button_boxes(dialog)
        assert buttons, name
        left, top = dialog.winfo_rootx(), dialog.winfo_rooty()
        for text, x0, y0, x1, y1, wanted in buttons:
            x0, x1, y0, y1 = x0 - left, x1 - left, y0 - top, y1 - top
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height, (name, text, (x0, y0, x1, y1))
            assert x1 - x0 >= wanted - 1, (name, text, "clipped")
        dialog.withdraw()
    # a screen taller than the room scrolls: its last button comes into view
    settings = made["settings-functions"]
    settings.deiconify()
    settings.update()
    assert settings.scrollbar.winfo_ismapped()
    settings.canvas.yview_moveto(1.0)
    settings.update()
    screenshot(display, shots / "settings-functions-scrolled.png", settings)
    from tkinter import ttk

    env_button = [w for w in walk(settings.tabs["functions"])
                  if isinstance(w, ttk.Button) and str(w.cget("text")) == "Environnement…"][0]
    bottom = settings.canvas.winfo_rooty() + settings.canvas.winfo_height()
    assert settings.canvas.winfo_rooty() <= env_button.winfo_rooty() and env_button.winfo_rooty() + env_button.winfo_height() <= bottom
    for dialog in made.values():
        dialog.destroy()
    window.close()


@needs_xdotool
def test_escape_ctrl_w_and_close_button_close_every_window_and_sizes_are_remembered(small_screen, tmp_path):
    from viewer.gui.mailui import install
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    root, display = small_screen(1024, 768)
    window = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=settings_for_test(),
                        hooks=[lambda w: install(w, notify=lambda *a: None, start_delay_ms=None)])
    window.update()
    env = {**os.environ, "DISPLAY": display}
    made = all_windows(window.mailui, window)
    ways = ("Escape", "ctrl+w", "button")
    for n, (name, dialog) in enumerate(made.items()):
        dialog.geometry("+0+0")
        dialog.lift()
        dialog.update()
        dialog.focus_force()
        dialog.update()
        way = ways[n % 3]
        if way == "button":
            [close] = [w for w in walk(dialog) if is_close_button(w)]
            close.invoke()
        else:
            subprocess.run(["xdotool", "key", way], check=True, timeout=10, env=env)
            for _ in range(200):
                root.update()
                if not dialog.winfo_exists():
                    break
        assert not dialog.winfo_exists(), (name, way)
    sizes = windows.saved_sizes()
    assert {"send", "records", "trace", "folder", "smtp-log", "profiles", "connect", "test-mail", "batch"} <= set(sizes)
    window.close()


def walk(widget):
    todo = [widget]
    while todo:
        w = todo.pop()
        todo.extend(w.winfo_children())
        yield w


def is_close_button(widget) -> bool:
    from tkinter import ttk

    return (isinstance(widget, ttk.Button) and str(widget.cget("text")) in ("Fermer", "Annuler")
            and not widget.instate(["disabled"]))  # the batch's Annuler (stop sending) is off when idle


def _tk_dialog_texts(root, shots, name, display):
    """Open a real Tk file dialog and a real Yes/No box; return their button texts (read while they show)."""
    from tkinter import filedialog, messagebox

    from tests.viewer.gui.conftest import shoot

    seen: dict[str, list[str]] = {}

    def buttons_of(path: str) -> list[tuple[str, str]]:
        out, todo = [], [path]
        while todo:
            widget = todo.pop()
            todo.extend(str(c) for c in root.tk.splitlist(root.tk.call("winfo", "children", widget)))
            if root.tk.call("winfo", "class", widget) in ("Button", "TButton"):
                out.append((widget, str(root.tk.call(widget, "cget", "-text"))))
        return out

    def inspect(kind: str, pattern: str, closers: tuple[str, ...]) -> None:
        tops = [str(w) for w in root.tk.splitlist(root.tk.call("winfo", "children", "."))
                if pattern in str(w) and root.tk.call("winfo", "ismapped", w)]
        if not tops:
            root.after(50, inspect, kind, pattern, closers)
            return
        root.update()
        found = buttons_of(tops[0])
        seen[kind] = [text for _w, text in found]
        shoot(display, shots / f"{name}-{kind}.png")
        [closer] = [w for w, text in found if text.replace("&", "") in closers][:1] or [found[-1][0]]
        root.tk.call(closer, "invoke")

    closers = ("Annuler", "Cancel", "Non", "No")
    root.after(100, inspect, "file", "__tk_filedialog", closers)
    filedialog.askopenfilename(parent=root, title="x")
    root.after(100, inspect, "yesno", "__tk__messagebox", closers)
    messagebox.askyesno("x", "?", parent=root)
    return seen


@needs_xdotool
def test_tk_own_dialogs_speak_the_interface_language(small_screen, tmp_path):
    from viewer.gui import i18n

    root, display = small_screen(1024, 768)
    root.deiconify()
    assert windows.apply_tk_language(root) == "fr"
    french = _tk_dialog_texts(root, tmp_path / "screens", "fr", display)
    assert "Annuler" in french["file"] and "&Open" not in french["file"], french
    assert {"Oui", "Non"} <= set(french["yesno"]), french
    i18n.set_language("en")
    try:
        assert windows.apply_tk_language(root) == "en"
        english = _tk_dialog_texts(root, tmp_path / "screens", "en", display)
        assert "Cancel" in english["file"] and {"Yes", "No"} <= set(english["yesno"]), english
    finally:
        i18n.set_language("fr")


def test_a_withdrawn_window_is_laid_out_at_its_size_without_being_shown(root):
    import tkinter as tk

    window = tk.Toplevel(root)
    window.withdraw()
    frame = tk.Frame(window)
    frame.pack(fill="both", expand=True)
    canvas = tk.Canvas(frame, highlightthickness=0)
    canvas.pack(fill="both", expand=True)
    try:
        windows.lay_out_withdrawn(window, "640x480")
        root.update()
        assert (canvas.winfo_width(), canvas.winfo_height()) == (640, 480)
        assert window.wm_state() == "withdrawn" and not window.winfo_ismapped()
    finally:
        window.destroy()
