"""Menus, toolbar and shortcuts of the main window: entries present, keys left to text fields."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def labels(menu):
    return [menu.entrycget(i, "label") for i in range(menu.index("end") + 1) if menu.type(i) != "separator"]


def test_menu_bar_and_entries(window):
    assert labels(window.menubar) == ["Fichier", "Affichage", "Connexion", "Divers", "Paramètres", "Aide"]
    assert "Ouvrir…" in labels(window.menus["file"]) and "Fichiers récents" in labels(window.menus["file"])
    assert {"Zoom avant", "Page entière", "Aller à la page…", "Rechercher…"} <= set(labels(window.menus["view"]))
    assert labels(window.language_menu) == ["Automatique (système)", "Français", "English"]


def test_toolbar_buttons(window):
    assert list(window.toolbar.buttons)[:4] == ["open", "save", "pdf", "print"]
    assert {"first", "prev", "next", "last", "zoom-in", "zoom-out", "fit-width", "fit-page", "rotate",
            "find", "thumbnails"} <= set(window.toolbar.buttons)


def test_view_keys_are_left_to_text_fields(window, make_pdf, settle):
    window.settings.printing.no_save_offer = True
    assert window.open_path(make_pdf(pages=["a", "b", "c"]))
    settle(window)
    window.show_search()
    settle(window)
    zoom = window.pageview.zoom
    window.searchbar.entry.event_generate("<plus>")
    window.searchbar.entry.event_generate("<End>")
    assert window.pageview.zoom == zoom and window.pageview.current_page == 0
    window.pageview.canvas.focus_force()
    settle(window)
    window.pageview.canvas.event_generate("<End>")
    assert window.pageview.current_page == 2


def test_shortcuts_run_their_command(window, answer):
    shown = answer()
    window.event_generate("<Control-o>")
    assert [getattr(d, "kind", None) for d in shown] == ["open"]
    window.event_generate("<F9>")
    assert not window.thumbnails_shown
    window.event_generate("<Control-f>")
    window.update()
    assert window.searchbar.winfo_ismapped()


def test_submenus_follow_the_language(window):
    from viewer.gui import i18n

    sub = window.add_submenu("tools", "menu.file.recent")
    sub.add_command(label="x")
    try:
        window.set_language("en")
        assert "Recent files" in labels(window.menus["tools"])
    finally:
        window.set_language("fr")
        i18n.set_language("fr")
