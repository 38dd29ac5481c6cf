"""The committed samples are exactly what samples/make_samples.py generates; the large-spool script works."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from formats import open_document
from formats.render import render_ppm

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
GENERATED = (
    "devis-D2026-0042.spv",
    "facture-F2026-0107.spv",
    "releve-CLI003.txt",
    "releve-CLI003.meta.json",
    "scan-3pages.tiff",
    "notice.pdf",
    "mail-devis.eml",
)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    _load("make_samples").main(out)
    return out


@pytest.mark.parametrize("name", GENERATED)
def test_committed_sample_matches_the_generator(regenerated: Path, name: str) -> None:
    assert (regenerated / name).read_bytes() == (SAMPLES / name).read_bytes(), f"run samples/make_samples.py and commit {name}"


def test_large_spool_script(tmp_path: Path) -> None:
    path = _load("make_large_spool").make(tmp_path / "big.spv", 5)
    doc = open_document(path)
    assert doc.page_count == 5 and doc.info.customer == "CLI003"
    assert render_ppm(doc, 4, dpi=20).startswith(b"P6")
