"""Resource limits: file size, pages, items per page and JSON nesting refused with the limit named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from formats import DocumentError, open_document
from formats.limits import Limits, json_depth_exceeds
from formats.native import KEEP_PARSED, SpoolWriter
from formats.pdf import ONE_PASS_PAGES, to_pdf

ROOT = Path(__file__).resolve().parents[2]


def spool(tmp_path: Path, pages: int, items: int = 1, name: str = "s.spv") -> Path:
    w = SpoolWriter({"kind": "releve", "number": "R1"})
    for n in range(pages):
        p = w.new_page()
        for k in range(items):
            p.text(15, 20 + k % 250, f"ligne {k} page {n}")
    return w.save(tmp_path / name)


def test_200000_empty_pages_are_refused_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "empty.spv"
    path.write_text('{"format": "spv", "version": 1, "pages": [' + ",".join(['{"items": []}'] * 200_000) + "]}")
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert "200000 pages" in str(err.value) and "max_pages = 10000" in str(err.value)


def test_the_page_limit_is_a_parameter(tmp_path: Path) -> None:
    path = spool(tmp_path, 5)
    assert open_document(path, limits=Limits(max_pages=5)).page_count == 5
    with pytest.raises(DocumentError, match="max_pages = 4"):
        open_document(path, limits=Limits(max_pages=4))


def test_page_limit_applies_to_every_reader(samples: Path) -> None:
    with pytest.raises(DocumentError, match=r"3 pages \(limit max_pages = 2\)"):
        open_document(samples / "scan-3pages.tiff", limits=Limits(max_pages=2))
    with pytest.raises(DocumentError, match="max_pages = 1"):
        open_document(samples / "releve-CLI003.txt", limits=Limits(max_pages=1))


def test_items_per_page_are_limited_naming_the_page(tmp_path: Path) -> None:
    path = spool(tmp_path, 2, items=30)
    doc = open_document(path, limits=Limits(max_items=29))
    with pytest.raises(DocumentError) as err:
        to_pdf(doc)
    assert "page 1" in str(err.value) and "30 items (limit max_items = 29)" in str(err.value)


def test_table_rows_count_as_items(tmp_path: Path) -> None:
    w = SpoolWriter()
    w.new_page().table(10, 10, [(50, "left")], [["x"]] * 100)
    doc = open_document(w.save(tmp_path / "t.spv"), limits=Limits(max_items=50))
    with pytest.raises(DocumentError, match="101 items"):
        doc.page(0)


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 1_500_000)
    with pytest.raises(DocumentError, match=r"too large \(2 MB; limit max_file_mb = 1\)"):
        open_document(path, limits=Limits(max_file_mb=1))


def test_200000_deep_json_is_a_clear_error_not_recursion(tmp_path: Path) -> None:
    path = tmp_path / "deep.spv"
    path.write_text('{"format": "spv", "version": 1, "pages": [{"items": [' + "[" * 200_000 + "]" * 200_000 + "]}]}")
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert "nested more than 32 levels" in str(err.value) and "max_depth = 32" in str(err.value)


def test_truncated_deep_json_is_a_clear_error_too(tmp_path: Path) -> None:
    path = tmp_path / "deep.spv"
    path.write_text("{" + '"a":[' * 100_000)
    with pytest.raises(DocumentError, match="max_depth"):
        open_document(path)


def test_deep_sidecar_is_a_clear_error(samples: Path, tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_bytes((samples / "releve-CLI003.txt").read_bytes())
    (tmp_path / "r.meta.json").write_text("[" * 100_000)
    with pytest.raises(DocumentError, match="r.meta.json.*nested"):
        open_document(tmp_path / "r.txt")


def test_the_cli_says_it_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.spv"
    path.write_text('{"format": "spv", "pages": ' + "[" * 200_000 + "]" * 200_000 + "}")
    run = subprocess.run([sys.executable, "-m", "viewer.cli", "info", str(path)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "RecursionError" not in run.stderr
    assert "max_depth" in run.stderr


@pytest.mark.parametrize("depth", [1, 5, 7, 31, 32, 33])
def test_depth_measure_is_exact(depth: int) -> None:
    value: object = "x]}\"[{"
    for k in range(depth):
        value = [value] if k % 2 else {"k\\\"[": value}
    text = json.dumps(value).encode()
    assert json_depth_exceeds(text, 32) is (depth > 32)
    assert json_depth_exceeds(text, depth) is False and json_depth_exceeds(text, depth - 1) is True


def test_pages_are_parsed_one_at_a_time(tmp_path: Path) -> None:
    doc = open_document(spool(tmp_path, 40, items=3))
    for page in doc.pages():
        assert page.width > 0
    lazy = doc.backend.pages_raw
    assert len(lazy) == 40 and len(lazy._parsed) == KEEP_PARSED
    assert lazy[39]["items"][0]["text"] == "ligne 0 page 39" and lazy[-1] is lazy[39]


# VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across fork and exec, so a child
# started from a large pytest process reports the parent's size; VmHWM belongs to the new image.
PEAK = textwrap.dedent("""
    import re, sys
    import pymupdf  # loaded in every run: long spools are joined by it, short ones are not
    from formats import open_document
    from formats.pdf import to_pdf
    with open_document(sys.argv[1]) as doc:
        pdf = to_pdf(doc)
    assert pdf.startswith(b"%PDF-")
    with open("/proc/self/status") as status:
        print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) // 1024)
""")


def peak_mb(path: Path) -> int:
    run = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return int(run.stdout.split()[-1])


def test_conversion_memory_does_not_follow_the_page_count(tmp_path: Path) -> None:
    """Proportional check of tests/bench/bench_spool_memory.py (5,000 pages under 300 MB):
    an 800-page spool of 40-line pages peaks within a few MB of a 10-page one (measured: +7 MB;
    parsing it whole alone takes 17 MB, and reportlab kept every page until it saved)."""
    small = peak_mb(spool(tmp_path, 10, items=40, name="small.spv"))
    large = peak_mb(spool(tmp_path, 800, items=40, name="large.spv"))
    assert large - small < 15, (small, large)
    one_pass = peak_mb(spool(tmp_path, ONE_PASS_PAGES, items=40, name="one-pass.spv"))  # the longest written in one pass
    assert one_pass - small < 15, (small, one_pass)
