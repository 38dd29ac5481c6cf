"""install(window) on the real main window: the used-by scenarios as a person does them, and a real click."""

from __future__ import annotations

import email
import subprocess
from email import policy
from pathlib import Path

import pymupdf
import pytest

from tests.support.tools import require_tool
from tests.viewer.server import live
from viewer import settings as settings_mod
from viewer.gui.mailui import install
from viewer.gui.mailui.connection_dialog import ConnectDialog
from viewer.gui.mailui.send_dialog import SendDialog
from viewer.gui.mailui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.gui
ELODIE = "elodie.marchand@atelier-dupre.example"


def base_settings() -> settings_mod.Settings:
    s = settings_mod.Settings()
    s.printing.no_save_offer = True
    s.service.from_identity = "Ventes <ventes@example.com>"
    return s


@pytest.fixture
def directory(samples):
    from viewer.directory import open_directory

    open_directory(settings_mod.Settings()).import_csv(samples / "customers.csv", samples / "contacts.csv")


@pytest.fixture
def make_window(root, tmp_path, notify, answer):
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    answer()
    made = []

    def make(settings: settings_mod.Settings):
        win = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=settings,
                         hooks=[lambda w: install(w, notify=notify, start_delay_ms=None)])
        win.geometry("900x700+0+0")
        win.update()
        made.append(win)
        return win

    yield make
    for win in made:
        if win.winfo_exists():
            win.close()


def dialogs_of(window, kind):
    return [d for d in window.mailui.dialogs if isinstance(d, kind) and d.winfo_exists()]


def menu_labels(window, name):
    menu = window.menus[name]
    return [menu.entrycget(i, "label") for i in range(menu.index("end") + 1) if menu.type(i) == "command"]


def invoke_menu(window, name, label):
    menu = window.menus[name]
    index = menu_labels(window, name).index(label)
    menu.invoke([i for i in range(menu.index("end") + 1) if menu.type(i) == "command"][index])


def attached(dialog: SendDialog) -> bool:
    """The document's PDF, made on a worker after the dialog showed, is in the attachment list."""
    return not dialog.draft.attachment_pending and any(a.from_document for a in dialog.draft.attachments)


def test_installed_menus_icons_and_fresh_status(make_window):
    window = make_window(base_settings())
    window.mailui.late_start()  # what runs 1.2 s after the window opens: no saved connection here
    assert window.mailui.services.connection is None
    assert {"mail", "fax", "records"} <= set(window.toolbar.buttons)
    assert menu_labels(window, "connection")[-3:] == ["Se connecter…", "Se déconnecter", "Profils de connexion…"]
    assert "Utilitaire de test des courriels…" in menu_labels(window, "tools")
    assert "Charger les fichiers de debug" in menu_labels(window, "tools")
    route = window.status.route_text()
    assert route.startswith("Local") and str(Path(settings_mod.paths.data_dir()) / "pickup") in route
    window.set_language("en")
    try:
        assert window.status.route_text().startswith("Local — pickup ")
    finally:
        window.set_language("fr")
    window.geometry(f"900x500+0+{window.winfo_screenheight() - 500}")  # the status bar at the screen's bottom
    window.update()
    tip = window.mailui.route_tip
    tip.show()  # the route says it is a link to the settings
    try:
        text = tip.tip.winfo_children()[0].cget("text")
        assert text.startswith("Où partent les mails") and "paramètres" in text
        tip.tip.update()
        assert tip.tip.winfo_rooty() + tip.tip.winfo_height() <= window.status.route_label.winfo_rooty()  # above it
    finally:
        tip.hide()
    window.status.route_label.event_generate("<Button-1>")
    window.update()
    [settings] = dialogs_of(window, SettingsDialog)
    assert settings.current_screen() == "service"


