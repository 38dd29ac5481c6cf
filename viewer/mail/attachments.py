"""The document as an attachment: its PDF (protected per the S2 policy) or the spool file itself."""

from __future__ import annotations

from formats.document import Document
from formats.pdf import MODES, Protection, to_pdf
from viewer.errors import SpoolviewError
from viewer.mail.compose import Attachment
from viewer.settings import Settings

__all__ = ["AttachmentError", "SWITCHES", "document_attachment", "protection_for", "spool_attachment"]

# Which S2 switch decides the conversion for each address type.
SWITCHES = {"EMAIL": "convert_mail", "EMAIL2": "convert_mail", "FAX": "convert_fax", "FAX2": "convert_fax2"}
POLICIES = ("no", "yes", "ask")

_SPOOL_TYPES = {
    "spv": "application/octet-stream",
    "text": "text/plain",
    "pdf": "application/pdf",
    "xps": "application/vnd.ms-xpsdocument",
    "eml": "application/octet-stream",  # a saved mail travels as a file, not as a nested message
}


class AttachmentError(SpoolviewError):
    """The document cannot be attached as the settings ask (unknown type, protection to decide...)."""


def protection_for(settings: Settings, protect: bool | str | None = None, password: str = "") -> Protection:
    """The protection the S2 settings ask for, given the user's answer when the policy is "ask".

    ``settings.pdf.protection`` (none | no-modify | password) is the base mode; the password
    policy decides the password: "no" -> only when the base mode is "password", "yes" ->
    always, "ask" -> when the caller says so (``protect=True``, or the mode the user picked
    as a string). Without a password the PDF is at least "no-modify" when the base is "password".
    """
    base = settings.pdf.protection
    if base not in MODES:
        raise AttachmentError(f"unknown PDF protection {base!r} in Settings > PDF conversion (pdf.protection): use {', '.join(MODES)}")
    policy = settings.pdf.password_policy
    if policy == "ask":
        if protect is None:
            raise AttachmentError(
                "the password-protected PDF policy is 'ask': ask the user, then call again with protect=True or protect=False"
            )
        if isinstance(protect, str):
            if protect not in MODES:
                raise AttachmentError(f"unknown PDF protection {protect!r}: use {', '.join(MODES)}")
            use_password, base = protect == "password", protect
        else:
            use_password = bool(protect)
    elif policy == "yes":
        use_password = True
    elif policy == "no":
        use_password = base == "password"
    else:
        raise AttachmentError(
            f"unknown password policy {policy!r} in Settings > PDF conversion (pdf.password_policy): use {', '.join(POLICIES)}"
        )
    if use_password:
        if not password:
            raise AttachmentError("a password is needed to protect the PDF: enter one (or choose a protection without password)")
        return Protection("password", password)
    return Protection("no-modify" if base == "password" else base)


def spool_attachment(doc: Document) -> Attachment:
    """The spool file itself, as the user opened it."""
    try:
        data = doc.path.read_bytes()
    except OSError as exc:
        raise AttachmentError(f"cannot read {doc.path} to attach it ({exc.strerror or exc}): check the file is still there") from None
    mimetype = _SPOOL_TYPES.get(doc.source)
    if mimetype is None:  # mimetypes (which reads the system's type tables) only for a kind we do not know
        import mimetypes

        mimetype = mimetypes.guess_type(doc.path.name)[0] or "application/octet-stream"
    return Attachment(doc.path.name, data, mimetype)


def document_attachment(
    doc: Document,
    settings: Settings,
    address_type: str = "EMAIL",
    *,
    protect: bool | str | None = None,
    password: str = "",
) -> Attachment:
    """The document as the settings want it sent to ``address_type``.

    When the S2 switch of that type (mail, fax, fax 2) is on, the document is converted to
    PDF and protected per the policy; when it is off, the spool file itself is attached
    (and no protection applies: there is no generated PDF to protect).
    """
    kind = address_type.strip().upper()
    if kind not in SWITCHES:
        raise AttachmentError(f"unknown address type {address_type!r}: use one of {', '.join(SWITCHES)}")
    if not getattr(settings.pdf, SWITCHES[kind]):
        return spool_attachment(doc)
    protection = protection_for(settings, protect, password)  # decided before the (slow) conversion
    # PDF/A forbids encryption: a protected PDF is not declared PDF/A (settings check says so).
    # A spool is drawn, described and protected in one pass (formats.pdf.to_pdf).
    pdf = to_pdf(doc, pdfa=settings.pdf.pdfa and protection.mode == "none", protection=protection)
    return Attachment(f"{doc.path.stem}.pdf", pdf, "application/pdf")
