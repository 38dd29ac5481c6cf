"""The « Dossier surveillé » settings screen: every [watch] setting, browse buttons, saved and reloaded, bad values named."""

from __future__ import annotations

import dataclasses
from tkinter import ttk

import pytest

from viewer import settings as settings_mod
from viewer.gui.mailui.settings_dialog import SettingsDialog, label
from viewer.gui.mailui.settings_watch import WATCH_FIELDS, WATCH_SCREEN

pytestmark = pytest.mark.gui


def fresh() -> settings_mod.Settings:
    s = settings_mod.load()
    s.service.from_identity = "Ventes <ventes@example.com>"
    return s


def row_widgets(dialog: SettingsDialog, key: str) -> list:
    """The widgets on the grid row of ``key``'s control."""
    widget = dialog.widgets[key]
    row = int(widget.grid_info()["row"])
    return [w for w in dialog.tabs[WATCH_SCREEN].grid_slaves(row=row)]


def test_every_watch_setting_has_a_control_and_folders_a_browse_button(root, notify, tmp_path):
    assert {key for key, _kind in WATCH_FIELDS} == {f"watch.{f.name}" for f in dataclasses.fields(settings_mod.Watch)}
    picked = {"folder": str(tmp_path / "erp"), "file": str(tmp_path / "rules.toml")}
    asked: list[str] = []
    dialog = SettingsDialog(root, fresh(), notify=notify, screen=WATCH_SCREEN,
                            ask_folder=lambda initial: asked.append(initial) or picked["folder"],
                            ask_file=lambda initial: asked.append(initial) or picked["file"])
    assert dialog.current_screen() == WATCH_SCREEN and "Dossier surveillé" in dialog.screen_names()
    assert dialog.page_title.cget("text") == "Dossier surveillé"
    for key, kind in WATCH_FIELDS:
        buttons = [w for w in row_widgets(dialog, key) if isinstance(w, ttk.Button)]
        assert len(buttons) == (kind in ("folder", "file")), key
        if buttons:
            buttons[0].invoke()
            assert dialog.vars[key].get() == picked[kind], key
    assert len(asked) == 5  # folder, done, failed, hold, rules
    notes = [str(w.cget("text")) for w in dialog.tabs[WATCH_SCREEN].grid_slaves() if isinstance(w, ttk.Label)]
    assert any("spoolview watch" in n for n in notes) and any("done, failed et hold" in n for n in notes)
    dialog.cancel()


def test_change_save_and_reload_from_disk(root, notify, tmp_path):
    erp = tmp_path / "erp"
    erp.mkdir()
    rules = tmp_path / "rules.toml"
    rules.write_text('[default]\naction = "hold"\n', encoding="utf-8")
    dialog = SettingsDialog(root, fresh(), notify=notify, screen=WATCH_SCREEN)
    dialog.vars["watch.enabled"].set(True)
    dialog.vars["watch.folder"].set(str(erp))
    dialog.vars["watch.done"].set(str(tmp_path / "envoyes"))
    dialog.vars["watch.failed"].set(str(tmp_path / "erreurs"))
    dialog.vars["watch.rules"].set(f"  {rules}  ")
    dialog.vars["watch.settle"].set("1,5")  # a French decimal comma
    dialog.vars["watch.interval"].set("0.5")
    dialog.vars["watch.jobs"].set(" 2 ")
    assert dialog.ok(), notify.calls
    assert notify.calls == []
    loaded = settings_mod.load()  # from the file the one settings writer wrote
    assert loaded.watch == settings_mod.Watch(enabled=True, folder=str(erp), done=str(tmp_path / "envoyes"),
                                              failed=str(tmp_path / "erreurs"), rules=str(rules), settle=1.5, interval=0.5, jobs=2)
    assert settings_mod.check(loaded) == []
    again = SettingsDialog(root, loaded, notify=notify)
    assert again.vars["watch.folder"].get() == str(erp) and again.vars["watch.settle"].get() == "1.5"
    again.cancel()


@pytest.mark.parametrize(("key", "value", "said"), [
    ("watch.interval", "0.05", "l'intervalle d'examen doit être d'au moins 0,1 seconde"),  # the settings' words, in French
    ("watch.settle", "abc", "« abc » n'est pas un nombre positif"),
    ("watch.settle", "-2", "« -2 » n'est pas un nombre positif"),
    ("watch.jobs", "0", "« 0 » n'est pas un nombre de processus : saisissez un nombre entier de 1 à 64"),
    ("watch.jobs", "deux", "« deux » n'est pas un nombre de processus"),
    ("watch.folder", "MISSING", "n'est pas un dossier : créez-le ou corrigez le chemin"),
    ("watch.rules", "BROKEN", "la clé rule[1].action doit valoir l'une des valeurs 'send', 'hold', et non 'sned'"),
])
def test_a_bad_value_is_refused_with_its_field_named_and_nothing_saved(root, notify, tmp_path, key, value, said):
    path = settings_mod.paths.config_file()
    before = path.read_bytes() if path.exists() else None
    if value == "MISSING":
        value = str(tmp_path / "nulle-part")
    if value == "BROKEN":
        broken = tmp_path / "regles.toml"
        broken.write_text('[[rule]]\nkind = "devis"\naction = "sned"\n', encoding="utf-8")
        value = str(broken)
    dialog = SettingsDialog(root, fresh(), notify=notify, screen="printing")
    dialog.vars[key].set(value)
    assert not dialog.ok()
    kind, _title, message = notify.last()
    assert kind == "error" and "Rien n'a été enregistré" in message
    assert f"{label(key)}: " in message and said in message, message
    assert dialog.current_screen() == WATCH_SCREEN  # the refused field is shown...
    assert key in dialog.invalid and str(dialog.widgets[key].cget("style")) == "Invalid.TEntry"  # ...and marked
    assert (path.read_bytes() if path.exists() else None) == before
    dialog.cancel()


def test_watch_screen_fits_1024x768_in_french(small_screen, tmp_path, screenshot, notify):
    root, display = small_screen(1024, 768)
    dialog = SettingsDialog(root, fresh(), notify=notify, screen=WATCH_SCREEN)
    dialog.geometry("+0+0")
    dialog.update()
    width, height = dialog.winfo_width(), dialog.winfo_height()
    assert width <= 1024 and height <= 768
    shot = screenshot(display, tmp_path / "screens" / "settings-watch-fr.png", dialog)
    assert shot.stat().st_size > 0
    tab = dialog.tabs[WATCH_SCREEN]
    right = dialog.winfo_rootx() + width
    bottom = dialog.canvas.winfo_rooty() + dialog.canvas.winfo_height()
    for widget in tab.grid_slaves():  # nothing cut: every control and note inside the window and the page
        assert widget.winfo_rootx() + widget.winfo_width() <= right, widget
        assert widget.winfo_rooty() + widget.winfo_height() <= bottom, widget
    entries = [dialog.widgets[k] for k, kind in WATCH_FIELDS if kind in ("folder", "file")]
    assert len({e.winfo_rootx() for e in entries}) == 1  # the folder fields line up
    # A refused value: the page stays, the field is marked (red) and named in the message.
    dialog.show_screen("printing")
    dialog.vars["watch.interval"].set("0.05")
    assert not dialog.ok()
    dialog.update()
    screenshot(display, tmp_path / "screens" / "settings-watch-fr-refused.png", dialog)
    assert dialog.current_screen() == WATCH_SCREEN and "Intervalle d'examen sans inotify (secondes): " in notify.last()[2]
    dialog.destroy()
