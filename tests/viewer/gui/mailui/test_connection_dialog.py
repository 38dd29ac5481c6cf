"""Connection menu: connect to a real loopback application server, send through it, lose it, disconnect."""

from __future__ import annotations

import pytest

from tests.viewer.server import live
from viewer import settings as settings_mod
from viewer.gui.mailui.connection_dialog import ConnectDialog, ConnectionMonitor, ProfilesDialog
from viewer.gui.mailui.services import MailServices

pytestmark = pytest.mark.gui
ELODIE = "elodie.marchand@atelier-dupre.example"


@pytest.fixture
def server(tmp_path, smtpd, samples):
    from tests.viewer.server.test_directory_api import fill_directory

    config = live.smtp_config(tmp_path / "server", smtpd, from_identity="ventes@example.com", directory_url=fill_directory(tmp_path, samples))
    with live.LiveServer(config, users={"alice": "alice-pw"}) as running:
        yield running


def settings_for(url: str) -> settings_mod.Settings:
    s = settings_mod.Settings()
    s.service.from_identity = "Ventes <ventes@example.com>"
    s.service.use_server_service = True  # "in connected mode, the SMTP service is on the server"
    s.profiles["office"] = settings_mod.ConnectionProfile(name="office", url=url, user="alice")
    return s


def connect(root, pump, services, notify, password="alice-pw") -> ConnectDialog:
    dialog = ConnectDialog(root, services, notify=notify)
    assert dialog.profile_var.get() == "office"
    assert "alice @" in dialog.detail.cget("text")
    dialog.password_var.set(password)
    assert dialog.connect()
    assert pump(lambda: dialog.result is not None)
    return dialog


def test_connect_send_through_server_disconnect(root, notify, pump, server, smtpd, samples):
    from formats import open_document

    services = MailServices(settings_for(server.url))
    assert services.status_text().startswith("Local")
    assert services.status_text().endswith("(en local)")
    changes = []
    services.listeners.append(lambda: changes.append(services.status_text()))
    dialog = connect(root, pump, services, notify)
    assert dialog.result is True, notify.calls
    assert services.connected
    assert changes and changes[-1].startswith("Connecté à office")
    assert "par le serveur office" in changes[-1]
    with open_document(samples / "devis-D2026-0042.spv") as doc:
        draft = services.prepare(doc)  # the lookup goes to the server's directory
    assert ELODIE in draft.to
    report = services.send(draft)
    assert report.ok, report.text
    assert report.route == "serveur d'applications office"
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == [ELODIE]
    history = services.history([ELODIE])
    assert any("devis D2026-0042" in line and "(office)" in line for line in history), history  # the key, never a path
    services.disconnect()
    assert not services.connected and services.status_text().startswith("Local")


def test_wrong_password_shown(root, notify, pump, server):
    services = MailServices(settings_for(server.url))
    dialog = connect(root, pump, services, notify, password="nope")
    assert dialog.result is False and dialog.winfo_exists()
    kind, _title, message = notify.last()
    assert kind == "error" and message.startswith("Le serveur d'applications a refusé la connexion")
    assert message.splitlines()[1] == f"utilisateur ou mot de passe incorrect pour « alice » sur {server.url}"  # the detail, in French too
    assert "nope" not in message
    assert not services.connected


def test_server_down_shown(root, notify, pump):
    url = f"http://127.0.0.1:{live.free_port()}"
    services = MailServices(settings_for(url))
    dialog = connect(root, pump, services, notify)
    assert dialog.result is False
    headline, detail = notify.last()[2].split("\n")
    assert headline.startswith("Le serveur d'applications ne répond pas")
    # the connection refused: the technical detail under the French headline is French as well
    assert detail == f"le serveur d'applications {url} est injoignable : vérifiez qu'il fonctionne et l'adresse du profil « office »"
    assert dialog.message.cget("text") == notify.last()[2]


def test_server_down_shown_in_english(root, notify, pump):
    from viewer.gui.i18n import set_language

    url = f"http://127.0.0.1:{live.free_port()}"
    services = MailServices(settings_for(url))
    set_language("en")
    try:
        connect(root, pump, services, notify)
    finally:
        set_language("fr")
    assert notify.last()[2].split("\n")[1] == (
        f"cannot reach the application server at {url}: check that it runs and the URL of profile 'office'")


def test_missing_fields(root, notify):
    services = MailServices(settings_for("http://127.0.0.1:9"))
    dialog = ConnectDialog(root, services, notify=notify)
    assert not dialog.connect()
    assert "mot de passe" in notify.last()[2]


def test_lost_connection_noticed(root, notify, pump, tmp_path, smtpd, samples):
    from tests.viewer.server.test_directory_api import fill_directory

    config = live.smtp_config(tmp_path / "server", smtpd, from_identity="ventes@example.com", directory_url=fill_directory(tmp_path, samples))
    running = live.LiveServer(config, users={"alice": "alice-pw"}).start()
    services = MailServices(settings_for(running.url))
    connect(root, pump, services, notify)
    assert services.connected
    lost = []
    monitor = ConnectionMonitor(root, services, every_ms=10, on_lost=lambda: lost.append(True))
    monitor.check()
    assert pump(lambda: monitor.task is None)
    assert not lost and not services.connection_lost
    running.stop()
    monitor.check()
    assert pump(lambda: bool(lost))
    assert services.connection_lost
    assert services.status_text() == f"Local (serveur office injoignable) — dépôt {services.settings.service.pickup_folder}"
    monitor.stop()


