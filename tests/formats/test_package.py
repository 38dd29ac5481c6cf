"""The formats package: public names, and no heavy optional PyMuPDF add-ons on import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_public_names() -> None:
    import formats

    for name in ("open_document", "Document", "Page", "DocInfo", "DocumentError", "PasswordRequired"):
        assert hasattr(formats, name)


def test_formats_never_imports_viewer_or_tk_and_skips_layout_addons() -> None:
    code = (
        "import sys, formats, formats.render, formats.pdf, formats.eml, formats.textspool, formats.native;"
        "from formats import open_document; d = open_document('samples/notice.pdf');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('viewer', 'tkinter', 'onnxruntime', 'pymupdf4llm')"
        " and sys.modules[m] is not None]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_pymupdf_table_finder_is_loaded_on_first_use_only() -> None:
    code = (
        "import sys, formats, pymupdf;"
        "print('loaded' if 'pymupdf._table_refine' in sys.modules else 'deferred');"
        "page = pymupdf.open('samples/notice.pdf')[0]; finder = page.find_tables();"  # PyMuPDF's own use of it
        "print(type(finder).__name__, finder.tables == [], 'pymupdf._table_refine' in sys.modules);"
        "import pymupdf.table as table; print(table is pymupdf.table, table.TableFinder is type(finder))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split("\n")[0] == "deferred", out.stdout
    assert "TableFinder True True\nTrue True" in out.stdout, out.stdout + out.stderr


def test_version_is_the_distributions() -> None:
    import importlib.metadata

    import formats

    assert formats.__version__ == importlib.metadata.version("spoolview")
