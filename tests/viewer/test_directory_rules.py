"""The directory's search keys, ranking and rule L1 (their database-backed cases: test_directory.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from formats.document import DocInfo
from viewer.directory_rules import Contact, Customer, DirectoryError, Entry, Lookup, add_ranked, fold, lookup, words


class Records:
    """A directory of two customers and one contact, answered from dicts."""

    customers = {"C1": Customer("C1", "Atelier Dupré", "main@c1.example", "second@c1.example", "01 02", "",
                                {"facture": "factures@c1.example"})}
    contacts = {"K1": Contact("K1", "C1", "Élodie", "", "03 04"), "K9": Contact("K9", "C9", "Autre", "a@c9.example")}

    def customer(self, code: str) -> Customer | None:
        return self.customers.get(code)

    def contact(self, code: str) -> Contact | None:
        return self.contacts.get(code)

    def contacts_of(self, customer_code: str) -> list[Contact]:
        return [c for c in self.contacts.values() if c.customer_code == customer_code]

    def search(self, text: str, limit: int = 20) -> list[Entry]:
        return []

    def lookup(self, info: DocInfo, address_type: str = "EMAIL") -> Lookup:
        return lookup(self, info, address_type)

    def close(self) -> None:
        pass

    def __enter__(self) -> Records:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def test_fold_and_words() -> None:
    assert fold("  Élodie   MARCHAND ") == "elodie marchand"
    assert fold("Łódź") == "lodz"
    assert words("Brasserie Kowalski & Fils") == {"brasserie", "kowalski", "fils"}


def test_ranking_exact_code_then_customers_then_by_code_or_name() -> None:
    found: dict = {}
    add_ranked(found, "contact", ("CLI1X", "Zed", "", "cli1x", "zed", "C1"), "cli1")
    add_ranked(found, "customer", ("CLI10", "Beta", "", "cli10", "beta", "CLI10"), "cli1")
    add_ranked(found, "customer", ("CLI1", "Alpha", "", "cli1", "alpha", "CLI1"), "cli1")
    add_ranked(found, "customer", ("CLI1", "Alpha again", "", "cli1", "alpha", "CLI1"), "cli1")  # first row kept
    ranked = [entry.code for _rank, entry in sorted(found.values(), key=lambda item: item[0])]
    assert ranked == ["CLI1", "CLI10", "CLI1X"]
    assert found[("customer", "CLI1")][1].name == "Alpha"


def test_rule_l1_contact_default_main_and_refusals() -> None:
    records = Records()
    assert lookup(records, DocInfo(customer="C1", kind="Facture")).address == "factures@c1.example"
    assert lookup(records, DocInfo(customer="C1", kind="devis")).source == "main"
    assert lookup(records, DocInfo(customer="C1", contact="K1"), "fax").address == "03 04"
    fallback = lookup(records, DocInfo(customer="C1", contact="K1"))  # the contact has no e-mail
    assert fallback.address == "main@c1.example" and "Contact K1 (Élodie) has no e-mail address" in fallback.message
    refused = lookup(records, DocInfo(customer="C1", contact="K9"))
    assert not refused.found and "belongs to customer C9, not to C1" in refused.message
    assert lookup(records, DocInfo(customer="C1"), "EMAIL2").address == "second@c1.example"
    assert "has no second fax number" in lookup(records, DocInfo(customer="C1"), "FAX2").message
    assert "C7 is not in the directory" in lookup(records, DocInfo(customer="C7")).message
    with pytest.raises(DirectoryError, match="PIGEON"):
        lookup(records, DocInfo(customer="C1"), "PIGEON")


def test_importing_the_rules_loads_no_database_engine() -> None:
    probe = "import sys, viewer.directory_rules, viewer.directory_sqlite; print('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "False\n"
