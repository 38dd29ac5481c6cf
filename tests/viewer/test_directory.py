"""Tests of viewer.directory: CSV import and validation, lookup rule L1, prefix search."""

from __future__ import annotations

import dataclasses
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formats.document import DocInfo
from viewer import paths
from viewer import settings as S
from viewer.directory import (
    Contact,
    Customer,
    Directory,
    DirectoryError,
    Entry,
    fold,
    open_directory,
    valid_email,
    valid_fax,
)


def _customer(d: Directory, code: str) -> Customer:
    found = d.customer(code)
    assert found is not None, f"no customer {code}"
    return found


def _contact(d: Directory, code: str) -> Contact:
    found = d.contact(code)
    assert found is not None, f"no contact {code}"
    return found


@pytest.fixture(scope="module")
def postgres_directory_url(postgres_cluster):
    """One PostgreSQL database for this module's directory tests (emptied before each)."""
    url = postgres_cluster.new_database()
    yield url
    postgres_cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def directory(request: pytest.FixtureRequest, samples: Path, tmp_path: Path) -> Iterator[Directory]:
    """The sample directory, in memory (SQLite) and on a real PostgreSQL server."""
    if request.param == "sqlite":
        d = Directory("sqlite://")
    else:
        from viewer.directory import metadata

        d = Directory(request.getfixturevalue("postgres_directory_url"))
        with d.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    report = d.import_csv(samples / "customers.csv", samples / "contacts.csv")
    assert report.ok, report.errors
    yield d
    d.close()


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# --- import --------------------------------------------------------------------------------


def test_sample_import(directory: Directory) -> None:
    assert directory.count() == 9
    assert directory.count("contact") == 6
    assert directory.customer("CLI002") == Customer(
        "CLI002", "Brasserie Kowalski & Fils", "compta@brasserie-kowalski.example", "", "+33 3 88 12 34 56", "",
        {"facture": "factures@brasserie-kowalski.example"},
    )
    assert directory.contact("CT0001") == Contact(
        "CT0001", "CLI001", "Élodie Marchand", "elodie.marchand@atelier-dupre.example", ""
    )
    assert [c.code for c in directory.contacts_of("CLI001")] == ["CT0001", "CT0002"]
    assert directory.contacts_of("CLI002") == []
    assert _customer(directory, "CLI003").fax == "03.89.55.66.77"
    assert directory.customer("NOPE") is None and directory.contact("NOPE") is None
    assert [c.code for c in directory.customers(limit=3)] == ["CLI001", "CLI002", "CLI003"]


def test_default_database_in_data_folder() -> None:
    with Directory() as d:
        assert d.count() == 0
    db = paths.data_dir() / "directory.sqlite"
    assert db.exists()
    assert stat.S_IMODE(paths.data_dir().stat().st_mode) == 0o700


def test_open_directory_uses_settings(tmp_path: Path) -> None:
    s = S.Settings()
    s.directory.database_url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    with open_directory(s) as d:
        assert d.url.endswith("other.sqlite")
    assert (tmp_path / "other.sqlite").exists()
    with open_directory() as d:
        assert d.url.endswith("directory.sqlite")


def test_bad_database_url() -> None:
    with pytest.raises(DirectoryError, match="database_url"):
        Directory("nonsense://x")


def test_unopenable_sqlite_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DirectoryError, match="cannot be opened"):
        Directory(f"sqlite:///{blocker / 'dir.sqlite'}")


def test_comma_separated_utf8_without_bom(tmp_path: Path) -> None:
    customers = write(tmp_path / "c.csv", 'code,name,email\nA1,"Dupont, Durand & Cie",a@b.example\n')
    contacts = write(tmp_path / "k.csv", "code,customer_code,name,email\nK1,A1,Zoé,zoe@b.example\n")
    with Directory("sqlite://") as d:
        report = d.import_csv(customers, contacts)
        assert report.ok and report.customers == 1 and report.contacts == 1
        assert _customer(d, "A1").name == "Dupont, Durand & Cie"
        assert _contact(d, "K1").name == "Zoé"


