"""PDF properties and document info: Title/Author/Subject/dates, XMP with a spoolview namespace, PDF/A-2b."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from formats.document import DocInfo
from formats.records import record

if TYPE_CHECKING:
    import pymupdf

NS = "urn:x-spoolview:docinfo:1/"  # the spoolview XMP namespace (prefix "spoolview")
PREFIX = "spoolview"
# The DocInfo fields carried by the XMP (what finds the recipient again when the PDF is reopened).
XMP_FIELDS = ("kind", "number", "date", "customer", "contact", "language", "title", "issuer", "customer_name")
MAX_XMP = 1_000_000  # larger metadata is ignored (a document info is a few hundred bytes)
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_OUR_BLOCK = re.compile(r"<rdf:Description\b[^>]*\bxmlns:spoolview=.*?</rdf:Description>\s*", re.S)


def escape(text: str) -> str:
    """XML character data: &, < and > escaped (xml.sax.saxutils.escape, without importing urllib and http)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=1)
def producer() -> str:
    """``spoolview`` and its version (a constant: importlib.metadata cost each conversion ~10 ms)."""
    from formats import __version__

    return f"spoolview {__version__}"


@record(frozen=True)
class Properties:
    """The standard properties written in a PDF made by spoolview."""

    title: str
    author: str
    subject: str
    created: datetime

    @classmethod
    def of(cls, info: DocInfo, fallback_title: str = "", now: datetime | None = None) -> Properties:
        """Title = the document's title ("Devis D2026-0042"), Author = the issuing company,
        Subject = the customer's name (its code when the name is unknown), created now."""
        title = info.title or " ".join(p for p in (info.kind.capitalize(), info.number) if p) or fallback_title
        created = (now or datetime.now(UTC)).astimezone().replace(microsecond=0)
        return cls(title, info.issuer, info.customer_name or info.customer, created)


def pdf_date(when: datetime) -> str:
    """``D:20261130185501+01'00'`` (PDF date with the offset)."""
    offset = when.strftime("%z") or "+0000"
    return when.strftime("D:%Y%m%d%H%M%S") + f"{offset[:3]}'{offset[3:]}'"


def _alt(text: str) -> str:
    return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'


def _our_block(info: DocInfo) -> str:
    """Our own rdf:Description: one element per non-empty DocInfo field."""
    values = info.to_dict()
    inner = "".join(f"<{PREFIX}:{k}>{escape(values[k])}</{PREFIX}:{k}>" for k in XMP_FIELDS if values.get(k))
    return f'<rdf:Description rdf:about="" xmlns:{PREFIX}="{NS}">{inner}</rdf:Description>\n'


def _pdfa_extension() -> str:
    """The PDF/A extension schema declaring our namespace (PDF/A allows only declared properties)."""
    props = "".join(
        "<rdf:li rdf:parseType=\"Resource\">"
        f"<pdfaProperty:name>{k}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>spoolview document info: {k}</pdfaProperty:description></rdf:li>"
        for k in XMP_FIELDS
    )
    return (
        '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
        "<pdfaSchema:schema>spoolview document info</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{NS}</pdfaSchema:namespaceURI><pdfaSchema:prefix>{PREFIX}</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{props}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>\n"
    )


def xmp(info: DocInfo, props: Properties, *, pdfa: bool = False) -> str:
    """A whole XMP packet: Dublin Core, PDF and XMP basics matching the Info dictionary, our block."""
    iso = props.created.isoformat()
    main = [
        "<dc:format>application/pdf</dc:format>",
        f"<dc:title>{_alt(props.title)}</dc:title>" if props.title else "",
        f"<dc:creator><rdf:Seq><rdf:li>{escape(props.author)}</rdf:li></rdf:Seq></dc:creator>" if props.author else "",
        f"<dc:description>{_alt(props.subject)}</dc:description>" if props.subject else "",
        f"<pdf:Producer>{escape(producer())}</pdf:Producer>",
        f"<xmp:CreatorTool>spoolview</xmp:CreatorTool><xmp:CreateDate>{iso}</xmp:CreateDate>",
        f"<xmp:ModifyDate>{iso}</xmp:ModifyDate><xmp:MetadataDate>{iso}</xmp:MetadataDate>",
        "<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>" if pdfa else "",
    ]
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f'<rdf:RDF xmlns:rdf="{_RDF}">\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">' + "".join(main) + "</rdf:Description>\n"
        + (_pdfa_extension() if pdfa else "")
        + _our_block(info)
        + "</rdf:RDF>\n</x:xmpmeta>\n"
        + '<?xpacket end="w"?>'
    )


def merge_xmp(existing: str, info: DocInfo) -> str:
    """``existing`` XMP with our block replaced or added (the rest of it kept as it was)."""
    kept = _OUR_BLOCK.sub("", existing)
    if "</rdf:RDF>" not in kept:
        return ""
    return kept.replace("</rdf:RDF>", _our_block(info) + "</rdf:RDF>", 1)