def test_file_menu_sends_several_documents(make_window, directory, samples, smtpd, answer, pump):
    from viewer.gui.mailui.batch_dialog import BatchDialog

    s = base_settings()
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", smtpd.port
    window = make_window(s)
    labels = menu_labels(window, "file")
    assert labels[labels.index("Imprimer…") + 1] == "Envoyer plusieurs documents…"
    chosen = [str(samples / "devis-D2026-0042.spv"), str(samples / "facture-F2026-0107.spv")]
    asked = answer(lambda request: setattr(request, "results", chosen))
    invoke_menu(window, "file", "Envoyer plusieurs documents…")
    [dialog] = dialogs_of(window, BatchDialog)
    assert pump(lambda: len(dialog.rows) == 2)
    assert asked[0].kind == "open_many"
    assert [row.name for row in dialog.rows] == ["devis D2026-0042", "facture F2026-0107"]
    assert ELODIE in dialog.rows[0].recipient
    assert dialog.send() and pump(lambda: dialog.finished)
    assert [dialog.result_values(i)[3] for i in range(2)] == ["accepté", "accepté"]
    assert sorted(r for m in smtpd.handler.messages for r in m.rcpt_tos) == sorted(
        [ELODIE, dialog.results[1].recipient])
    window.set_language("en")
    try:
        labels = menu_labels(window, "file")
        assert labels[labels.index("Print…"):] == ["Print…", "Send several documents…", "New window", "Close window", "Quit"]
    finally:
        window.set_language("fr")
    dialog.event_generate("<Control-w>")
    assert not dialog.winfo_exists()


def test_several_files_dropped_go_to_the_batch_window_one_opens(make_window, directory, samples, pump):
    from types import SimpleNamespace

    from viewer.gui.mailui.batch_dialog import BatchDialog

    window = make_window(base_settings())
    quote, invoice = samples / "devis-D2026-0042.spv", samples / "facture-F2026-0107.spv"
    # What tkdnd hands over (a Tcl list: a name with a space is braced); called as its <<Drop>> binding would.
    window._on_drop(SimpleNamespace(data=f"{{{quote}}} {invoice}"))
    [dialog] = dialogs_of(window, BatchDialog)
    assert pump(lambda: len(dialog.rows) == 2)
    assert [row.path for row in dialog.rows] == [quote, invoice]
    assert window.current_document is None
    window._on_drop(SimpleNamespace(data=str(quote)))
    assert window.current_document is not None and window.current_document.path == quote
    assert len(dialogs_of(window, BatchDialog)) == 1


def test_preview_a_quote_and_click_the_mail_icon(make_window, directory, samples, smtpd, notify, pump):
    s = base_settings()
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", smtpd.port
    window = make_window(s)
    assert window.open_path(samples / "devis-D2026-0042.spv")
    window.toolbar.buttons["mail"].invoke()
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    assert ELODIE in dialog.to_var.get()
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text
    received = smtpd.handler.wait_for(1)[0]
    assert received.rcpt_tos == [ELODIE]
    msg = email.message_from_bytes(received.data, policy=policy.default)
    [pdf] = [p.get_content() for p in msg.iter_attachments()]
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert doc.is_encrypted or not doc.permissions & pymupdf.PDF_PERM_MODIFY


def test_mail_icon_errors_shown_not_raised(make_window, samples, notify, pump):
    s = base_settings()
    s.pdf.protection = "bogus"  # a conversion that cannot be done
    window = make_window(s)
    window.open_path(samples / "devis-D2026-0042.spv")
    window.toolbar.buttons["mail"].invoke()
    [dialog] = dialogs_of(window, SendDialog)  # shown at once; the PDF is made afterwards, and fails
    assert pump(lambda: not dialog.draft.attachment_pending)
    assert "bogus" in dialog.attachment_note.cget("text") and dialog.attachment_note.winfo_manager() == "grid"
    assert str(dialog.send_button.cget("state")) == "disabled" and not dialog.send()
    assert notify.calls == []  # said in the dialog, not in a box over it


def test_connect_from_the_menu_send_through_server_disconnect(make_window, directory, samples, smtpd, tmp_path, pump):
    from tests.viewer.server.test_directory_api import fill_directory

    config = live.smtp_config(tmp_path / "server", smtpd, from_identity="ventes@example.com", directory_url=fill_directory(tmp_path, samples))
    with live.LiveServer(config, users={"alice": "alice-pw"}) as server:
        s = base_settings()
        s.service.use_server_service = True
        s.profiles["office"] = settings_mod.ConnectionProfile(name="office", url=server.url, user="alice")
        window = make_window(s)
        assert window.status.route_text().startswith("Local")
        invoke_menu(window, "connection", "Se connecter…")
        [connect] = dialogs_of(window, ConnectDialog)
        connect.password_var.set("alice-pw")
        connect.connect()
        assert pump(lambda: connect.result is not None)
        assert window.status.route_text().startswith("Connecté à office")
        window.open_path(samples / "devis-D2026-0042.spv")
        window.toolbar.buttons["mail"].invoke()
        [dialog] = dialogs_of(window, SendDialog)
        assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
        assert "serveur d'applications office" in dialog.route_label.cget("text")
        assert pump(lambda: not dialog.draft.lookup_pending)  # connected: the look-up answers after the dialog shows
        dialog.send()
        assert pump(lambda: dialog.result is not None)
        assert dialog.result.ok, dialog.result.text
        assert smtpd.handler.wait_for(1)[0].rcpt_tos == [ELODIE]
        invoke_menu(window, "connection", "Se déconnecter")
        assert window.status.route_text().startswith("Local")
        window.mailui.monitor.stop()


