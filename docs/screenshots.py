"""Remake the documentation's screenshots on a 1024x768 screen: ``xvfb-run -s "-screen 0 1024x768x24" python docs/screenshots.py``.

Writes docs/screenshot.png (the viewer on the sample quote, as the README shows it),
docs/send-dialog.png and docs/connect-dialog.png. Runs in a throw-away data folder that
reads like a user's (``/home/marie/.local/share/spoolview``, removed afterwards) so no
temporary path shows in the pictures.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def grab(widget, path: Path | None = None, whole: bool = False):
    from PIL import Image

    for _ in range(30):
        widget.update()
    png = subprocess.run(["import", "-window", "root", "png:-"], capture_output=True, check=True).stdout
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if not whole:
        x, y = widget.winfo_rootx(), widget.winfo_rooty()
        image = image.crop((x, y, x + widget.winfo_width(), y + widget.winfo_height()))
    if path is not None:
        image.save(path, optimize=True)
    return image


def main() -> int:
    home = Path("/home/marie/.local/share/spoolview")
    if home.exists():
        raise SystemExit(f"{home} exists: remove it or run this on a throw-away machine")
    home.mkdir(parents=True)
    os.environ["SPOOLVIEW_HOME"] = str(home)
    try:
        return shoot(home)
    finally:
        shutil.rmtree("/home/marie")


def shoot(home: Path) -> int:
    os.environ["LANGUAGE"] = "fr"
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    sys.path.insert(0, str(ROOT))
    import tkinter as tk

    from viewer import settings as settings_mod
    from viewer.directory import open_directory
    from viewer.gui.mailui import install
    from viewer.gui.mailui.connection_dialog import ConnectDialog
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    s = settings_mod.Settings()
    s.printing.no_save_offer = True
    s.service.from_identity = "Menuiseries Beaumont <devis@menuiseries-beaumont.example>"
    settings_mod.save(s)
    open_directory(s).import_csv(ROOT / "samples" / "customers.csv", ROOT / "samples" / "contacts.csv")
    root = tk.Tk()
    root.withdraw()
    window = MainWindow(root, state=ViewerState(path=home / "state.json"), settings=s,
                        hooks=[lambda w: install(w, start_delay_ms=None)])
    window.geometry("1024x740+0+0")
    window.open_path(ROOT / "samples" / "devis-D2026-0042.spv")
    grab(window)
    grab(window, DOCS / "screenshot.png", whole=True)
    dialog = window.mailui.mail()
    dialog.geometry("+150+90")
    grab(dialog, DOCS / "send-dialog.png")
    dialog.destroy()
    connect = ConnectDialog(window, window.mailui.services)
    connect.new_vars["url"].set("https://spoolview.bureau.example:8443")
    connect.new_vars["user"].set("marie")
    connect.password_var.set("secret-pw")
    connect.geometry("+200+200")
    grab(connect, DOCS / "connect-dialog.png")
    connect.destroy()
    window.close()
    root.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
