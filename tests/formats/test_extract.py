"""Extraction rules: kind, number, date and customer read from the first page (or a region of it)."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from formats import DocInfo, open_document
from formats.extract import UNREADABLE, RuleError, Rules, apply, compile_rule, find, find_in_text, parse_region
from formats.pdf import to_pdf

RULES = Rules(kind=r"^(DEVIS|FACTURE)\s*$", number=r"\b([DF]\d{4}-\d{4})\b", date=r"\bdu (\d{2}/\d{2}/\d{4})",
              customer=r"^(.+)$", customer_region=(120, 40, 195, 72))


def plain(samples: Path, name: str, tmp_path: Path) -> Path:
    """The sample's PDF with no document info in it (as another program prints it)."""
    doc = pymupdf.open(stream=to_pdf(open_document(samples / name)), filetype="pdf")
    doc.del_xml_metadata()
    out = tmp_path / "plain.pdf"
    doc.save(out)
    return out


def test_rules_find_kind_number_date_and_customer_on_the_quote_pdf(samples: Path, tmp_path: Path) -> None:
    doc = open_document(plain(samples, "devis-D2026-0042.spv", tmp_path))
    assert doc.info == DocInfo()
    found = apply(doc, RULES)
    assert found == DocInfo(kind="devis", number="D2026-0042", date="2026-11-20", customer="Atelier Dupré SARL")
    assert doc.info == found


def test_rules_find_the_invoice(samples: Path, tmp_path: Path) -> None:
    found = find(open_document(plain(samples, "facture-F2026-0107.spv", tmp_path)), RULES)
    assert (found.kind, found.number, found.customer) == ("facture", "F2026-0107", "Brasserie Kowalski & Fils")


def test_without_the_region_the_customer_rule_reads_the_whole_page(samples: Path, tmp_path: Path) -> None:
    found = find(open_document(plain(samples, "devis-D2026-0042.spv", tmp_path)), Rules(customer=r"^(.+)$"))
    assert found.customer == "Menuiseries Beaumont & Fils SARL"  # the first line of the page: the seller


def test_a_region_for_every_rule(samples: Path, tmp_path: Path) -> None:
    doc = open_document(plain(samples, "devis-D2026-0042.spv", tmp_path))
    assert find(doc, Rules(number=r"\b([DF]\d{4}-\d{4})\b", region=(120, 40, 195, 72))).number == ""
    assert find(doc, Rules(number=r"\b([DF]\d{4}-\d{4})\b", region=(10, 52, 110, 60))).number == "D2026-0042"


def test_a_spools_own_info_is_kept(samples: Path) -> None:
    doc = open_document(samples / "devis-D2026-0042.spv")
    assert apply(doc, Rules(customer=r"(Menuiseries)")) == DocInfo()
    assert doc.info.customer == "CLI001"


def test_found_values_fill_only_what_the_sidecar_left_empty(samples: Path, tmp_path: Path) -> None:
    pdf = plain(samples, "devis-D2026-0042.spv", tmp_path)
    pdf.with_name("plain.meta.json").write_text('{"language": "fr", "contact": "CT0001"}')
    doc = open_document(pdf)
    apply(doc, RULES)
    assert (doc.info.number, doc.info.contact, doc.info.language) == ("D2026-0042", "CT0001", "fr")


def test_values_are_tidied() -> None:
    text = "FACTURE\nN° F1 du 5.3.2026\nClient :  Atelier\x01  Dupr\ufffd   SARL \n"
    rules = Rules(kind=r"^(facture)$", number=r"N°\s*(\S+)", date=r"du (\S+)", customer=r"Client :(.+)$")
    assert find_in_text(text, rules) == DocInfo(kind="facture", number="F1", date="2026-03-05",
                                                customer=f"Atelier{UNREADABLE} Dupr{UNREADABLE} SARL")
    assert find_in_text("le 31/02/2026", Rules(date=r"le (\S+)")).date == "2026-02-31"  # not a day: kept as printed
    assert find_in_text("le 40/13/2026", Rules(date=r"le (\S+)")).date == "40/13/2026"


@pytest.mark.parametrize("pattern,message", [("N° \\S+", "needs a group"), ("(unclosed", "not a valid regular expression")])
def test_bad_rules_name_the_field(pattern: str, message: str) -> None:
    with pytest.raises(RuleError) as err:
        compile_rule("number", pattern)
    assert message in str(err.value) and err.value.field == "number"
    with pytest.raises(RuleError):
        Rules(number=pattern).patterns()


@pytest.mark.parametrize("text", ["1 2 3", "a b c d", "10 10 5 20", "10 10 20 5"])
def test_bad_regions(text: str) -> None:
    with pytest.raises(RuleError, match="four numbers"):
        parse_region(text)


def test_regions_parse() -> None:
    assert parse_region("") is None
    assert parse_region("120, 40, 195, 72") == (120, 40, 195, 72)


def test_no_rules_no_work(samples: Path) -> None:
    assert not Rules()
    assert find(open_document(samples / "notice.pdf"), Rules()) == DocInfo()
