"""Write a large .spv spool for benchmarks: make_large_spool.py OUT.spv [PAGES] (default 500)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formats.native import SpoolWriter


def make(path: Path, pages: int = 500) -> Path:
    """A text-heavy quote-like spool: a title, 40 lines of a table and a footer per page."""
    w = SpoolWriter({"kind": "releve", "number": "BIG-0001", "customer": "CLI003", "language": "fr"})
    for n in range(pages):
        p = w.new_page()
        p.text(15, 20, f"Relevé détaillé — page {n + 1}/{pages}", size=14, bold=True)
        rows = [[f"L{n:03d}-{k:02d}", f"Article n° {k} — façade, œil-de-bœuf, Łódź", f"{k * 3 + n % 7},50 €"] for k in range(40)]
        p.table(15, 30, [(30, "left"), (110, "left"), (40, "right")], rows, header=["Réf.", "Désignation", "Montant"], size=8, row_height=5.5)
        p.line(15, 282, 195, 282)
        p.text(195, 287, f"{n + 1}", size=8, align="right")
    return w.save(path)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("large-500.spv")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    print(make(out, count))
