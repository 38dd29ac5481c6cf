"""Opening with the settings: limits, PostScript cache, [extract] rules and customer_by_name, end to end
through `spoolview convert`, `info --json` and `send` to the pickup folder."""

from __future__ import annotations

import email
import json
import subprocess
from email import policy
from pathlib import Path

import pytest

from formats import DocumentError
from formats.pdf import to_pdf
from tests.support.tools import require_tool
from viewer import paths
from viewer import settings as S
from viewer.cli import main
from viewer.docopen import customer_code, open_document

ROOT = Path(__file__).resolve().parents[2]
QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"
INVOICE = ROOT / "samples" / "facture-F2026-0107.spv"
# The worked example of docs/printing.md.
RULES = {
    "kind": r"^(DEVIS|FACTURE)\s*$",  # the title line alone (not "devis@..." in the address)
    "number": r"\b([DF]\d{4}-\d{4})\b",
    "date": r"\bdu (\d{2}/\d{2}/\d{4})",
    "customer": r"^(.+)$",
    "customer_region": "120 40 195 72",
    "customer_by_name": True,
}


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def configure(extract: dict | None = None, **limits: int) -> S.Settings:
    settings = S.load()
    settings.service.from_identity = "Agent <agent@example.com>"
    for key, value in (extract or {}).items():
        setattr(settings.extract, key, value)
    for key, value in limits.items():
        setattr(settings.limits, key, value)
    S.save(settings)
    return settings


def import_directory() -> None:
    from viewer.directory import open_directory

    with open_directory(S.load()) as directory:
        directory.import_csv(ROOT / "samples" / "customers.csv", ROOT / "samples" / "contacts.csv")


def pickup_files() -> list[Path]:
    folder = paths.data_dir() / "pickup"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def plain_pdf(source: Path, out: Path) -> Path:
    """The spool's PDF as another program would print it: no document info, no XMP."""
    import pymupdf

    doc = pymupdf.open(stream=to_pdf(open_document(source, S.Settings())), filetype="pdf")
    doc.del_xml_metadata()
    doc.set_metadata({})
    doc.save(out)
    return out


def postscript(source: Path, out: Path) -> Path:
    pdf = out.with_suffix(".pdf")
    pdf.write_bytes(to_pdf(open_document(source, S.Settings())))
    subprocess.run([require_tool("gs"), "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=ps2write", f"-sOutputFile={out}", str(pdf)],
                   check=True, capture_output=True, timeout=120)
    pdf.unlink()
    return out


def test_converted_quote_is_sent_to_the_contact_like_the_spool(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    configure()
    import_directory()
    q = tmp_path / "q.pdf"
    code, _, err = run(capsys, "convert", QUOTE, "-o", q)
    assert code == 0, err
    code, out, err = run(capsys, "info", q, "--json")
    info = json.loads(out)["info"]
    assert (info["kind"], info["number"], info["customer"], info["contact"]) == ("devis", "D2026-0042", "CLI001", "CT0001")
    code, out, err = run(capsys, "send", q)
    assert code == 0, err
    assert "elodie.marchand@atelier-dupre.example: accepted" in out
    [dropped] = pickup_files()
    msg = email.message_from_bytes(dropped.read_bytes().split(b"\r\n", 2)[2], policy=policy.default)
    assert "elodie.marchand@atelier-dupre.example" in msg["To"]
    assert "D2026-0042" in msg["Subject"]
    assert msg.get("X-Spoolview-Document", "").endswith("D2026-0042") or "D2026-0042" in str(msg["Subject"])
    [att] = list(msg.iter_attachments())
    assert att.get_content().startswith(b"%PDF")


def test_protected_quote_keeps_its_recipient(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    configure()
    import_directory()
    q = tmp_path / "q.pdf"
    assert run(capsys, "convert", QUOTE, "-o", q, "--protect", "no-modify")[0] == 0
    code, out, err = run(capsys, "send", q, "--protect", "none")  # already protected: sent as it is
    assert code == 0, err
    assert "elodie.marchand@atelier-dupre.example: accepted" in out


def test_rules_read_a_plain_pdf_and_the_customer_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    configure(RULES)
    import_directory()
    pdf = plain_pdf(QUOTE, tmp_path / "printed.pdf")
    code, out, err = run(capsys, "info", pdf, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["read_from_page"] == {"kind": "devis", "number": "D2026-0042", "date": "2026-11-20", "customer": "Atelier Dupré SARL"}
    assert (data["info"]["kind"], data["info"]["number"], data["info"]["customer"]) == ("devis", "D2026-0042", "CLI001")
    assert data["info"]["customer_name"] == "Atelier Dupré SARL"
    code, out, err = run(capsys, "info", pdf)
    assert "read from the page by the [extract] rules: kind=devis, number=D2026-0042" in out
    code, out, err = run(capsys, "send", pdf)  # no contact printed: the customer's main address
    assert code == 0, err
    assert "contact@atelier-dupre.example: accepted" in out


def test_rules_read_a_postscript_invoice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    configure(RULES)
    import_directory()
    ps = postscript(INVOICE, tmp_path / "facture.ps")
    code, out, err = run(capsys, "info", ps, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["source"] == "ps" and data["pages"] == 1
    assert (data["info"]["kind"], data["info"]["number"], data["info"]["customer"]) == ("facture", "F2026-0107", "CLI002")
    assert (paths.cache_dir() / "postscript").stat().st_mode & 0o777 == 0o700
    code, out, err = run(capsys, "send", ps)
    assert code == 0, err
    assert "factures@brasserie-kowalski.example: accepted" in out  # the customer's default for invoices


def test_unreadable_letters_still_find_the_customer() -> None:
    import_directory()
    assert customer_code("Atelier Dupr\ufffd SARL") == "CLI001"
    assert customer_code("atelier dupre sarl") == "CLI001"
    assert customer_code("Atelier") == ""  # a part of a name is not the name
    assert customer_code("\ufffd\ufffd") == ""


def test_a_spools_own_info_is_never_overridden(tmp_path: Path) -> None:
    settings = S.Settings()
    settings.extract.kind = r"^(DEVIS)"
    settings.extract.customer = r"(Menuiseries)"
    doc = open_document(QUOTE, settings)
    assert doc.info.customer == "CLI001"


def test_limits_come_from_the_settings(capsys: pytest.CaptureFixture[str]) -> None:
    configure(max_pages=1)
    code, _, err = run(capsys, "info", QUOTE)
    assert code == 1 and "2 pages (limit max_pages = 1)" in err and "Traceback" not in err
    with pytest.raises(DocumentError, match="max_pages = 1"):
        open_document(QUOTE)


def test_bad_rules_are_reported_by_settings_check(capsys: pytest.CaptureFixture[str]) -> None:
    configure({"number": r"N° \S+", "kind": "(unclosed", "customer_region": "1 2 3"})
    problems = {p.key: p.message for p in S.check(S.load())}
    assert "needs a group" in problems["extract.number"]
    assert "not a valid regular expression" in problems["extract.kind"]
    assert "four numbers" in problems["extract.customer_region"]


def test_an_unusable_rule_does_not_stop_documents_opening(capsys: pytest.CaptureFixture[str], samples: Path) -> None:
    settings = S.Settings()
    settings.extract.number = "(unclosed"
    assert open_document(samples / "notice.pdf", settings).page_count >= 1
    configure({"number": "(unclosed"})
    code, _, err = run(capsys, "info", samples / "notice.pdf")
    assert code == 1 and "rule number: not a valid regular expression" in err  # info says what the rules cannot do