def test_tab_separated_and_aliases(tmp_path: Path) -> None:
    customers = write(tmp_path / "c.csv", "Code\tNom\tE-mail\nA1\tAtelier\tx@y.example\n", bom=True)
    with Directory("sqlite://") as d:
        assert d.import_csv(customers).ok
        assert d.customer("A1") == Customer("A1", "Atelier", "x@y.example")


def test_bad_rows_named_by_line_and_nothing_imported(tmp_path: Path) -> None:
    customers = write(
        tmp_path / "c.csv",
        "code;name;email;fax;default_facture\n"
        "A1;Alpha;alpha@example.com;;\n"
        "\n"
        "A2;;not-an-address;12;\n"
        "A1;Alpha again;;;\n"
        "A 3;Gamma;;;bad@@x\n"
        "A4;Delta\n",
    )
    contacts = write(tmp_path / "k.csv", "code;customer;name;email\nK1;A1;Kay;\nK2;ZZ;Zed;\nK1;;Dup;\n")
    with Directory("sqlite://") as d:
        report = d.import_csv(customers, contacts)
        assert not report.ok
        assert report.customers == report.contacts == 0
        c, k = str(customers), str(contacts)
        assert report.errors == [
            f"{c}:4: customer A2: the name is empty",
            f"{c}:4: customer A2: email 'not-an-address' is not an e-mail address",
            f"{c}:4: customer A2: fax '12' is not a fax number",
            f"{c}:5: customer code A1 is already on line 2",
            f"{c}:6: customer code 'A 3' must be 1 to 64 characters without spaces",
            f"{c}:6: customer A 3: default_facture 'bad@@x' is not an e-mail address",
            f"{c}:7: 2 fields, expected 5; check the separators and quotes",
            f"{k}:3: contact K2: unknown customer ZZ",
            f"{k}:4: contact code K1 is already on line 2",
            f"{k}:4: contact K1: the customer code is empty",
        ]
        assert d.count() == 0 and d.count("contact") == 0


def test_failed_import_keeps_previous_data(directory: Directory, tmp_path: Path) -> None:
    customers = write(tmp_path / "c.csv", "code;name\nCLI001;Renamed\nNEW;\n")
    report = directory.import_csv(customers, replace=True)
    assert not report.ok
    assert _customer(directory, "CLI001").name == "Atelier Dupré SARL"
    assert directory.count() == 9


def test_transaction_rolled_back_on_database_error(directory: Directory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from viewer import directory as module

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "_replace_defaults", broken)
    customers = write(tmp_path / "c.csv", "code;name\nCLI001;Renamed\nNEW1;New\n")
    with pytest.raises(RuntimeError):
        directory.import_csv(customers)
    assert _customer(directory, "CLI001").name == "Atelier Dupré SARL"
    assert directory.customer("NEW1") is None


def test_header_problems(tmp_path: Path) -> None:
    with Directory("sqlite://") as d:
        report = d.import_csv(write(tmp_path / "a.csv", "code;colour;name;name\nA;b;c;d\n"))
        assert report.errors == [
            f"{tmp_path / 'a.csv'}:1: unknown column 'colour'; expected: code, name",
            f"{tmp_path / 'a.csv'}:1: column 'name' appears twice",
        ]
        report = d.import_csv(write(tmp_path / "b.csv", "code,email\nA,a@b.example\n"))
        assert report.errors == [f"{tmp_path / 'b.csv'}:1: missing column(s) name (separator ',' was detected)"]
        report = d.import_csv(write(tmp_path / "e.csv", "\n\n"))
        assert "is empty" in report.errors[0]
        report = d.import_csv(tmp_path / "missing.csv")
        assert "cannot be read" in report.errors[0]
        (tmp_path / "latin.csv").write_bytes("code;name\nA;Dupr\xe9\n".encode("latin-1"))
        report = d.import_csv(tmp_path / "latin.csv")
        assert report.errors == [f"{tmp_path / 'latin.csv'}:2: not UTF-8 text; save the file as CSV UTF-8"]
        report = d.import_csv(
            write(tmp_path / "c.csv", "code;name\nA;x\n"),
            write(tmp_path / "k.csv", "code;name\nK;y\n"),
        )
        assert "missing column(s) customer" in report.errors[0]