def test_records_from_the_menu_then_mail_a_contact(make_window, directory, samples, smtpd, pump):
    from viewer.gui.mailui.records import RecordsWindow

    s = base_settings()
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", smtpd.port
    window = make_window(s)
    window.open_path(samples / "devis-D2026-0042.spv")
    invoke_menu(window, "tools", "Fiches clients et contacts…")
    [records] = dialogs_of(window, RecordsWindow)
    records.search_var.set("Lefèvre")
    records.refresh()
    assert records.select("CT0002", "contact")
    records.mail_button.invoke()
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    assert "jean.lefevre@atelier-dupre.example" in dialog.to_var.get()
    dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == ["jean.lefevre@atelier-dupre.example"]


def test_trace_is_a_check_item_that_shows_its_state(make_window, notify):
    window = make_window(base_settings())
    tools = window.menus["tools"]
    index = window.mailui.trace_index
    assert tools.type(index) == "checkbutton" and tools.entrycget(index, "label") == "Trace de debug de la messagerie"
    assert window.mailui.trace_var.get() is False
    tools.invoke(index)
    assert notify.last()[0] == "info" and settings_mod.load().debug.trace
    assert window.mailui.trace_var.get() is True
    tools.invoke(index)
    assert not settings_mod.load().debug.trace and window.mailui.trace_var.get() is False
    window.set_language("en")
    try:
        assert tools.entrycget(index, "label") == "Mail debug trace"
    finally:
        window.set_language("fr")


def test_disconnect_is_disabled_when_not_connected(make_window):
    window = make_window(base_settings())
    menu = window.menus["connection"]
    assert menu.entrycget(window.mailui.disconnect_index, "state") == "disabled"


def test_route_click_opens_the_screen_of_the_route_in_force(make_window):
    s = base_settings()
    s.functions.send_direct, s.functions.host = True, "smtp.example.com"
    window = make_window(s)
    window.status.route_label.event_generate("<Button-1>")
    window.update()
    [settings] = dialogs_of(window, SettingsDialog)
    assert settings.current_screen() == "functions"  # direct SMTP: the SMTP functions screen


def test_real_click_on_the_mail_icon(make_window, directory, samples, pump, tmp_path):
    from PIL import Image, ImageChops

    xdotool, screenshot = require_tool("xdotool"), require_tool("import")

    window = make_window(base_settings())
    window.open_path(samples / "devis-D2026-0042.spv")
    window.lift()
    window.update()
    button = window.toolbar.buttons["mail"]
    x = button.winfo_rootx() + button.winfo_width() // 2
    y = button.winfo_rooty() + button.winfo_height() // 2
    before, after = tmp_path / "before.png", tmp_path / "after.png"
    subprocess.run([screenshot, "-window", "root", str(before)], check=True, timeout=20)
    subprocess.run([xdotool, "mousemove", str(x), str(y), "click", "1"], check=True, timeout=10)
    assert pump(lambda: bool(dialogs_of(window, SendDialog)), timeout=15)
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    assert pump(lambda: dialog.winfo_viewable() and dialog.winfo_width() > 100, timeout=10)
    for _ in range(5):
        window.update()
    subprocess.run([screenshot, "-window", "root", str(after)], check=True, timeout=20)
    box = (dialog.winfo_rootx(), dialog.winfo_rooty(), dialog.winfo_rootx() + dialog.winfo_width(),
           dialog.winfo_rooty() + dialog.winfo_height())
    changed = ImageChops.difference(Image.open(before).convert("RGB").crop(box), Image.open(after).convert("RGB").crop(box))
    assert changed.getbbox() is not None  # the dialog was painted where nothing was
    assert ELODIE in dialog.to_var.get()


