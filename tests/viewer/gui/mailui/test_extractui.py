"""The "Lecture des documents imprimés" screen: its live preview follows the rules as they are typed
(real Tk under Xvfb; a screenshot is written to tests' tmp folder ``extract-screen.png``)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pymupdf
import pytest

from formats import open_document
from formats.pdf import to_pdf
from tests.support.tools import require_tool
from viewer import settings as settings_mod
from viewer.gui.mailui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.gui

SAMPLES = Path(__file__).resolve().parents[4] / "samples"


@pytest.fixture
def printed_quote(tmp_path: Path):
    """The sample quote as another program prints it: a PDF with no document info."""
    pdf = pymupdf.open(stream=to_pdf(open_document(SAMPLES / "devis-D2026-0042.spv")), filetype="pdf")
    pdf.del_xml_metadata()
    pdf.save(tmp_path / "printed.pdf")
    doc = open_document(tmp_path / "printed.pdf")
    yield doc
    doc.close()


def fresh() -> settings_mod.Settings:
    s = settings_mod.load()
    s.service.from_identity = "Ventes <ventes@example.com>"
    return s


def import_directory() -> None:
    from viewer.directory import open_directory

    with open_directory(settings_mod.load()) as directory:
        directory.import_csv(SAMPLES / "customers.csv", SAMPLES / "contacts.csv")


def test_preview_follows_the_rules_as_typed(root, notify, pump, printed_quote, tmp_path: Path) -> None:
    import_directory()
    dialog = SettingsDialog(root, fresh(), notify=notify, screen="extract", document=printed_quote)
    preview = dialog.preview
    assert "Ouvrez" not in preview.note.cget("text") and "Aucune règle" in preview.note.cget("text")
    dialog.vars["extract.number"].set(r"\b([DF]\d{4}-\d{4})\b")
    dialog.vars["extract.kind"].set(r"^(DEVIS|FACTURE)\s*$")
    assert pump(lambda: preview.found.get("number") == "D2026-0042")
    assert preview.found.get("kind") == "devis"
    assert preview.values["number"].cget("text") == "D2026-0042"
    assert preview.values["customer"].cget("text") == "(non trouvé)"
    dialog.vars["extract.customer"].set("^(.+)$")
    dialog.vars["extract.customer_region"].set("120 40 195 72")
    dialog.vars["extract.customer_by_name"].set(True)
    assert pump(lambda: preview.found.get("customer_code") == "CLI001")
    assert preview.values["customer"].cget("text") == "Atelier Dupré SARL"
    assert "client CLI001" in preview.note.cget("text")
    dialog.deiconify()
    dialog.geometry("+0+0")
    pump(lambda: dialog.winfo_viewable(), timeout=5)
    root.update()
    png = subprocess.run([require_tool("import"), "-window", "root", "png:-"], capture_output=True, check=True, timeout=30).stdout
    from PIL import Image

    shot = Image.open(io.BytesIO(png)).convert("RGB")
    x, y = dialog.winfo_rootx(), dialog.winfo_rooty()
    shot.crop((x, y, x + dialog.winfo_width(), y + dialog.winfo_height())).save(tmp_path / "extract-screen.png")
    assert (tmp_path / "extract-screen.png").stat().st_size > 1000
    # Saved: the rules are in the settings and open_document uses them.
    assert dialog.ok(), notify.calls
    saved = settings_mod.load().extract
    assert saved.customer_region == "120 40 195 72" and saved.customer_by_name


def test_a_bad_rule_is_said_in_the_preview_and_refused_on_ok(root, notify, pump, printed_quote) -> None:
    dialog = SettingsDialog(root, fresh(), notify=notify, screen="extract", document=printed_quote)
    dialog.vars["extract.number"].set("(unclosed")
    assert pump(lambda: "not a valid regular expression" in dialog.preview.note.cget("text"))
    assert not dialog.ok()
    assert settings_mod.load().extract.number == ""


def test_without_a_document_the_preview_says_so(root, notify) -> None:
    dialog = SettingsDialog(root, fresh(), notify=notify, screen="extract")
    assert "Ouvrez un document" in dialog.preview.note.cget("text")


def test_a_spool_with_its_own_info_is_said_so(root, notify, pump) -> None:
    doc = open_document(SAMPLES / "devis-D2026-0042.spv")
    dialog = SettingsDialog(root, fresh(), notify=notify, screen="extract", document=doc)
    dialog.vars["extract.number"].set(r"(D\d{4}-\d{4})")
    assert pump(lambda: "porte ses propres informations" in dialog.preview.note.cget("text"))
    doc.close()
