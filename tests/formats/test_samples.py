"""The committed samples are what samples/make_samples.py generates; the large-spool script works."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from formats import open_document
from formats.render import page_text, render_ppm

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SAMPLES / f"{name}.py")
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    _load("make_samples").main(out)
    return out


@pytest.mark.parametrize("name", ("releve-CLI003.txt", "releve-CLI003.meta.json"))
def test_committed_text_sample_matches_the_generator(regenerated: Path, name: str) -> None:
    assert (regenerated / name).read_bytes() == (SAMPLES / name).read_bytes(), f"run samples/make_samples.py and commit {name}"


@pytest.mark.parametrize("name", ("devis-D2026-0042.spv", "facture-F2026-0107.spv"))
def test_committed_spool_matches_the_generator(regenerated: Path, name: str) -> None:
    # Image bytes depend on the Pillow/zlib version: compare everything else.
    def strip(path: Path) -> dict:
        data = json.loads(path.read_text("utf-8"))
        data["resources"]["images"] = sorted(data["resources"]["images"])
        return data

    assert strip(regenerated / name) == strip(SAMPLES / name), f"run samples/make_samples.py and commit {name}"


@pytest.mark.parametrize("name", ("scan-3pages.tiff", "notice.pdf", "mail-devis.eml"))
def test_committed_binary_sample_reads_like_the_generated_one(regenerated: Path, name: str) -> None:
    new, old = open_document(regenerated / name), open_document(SAMPLES / name)
    assert new.page_count == old.page_count
    assert [(p.width, p.height) for p in new.pages()] == [(p.width, p.height) for p in old.pages()]
    assert [page_text(new, i) for i in range(new.page_count)] == [page_text(old, i) for i in range(old.page_count)]
    assert new.headers == old.headers
    assert [(a.filename, a.content_type) for a in new.attachments] == [(a.filename, a.content_type) for a in old.attachments]


def test_large_spool_script(tmp_path: Path) -> None:
    path = _load("make_large_spool").make(tmp_path / "big.spv", 5)
    doc = open_document(path)
    assert doc.page_count == 5 and doc.info.customer == "CLI003"
    assert render_ppm(doc, 4, dpi=20).startswith(b"P6")


def test_sample_codes_are_in_the_directory_samples() -> None:
    import csv

    def codes(name: str, column: str) -> set[str]:
        with open(SAMPLES / name, encoding="utf-8-sig", newline="") as f:
            return {row[column] for row in csv.DictReader(f, delimiter=";")}

    customers, contacts = codes("customers.csv", "code"), codes("contacts.csv", "code")
    for name in ("devis-D2026-0042.spv", "facture-F2026-0107.spv", "releve-CLI003.txt"):
        info = open_document(SAMPLES / name).info
        assert info.customer in customers, name
        assert not info.contact or info.contact in contacts, name