def test_unterminated_quote(tmp_path: Path) -> None:
    with Directory("sqlite://") as d:
        report = d.import_csv(write(tmp_path / "c.csv", 'code;name\nA;"open\n'))
        assert not report.ok


def test_error_list_is_bounded(tmp_path: Path) -> None:
    rows = "".join(f"C{i};\n" for i in range(300))
    with Directory("sqlite://") as d:
        report = d.import_csv(write(tmp_path / "c.csv", "code;name\n" + rows))
        assert len(report.errors) == 201 and report.errors[-1] == "... and 100 more problem(s)"


def test_reimport_updates_and_contacts_of_existing_customers(directory: Directory, tmp_path: Path) -> None:
    customers = write(tmp_path / "c.csv", "code;name;email;default_devis\nCLI002;Brasserie K.;new@k.example;devis@k.example\nCLI010;Nouveau;n@n.example;\n")
    contacts = write(tmp_path / "k.csv", "code;customer;name;email\nCT0100;CLI003;Anne;anne@m.example\n")
    report = directory.import_csv(customers, contacts)
    assert report.ok and (report.customers, report.customers_new, report.contacts_new) == (2, 1, 1)
    assert directory.customer("CLI002") == Customer("CLI002", "Brasserie K.", "new@k.example", defaults={"devis": "devis@k.example"})
    assert directory.count() == 10
    assert _contact(directory, "CT0100").customer_code == "CLI003"
    assert [e.code for e in directory.search("kowalski")] == []  # old name words are gone
    assert [e.code for e in directory.search("brasserie k")] == ["CLI002"]


def test_replace_requires_customers_in_file(directory: Directory, tmp_path: Path) -> None:
    customers = write(tmp_path / "c.csv", "code;name\nN1;One\n")
    contacts = write(tmp_path / "k.csv", "code;customer;name\nK1;CLI001;Old customer\n")
    report = directory.import_csv(customers, contacts, replace=True)
    assert report.errors == [f"{contacts}:2: contact K1: unknown customer CLI001"]
    report = directory.import_csv(customers, replace=True)
    assert report.ok and directory.count() == 1 and directory.count("contact") == 0


def test_save_and_delete(directory: Directory) -> None:
    directory.save_customer(Customer("CLI050", "Zèbre SA", "z@z.example", defaults={"Devis": "d@z.example"}))
    directory.save_contact(Contact("CT0500", "CLI050", "Zoé Zèbre", "zoe@z.example"))
    assert _customer(directory, "CLI050").defaults == {"devis": "d@z.example"}
    assert directory.lookup(DocInfo(kind="DEVIS", customer="CLI050")).address == "d@z.example"
    with pytest.raises(DirectoryError, match="does not exist"):
        directory.save_contact(Contact("CT0501", "NOPE", "X"))
    assert directory.delete_customer("CLI050")
    assert not directory.delete_customer("CLI050")
    assert directory.contact("CT0500") is None and directory.search("zebre") == []


# --- lookup (L1) --------------------------------------------------------------------------------


def test_lookup_contact_first(directory: Directory) -> None:
    result = directory.lookup(DocInfo(kind="facture", customer="CLI001", contact="CT0002"))
    assert (result.address, result.source, result.name, result.found) == (
        "jean.lefevre@atelier-dupre.example", "contact", "Jean Lefèvre", True,
    )
    assert result.message == "" and result.contact_code == "CT0002" and result.customer_code == "CLI001"
    json.dumps(dataclasses.asdict(result))  # plain data the server can send


def test_lookup_contact_without_customer_on_document(directory: Directory) -> None:
    result = directory.lookup(DocInfo(contact="CT0001"))
    assert result.source == "contact" and result.customer_code == "CLI001"


