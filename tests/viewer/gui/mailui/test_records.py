"""Records window: search as you type, details, contacts, history, mail icon on a customer and a contact."""

from __future__ import annotations

import pytest

from viewer import settings as settings_mod
from viewer.gui.mailui.records import RecordsWindow, record_fields
from viewer.gui.mailui.services import MailServices

pytestmark = pytest.mark.gui
ELODIE = "elodie.marchand@atelier-dupre.example"


@pytest.fixture
def services(samples):
    from viewer.directory import open_directory

    s = settings_mod.Settings()
    s.service.from_identity = "Ventes <ventes@example.com>"
    open_directory(s).import_csv(samples / "customers.csv", samples / "contacts.csv")
    return MailServices(s)


@pytest.fixture
def quote(samples):
    from formats import open_document

    with open_document(samples / "devis-D2026-0042.spv") as doc:
        yield doc


def test_search_as_you_type_and_details(root, notify, pump, services):
    window = RecordsWindow(root, services, notify=notify)
    window.search_entry.insert(0, "dupr")
    assert pump(lambda: bool(window.entries))
    codes = {(e.kind, e.code) for e in window.entries.values()}
    assert ("customer", "CLI001") in codes
    assert window.select("CLI001", "customer")
    assert "Atelier Dupré SARL" in window.details_text()
    assert "contact@atelier-dupre.example" in window.details_text()
    contacts = {window.contacts.item(i, "values")[1] for i in window.contacts.get_children()}
    assert contacts == {"Élodie Marchand", "Jean Lefèvre"}
    window.search_var.set("zzzz-nothing")
    window.refresh()
    assert window.message.cget("text") == "Aucune fiche ne correspond."


def test_mail_icon_on_contact_sends_with_document(root, notify, pump, services, quote, smtpd):
    services.settings.functions.send_direct = True
    services.settings.functions.host, services.settings.functions.port = "127.0.0.1", smtpd.port
    window = RecordsWindow(root, services, document=lambda: quote, notify=notify)
    assert window.attach_var.get() is True
    window.search_var.set("Élodie")
    window.refresh()
    assert window.select("CT0001", "contact")
    dialog = window.mail_selected()
    assert dialog is not None, notify.calls
    assert ELODIE in dialog.to_var.get()
    assert pump(lambda: not dialog.draft.attachment_pending)  # the PDF is made once the dialog shows
    assert [a.filename for a in dialog.draft.attachments] == ["devis-D2026-0042.pdf"]
    assert dialog.send()
    assert pump(lambda: dialog.result is not None)
    assert dialog.result.ok, dialog.result.text
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == [ELODIE]
    # the history of the customer now shows it
    window.search_var.set("CLI001")
    window.refresh()
    window.select("CLI001", "customer")
    assert any(ELODIE in window.history.get(i) for i in range(window.history.size()))


def test_mail_icon_on_customer_without_document(root, notify, services):
    opened = []
    window = RecordsWindow(root, services, open_send=lambda doc, **kw: opened.append((doc, kw)), notify=notify)
    assert window.attach_var.get() is False
    window.search_var.set("Kowalski")
    window.refresh()
    window.select("CLI002", "customer")
    window.mail_selected()
    doc, kw = opened[0]
    assert doc is None and kw["to"] == "compta@brasserie-kowalski.example" and kw["customer_code"] == "CLI002"


def test_mail_icon_on_a_contact_of_the_customer(root, notify, services):
    opened = []
    window = RecordsWindow(root, services, open_send=lambda doc, **kw: opened.append(kw), notify=notify)
    window.search_var.set("CLI001")
    window.refresh()
    window.select("CLI001", "customer")
    first = window.contacts.get_children()[0]
    window.contacts.selection_set(first)
    window._contact_selected()
    window.mail_contact()
    assert opened[0]["contact_code"] in ("CT0001", "CT0002") and opened[0]["customer_code"] == "CLI001"


def test_record_without_address(root, notify, services):
    window = RecordsWindow(root, services, notify=notify)
    assert window._mail("", "Sans Adresse", "CLI009", "") is None
    assert "Sans Adresse" in notify.last()[2]


def test_record_fields_of_any_record():
    from viewer.directory import Customer

    fields = record_fields(Customer("C1", "Nom", email="a@example.com", defaults={"devis": "d@example.com"}))
    assert ("email", "a@example.com") in fields and ("defaults", "devis : d@example.com") in fields
    assert record_fields({"code": "X", "empty": ""}) == [("code", "X")]


def test_opens_on_the_open_documents_customer(root, notify, services, quote):
    """Opened over the quote, the window shows its customer (CLI001) at once, selected, with its contacts."""
    window = RecordsWindow(root, services, document=lambda: quote, notify=notify)
    assert window.search_var.get() == "CLI001"
    assert window.selected is not None and window.selected.code == "CLI001"
    assert "Atelier Dupré SARL" in window.details_text()
    assert "Nom : Atelier Dupré SARL" in window.details_text()  # French typography: a space before the colon
    assert window.contacts.get_children()
    root.update()  # the search scheduled by typing the code must not wipe the selection
    assert window.tree.selection() and window.selected.code == "CLI001"


def test_without_document_says_what_to_type(root, notify, services):
    window = RecordsWindow(root, services, notify=notify)
    assert window.message.cget("text") == "Tapez un nom, un code client ou le début d'une adresse mail."
    window.search_var.set("zzzz-nobody")
    window.refresh()
    assert window.message.cget("text") == "Aucune fiche ne correspond."
    assert str(window.message.cget("style")) == "Error.TLabel"


def test_contact_details_name_the_customer_and_buttons_never_clip(root, notify, pump, services, tmp_path):
    import os

    from tests.viewer.gui.conftest import shoot
    from viewer.directory import Customer, open_directory

    long_name = "Société Coopérative Ouvrière de Production des Menuiseries Réunies du Haut-Rhin et des Vosges"
    directory = open_directory(services.settings)
    directory.save_customer(Customer("CLI009", long_name, "coop@example.com"))
    window = RecordsWindow(root, services, notify=notify)
    window.geometry("760x520+0+0")
    window.search_var.set("Élodie")
    window.refresh()
    assert window.select("CT0001", "contact")
    assert "Client : Atelier Dupré SARL (CLI001)" in window.details_text()
    assert window.title_text() == "Élodie Marchand — Atelier Dupré SARL"
    window.search_var.set("CLI009")
    window.refresh()
    assert window.select("CLI009", "customer")
    window.update()
    shoot(os.environ["DISPLAY"], tmp_path / "screens" / "records-long-name.png", window)
    shown = window.detail_title.cget("text")
    assert window.title_text().endswith("Vosges") and shown != window.title_text() and "…" in shown
    for button in (window.mail_button, window.contact_mail_button, window.close_button):
        assert button.winfo_width() >= button.winfo_reqwidth() - 1  # whole, not clipped
        assert button.winfo_rootx() + button.winfo_width() <= window.winfo_rootx() + window.winfo_width()
    window.destroy()