def test_settings_saved_from_the_menu_apply_at_once(make_window):
    from viewer.gui import i18n

    window = make_window(base_settings())
    invoke_menu(window, "settings", "Options avancées (messagerie, conversion PDF)…")
    [dialog] = dialogs_of(window, SettingsDialog)
    dialog.vars["functions.send_direct"].set(True)
    dialog.vars["functions.host"].set("smtp.example.com")
    dialog.vars["printing.language"].set("en")
    try:
        assert dialog.ok()
        assert window.settings.functions.host == "smtp.example.com"
        assert window.mailui.services.settings is window.settings
        assert window.status.route_text() == "Local — SMTP smtp.example.com:25"
        assert i18n.language() == "en"
    finally:
        i18n.set_language("fr")


def test_error_folder_from_the_menu_opens_the_eml_in_the_viewer(make_window, directory, samples, pump):
    from tests.support.smtpd import free_port
    from viewer.gui.mailui.tools import FolderBrowser

    s = base_settings()
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", free_port()  # server down
    window = make_window(s)
    window.open_path(samples / "devis-D2026-0042.spv")
    window.toolbar.buttons["mail"].invoke()
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert not dialog.result.ok
    invoke_menu(window, "tools", "Répertoire des mails en erreur")
    [browser] = dialogs_of(window, FolderBrowser)
    [eml] = [p for p in browser.refresh() if p.suffix == ".eml"]
    browser.open_selected(eml.with_suffix(".log"))
    assert "127.0.0.1" in browser.shown_text()
    browser.open_selected(eml)
    assert window.current_document is not None and window.current_document.source == "eml"
    assert window.current_document.headers.get("Subject", "").startswith("Votre devis D2026-0042")


def test_connect_without_profiles_opens_the_guided_connect_dialog(make_window):
    window = make_window(base_settings())
    invoke_menu(window, "connection", "Se connecter…")
    [dialog] = dialogs_of(window, ConnectDialog)
    assert dialog.creating and dialog.new_vars["name"].get() == "bureau"
    assert window.status.route_text().startswith("Local")


def test_fresh_install_without_sender_leads_to_the_settings_screen(make_window, directory, samples, notify, pump):
    """A fresh install has no From identity: Send says so in the interface language and opens the right screen."""
    s = base_settings()
    s.service.from_identity = ""
    window = make_window(s)
    window.open_path(samples / "devis-D2026-0042.spv")
    window.toolbar.buttons["mail"].invoke()
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    notify.answer = True
    assert not dialog.send()
    kind, _title, message = notify.last()
    assert kind == "yesno"
    assert message.startswith("Aucun expéditeur n'est défini") and "Protocole SMTP (par le service smtp)" in message
    [settings] = dialogs_of(window, SettingsDialog)
    assert settings.current_screen() == "service"
    settings.vars["service.from_identity"].set("Ventes <ventes@example.com>")
    assert settings.ok()
    assert dialog.send()  # the saved identity applies at once, to the dialog already open
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text
    assert Path(dialog.result.file).is_file()  # dropped in the pickup folder (the fresh-install route)


def test_test_utility_without_sender_says_what_to_fill_in(make_window, notify):
    s = base_settings()
    s.service.from_identity = ""
    window = make_window(s)
    report = window.mailui.services.test_mail("EMAIL", "e@example.com", "x", "y")
    assert not report.ok and "Aucun expéditeur" in report.text and "no sender" not in report.text


def test_server_stopped_mid_way_every_line_names_the_local_route_and_why(make_window, directory, samples, smtpd, tmp_path, pump,
                                                                       notify):
    """Connected with "send from the server" set, the server stops after the dialog opened: the mail goes
    out locally and the outcome, the dialog's "Envoi par", the status bar and the history all say so."""
    from tests.viewer.server.test_directory_api import fill_directory
    from viewer.mail.history import History

    config = live.smtp_config(tmp_path / "server", smtpd, directory_url=fill_directory(tmp_path, samples))
    server = live.LiveServer(config, users={"alice": "alice-pw"}).start()
    s = base_settings()
    s.service.use_server_service = True
    s.profiles["office"] = settings_mod.ConnectionProfile(name="office", url=server.url, user="alice")
    window = make_window(s)
    invoke_menu(window, "connection", "Se connecter…")
    [connect] = dialogs_of(window, ConnectDialog)
    connect.password_var.set("alice-pw")
    connect.connect()
    assert pump(lambda: connect.result is not None)
    window.open_path(samples / "devis-D2026-0042.spv")
    window.toolbar.buttons["mail"].invoke()
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    assert pump(lambda: not dialog.draft.lookup_pending)
    assert dialog.route_label.cget("text") == "serveur d'applications office"
    server.stop()  # the server goes away between the look-up and the send
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    report = dialog.result
    assert report.ok, report.text
    pickup = s.service.pickup_folder
    assert dialog.route_label.cget("text") == f"service SMTP — répertoire de dépôt {pickup} (envoi local : le serveur d'applications ne répond pas)"
    assert report.lines[0] == f"{ELODIE} : accepté (dépôt {pickup} (serveur injoignable))"
    assert "serveur d'applications office" not in dialog.outcome_text() and "par le serveur" not in dialog.outcome_text()
    assert window.status.route_text() == f"Local (serveur office injoignable) — dépôt {pickup}"
    [row] = History().recent(1)
    assert row.route.startswith(f"pickup folder {pickup} (local after server failure: cannot reach the application server")
    assert row.document == "devis D2026-0042"
    assert smtpd.handler.messages == []  # nothing went through the server
    assert len(list(Path(pickup).glob("*.eml"))) == 1
    _screenshot(tmp_path, "server-stopped")
    window.mailui.monitor.stop()


