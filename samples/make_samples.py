"""Generate the sample documents of samples/ (run: .venv/bin/python samples/make_samples.py)."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from formats.document import DocInfo
from formats.native import PageBuilder, SpoolWriter

SELLER = ["Menuiseries Beaumont & Fils SARL", "12, rue des Tanneurs", "69002 Lyon — France", "Tél. 04 78 00 00 00", "devis@menuiseries-beaumont.example"]


def euros(value: Decimal) -> str:
    """French amount: 1 234,50 €."""
    whole, frac = f"{value:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return " ".join(groups) + "," + frac + " €"


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 120), "#1f4e79")
    d = ImageDraw.Draw(img)
    d.ellipse((20, 20, 100, 100), fill="#f2c14e")
    d.rectangle((120, 40, 220, 80), fill="#ffffff")
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def header(p: PageBuilder, title: str, number: str, date: str, customer: list[str], page: int, pages: int) -> None:
    p.image(15, 12, 36, 18, "logo")
    for k, line in enumerate(SELLER):
        p.text(56, 16 + k * 4.2, line, size=9 if k else 11, bold=k == 0)
    p.rect(120, 40, 75, 32, stroke="#1f4e79", line_width=0.3)
    for k, line in enumerate(customer):
        p.text(124, 46 + k * 5, line, size=10, bold=k == 0)
    p.text(15, 50, title, size=18, bold=True, color="#1f4e79")
    p.text(15, 58, f"N° {number} du {date[8:10]}/{date[5:7]}/{date[0:4]}", size=10)
    p.text(195, 287, f"Page {page}/{pages}", size=8, align="right")
    p.line(15, 282, 195, 282, width=0.2, color="#808080")
    p.text(15, 287, "SARL au capital de 50 000 € — SIRET 000 000 000 00000 — TVA FR00 000000000", size=7, color="#555555")


LINES = [
    ("FEN-120", "Fenêtre PVC oscillo-battante 120×135 cm", 4, "389.90"),
    ("FEN-060", "Fenêtre de toit à rotation, finition chêne", 2, "512.00"),
    ("POR-001", "Porte d'entrée « Cœur de chêne », serrure 5 points", 1, "1849.00"),
    ("VOL-120", "Volet roulant électrique, coffre intégré", 4, "298.50"),
    ("VIT-044", "Vitrage feuilleté 44.2 anti-effraction", 6, "87.25"),
    ("MOU-015", "Moustiquaire enroulable pour baie vitrée", 3, "64.90"),
    ("SEU-090", "Seuil aluminium rupture de pont thermique", 2, "45.00"),
    ("JOI-100", "Joint de façade, rouleau de 10 m", 5, "12.40"),
    ("POI-002", "Poignée laiton « Hôtel particulier »", 8, "23.75"),
    ("CRE-001", "Crémone à levier, finition bronze", 2, "58.30"),
    ("PAR-010", "Pare-close bois exotique, lot de 10", 3, "19.90"),
    ("TAB-120", "Tablette intérieure en hêtre massif", 4, "42.00"),
    ("APP-120", "Appui de fenêtre béton préfabriqué", 4, "36.80"),
    ("SIL-300", "Mastic silicone translucide, cartouche 300 ml", 12, "6.95"),
    ("MOU-VER", "Mousse expansive spéciale menuiserie", 6, "9.80"),
    ("CAL-001", "Cale de vitrage, sachet de 100", 2, "7.50"),
    ("VIS-080", "Vis inox tête fraisée 6×80, boîte de 100", 3, "18.60"),
    ("BAG-010", "Bague d'étanchéité pour œil-de-bœuf", 2, "14.20"),
    ("POS-FEN", "Pose d'une fenêtre (main-d'œuvre)", 4, "180.00"),
    ("POS-POR", "Pose de la porte d'entrée (main-d'œuvre)", 1, "320.00"),
    ("POS-VOL", "Pose et raccordement d'un volet roulant", 4, "95.00"),
    ("DEP-001", "Dépose et évacuation des anciennes menuiseries", 1, "240.00"),
    ("FIN-001", "Finitions : reprise des enduits et peinture", 1, "385.00"),
    ("NET-001", "Nettoyage de fin de chantier", 1, "90.00"),
    ("DEP-KM", "Déplacement (zone 2, forfait)", 1, "45.00"),
    ("ETU-001", "Étude technique et prise de cotes sur place", 1, "0.00"),
    ("GAR-010", "Extension de garantie à 10 ans — menuiseries", 1, "149.00"),
    ("REC-001", "Éco-contribution (recyclage des déchets)", 1, "18.00"),
]
COLS = [(22, "left"), (92, "left"), (14, "right"), (26, "right"), (26, "right")]
HEAD = ["Référence", "Désignation", "Qté", "Prix unit. HT", "Total HT"]


def table_rows(lines: list[tuple[str, str, int, str]]) -> tuple[list[list[str]], Decimal]:
    rows, total = [], Decimal("0")
    for ref, label, qty, price in lines:
        amount = Decimal(price) * qty
        total += amount
        rows.append([ref, label, str(qty), euros(Decimal(price)), euros(amount)])
    return rows, total


def totals(p: PageBuilder, y: float, ht: Decimal) -> None:
    tva = (ht * Decimal("0.20")).quantize(Decimal("0.01"))
    ttc = ht + tva
    p.table(
        119, y, [(50, "left"), (26, "right")],
        [["Total HT", euros(ht)], ["TVA 20 %", euros(tva)], ["Total TTC", euros(ttc)]],
        size=10,
    )


def quote() -> SpoolWriter:
    info = DocInfo(kind="devis", number="D2026-0042", date="2026-11-20", customer="CLI001", contact="CT0001", language="fr", title="Devis D2026-0042",
                   issuer=SELLER[0], customer_name="Atelier Dupré SARL")
    w = SpoolWriter(info)
    w.add_image("logo", logo_png())
    customer = ["Atelier Dupré SARL", "À l'attention de Mme Élodie Marchand", "3, place de l'Église", "21000 Dijon"]
    first, second = LINES[:20], LINES[20:]
    p1 = w.new_page()
    header(p1, "DEVIS", "D2026-0042", "2026-11-20", customer, 1, 2)
    p1.text(15, 80, "Objet : remplacement des menuiseries extérieures — boutique et logement", size=10)
    rows, subtotal1 = table_rows(first)
    p1.table(15, 88, COLS, rows, header=HEAD, size=8.5)
    p1.text(195, 88 + 6 * 21 + 8, f"Report : {euros(subtotal1)}", size=9, bold=True, align="right")
    p2 = w.new_page()
    header(p2, "DEVIS (suite)", "D2026-0042", "2026-11-20", customer, 2, 2)
    rows2, subtotal2 = table_rows(second)
    p2.table(15, 80, COLS, [["", "Report de la page 1", "", "", euros(subtotal1)]] + rows2, header=HEAD, size=8.5)
    totals(p2, 80 + 6 * (len(rows2) + 2) + 8, subtotal1 + subtotal2)
    conditions = (
        "Conditions : devis valable 3 mois. Acompte de 30 % à la commande, solde à la réception des travaux.\n"
        "Délai indicatif : 6 à 8 semaines après acceptation. Garantie décennale souscrite auprès de « Assurances du Rhône ».\n"
        "Bon pour accord — date, signature et cachet précédés de la mention « lu et approuvé » :"
    )
    p2.text(15, 190, conditions, size=8.5)
    p2.rect(120, 215, 75, 35, stroke="#808080")
    return w


def invoice() -> SpoolWriter:
    info = DocInfo(kind="facture", number="F2026-0107", date="2026-11-24", customer="CLI002", language="fr", title="Facture F2026-0107",
                   issuer=SELLER[0], customer_name="Brasserie Kowalski & Fils")
    w = SpoolWriter(info)
    w.add_image("logo", logo_png())
    customer = ["Brasserie Kowalski & Fils", "Dépôt de Łódź — Antonín Dvořák", "ul. Piotrkowska 104", "90-006 Łódź — Pologne"]
    p = w.new_page()
    header(p, "FACTURE", "F2026-0107", "2026-11-24", customer, 1, 1)
    p.text(15, 80, "Référence commande : C2026-0318 — livraison du 21/11/2026", size=10)
    lines = [
        ("FEN-120", "Fenêtre PVC oscillo-battante 120×135 cm", 10, "389.90"),
        ("VIT-044", "Vitrage feuilleté 44.2 anti-effraction", 20, "87.25"),
        ("TRA-PL", "Transport international (Lyon → Łódź)", 1, "640.00"),
        ("DOC-PL", "Notice de pose traduite (polski: okno, uszczelka, śruba)", 1, "0.00"),
    ]
    rows, ht = table_rows(lines)
    p.table(15, 88, COLS, rows, header=HEAD, size=8.5)
    totals(p, 88 + 6 * (len(rows) + 1) + 10, ht)
    p.text(15, 160, "TVA acquittée sur les débits — livraison franco de port.", size=8.5, italic=True)
    p.text(15, 166, "Règlement à 30 jours par virement : IBAN FR76 0000 0000 0000 0000 0000 000.", size=8.5)
    p.text(15, 172, "Pénalités de retard : trois fois le taux d'intérêt légal ; indemnité forfaitaire de 40 €.", size=8.5, family="serif")
    return w


def statement_text() -> bytes:
    """A 132-column cp1252 account statement of several pages."""
    width = 132
    pages = []
    rows = [
        ("2026-09-02", "F2026-0061", "Facture — fenêtres atelier", Decimal("2418.60"), Decimal("0")),
        ("2026-09-15", "R2026-0033", "Règlement chèque n° 7781", Decimal("0"), Decimal("2418.60")),
        ("2026-10-01", "F2026-0079", "Facture — volets roulants (façade sud)", Decimal("1194.00"), Decimal("0")),
        ("2026-10-20", "A2026-0004", "Avoir — remise commerciale été", Decimal("0"), Decimal("120.00")),
        ("2026-11-05", "F2026-0098", "Facture — porte « Cœur de chêne »", Decimal("2218.80"), Decimal("0")),
    ]
    balance = Decimal("0")
    lines_all = []
    for n in range(4):
        for date, ref, label, debit, credit in rows:
            balance += debit - credit
            lines_all.append(
                f"{date}  {ref:<12}{label + (' (' + str(n + 1) + ')' if n else ''):<54}"
                f"{(euros(debit) if debit else ''):>18}{(euros(credit) if credit else ''):>18}{euros(balance):>18}"
            )
    per_page = 8
    chunks = [lines_all[i : i + per_page] for i in range(0, len(lines_all), per_page)]
    for k, chunk in enumerate(chunks):
        head = [
            "MENUISERIES BEAUMONT & FILS SARL".ljust(width - 20) + f"Page {k + 1:>3}/{len(chunks)}".rjust(20),
            "RELEVÉ DE COMPTE CLIENT — CLI003 — Société Générale de Menuiserie (Colmar)".center(width),
            "Période du 01/09/2026 au 30/11/2026 — montants en euros (€)".center(width),
            "=" * width,
            f"{'Date':<12}{'Pièce':<12}{'Libellé':<54}{'Débit':>18}{'Crédit':>18}{'Solde':>18}",
            "-" * width,
        ]
        foot = ["-" * width, f"{'Solde reporté :':>112}{euros(balance):>20}" if k == len(chunks) - 1 else ""]
        pages.append("\r\n".join(head + chunk + foot) + "\r\n")
    return "\f".join(pages).encode("cp1252")


def tiff_pages() -> bytes:
    from PIL import Image, ImageDraw

    frames = []
    for k in range(3):
        img = Image.new("L", (850, 1100), 255)  # letter size at 100 dpi
        d = ImageDraw.Draw(img)
        d.rectangle((40, 40, 810, 1060), outline=0, width=3)
        d.text((80, 80), f"SCAN - page {k + 1} / 3", fill=0)
        for j in range(20):
            d.line((80, 160 + j * 40, 760 - (j * 13) % 200, 160 + j * 40), fill=80, width=2)
        frames.append(img)
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", dpi=(100, 100))
    return buf.getvalue()


def notice_pdf() -> bytes:
    import pymupdf

    doc = pymupdf.open()
    texts = [
        "Notice de pose — fenêtres PVC\n\n1. Vérifier les cotes de la baie.\n2. Poser les cales d'assise.\n3. Fixer le dormant.",
        "Entretien\n\nNettoyer les joints une fois par an. Ne pas utiliser de solvant.",
    ]
    for text in texts:
        page = doc.new_page(width=595, height=842)
        page.insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=12, fontname="helv")
    doc.set_metadata({"title": "Notice de pose", "creator": "spoolview samples", "producer": "spoolview samples", "creationDate": "", "modDate": ""})
    return doc.tobytes(garbage=3, deflate=True, no_new_id=True)


def mail(quote_pdf: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Menuiseries Beaumont <devis@menuiseries-beaumont.example>"
    msg["To"] = "Élodie Marchand <elodie.marchand@atelier-dupre.example>"
    msg["Cc"] = "commercial@menuiseries-beaumont.example"
    msg["Subject"] = "Votre devis D2026-0042 — remplacement des menuiseries"
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = "<d2026-0042.sample@menuiseries-beaumont.example>"
    text = "Bonjour Madame Marchand,\n\nVeuillez trouver ci-joint notre devis D2026-0042 (montant TTC : voir page 2).\n\nCordialement,\nMenuiseries Beaumont"
    msg.set_content(text)
    msg.add_alternative(
        "<html><body><p>Bonjour Madame Marchand,</p>"
        "<p>Veuillez trouver ci-joint notre <b>devis D2026-0042</b> pour le remplacement des menuiseries "
        "(fenêtres, porte « Cœur de chêne », volets).</p>"
        "<p>Cordialement,<br/>Menuiseries Beaumont — 04 78 00 00 00</p></body></html>",
        subtype="html",
    )
    msg.add_attachment(quote_pdf, maintype="application", subtype="pdf", filename="devis-D2026-0042.pdf")
    for k, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_spoolview_sample_{k}")  # reproducible output
    return bytes(msg)


def main(out: Path = HERE) -> None:
    """Write every sample into ``out`` (default: this folder)."""
    from formats import open_document
    from formats.pdf import to_pdf

    out.mkdir(parents=True, exist_ok=True)
    quote().save(out / "devis-D2026-0042.spv", indent=1)
    invoice().save(out / "facture-F2026-0107.spv", indent=1)
    (out / "releve-CLI003.txt").write_bytes(statement_text())
    meta = {"kind": "releve", "number": "R-CLI003-2026-11", "date": "2026-11-30", "customer": "CLI003", "language": "fr", "title": "Relevé de compte CLI003"}
    (out / "releve-CLI003.meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "scan-3pages.tiff").write_bytes(tiff_pages())
    (out / "notice.pdf").write_bytes(notice_pdf())
    with open_document(out / "devis-D2026-0042.spv") as doc:
        (out / "mail-devis.eml").write_bytes(mail(to_pdf(doc)))
    print("samples written to", out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
