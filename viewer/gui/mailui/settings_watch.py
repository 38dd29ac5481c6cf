"""The « Dossier surveillé » settings screen: the [watch] section that `spoolview watch` runs from without FOLDER.

The screen is table-driven like the others (settings_dialog.SCREENS): its controls, their
browse buttons and their validation (the number checks, then ``settings.check``, the one
``spoolview settings check`` runs) are the dialog's; this module says which controls, in
what order, and adds the notes under them: what an empty folder means and how to run the
watcher.
"""

from __future__ import annotations

import dataclasses
from tkinter import ttk

from viewer.gui.i18n import _
from viewer.settings import Watch

__all__ = ["WATCH_FIELDS", "WATCH_SCREEN", "add_notes"]

WATCH_SCREEN = "watch"
NOTE_WRAP = 520  # px: the notes span the label and the field columns of a 1024x768 window

# (setting, kind) in the order of docs/batch.md: switch, folders, rules, then the times.
_ORDER: tuple[tuple[str, str], ...] = (
    ("enabled", "bool"),
    ("folder", "folder"),
    ("done", "folder"),
    ("failed", "folder"),
    ("hold", "folder"),
    ("rules", "file"),
    ("settle", "float"),
    ("interval", "float"),
    ("jobs", "count"),  # `watch --jobs` (worker processes), when this version of [watch] has it
)
_PRESENT = {f.name for f in dataclasses.fields(Watch)}
WATCH_FIELDS: tuple[tuple[str, str], ...] = tuple((f"watch.{name}", kind) for name, kind in _ORDER if name in _PRESENT)


def add_notes(tab: ttk.Frame, row: int) -> None:
    """Under the controls: empty folders default to FOLDER/done... and the watcher runs as its own process."""
    for offset, key in enumerate(("settings.watch.defaults", "settings.watch.run")):
        ttk.Label(tab, text=_(key), wraplength=NOTE_WRAP, justify="left").grid(
            row=row + offset, column=0, columnspan=3, sticky="w", padx=4, pady=(8 if offset == 0 else 2, 2))