def test_lookup_default_for_kind_then_main(directory: Directory) -> None:
    invoice = directory.lookup(DocInfo(kind="Facture", customer="CLI002"))
    assert (invoice.address, invoice.source) == ("factures@brasserie-kowalski.example", "default")
    quote = directory.lookup(DocInfo(kind="devis", customer="CLI002"))
    assert (quote.address, quote.source) == ("compta@brasserie-kowalski.example", "main")
    assert directory.lookup(DocInfo(customer="CLI002")).source == "main"


def test_lookup_contact_without_address_falls_back(directory: Directory) -> None:
    result = directory.lookup(DocInfo(customer="CLI003", contact="CT0003", kind="devis"), "FAX")
    assert (result.address, result.source) == ("03.89.55.66.78", "contact")
    result = directory.lookup(DocInfo(customer="CLI005", contact="CT0004"), "FAX")
    assert (result.address, result.source) == ("+420 2 2481 1111", "main")
    assert result.message == "Contact CT0004 (Jiří Dvořák) has no fax number: the customer's address is used."


def test_lookup_never_uses_another_customers_contact(directory: Directory) -> None:
    result = directory.lookup(DocInfo(kind="devis", customer="CLI001", contact="CT0003"))
    assert not result.found and result.address == ""
    assert result.message == (
        "Contact CT0003 (François Hébert) belongs to customer CLI003, not to CLI001 named by the document:"
        " check the document or type the e-mail address."
    )


def test_lookup_unknown_contact_falls_back(directory: Directory) -> None:
    result = directory.lookup(DocInfo(customer="CLI001", contact="CT9999"))
    assert (result.address, result.source) == ("contact@atelier-dupre.example", "main")
    assert "CT9999 is not in the directory" in result.message


def test_lookup_second_addresses_come_from_customer(directory: Directory) -> None:
    result = directory.lookup(DocInfo(customer="CLI003", contact="CT0003"), "email2")
    assert (result.address, result.source) == ("direction@menuiserie.example", "main")
    result = directory.lookup(DocInfo(customer="CLI005"), "FAX2")
    assert result.address == "+420 2 2481 1112"


def test_lookup_no_address(directory: Directory) -> None:
    result = directory.lookup(DocInfo(kind="devis", customer="CLI009"))
    assert not result.found and result.source == "none" and result.address == ""
    assert result.name == "Transports Nørgaard"
    assert result.message == (
        "Customer CLI009 (Transports Nørgaard) has no e-mail address: type one or add it to the directory."
    )
    result = directory.lookup(DocInfo(customer="CLI006", contact="CT0005"))
    assert result.message.startswith("Contact CT0005 (Jürgen Weiß) has no e-mail address and customer CLI006")
    assert directory.lookup(DocInfo(customer="CLI001"), "FAX").message.startswith("Customer CLI001 (Atelier Dupré SARL) has no fax number")
    assert "second e-mail address" in directory.lookup(DocInfo(customer="CLI001"), "EMAIL2").message


def test_lookup_unknown_or_missing_customer(directory: Directory) -> None:
    result = directory.lookup(DocInfo(customer="CLI404"))
    assert not result.found and "Customer CLI404 is not in the directory" in result.message
    assert directory.lookup(DocInfo()).message == "The document names no customer: type the e-mail address."
    message = directory.lookup(DocInfo(contact="CT404")).message
    assert message == "Contact CT404 is not in the directory and the document names no customer: type the e-mail address."


def test_lookup_bad_address_type(directory: Directory) -> None:
    with pytest.raises(DirectoryError, match="EMAIL, EMAIL2, FAX, FAX2"):
        directory.lookup(DocInfo(customer="CLI001"), "PIGEON")


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("CLI00", ["CLI001", "CLI002", "CLI003", "CLI004", "CLI005", "CLI006", "CLI007", "CLI008", "CLI009"]),
        ("cli002", ["CLI002"]),
        ("atelier", ["CLI001"]),
        ("dupre", ["CLI001"]),  # accent-insensitive, word inside the name
        ("KOWAL", ["CLI002"]),
        ("societe gen", ["CLI003"]),
        ("elodie", ["CT0001"]),
        ("jean.le", ["CT0002"]),
        ("factures@", []),
        ("lodz", ["CLI007"]),
        ("dvorak", ["CLI005", "CT0004"]),
        ("", []),
        ("zzz", []),
        ("%", []),
        ("_", []),
    ],
)
def test_search(directory: Directory, text: str, codes: list[str]) -> None:
    assert [e.code for e in directory.search(text)] == codes


