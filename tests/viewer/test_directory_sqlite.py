"""The sqlite3 reader of the directory: the same answers as the SQLAlchemy directory, read-only, and its fallbacks."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from formats.document import DocInfo
from viewer import paths
from viewer import settings as S
from viewer.directory import Customer, Directory, DirectoryError, open_directory
from viewer.directory_sqlite import SqliteReader, open_reader, sqlite_file


@pytest.fixture
def pair(tmp_path: Path, samples: Path) -> Iterator[tuple[Directory, SqliteReader]]:
    """The sample directory in a SQLite file, through SQLAlchemy and through the reader."""
    directory = Directory(f"sqlite:///{tmp_path / 'd.sqlite'}")
    assert directory.import_csv(samples / "customers.csv", samples / "contacts.csv").ok
    directory.save_customer(Customer("CLI100", "Zoé Łódź & Œuvres", "zoe@lodz.example", defaults={"avoir": "avoirs@lodz.example"}))
    yield directory, SqliteReader(tmp_path / "d.sqlite")
    directory.close()


def _prefixes(values: list[str]) -> set[str]:
    return {value[:n] for value in values for n in range(1, len(value) + 1)}


def test_every_search_prefix_gives_the_same_entries_in_the_same_order(pair) -> None:
    directory, reader = pair
    everything = directory.search("a", limit=500) + [e for c in "bcdefghijklmnopqrstuvwxyz" for e in directory.search(c, limit=500)]
    assert len({(e.kind, e.code) for e in everything}) == 16  # 10 customers, 6 contacts: the sample is all there
    texts = _prefixes([e.code for e in everything] + [e.name for e in everything] + [e.email for e in everything])
    texts |= {"", " ", "%", "_", "ÉLODIE", "lodz", "dvorak", "zzz", "factures@"}
    for text in sorted(texts):
        for limit in (1, 3, 20):
            assert reader.search(text, limit) == directory.search(text, limit), (text, limit)


def test_records_and_rule_l1_are_the_same(pair) -> None:
    directory, reader = pair
    codes = [e.code for e in directory.search("cli", limit=100)] + ["NOPE", ""]
    for code in codes:
        assert reader.customer(code) == directory.customer(code)
        assert reader.contacts_of(code) == directory.contacts_of(code)
    assert reader.customer("CLI100") is not None and reader.customer("CLI100").defaults == {"avoir": "avoirs@lodz.example"}
    for code in [f"CT000{n}" for n in range(1, 8)] + ["NOPE"]:
        assert reader.contact(code) == directory.contact(code)
    for customer in codes:
        for contact in ("", "CT0001", "CT0003", "CT0004", "NOPE"):
            for kind in ("devis", "facture", "avoir", ""):
                for address_type in ("EMAIL", "email2", "FAX", "FAX2"):
                    info = DocInfo(customer=customer, contact=contact, kind=kind)
                    assert reader.lookup(info, address_type) == directory.lookup(info, address_type), info
    with pytest.raises(DirectoryError, match="EMAIL, EMAIL2, FAX, FAX2"):
        reader.lookup(DocInfo(customer="CLI001"), "PIGEON")


def test_the_reader_never_writes(pair, tmp_path: Path) -> None:
    directory, reader = pair
    directory.close()  # checkpoints the WAL
    db = tmp_path / "d.sqlite"
    before = (db.stat().st_mtime_ns, db.stat().st_size, db.read_bytes())
    assert reader.customer("CLI001") is not None and reader.search("atelier")
    assert (db.stat().st_mtime_ns, db.stat().st_size, db.read_bytes()) == before
    for companion in tmp_path.glob("d.sqlite-*"):  # SQLite's WAL index: as private as the file
        assert stat.S_IMODE(companion.stat().st_mode) == 0o600, companion


def test_a_broken_file_is_a_directory_error_naming_it(pair, tmp_path: Path) -> None:
    directory, reader = pair
    directory.close()
    for extra in ("-wal", "-shm"):
        Path(f"{tmp_path / 'd.sqlite'}{extra}").unlink(missing_ok=True)
    (tmp_path / "d.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DirectoryError, match=r"d.sqlite failed \(DatabaseError.*directory.database_url"):
        reader.search("cli")
    assert not reader.has_tables()


def test_open_reader_reads_an_existing_file_else_opens_the_directory(tmp_path: Path, samples: Path) -> None:
    settings = S.Settings()
    default = paths.data_dir() / "directory.sqlite"
    assert sqlite_file(settings) == default and not default.exists()
    first = open_reader(settings)  # no file yet: the SQLAlchemy directory creates it, private
    assert isinstance(first, Directory) and default.is_file()
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    first.close()
    with open_reader(settings) as reader:
        assert isinstance(reader, SqliteReader) and reader.search("cli") == []
    with open_directory(settings) as directory:
        assert directory.import_csv(samples / "customers.csv").ok
    with open_reader(settings) as reader:
        assert isinstance(reader, SqliteReader) and reader.customer("CLI001") is not None


def test_a_file_without_the_tables_goes_to_the_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    settings = S.Settings()
    settings.directory.database_url = f"sqlite:///{empty}"
    with open_reader(settings) as directory:
        assert isinstance(directory, Directory)  # it creates the tables
    with open_reader(settings) as reader:
        assert isinstance(reader, SqliteReader)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    settings.directory.database_url = f"sqlite:///{garbage}"
    with pytest.raises(DirectoryError, match="cannot be opened"):  # the directory's own error
        open_reader(settings)


@pytest.mark.parametrize(("url", "path"), [
    ("sqlite:////srv/dir.sqlite", "/srv/dir.sqlite"),
    ("sqlite+pysqlite:////srv/a b.sqlite", "/srv/a b.sqlite"),
    ("sqlite:///relative.sqlite", "relative.sqlite"),
    ("sqlite:////srv/a%20b.sqlite", None),  # percent-encoding: SQLAlchemy decodes it
    ("sqlite:////srv/d.sqlite?mode=ro", None),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("postgresql://user:pw@db/directory", None),
])
def test_which_urls_the_reader_takes(url: str, path: str | None) -> None:
    settings = S.Settings()
    settings.directory.database_url = url
    assert sqlite_file(settings) == (Path(path) if path else None)


def test_owners_is_the_search_answer_in_one_question(pair) -> None:
    directory, reader = pair
    directory.save_customer(Customer("CLI101", "Second owner", "Zoe@Lodz.example"))  # one address, two customers
    emails = {e.email for c in "abcdefghijklmnopqrstuvwxyz" for e in directory.search(c, limit=500) if e.email}
    assert len(emails) > 5
    for email in sorted(emails) + ["nobody@nowhere.example", "ZOE@LODZ.EXAMPLE "]:
        bare = email.strip().lower()
        expected = sorted({e.code if e.kind == "customer" else e.customer_code
                           for e in directory.search(bare, limit=50) if e.email.strip().lower() == bare})
        assert reader.owners(email) == expected, email
    assert reader.owners("zoe@lodz.example") == ["CLI100", "CLI101"]


def test_the_reader_answers_from_one_reading_until_closed(pair) -> None:
    directory, reader = pair
    assert reader.customer("CLI100").name == "Zoé Łódź & Œuvres"
    assert reader.customer("CLI999") is None
    directory.save_customer(Customer("CLI100", "Renamed", "zoe@lodz.example"))
    directory.save_customer(Customer("CLI999", "New one", "new@one.example"))
    assert reader.customer("CLI100").name == "Zoé Łódź & Œuvres"  # a batch's snapshot: asked once
    assert reader.customer("CLI999") is None
    reader.close()  # Lookups.forget / close: the next question reads the file again
    assert reader.customer("CLI100").name == "Renamed"
    assert reader.customer("CLI999").email == "new@one.example"
    reader.close()
