"""Benchmark: directory prefix search on 100,000 customers (target: < 20 ms median).

Generates the customers (and 50,000 contacts) as CSV in a temporary folder, imports them
through ``Directory.import_csv``, then times ``Directory.search`` against a raw sqlite3
query on the same table and index (the baseline, measured in the same process).
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from viewer.directory import Directory, _search_statement, fold

CUSTOMERS = 100_000
CONTACTS = 50_000
QUERIES = 300
TARGET_MS = 20.0

KINDS = ["Atelier", "Boulangerie", "Brasserie", "Garage", "Librairie", "Menuiserie", "Pharmacie",
         "Société", "Transports", "Cabinet", "Imprimerie", "Fromagerie", "Quincaillerie", "Hôtel"]
NAMES = ["Dupré", "Kowalski", "Lefèvre", "Marchand", "Müller", "Dvořák", "Nørgaard", "Hébert", "Wójcik",
         "Martin", "Bernard", "Durand", "Petit", "Moreau", "Laurent", "Simon", "Michel", "Garcia",
         "Roux", "Fournier", "Girard", "Bonnet", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller",
         "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier"]
SUFFIXES = ["SARL", "SA", "& Fils", "et Cie", "SAS", "Frères", "GmbH", "s.r.o.", ""]
FIRST = ["Élodie", "Jean", "Anne", "Luc", "Zoé", "Jiří", "Małgorzata", "Jürgen", "Chloé", "Hugo"]


def generate(folder: Path, rng: random.Random) -> tuple[Path, Path, list[str]]:
    customers = folder / "customers.csv"
    contacts = folder / "contacts.csv"
    names = []
    with customers.open("w", encoding="utf-8", newline="") as out:
        out.write("code;name;email;fax;default_facture\n")
        for i in range(CUSTOMERS):
            name = f"{rng.choice(KINDS)} {rng.choice(NAMES)} {rng.choice(NAMES)} {rng.choice(SUFFIXES)}".strip()
            names.append(name)
            slug = fold(name).replace(" ", "-").replace("&", "et").replace(".", "")
            default = f"factures{i}@{slug[:30]}.example" if i % 7 == 0 else ""
            out.write(f"C{i:06d};{name};contact{i}@{slug[:30]}.example;+33 3 88 {i % 100:02d} {i % 97:02d} 00;{default}\n")
    with contacts.open("w", encoding="utf-8", newline="") as out:
        out.write("code;customer;name;email\n")
        for i in range(CONTACTS):
            first, last = rng.choice(FIRST), rng.choice(NAMES)
            out.write(f"K{i:06d};C{rng.randrange(CUSTOMERS):06d};{first} {last};{fold(first)}.{fold(last)}{i}@example.com\n")
    return customers, contacts, names


def timed_ms(fn: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    rng = random.Random(20261127)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        customers_csv, contacts_csv, names = generate(folder, rng)
        db = folder / "directory.sqlite"
        directory = Directory(f"sqlite:///{db}")
        start = time.perf_counter()
        report = directory.import_csv(customers_csv, contacts_csv)
        import_s = time.perf_counter() - start
        if not report.ok:
            print("import failed:", report.errors[:5])
            return 1
        print(f"import: {report.customers} customers + {report.contacts} contacts in {import_s:.1f} s "
              f"({(report.customers + report.contacts) / import_s:,.0f} rows/s)")

        # Query mix: name prefixes, word prefixes, code prefixes, e-mail prefixes, misses.
        queries = []
        for _ in range(QUERIES // 5):
            name = rng.choice(names)
            queries.append(name[: rng.randint(2, 8)])
            queries.append(rng.choice(NAMES)[:4])
            queries.append(f"C{rng.randrange(CUSTOMERS):06d}"[: rng.randint(3, 7)])
            queries.append(f"contact{rng.randrange(CUSTOMERS)}"[:9])
            queries.append("zzq" + str(rng.randrange(1000)))
        for q in queries[:20]:  # warm the caches
            directory.search(q)

        ours = [timed_ms(directory.search, q, 20) for q in queries]

        # Baselines on a raw sqlite3 connection to the same file: (1) one single-column
        # prefix query; (2) the very SQL Directory.search runs, without SQLAlchemy.
        compiled = _search_statement().compile(dialect=directory.engine.dialect)
        union_sql, order = str(compiled), compiled.positiontup
        raw = sqlite3.connect(db)

        def raw_single(text: str) -> list:
            key = fold(text)
            return raw.execute(
                "SELECT code, name, email FROM customers WHERE name_key >= ? AND name_key < ? "
                "ORDER BY name_key LIMIT 20", (key, key + "\U0010ffff")).fetchall()

        def raw_union(text: str) -> list:
            key = fold(text)
            values = {**compiled.params, "key": key, "high": key + "\U0010ffff", "lim": 20}
            return raw.execute(union_sql, [values[name] for name in order]).fetchall()

        for q in queries[:20]:
            raw_single(q)
            raw_union(q)
        single = [timed_ms(raw_single, q) for q in queries]
        union = [timed_ms(raw_union, q) for q in queries]
        raw.close()
        directory.close()

    med, p95 = statistics.median(ours), sorted(ours)[int(len(ours) * 0.95)]
    base1, base2 = statistics.median(single), statistics.median(union)
    print(f"Directory.search ({len(queries)} queries; 8 prefix ranges in one UNION ALL): "
          f"median {med:.3f} ms, p95 {p95:.3f} ms, max {max(ours):.3f} ms")
    print(f"raw sqlite3, one single-column prefix query:  median {base1:.3f} ms  (search/raw: {med / base1:.1f}x)")
    print(f"raw sqlite3, the same UNION ALL statement:     median {base2:.3f} ms  (search/raw: {med / base2:.1f}x)")
    print(f"target {TARGET_MS:.0f} ms median: {'OK' if med < TARGET_MS else 'MISSED'}")
    return 0 if med < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