def test_search_entry_fields_and_limit(directory: Directory) -> None:
    assert directory.search("CT0001") == [
        Entry("contact", "CT0001", "Élodie Marchand", "elodie.marchand@atelier-dupre.example", "CLI001")
    ]
    assert directory.search("contact@")[0] == Entry(
        "customer", "CLI001", "Atelier Dupré SARL", "contact@atelier-dupre.example", "CLI001"
    )
    assert len(directory.search("cli", limit=3)) == 3
    assert directory.search("cli", limit=0) == []


def test_helpers() -> None:
    assert fold("  Élodie   MARCHAND ") == "elodie marchand"
    assert fold("Œuvre Straße") == "œuvre strasse"
    assert valid_email("a.b@c-d.example") and not valid_email("a..b@c.example")
    assert not valid_email(".a@c.example") and not valid_email("a@c") and not valid_email("a b@c.example")
    assert valid_fax("+33 (0)3 88.12-34/56") and not valid_fax("12") and not valid_fax("call me")


def test_database_password_never_in_errors() -> None:
    with pytest.raises(DirectoryError) as info:
        Directory("nosuchdriver://user:Secr3t@host/db")
    assert "Secr3t" not in str(info.value) and "***" in str(info.value)
    with pytest.raises(DirectoryError) as info:
        Directory("::Secr3t::")
    assert "Secr3t" not in str(info.value)


def test_memory_database_shared_between_threads(directory: Directory) -> None:
    import threading

    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(directory.count()))
    worker.start()
    worker.join()
    assert seen == [9]


def test_search_while_import_transaction_is_open(tmp_path: Path, samples: Path) -> None:
    with Directory(f"sqlite:///{tmp_path / 'd.sqlite'}") as d:
        assert d.import_csv(samples / "customers.csv").ok
        with d.engine.begin() as conn:
            from viewer.directory import customers

            conn.execute(customers.delete())
            assert [e.code for e in d.search("cli001")] == ["CLI001"]  # another connection, WAL
        assert d.count() == 0


def test_database_failure_is_a_directory_error(tmp_path: Path, samples: Path) -> None:
    db = tmp_path / "d.sqlite"
    d = Directory(f"sqlite:///{db}")
    assert d.import_csv(samples / "customers.csv").ok
    d.engine.dispose()
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DirectoryError, match=r"d.sqlite failed \(DatabaseError"):
        d.search("cli")
    with pytest.raises(DirectoryError, match="nothing was saved"):
        d.save_customer(Customer("X1", "X"))
    d.close()


_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")), min_size=1, max_size=60
).filter(lambda s: s.strip() and fold(s))


@settings(max_examples=25, deadline=None)
@given(st.lists(_names, min_size=1, max_size=5))
def test_any_name_survives_csv_import_and_is_found_by_its_prefix(names: list[str]) -> None:
    import csv
    import io
    import tempfile

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["code", "name"])
    for i, name in enumerate(names):
        writer.writerow([f"H{i}", name])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        with Directory("sqlite://") as d:
            report = d.import_csv(path)
            assert report.ok, report.errors
            for i, name in enumerate(names):
                assert _customer(d, f"H{i}").name == name.strip()
                assert f"H{i}" in [e.code for e in d.search(name.strip()[:3])]


def test_default_database_private_under_umask_022() -> None:
    """Issue 12.10: the directory (customers' addresses) is 0600 in a 0700 folder."""
    import os

    old = os.umask(0o022)
    try:
        with Directory() as d:
            assert d.count() == 0
    finally:
        os.umask(old)
    db = paths.data_dir() / "directory.sqlite"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.data_dir().stat().st_mode) == 0o700
