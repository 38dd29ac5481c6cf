"""`spoolview info|convert|render|demo`: output files, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pymupdf
import pytest

from tests.support.tools import require_tool
from viewer.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_text_and_json(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", str(samples / "devis-D2026-0042.spv"))
    assert code == 0
    assert "spv, 2 pages" in out and "customer: CLI001" in out and "contact: CT0001" in out
    code, out, _ = run(capsys, "info", "--json", str(samples / "releve-CLI003.txt"))
    data = json.loads(out)
    assert data["source"] == "text" and data["pages"] == 3
    assert data["info"]["customer"] == "CLI003" and data["info"]["kind"] == "releve"


def test_info_lists_mail_attachments(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", "--json", str(samples / "mail-devis.eml"))
    data = json.loads(out)
    assert data["attachments"][0]["filename"] == "devis-D2026-0042.pdf"
    assert data["headers"]["Subject"].startswith("Votre devis")
    code, out, _ = run(capsys, "info", str(samples / "mail-devis.eml"))
    assert code == 0 and "  attachment: devis-D2026-0042.pdf (application/pdf, " in out and out.endswith(" bytes)\n")


def test_convert_plain_and_no_modify(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.pdf"
    code, stdout, _ = run(capsys, "convert", str(samples / "facture-F2026-0107.spv"), "-o", str(out))
    assert code == 0 and str(out) in stdout
    assert "Dvořák" in pymupdf.open(out)[0].get_text()
    code, _, _ = run(capsys, "convert", str(samples / "devis-D2026-0042.spv"), "-o", str(out), "--protect", "no-modify")
    assert code == 0
    report = subprocess.run([require_tool("qpdf"), "--show-encryption", str(out)], capture_output=True, text=True, timeout=30).stdout
    assert "AESv3" in report and "modify anything: not allowed" in report
    assert [p.name for p in tmp_path.iterdir() if p.name != "spoolview-home"] == ["f.pdf"]  # no temporary file left


def test_convert_with_password(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("Łódź-2026\n", encoding="utf-8")
    out = tmp_path / "d.pdf"
    code, stdout, err = run(capsys, "convert", str(samples / "devis-D2026-0042.spv"), "-o", str(out), "--protect", "password", "--password-file", str(pw))
    assert code == 0, err
    assert "Łódź-2026" not in stdout + err
    doc = pymupdf.open(out)
    assert doc.needs_pass and doc.authenticate("Łódź-2026")


def test_render_png(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    out = tmp_path / "p.png"
    code, _, _ = run(capsys, "render", str(samples / "scan-3pages.tiff"), "--page", "3", "--dpi", "36", "-o", str(out))
    assert code == 0
    assert Image.open(out).size == (306, 396)
    code, _, _ = run(capsys, "render", str(samples / "notice.pdf"), "--rotation", "90", "--dpi", "72", "-o", str(out))
    assert Image.open(out).size == (842, 595)


def test_demo_writes_protected_quote_in_data_dir(spoolview_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    path = Path(out.strip().splitlines()[-1])
    assert path == spoolview_home / "data" / "demo" / "devis-D2026-0042.pdf"
    doc = pymupdf.open(path)
    assert doc.page_count == 2 and not doc.needs_pass
    assert doc.permissions & pymupdf.PDF_PERM_MODIFY == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["info", "{tmp}"], "is a folder, not a document"),
        (["info", "{tmp}/missing.spv"], "file not found"),
        (["info", "{empty}"], "the file is empty"),
        (["render", "{samples}/notice.pdf", "--page", "9", "-o", "{tmp}/x.png"], "no page 9 (the document has 2)"),
        (["render", "{samples}/notice.pdf", "-o", "{tmp}/x.gif"], "unknown image type"),
        (["render", "{samples}/notice.pdf", "--dpi", "0", "-o", "{tmp}/x.png"], "--dpi must be between"),
        (["convert", "{samples}/notice.pdf", "-o", "{tmp}/no/such/dir/x.pdf"], "does not exist"),
        (["convert", "{samples}/notice.pdf", "-o", "{tmp}/x.pdf", "--protect", "password"], "needs --password-file"),
        (["convert", "{samples}/notice.pdf", "-o", "{tmp}/x.pdf", "--protect", "password", "--password-file", "{tmp}/nope"], "password file"),
        (["convert", "{samples}/notice.pdf", "-o", "{tmp}/x.pdf", "--protect", "password", "--password-file", "{long}"], "too long"),
        (["info", "{samples}/releve-CLI003.txt", "--encoding", "utf-8"], "cannot be decoded as utf-8"),
        (["convert", "{samples}/notice.pdf", "-o", "{tmp}"], "is a folder; give the name of the file to write in it"),
        (["info", "{random}"], "not a recognised document"),
        (["info", "{truncated}"], "the spool may be truncated"),
    ],
)
def test_errors_are_one_line(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    long = tmp_path / "long.txt"
    long.write_text("p" * 50)
    random = tmp_path / "random.bin"
    random.write_bytes(bytes(range(256)) * 20)
    truncated = tmp_path / "cut.spv"
    truncated.write_bytes((samples / "devis-D2026-0042.spv").read_bytes()[:3000])
    args = [a.format(tmp=tmp_path, samples=samples, empty=empty, long=long, random=random, truncated=truncated) for a in argv]
    code, out, err = run(capsys, *args)
    assert code == 1
    assert err.startswith("spoolview: error: ") and err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_encrypted_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = pymupdf.open()
    doc.new_page()
    path = tmp_path / "enc.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    code, _, err = run(capsys, "info", str(path))
    assert code == 1 and "protected by a password" in err and "--password-file" in err
    pw = tmp_path / "pw"
    pw.write_text("wrong")
    code, _, err = run(capsys, "info", str(path), "--password-file", str(pw))
    assert code == 1 and "wrong password" in err and "wrong" not in err.replace("wrong password", "")
    code, _, err = run(capsys, "render", str(path), "-o", str(tmp_path / "p.png"), "--password-file", str(pw))
    assert code == 1 and "wrong password" in err
    pw.write_text("u")
    code, out, _ = run(capsys, "info", str(path), "--password-file", str(pw))
    assert code == 0 and "pdf, 1 page, " in out


def test_convert_encrypted_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "inside")
    src = tmp_path / "enc.pdf"
    doc.save(src, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="in", owner_pw="o")
    out = tmp_path / "out.pdf"
    code, _, err = run(capsys, "convert", str(src), "-o", str(out))
    assert code == 1 and "protected by a password" in err and "--input-password-file" in err
    pw = tmp_path / "pw"
    pw.write_text("in\n")
    code, _, err = run(capsys, "convert", str(src), "-o", str(out), "--input-password-file", str(pw), "--protect", "no-modify")
    assert code == 0, err
    result = pymupdf.open(out)
    assert not result.needs_pass and "inside" in result[0].get_text()


def test_render_refuses_unknown_type_before_drawing(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import formats.render

    def no_drawing(*a: object, **k: object) -> None:
        raise AssertionError("drew a page for an output it cannot write")

    monkeypatch.setattr(formats.render, "render_image", no_drawing)
    code, _, err = run(capsys, "render", str(samples / "notice.pdf"), "--dpi", "1200", "-o", str(tmp_path / "x.gif"))
    assert code == 1 and "unknown image type" in err


def test_convert_into_unwritable_folder(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from viewer.commands import documents

    real_open = documents.os.open

    def refused(path: str, *a: object, **k: object) -> int:
        if os.path.basename(path).startswith(".spoolview-"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(documents.os, "open", refused)  # root may write anywhere: simulate
    code, _, err = run(capsys, "convert", str(samples / "notice.pdf"), "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and f"cannot write in {tmp_path} (Permission denied)" in err


def test_convert_disk_full_leaves_no_temporary_file(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def full(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    code, _, err = run(capsys, "convert", str(samples / "notice.pdf"), "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and "No space left on device" in err and ".spoolview-" not in err
    assert list(tmp_path.iterdir()) == []


def test_output_gets_the_usual_rights(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import stat

    out = tmp_path / "f.pdf"
    old = os.umask(0o022)
    try:
        assert run(capsys, "convert", str(samples / "notice.pdf"), "-o", str(out))[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0600
    out.chmod(0o640)
    assert run(capsys, "convert", str(samples / "notice.pdf"), "-o", str(out))[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # a replaced file keeps its rights


def test_info_checks_every_page(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads((samples / "devis-D2026-0042.spv").read_text("utf-8"))
    data["pages"][1]["items"].insert(2, {"type": "circle", "x": 1})
    bad = tmp_path / "bad.spv"
    bad.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "info", str(bad))
    assert code == 1 and "page 2, item 3, field 'type': unknown item type 'circle'" in err


def test_info_and_convert_say_a_damaged_file_was_repaired(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    from formats import open_document
    from formats.pdf import to_pdf

    raw = pymupdf.open(stream=to_pdf(open_document(samples / "devis-D2026-0042.spv")), filetype="pdf").tobytes(expand=255)
    path = tmp_path / "damaged.pdf"
    path.write_bytes(re.sub(rb"/Count \d+", b"/Count 0", raw))  # MuPDF finds no page; PDFium finds two
    code, out, _ = run(capsys, "info", str(path))
    assert code == 0 and "2 pages" in out and "damaged file, repaired on reading" in out
    code, out, _ = run(capsys, "convert", str(path), "-o", str(tmp_path / "c.pdf"))
    assert code == 0 and "input repaired (damaged file)" in out


def test_convert_pdfa_and_its_conflict_with_protection(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a.pdf"
    code, stdout, _ = run(capsys, "convert", str(samples / "devis-D2026-0042.spv"), "-o", str(out), "--pdfa")
    assert code == 0 and "PDF/A-2b" in stdout
    assert "<pdfaid:part>2</pdfaid:part>" in pymupdf.open(out).get_xml_metadata()
    code, _, err = run(capsys, "convert", str(samples / "devis-D2026-0042.spv"), "-o", str(out), "--pdfa", "--protect", "no-modify")
    assert code == 1 and "PDF/A forbids encryption" in err


def test_convert_and_render_speak_french(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    quote = str(samples / "devis-D2026-0042.spv")
    out = tmp_path / "devis.pdf"
    code, said, _ = run(capsys, "convert", quote, "-o", str(out), "--protect", "no-modify")
    assert code == 0 and said == f"{out} : {out.stat().st_size} octets, protection « no-modify »\n"
    code, _, err = run(capsys, "convert", quote, "-o", str(out), "--protect", "password", "--password-file",
                       str(tmp_path / "absent.txt"))
    assert (code, err) == (1, f"spoolview : erreur : le fichier de mot de passe {tmp_path / 'absent.txt'} est introuvable : "
                              "vérifiez son nom et son dossier\n")
    code, _, err = run(capsys, "convert", quote, "-o", str(tmp_path / "nulle-part" / "x.pdf"))
    assert err == (f"spoolview : erreur : le dossier {tmp_path / 'nulle-part'} n'existe pas : créez-le ou choisissez un autre "
                   "fichier de sortie\n")
    png = tmp_path / "p2.png"
    code, said, _ = run(capsys, "render", quote, "--page", "2", "--dpi", "20", "-o", str(png))
    assert code == 0 and said.startswith(f"{png} : page 2, ") and said.endswith(" pixels\n")
    code, _, err = run(capsys, "render", quote, "--page", "9", "-o", str(png))
    assert (code, err) == (1, f"spoolview : erreur : {quote} : il n'y a pas de page 9 (le document en a 2)\n")


def test_info_speaks_french_and_english(samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`info`'s lines follow the interface language (the locale's, then printing.language); --json stays as it is."""
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    quote = samples / "devis-D2026-0042.spv"
    code, out, _ = run(capsys, "info", str(quote))
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"{quote} : spv, 2 pages, 595 x 842 pt", lines
    assert "  client : CLI001" in lines and "  code du contact : CT0001" in lines and "  type de document : devis" in lines
    code, out, _ = run(capsys, "info", str(samples / "mail-devis.eml"))
    assert code == 0 and "  pièce jointe : devis-D2026-0042.pdf (application/pdf, " in out and out.endswith(" octets)\n")
    code, out, _ = run(capsys, "info", "--json", str(quote))
    assert json.loads(out)["info"]["customer"] == "CLI001"  # the machine-readable output keeps its English keys
    code, _, err = run(capsys, "info", str(tmp_path / "absent.spv"))
    assert code == 1 and err.startswith("spoolview : erreur : ")
    assert main(["settings", "set", "printing.language", "en"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "info", str(quote))
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"{quote}: spv, 2 pages, 595 x 842 pt"
    assert "  customer: CLI001" in lines and "  contact: CT0001" in lines and "  kind: devis" in lines


def test_every_docinfo_field_has_a_label_in_both_languages() -> None:
    import dataclasses

    from formats.document import DocInfo
    from viewer.messages import catalogue

    for lang in ("fr", "en"):
        missing = [f.name for f in dataclasses.fields(DocInfo) if f"documents.info.field.{f.name}" not in catalogue(lang)]
        assert missing == [], (lang, missing)