def read_xmp(text: str) -> DocInfo:
    """The DocInfo stored in an XMP packet by spoolview; empty when there is none or it is unreadable."""
    if not text or NS not in text or len(text) > MAX_XMP or "<!DOCTYPE" in text or "<!ENTITY" in text:
        return DocInfo()
    body = text[text.find("<x:xmpmeta") if "<x:xmpmeta" in text else 0:]
    body = body[: body.rfind(">") + 1]
    import xml.etree.ElementTree as ET  # reading only: writing a PDF does not load the XML parser

    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return DocInfo()
    found: dict[str, str] = {}
    for desc in root.iter(f"{{{_RDF}}}Description"):
        for key, value in desc.attrib.items():  # the short form: spoolview:kind="devis"
            if key.startswith(f"{{{NS}}}"):
                found[key[len(NS) + 2:]] = value
        for child in desc:
            if child.tag.startswith(f"{{{NS}}}"):
                found[child.tag[len(NS) + 2:]] = (child.text or "").strip()
    names = {f.name for f in fields(DocInfo)}
    return DocInfo.from_dict({k: v for k, v in found.items() if k in names and k in XMP_FIELDS})


def doc_info(mdoc: pymupdf.Document) -> DocInfo:
    """The spoolview document info of an open PyMuPDF document (empty when it carries none)."""
    try:
        return read_xmp(mdoc.get_xml_metadata() or "")
    except Exception:  # noqa: BLE001 - damaged metadata is no reason to refuse the document
        return DocInfo()


def _srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _add_output_intent(mdoc: pymupdf.Document) -> None:
    """An sRGB output intent (PDF/A: device colours need a declared output condition)."""
    icc = mdoc.get_new_xref()
    mdoc.update_object(icc, "<< /N 3 >>")
    mdoc.update_stream(icc, _srgb_icc())
    intent = mdoc.get_new_xref()
    mdoc.update_object(
        intent,
        f"<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) "
        f"/Info (sRGB IEC61966-2.1) /DestOutputProfile {icc} 0 R >>",
    )
    mdoc.xref_set_key(mdoc.pdf_catalog(), "OutputIntents", f"[{intent} 0 R]")


def finish(mdoc: pymupdf.Document, info: DocInfo, *, fallback_title: str = "", pdfa: bool = False,
           now: datetime | None = None) -> bytes:
    """A PDF drawn by spoolview (``mdoc``, closed here) as bytes with its properties, the XMP
    document info and, if asked, the PDF/A-2b identification."""
    props = Properties.of(info, fallback_title, now)
    try:
        date = pdf_date(props.created)
        mdoc.set_metadata(
            {
                "title": props.title,
                "author": props.author,
                "subject": props.subject,
                "keywords": "",
                "creator": "spoolview",
                "producer": producer(),
                "creationDate": date,
                "modDate": date,
            }
        )
        mdoc.set_xml_metadata(xmp(info, props, pdfa=pdfa))
        if pdfa:
            _add_output_intent(mdoc)
            if mdoc.pdf_catalog() and mdoc.xref_get_key(mdoc.pdf_catalog(), "Lang")[0] == "null" and info.language:
                import pymupdf

                mdoc.xref_set_key(mdoc.pdf_catalog(), "Lang", pymupdf.get_pdf_str(info.language))
        # No ``deflate``: PDF/A wants the metadata stream readable without a filter.
        out: bytes = mdoc.tobytes(garbage=1, no_new_id=False)
        return out
    finally:
        mdoc.close()


def add_info(pdf: bytes, info: DocInfo) -> bytes:
    """A PDF made elsewhere with our document info added to its XMP, its own properties kept
    (Title, Author and Subject filled only where empty). Unchanged when ``info`` is empty.

    A PDF formats.pdfparse reads gets an incremental update (its bytes kept as the prefix of
    the result, PyMuPDF not imported); any other is rewritten by PyMuPDF."""
    if not info.to_dict():
        return pdf
    from formats.pdfparse import ParseError, Pdf
    from formats.pdfupdate import set_info

    props = Properties.of(info)
    try:
        parsed = Pdf(pdf)
        existing = parsed.xmp()
        meta = parsed.info()
        merged = merge_xmp(existing, info) if existing.strip() else ""
        changes = {k: v for k, v in (("Title", props.title), ("Subject", props.subject), ("Author", props.author)) if v and not meta.get(k)}
        return set_info(parsed, info=changes, xmp=merged or xmp(info, props))
    except ParseError:
        return _add_info_mupdf(pdf, info, props)


def _add_info_mupdf(pdf: bytes, info: DocInfo, props: Properties) -> bytes:
    """add_info through PyMuPDF (a PDF formats.pdfparse declines), the whole file rewritten."""
    import pymupdf

    mdoc = pymupdf.open(stream=pdf, filetype="pdf")
    try:
        existing = mdoc.get_xml_metadata() or ""
        merged = merge_xmp(existing, info) if existing.strip() else ""
        mdoc.set_xml_metadata(merged or xmp(info, props))
        meta = dict(mdoc.metadata or {})
        changes = {k: v for k, v in (("title", props.title), ("subject", props.subject), ("author", props.author)) if v and not meta.get(k)}
        if changes:
            mdoc.set_metadata({**{k: v for k, v in meta.items() if k not in ("format", "encryption")}, **changes})
        written: bytes = mdoc.tobytes(garbage=1)
        return written
    finally:
        mdoc.close()