def test_a_second_window_after_a_settings_change_sends_by_the_new_route(make_window, directory, samples, smtpd, pump):
    """One settings store: saving in one window applies to the open ones and to windows opened later."""
    from viewer.settings_store import shared

    store = shared()
    first_settings = store.settings
    first_settings.printing.no_save_offer = True
    first_settings.service.from_identity = "Ventes <ventes@example.com>"
    store.save(first_settings)
    first = make_window(store.settings)
    other = make_window(store.settings)
    assert "dépôt" in other.status.route_text()
    invoke_menu(first, "settings", "Options avancées (messagerie, conversion PDF)…")
    [dialog] = dialogs_of(first, SettingsDialog)
    dialog.vars["functions.send_direct"].set(True)
    dialog.vars["functions.host"].set("127.0.0.1")
    dialog.vars["functions.port"].set(str(smtpd.port))
    dialog.vars["functions.from_identity"].set("Ventes <ventes@example.com>")
    assert dialog.ok()
    assert other.status.route_text() == f"Local — SMTP 127.0.0.1:{smtpd.port}"  # the open window follows at once
    second = make_window(store.settings)
    second.open_path(samples / "devis-D2026-0042.spv")
    second.toolbar.buttons["mail"].invoke()
    [send] = dialogs_of(second, SendDialog)
    assert pump(lambda: attached(send))  # the PDF is made once the dialog shows
    assert send.route_label.cget("text") == f"fonctions SMTP — serveur 127.0.0.1:{smtpd.port}"
    assert send.send()
    assert pump(lambda: send.result is not None)
    assert send.result.ok, send.result.text
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == [ELODIE]


def test_a_settings_file_changed_by_another_process_is_read_before_the_next_send(make_window, directory, samples, smtpd,
                                                                                 pump):
    from viewer.cli import main
    from viewer.settings_store import shared

    store = shared()
    store.settings.printing.no_save_offer = True
    store.settings.service.from_identity = "Ventes <ventes@example.com>"
    store.save(store.settings)
    window = make_window(store.settings)
    window.open_path(samples / "devis-D2026-0042.spv")
    window.toolbar.buttons["mail"].invoke()
    [send] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(send))  # the PDF is made once the dialog shows
    assert "dépôt" in send.route_label.cget("text")
    for key, value in (("functions.send_direct", "true"), ("functions.host", "127.0.0.1"), ("functions.port", str(smtpd.port)),
                       ("functions.from_identity", "ventes@example.com")):
        assert main(["settings", "set", key, value]) == 0  # what `spoolview settings set` does from a shell
    assert send.send()
    assert pump(lambda: send.result is not None)
    assert send.result.ok, send.result.text
    assert send.route_label.cget("text") == f"fonctions SMTP — serveur 127.0.0.1:{smtpd.port}"
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == [ELODIE]
    assert window.status.route_text() == f"Local — SMTP 127.0.0.1:{smtpd.port}"


