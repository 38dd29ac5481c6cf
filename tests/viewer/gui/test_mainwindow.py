"""The main window: every sample opens and shows pages, navigation, zoom, search, errors, saving."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
PAGED = ["devis-D2026-0042.spv", "facture-F2026-0107.spv", "releve-CLI003.txt", "notice.pdf", "scan-3pages.tiff"]


def sample(name: str) -> Path:
    path = SAMPLES / name
    assert path.exists(), f"sample {path} missing: run `python samples/make_samples.py`"
    return path


@pytest.mark.parametrize("name", PAGED)
def test_each_sample_opens_and_shows_a_rendered_page(window, settle, is_non_blank, name):
    assert window.open_path(sample(name))
    settle(window)
    view = window.pageview
    assert view.page_count == window.current_document.page_count >= 1
    photo = view.photo(0)
    assert photo is not None and is_non_blank(photo)
    assert window.status.page.get().endswith(f"/ {view.page_count}")
    assert window.current_document.name in window.status.document.get()


def test_navigation_and_page_count(window, settle):
    assert window.open_path(sample("scan-3pages.tiff"))
    settle(window)
    view = window.pageview
    assert view.page_count == 3 and view.current_page == 0
    window.next_page()
    settle(window)
    assert view.current_page == 1 and window.status.page.get() == "Page 2 / 3"
    window.last_page()
    settle(window)
    assert view.current_page == 2 and view.photo(2) is not None
    window.prev_page()
    assert view.current_page == 1
    window.first_page()
    assert view.current_page == 0
    window.page_entry.delete(0, "end")
    window.page_entry.insert(0, "3")
    window.page_entry_go()
    assert view.current_page == 2


def test_keyboard_shortcuts_move_and_zoom(window, settle):
    assert window.open_path(sample("scan-3pages.tiff"))
    settle(window)
    view = window.pageview
    view.canvas.focus_force()
    settle(window)
    view.canvas.event_generate("<Next>")
    assert view.current_page == 1
    view.canvas.event_generate("<End>")
    assert view.current_page == 2
    view.canvas.event_generate("<Home>")
    assert view.current_page == 0
    before = view.zoom
    view.canvas.event_generate("<plus>")
    assert view.zoom > before
    view.canvas.event_generate("<minus>")
    assert view.zoom == pytest.approx(before, rel=0.2)


def test_zoom_changes_the_image_size(window, settle):
    assert window.open_path(sample("devis-D2026-0042.spv"))
    settle(window)
    view = window.pageview
    width = view.photo(0).width()
    view.zoom_in()
    settle(window)
    assert view.photo(0).width() > width
    view.set_zoom(0.5)
    settle(window)
    assert view.photo(0).width() < width
    assert window.status.zoom.get() == "50 %"


def test_search_finds_a_word_of_the_quote_and_highlights_it(window, settle):
    assert window.open_path(sample("devis-D2026-0042.spv"))
    settle(window)
    window.show_search()
    window.searchbar.entry.insert(0, "Devis")
    window.searchbar.find(1)
    settle(window)
    page, n = window.finder.current
    assert page == 0 and n == 0
    boxes = window.pageview.hit_boxes(0)
    assert boxes, "the hit is drawn on the page"
    x0, y0, x1, y1 = window.pageview.canvas.coords("p0")
    assert all(x0 <= b[0] < b[2] <= x1 and y0 <= b[1] < b[3] <= y1 for b in boxes)
    assert "1" in window.searchbar.message.cget("text")


def test_search_not_found_says_so(window, settle):
    assert window.open_path(sample("devis-D2026-0042.spv"))
    settle(window)
    window.find("zzzqqq-nowhere")
    settle(window)
    assert window.finder.current is None
    assert "zzzqqq-nowhere" in window.status.message_text()


def test_corrupt_file_shows_a_dialog_and_the_window_stays_usable(window, answer, settle, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n this is not really a pdf \x00\x01\x02")
    shown = answer(lambda d: d.ok())
    assert not window.open_path(bad)
    assert [d.kind for d in shown] == ["error"]
    assert "broken.pdf" in shown[0].message
    assert window.current_document is None
    assert window.open_path(sample("notice.pdf"))  # still usable
    settle(window)
    assert window.pageview.photo(0) is not None


def test_corrupt_file_keeps_the_open_document(window, answer, tmp_path):
    assert window.open_path(sample("notice.pdf"))
    bad = tmp_path / "broken.spv"
    bad.write_text("{ not json", encoding="utf-8")
    shown = answer(lambda d: d.ok())
    assert not window.open_path(bad)
    assert shown[0].kind == "error" and "broken.spv" in shown[0].message
    assert window.current_document.name == "notice.pdf"


def _corrupt_quote(tmp_path, name, change):
    import json

    data = json.loads(sample("devis-D2026-0042.spv").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_corrupt_spool_open_error_is_in_the_interface_language(window, answer, tmp_path, screenshot):
    """Under a French interface the detail (file, page, field, what is wrong) is French too; English once switched."""
    from viewer.gui.i18n import set_language

    bad = _corrupt_quote(tmp_path, "devis-abime.spv", lambda d: d["pages"].__setitem__(1, 5))
    shown = answer(lambda d: d.ok())
    assert not window.open_path(bad)
    assert [d.kind for d in shown] == ["error"]
    assert shown[0].message == ("« devis-abime.spv » ne peut pas être ouvert : page 2, "
                                "champ « pages.1 » : la valeur 5 n'est pas du type attendu (objet)")
    set_language("en")
    try:
        assert not window.open_path(bad)
    finally:
        set_language("fr")
    assert shown[1].message == "“devis-abime.spv” cannot be opened: page 2, field 'pages.1': 5 is not of type 'object'"


def test_corrupt_first_page_is_an_open_error_in_the_interface_language(window, answer, tmp_path, settle):
    """A spool page is checked when first used: a bad first page is refused at open (it used to escape
    from showing the document), named with page, item and field in French; the window keeps what it showed."""
    assert window.open_path(sample("notice.pdf"))
    bad = _corrupt_quote(tmp_path, "devis-p1.spv", lambda d: d["pages"][0]["items"][2].__setitem__("type", "texte"))
    shown = answer(lambda d: d.ok())
    assert not window.open_path(bad)
    settle(window)
    assert [d.message for d in shown] == [
        "« devis-p1.spv » ne peut pas être ouvert : page 1, élément 3, champ « type » : "
        "type d'élément « texte » inconnu (types possibles : text, line, rect, image, table)"]
    assert window.current_document.name == "notice.pdf"


def test_corrupt_later_page_render_error_is_in_the_interface_language(window, answer, tmp_path, settle):
    """A bad page 2 shows once drawn: the dialog names it with item and field in French."""
    bad = _corrupt_quote(tmp_path, "devis-p2.spv", lambda d: d["pages"][1]["items"][2].__setitem__("type", "texte"))
    window.settings.printing.no_save_offer = True
    shown = answer(lambda d: d.ok())
    assert window.open_path(bad)
    window.pageview.go_to(1)
    settle(window)
    errors = [d.message for d in shown if d.kind == "error"]
    assert errors == ["La page 2 ne peut pas être affichée : fichier « devis-p2.spv », page 2, élément 3, champ « type » : "
                      "type d'élément « texte » inconnu (types possibles : text, line, rect, image, table)"]


def test_vanished_file_shows_a_dialog(window, answer, tmp_path):
    shown = answer(lambda d: d.ok())
    assert not window.open_path(tmp_path / "gone.spv")
    assert shown[0].kind == "error" and "gone.spv" in shown[0].message


def test_wrong_password_retries_then_opens(window, answer, make_pdf, settle):
    path = make_pdf("secret.pdf", pages=["Confidential quote"], password="s3cret")
    answers = iter(["wrong", "s3cret"])
    seen = []

    def respond(dialog):
        seen.append((dialog.kind, getattr(dialog, "retry", None)))
        dialog.entry.insert(0, next(answers))
        dialog.ok()

    answer(respond)
    assert window.open_path(path)
    assert seen == [("password", False), ("password", True)]
    settle(window)
    assert window.pageview.photo(0) is not None


def test_wrong_password_cancelled_leaves_the_window_usable(window, answer, make_pdf):
    path = make_pdf("secret.pdf", password="s3cret")
    shown = answer(lambda d: d.cancel())
    assert not window.open_path(path)
    assert [d.kind for d in shown] == ["password"]
    assert window.current_document is None
    assert window.open_path(make_pdf("open.pdf"))


def test_password_attempts_are_bounded(window, answer, make_pdf):
    path = make_pdf("secret.pdf", password="s3cret")

    def respond(dialog):
        if dialog.kind == "password":
            dialog.entry.insert(0, "nope")
        dialog.ok()

    shown = answer(respond)
    assert not window.open_path(path)
    assert shown[-1].kind == "error" and "secret.pdf" in shown[-1].message
    assert sum(d.kind == "password" for d in shown) == 5


def test_spool_opening_offers_to_save_the_preview(window, answer, tmp_path, settle):
    target = tmp_path / "copies" / "copy.spv"
    target.parent.mkdir()

    def respond(dialog):
        if dialog.kind == "save-preview":
            dialog.ok()
        elif dialog.kind == "save":
            dialog.result = str(target)

    shown = answer(respond)
    source = sample("devis-D2026-0042.spv")
    assert window.open_path(source)
    settle(window)
    assert [d.kind for d in shown] == ["save-preview", "save"]
    assert target.read_bytes() == source.read_bytes()
    assert str(target) in window.status.message_text()


def test_dont_offer_again_is_saved_in_the_settings(window, answer, settle):
    from viewer import settings

    def respond(dialog):
        dialog.dont_offer.set(True)
        dialog.cancel()

    shown = answer(respond)
    assert window.open_path(sample("devis-D2026-0042.spv"))
    settle(window)
    assert len(shown) == 1 and window.settings.printing.no_save_offer
    assert settings.load().printing.no_save_offer
    window.open_path(sample("facture-F2026-0107.spv"))
    settle(window)
    assert len(shown) == 1  # not offered again


def test_pdf_does_not_offer_the_preview_save(window, answer, settle):
    shown = answer()
    assert window.open_path(sample("notice.pdf"))
    settle(window)
    assert shown == []


def test_save_as_pdf_with_a_password(window, answer, tmp_path, settle):
    import pymupdf

    target = tmp_path / "out.pdf"

    def respond(dialog):
        if dialog.kind == "save-pdf":
            dialog.mode.set("password")
            dialog._mode_changed()
            dialog.password.insert(0, "pw-123")
            dialog.confirm.insert(0, "pw-123")
            dialog.ok()
        elif dialog.kind == "save":
            dialog.result = str(target)
        else:
            dialog.cancel()

    window.settings.printing.no_save_offer = True
    assert window.open_path(sample("devis-D2026-0042.spv"))
    answer(respond)
    window.cmd_save_pdf()
    doc = pymupdf.open(target)
    assert doc.needs_pass and doc.authenticate("pw-123")
    assert "Devis" in doc[0].get_text() or "DEVIS" in doc[0].get_text()


def test_save_to_an_unwritable_place_shows_an_error(window, answer, tmp_path):
    window.settings.printing.no_save_offer = True
    assert window.open_path(sample("notice.pdf"))

    def respond(dialog):
        if dialog.kind == "save":
            dialog.result = str(tmp_path / "no-such-folder" / "copy.pdf")
        else:
            dialog.ok()

    shown = answer(respond)
    window.cmd_save_preview()
    assert shown[-1].kind == "error" and "copy.pdf" in shown[-1].message


def test_commands_without_a_document_only_say_so(window, answer):
    shown = answer()
    window.cmd_save_pdf()
    window.cmd_print()
    window.cmd_save_preview()
    assert shown == []
    assert window.status.message_text()


def test_eml_shows_headers_and_opens_the_pdf_attachment_in_a_new_window(window, settle):
    assert window.open_path(sample("mail-devis.eml"))
    settle(window)
    view = window.eml_view
    assert view is not None and "Subject" in view.header_values
    pdfs = [a for a in view.attachments if a.filename.lower().endswith(".pdf")]
    assert pdfs
    before = set(window.master.winfo_children())
    window.open_attachment(pdfs[0])
    new = [w for w in window.master.winfo_children() if w not in before]
    assert len(new) == 1
    settle(new[0])
    assert new[0].current_document.source == "pdf"
    assert new[0].pageview.photo(0) is not None
    new[0].close()


def test_plugins_add_menu_entries_and_toolbar_buttons(root, tmp_path, answer):
    from viewer import settings
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    calls = []

    def install(win):
        win.add_menu_command("tools", "menu.file.open", lambda: calls.append("menu"))
        win.add_toolbar_button("mail", "mail", "tip.open", lambda: calls.append("mail"), position="find")
        win.status.set_route("SMTP — local")

    def broken(win):
        raise RuntimeError("plugin bug")

    win = MainWindow(root, state=ViewerState(path=tmp_path / "s.json"), settings=settings.Settings(),
                     hooks=[broken, install])
    menu = win.menu("tools")
    menu.invoke(menu.index("end"))
    win.toolbar.buttons["mail"].invoke()
    assert calls == ["menu", "mail"]
    order = win.toolbar._order
    assert order.index(win.toolbar.buttons["mail"]) == order.index(win.toolbar.buttons["find"]) - 1
    assert win.status.route_text() == "SMTP — local"
    win.close()


def test_a_plugin_entry_placed_after_another_keeps_every_label_in_step(window):
    from viewer.gui import i18n

    def labels() -> list[str]:
        menu = window.menus["file"]
        return [menu.entrycget(i, "label") for i in range(menu.index("end") + 1) if menu.type(i) != "separator"]

    calls = []
    index = window.add_menu_command("file", "menu.view.find", lambda: calls.append("find"), "F3", after="menu.file.print")
    before = labels()
    assert before[before.index("Imprimer…") + 1] == "Rechercher…" and before[-1] == "Quitter"
    window.menus["file"].invoke(index)
    assert calls == ["find"]
    try:
        window.set_language("en")  # the entries below the new one were moved: they still get their own words
        after = labels()
        assert after[after.index("Print…"):] == ["Print…", "Find…", "New window", "Close window", "Quit"]
        assert window.menus["file"].entrycget(index, "accelerator") == "F3"
        menu = window.menus["file"]
        shortcuts = {menu.entrycget(i, "label"): menu.entrycget(i, "accelerator") for i in range(menu.index("end") + 1)
                     if menu.type(i) == "command"}
        assert shortcuts["Quit"] == "Ctrl+Q" and shortcuts["Close window"] == "Ctrl+W"
    finally:
        i18n.set_language("fr")


def test_language_switch_relabels_the_menus(window):
    from viewer.gui import i18n

    try:
        window.set_language("en")
        assert window.menubar.entrycget(0, "label") == "File"
        window.set_language("fr")
        assert window.menubar.entrycget(0, "label") == "Fichier"
        assert window.settings.printing.language == "fr"
    finally:
        i18n.set_language("fr")


def test_recent_files_and_geometry_are_remembered(window, tmp_path):
    path = sample("notice.pdf")
    window.settings.printing.no_save_offer = True
    assert window.open_path(path)
    window.fill_recent_menu()
    assert window.recent_menu.entrycget(0, "label") == str(path.resolve())
    state_path = window.state.path
    window.close()
    from viewer.gui.recent import ViewerState

    state = ViewerState.load(state_path)
    assert state.recent[0] == str(path.resolve())
    assert state.geometry.startswith("900x700")


def test_render_failure_is_reported_once(window, answer, make_pdf, settle, tmp_path):
    path = make_pdf("pages.pdf", pages=["one", "two"])
    assert window.open_path(path)
    shown = answer(lambda d: d.ok())

    def boom(index, dpi, rotation):
        raise OSError(5, "Input/output error", str(path))

    window.source.render_ppm = boom
    window.pageview.cache.clear()
    window.pageview.set_zoom(2.0)
    settle(window)
    assert [d.kind for d in shown] == ["error"]
    assert "pages.pdf" in shown[0].message
    assert window.winfo_exists()


def test_goto_dialog_moves_to_the_page(window, answer, settle):
    assert window.open_path(sample("scan-3pages.tiff"))

    def respond(dialog):
        dialog.entry.delete(0, "end")
        dialog.entry.insert(0, "3")
        dialog.ok()

    answer(respond)
    window.cmd_goto()
    assert window.pageview.current_page == 2



def test_spool_that_vanished_after_opening_cannot_be_copied_and_says_why(window, answer, tmp_path, settle):
    spool = tmp_path / "devis.spv"
    spool.write_bytes(sample("devis-D2026-0042.spv").read_bytes())
    window.settings.printing.no_save_offer = True
    assert window.open_path(spool)
    settle(window)
    spool.unlink()

    def respond(dialog):
        if dialog.kind == "save":
            dialog.result = str(tmp_path / "copy.spv")
        else:
            dialog.ok()

    shown = answer(respond)
    window.cmd_save_preview()
    assert shown[-1].kind == "error" and "devis.spv" in shown[-1].message
    assert window.current_document is not None  # the pages already read stay on screen


def test_remembered_geometry_stays_on_screen(window):
    sw, sh = window.winfo_screenwidth(), window.winfo_screenheight()
    window.state.geometry = "400x300+10+20"
    assert window._initial_geometry() == "400x300+10+20"
    window.state.geometry = "400x300+99999+20"  # the monitor it was on is gone
    assert window._initial_geometry() == "400x300"
    window.state.geometry = "9000x9000+0+0"
    assert window._initial_geometry() == f"{sw}x{sh}+0+0"
    for bad in ("", "garbage"):
        window.state.geometry = bad
        assert window._initial_geometry() == "1000x780"


def test_a_broken_settings_file_is_never_overwritten(root, tmp_path):
    from viewer import paths
    from viewer.gui.mainwindow import MainWindow, load_settings
    from viewer.gui.recent import ViewerState

    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[printing\\nbroken = ", encoding="utf-8")
    settings = load_settings()
    assert getattr(settings, "load_failed", False)
    win = MainWindow(root, state=ViewerState(path=tmp_path / "s.json"), settings=settings)
    try:
        win.set_language("en")
    finally:
        from viewer.gui import i18n

        i18n.set_language("fr")
        win.close()
    assert path.read_text(encoding="utf-8") == "[printing\\nbroken = "


def test_a_mail_hides_the_thumbnails_until_a_paged_document_returns(window, make_pdf, settle):
    assert window.open_path(sample("mail-devis.eml"))
    assert str(window.thumbnails) not in [str(p) for p in window.paned.panes()]
    window.toggle_thumbnails()
    window.toggle_thumbnails()  # toggling while a mail shows is harmless
    assert window.open_path(make_pdf())
    settle(window)
    assert str(window.thumbnails) in [str(p) for p in window.paned.panes()]
    window.toggle_thumbnails()
    assert str(window.thumbnails) not in [str(p) for p in window.paned.panes()]


def test_page_tools_are_greyed_without_pages(window, settle, samples):
    """Nothing open or a mail: navigation, zoom, find, PDF and print are greyed; a paged document enables them."""
    from viewer.gui.mainwindow import PAGE_TOOLS

    buttons = window.toolbar.buttons
    assert all(buttons[name].instate(["disabled"]) for name in (*PAGE_TOOLS, "pdf", "print", "save"))
    assert window.page_entry.instate(["disabled"])
    assert window.open_path(samples / "devis-D2026-0042.spv")
    settle(window)
    assert not any(buttons[name].instate(["disabled"]) for name in (*PAGE_TOOLS, "pdf", "print", "save"))
    assert not window.page_entry.instate(["disabled"])
    assert window.open_path(samples / "mail-devis.eml")
    settle(window)
    assert all(buttons[name].instate(["disabled"]) for name in (*PAGE_TOOLS, "pdf", "print"))
    assert not buttons["save"].instate(["disabled"])  # a copy of the mail can still be kept
    assert window.status.zoom.get() == ""  # no zoom shown for a mail
    assert not buttons["open"].instate(["disabled"])


def test_menu_shortcuts_name_the_keys_of_the_interface_language(window):
    from viewer.gui import i18n

    view = window.menus["view"]
    def accels() -> list[str]:
        return [view.entrycget(i, "accelerator") for i in range(view.index("end") + 1) if view.type(i) == "command"]

    assert {"Début", "Fin", "Pg préc", "Pg suiv", "Maj+F3"} <= set(accels())
    assert "Home" not in accels() and "Shift+F3" not in accels()
    try:
        window.set_language("en")
        assert {"Home", "End", "PgUp", "PgDn", "Shift+F3"} <= set(accels())
    finally:
        window.set_language("fr")
        i18n.set_language("fr")
    assert "Début" in accels()


def test_a_damaged_pdf_opens_and_the_status_bar_says_it_was_repaired(window, settle, tmp_path):
    import re

    import pymupdf

    from formats import open_document
    from formats.pdf import to_pdf

    raw = pymupdf.open(stream=to_pdf(open_document(sample("devis-D2026-0042.spv"))), filetype="pdf").tobytes(expand=255)
    damaged = tmp_path / "abime.pdf"
    damaged.write_bytes(re.sub(rb"/Count \d+", b"/Count 0", raw))  # MuPDF finds no page; PDFium finds two
    assert window.open_path(damaged)
    settle(window)
    assert window.pageview.page_count == 2
    assert window.status.document.get() == "abime.pdf — PDF (réparé)"
    assert "abime.pdf était endommagé : il a été réparé à la lecture" in window.status.message_text()


def test_corrupt_spool_open_error_dialog_on_screen_is_french(small_screen, answer, tmp_path, screenshot):
    """The real dialog, shown on a 1024x768 screen: screenshot in screens-open-error/ (looked at)."""
    from viewer import settings as settings_mod
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    root, display = small_screen(1024, 768)
    window = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=settings_mod.Settings())
    window.geometry("1000x700+0+0")
    window.update()
    bad = _corrupt_quote(tmp_path, "devis-abime.spv", lambda d: d["pages"].__setitem__(1, 5))
    shots = []

    def look(dialog):
        dialog.deiconify()
        dialog._place()
        dialog.update()
        shots.append(screenshot(display, tmp_path / "screens-open-error" / "open-error-fr.png"))
        labels = [w.cget("text") for w in dialog.frame.winfo_children() if w.winfo_class() == "TLabel"]
        shots.append(labels)
        dialog.ok()

    answer(look)
    assert not window.open_path(bad)
    assert shots[0].is_file()
    assert any("page 2, champ « pages.1 » : la valeur 5 n'est pas du type attendu (objet)" in str(text) for text in shots[1])
    window.close()