def test_manage_profiles(root, notify):
    services = MailServices(settings_for("http://127.0.0.1:9"))
    dialog = ProfilesDialog(root, services, notify=notify)
    dialog.vars["name"].set("siege")
    dialog.vars["url"].set("ftp://server")
    dialog.vars["user"].set("bob")
    assert "ftp://server" in dialog.save_profile()
    dialog.vars["url"].set("https://erp.example.com")
    assert dialog.save_profile() == ""
    assert settings_mod.load().profiles["siege"].url == "https://erp.example.com"
    assert set(dialog.list.get_children()) == {"office", "siege"}
    dialog.list.selection_set("office")
    dialog._selected()
    assert dialog.vars["user"].get() == "alice"
    assert dialog.delete_profile() == ""
    assert set(settings_mod.load().profiles) == {"siege"}


def test_connection_opened_elsewhere_is_picked_up(server):
    from viewer.connection import Connection

    s = settings_for(server.url)
    Connection(s.profiles["office"]).connect("alice-pw")  # as `spoolview connect office` does
    services = MailServices(s)
    assert services.resume_connection()
    assert services.connected and services.status_text().startswith("Connecté à office")
    services.disconnect()
    assert not MailServices(s).resume_connection()


def test_records_search_on_the_server_does_not_block_the_window(root, notify, pump, server, samples):
    """Connected, the records window searches the server's directory on a worker: refresh returns at once."""
    from formats import open_document
    from viewer.gui.mailui.records import RecordsWindow

    services = MailServices(settings_for(server.url))
    connect(root, pump, services, notify)
    assert services.connected
    with open_document(samples / "devis-D2026-0042.spv") as doc:
        window = RecordsWindow(root, services, document=lambda: doc, notify=notify)
        assert window.message.cget("text") == "Recherche sur le serveur…"
        assert pump(lambda: window.selected is not None)  # the document's customer, found on the server
        assert window.selected.code == "CLI001"
        window.search_var.set("dupr")
        window.search_var.set("kowal")
        assert window.refresh() == []  # answered later, off the UI thread
        assert pump(lambda: bool(window.entries) and window.message.cget("text") == "")
        assert {e.code for e in window.entries.values()} >= {"CLI002"}
        assert "CLI001" not in {e.code for e in window.entries.values()}  # only the last search fills the list
        window.destroy()
    services.disconnect()


def test_address_completion_from_the_server_does_not_block(root, notify, pump, server):
    from viewer.gui.mailui.send_dialog import SendDialog

    services = MailServices(settings_for(server.url))
    connect(root, pump, services, notify)
    dialog = SendDialog(root, services, services.prepare(None), notify=notify)
    box = dialog.address_boxes["to"]
    box.insert(0, "Lefè")
    assert dialog.complete(box) == []  # asked on a worker thread
    assert pump(lambda: dialog.suggestions.size() > 0)
    assert dialog.suggestions.get(0) == "Jean Lefèvre <jean.lefevre@atelier-dupre.example>"
    dialog.destroy()
    services.disconnect()


def test_guided_first_connection_creates_the_profile_then_switches_to_the_server(root, notify, pump, server, tmp_path):
    """No profile yet: the connect dialog asks for the server, saves the profile, connects, then offers the server route."""
    import os

    from tests.viewer.gui.conftest import shoot

    s = settings_mod.Settings()
    s.service.from_identity = "Ventes <ventes@example.com>"
    settings_mod.save(s)
    services = MailServices(s)
    dialog = ConnectDialog(root, services, notify=notify)
    assert dialog.creating
    dialog.new_vars["url"].set("ftp://nowhere")
    dialog.new_vars["user"].set("alice")
    dialog.password_var.set("alice-pw")
    assert not dialog.connect() and "http://" in dialog.message.cget("text")  # the field named, nothing saved
    assert services.profiles() == []
    dialog.new_vars["url"].set(server.url)
    shoot(os.environ["DISPLAY"], tmp_path / "screens" / "connect-first.png", dialog)
    assert dialog.connect()
    assert pump(lambda: dialog.result is not None)
    assert dialog.result is True, notify.calls
    assert services.connected and services.profiles() == ["bureau"]
    assert settings_mod.load().profiles["bureau"].url == server.url  # the profile is saved
    # still sending from this computer: the dialog says so and offers the switch
    assert dialog.winfo_exists() and "depuis ce poste" in dialog.message.cget("text")
    assert dialog.use_server_button.winfo_ismapped()
    shoot(os.environ["DISPLAY"], tmp_path / "screens" / "connect-offer.png", dialog)
    assert dialog.use_server() == ""
    assert not dialog.winfo_exists()
    assert "par le serveur bureau" in services.status_text()
    saved = settings_mod.load()
    assert saved.service.use_server_service and saved.functions.use_server_functions
    services.disconnect()


def test_connected_with_the_server_route_already_set_closes_at_once(root, notify, pump, server):
    services = MailServices(settings_for(server.url))
    dialog = connect(root, pump, services, notify)
    assert dialog.result is True and not dialog.winfo_exists()
    services.disconnect()