def test_cli_and_gui_send_the_same_message_and_share_the_already_sent_warning(make_window, directory, samples, pump,
                                                                               notify, capsys):
    from tests.viewer.mail.test_job import stable
    from viewer.cli import main

    s = base_settings()
    s.pdf.protection = "none"  # encryption draws a random key each time
    settings_mod.save(s)
    assert main(["send", str(samples / "devis-D2026-0042.spv")]) == 0
    [from_cli] = sorted(Path(s.service.pickup_folder).glob("*.eml"))
    window = make_window(s)
    window.open_path(samples / "devis-D2026-0042.spv")
    window.toolbar.buttons["mail"].invoke()
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    assert dialog.send()  # the recorder answers yes to the "already sent" question
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text
    [question] = [c for c in notify.calls if c[0] == "yesno"]
    assert "Ce document a déjà été envoyé :\n— à " + ELODIE + " le " in question[2]  # to whom and when
    [from_gui] = [p for p in Path(s.service.pickup_folder).glob("*.eml") if p != from_cli]
    assert stable(from_gui.read_bytes()) == stable(from_cli.read_bytes())
    assert main(["send", str(samples / "devis-D2026-0042.spv")]) == 0
    assert capsys.readouterr().err.count("already sent: devis D2026-0042 went to " + ELODIE) == 2  # the CLI's and the GUI's


def test_records_ask_before_sending_the_document_to_another_customers_contact(make_window, directory, samples, pump,
                                                                               notify, tmp_path):
    from viewer.gui.mailui.records import RecordsWindow

    s = base_settings()
    window = make_window(s)
    window.open_path(samples / "devis-D2026-0042.spv")  # the quote of CLI001
    invoke_menu(window, "tools", "Fiches clients et contacts…")
    [records] = dialogs_of(window, RecordsWindow)
    records.search_var.set("Hébert")
    records.refresh()
    assert records.select("CT0003", "contact")  # a contact of CLI003
    assert records.attach_var.get()
    records.mail_button.invoke()
    [dialog] = dialogs_of(window, SendDialog)
    assert pump(lambda: attached(dialog))  # the PDF is made once the dialog shows
    notify.answer = False
    assert not dialog.send()
    kind, _title, question = notify.last()
    assert kind == "yesno"
    assert ("f.hebert@menuiserie.example appartient au client CLI003 (Société Générale de Menuiserie), "
            "mais le document est pour le client CLI001 (Atelier Dupré SARL).") in question
    assert list(Path(s.service.pickup_folder).glob("*.eml")) == []
    _screenshot(tmp_path, "records-mismatch")
    notify.answer = True
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text


def test_a_send_whose_answer_was_lost_is_followed_up_and_said_once_known(make_window, smtpd, tmp_path, notify, pump):
    """Issue 19: an "unknown" outcome is asked about again once connected, and the real outcome shown."""
    from viewer import unknown_sends

    config = live.smtp_config(tmp_path / "server", smtpd, from_identity="ventes@example.com")
    with live.LiveServer(config, users={"alice": "alice-pw"}) as server:
        s = base_settings()
        s.profiles["office"] = settings_mod.ConnectionProfile(name="office", url=server.url, user="alice")
        window = make_window(s)
        services = window.mailui.services
        services.connect("office", "alice-pw")
        connection = services.connection
        raw = (b"From: ventes@example.com\r\nTo: client@example.org\r\nSubject: Devis\r\n"
               b"Message-ID: <k1@example.com>\r\n\r\nBonjour\r\n")
        connection.send(raw, "ventes@example.com", ("client@example.org",), key="k1")  # delivered; say its answer was lost
        unknown_sends.remember("k1", connection.url, "alice", document="devis D2026-0042", recipients=["client@example.org"])
        unknown_sends.remember("k2", connection.url, "alice", document="facture F2026-0001", recipients=["x@example.org"])
        window.mailui.connected()
        assert pump(lambda: len(notify.calls) >= 2)
        texts = [message for _kind, _title, message in notify.calls]
        assert any(t.startswith("Le serveur a bien envoyé devis D2026-0042") and "client@example.org : accepté" in t for t in texts)
        assert any("n'a jamais reçu facture F2026-0001" in t for t in texts)
        assert unknown_sends.of(connection.url, "alice") == []  # known now: not asked again
        assert len(smtpd.handler.messages) == 1  # asking never sends a second time
        window.mailui.monitor.stop()


def _screenshot(tmp_path: Path, name: str) -> None:
    """The screen as it is (Xvfb), for a person to look at: kept when SPOOLVIEW_SCREENSHOTS names a folder."""
    import os
    import shutil

    folder = os.environ.get("SPOOLVIEW_SCREENSHOTS")
    if not folder or not shutil.which("import"):
        return
    subprocess.run(["import", "-window", "root", str(Path(folder) / f"{name}.png")], check=False, timeout=30)
