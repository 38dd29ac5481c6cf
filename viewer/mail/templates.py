"""Subject and body templates per document kind and language (fr, en), overridable in the settings."""

from __future__ import annotations

import re
from datetime import date

from formats.document import DocInfo
from viewer.errors import SpoolviewError
from viewer.settings import Settings

__all__ = ["DEFAULT_BODIES", "DEFAULT_SUBJECTS", "FIELDS", "KINDS", "PERCENT_FIELDS", "TemplateError", "fields_for",
           "for_document", "greeting", "render"]

FIELDS = ("number", "date", "customer_name", "contact_name", "kind_label", "sender_name", "civility", "amount",
          "greeting")
# The ERP-style names a template may use instead of {fields}: %CONTACT%, %CIVILITE%...
PERCENT_FIELDS = {"CONTACT": "contact_name", "CIVILITE": "civility", "CLIENT": "customer_name", "NUMERO": "number",
                  "DATE": "date", "MONTANT": "amount", "EXPEDITEUR": "sender_name", "DOCUMENT": "kind_label"}
KINDS = ("devis", "commande", "facture", "releve", "unknown")
LANGUAGES = ("fr", "en")

# What ERPs write in DocInfo.kind -> the kind whose templates apply.
_ALIASES = {
    "devis": "devis", "quote": "devis", "quotation": "devis", "offre": "devis",
    "commande": "commande", "order": "commande", "bon de commande": "commande", "ar commande": "commande",
    "facture": "facture", "invoice": "facture", "avoir": "facture", "credit note": "facture",
    "releve": "releve", "relevé": "releve", "statement": "releve", "relevé de compte": "releve",
}

KIND_LABELS = {
    "fr": {"devis": "devis", "commande": "commande", "facture": "facture", "releve": "relevé", "unknown": "document"},
    "en": {"devis": "quote", "commande": "order", "facture": "invoice", "releve": "statement", "unknown": "document"},
}

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")

_FR_BODY = """{greeting},

Veuillez trouver ci-joint {what} {number} du {date}, d'un montant de {amount}.

{closing}

Cordialement,
{sender_name}
"""
_EN_BODY = """{greeting},

Please find attached {what} {number} of {date}, amounting to {amount}.

{closing}

Kind regards,
{sender_name}
"""


def _body(template: str, what: str, closing: str) -> str:
    return template.replace("{what}", what).replace("{closing}", closing)


DEFAULT_SUBJECTS: dict[str, str] = {
    "devis.fr": "Votre devis {number} du {date}",
    "commande.fr": "Votre commande {number} du {date}",
    "facture.fr": "Votre facture {number} du {date}",
    "releve.fr": "Votre relevé {number} du {date}",
    "unknown.fr": "Votre {kind_label} {number} du {date}",
    "devis.en": "Your quote {number} of {date}",
    "commande.en": "Your order {number} of {date}",
    "facture.en": "Your invoice {number} of {date}",
    "releve.en": "Your statement {number} of {date}",
    "unknown.en": "Your {kind_label} {number} of {date}",
}

DEFAULT_BODIES: dict[str, str] = {
    "devis.fr": _body(_FR_BODY, "notre devis", "Nous restons à votre disposition pour toute question."),
    "commande.fr": _body(_FR_BODY, "la confirmation de votre commande", "Nous vous remercions de votre confiance."),
    "facture.fr": _body(_FR_BODY, "votre facture", "Nous vous en souhaitons bonne réception."),
    "releve.fr": _body(_FR_BODY, "votre relevé de compte", "Nous restons à votre disposition pour toute question."),
    "unknown.fr": _body(_FR_BODY, "le document", "Nous restons à votre disposition pour toute question."),
    "devis.en": _body(_EN_BODY, "our quote", "Please do not hesitate to contact us with any questions."),
    "commande.en": _body(_EN_BODY, "the confirmation of your order", "Thank you for your business."),
    "facture.en": _body(_EN_BODY, "your invoice", "Thank you for your business."),
    "releve.en": _body(_EN_BODY, "your statement of account", "Please do not hesitate to contact us with any questions."),
    "unknown.en": _body(_EN_BODY, "the document", "Please do not hesitate to contact us with any questions."),
}


class TemplateError(SpoolviewError):
    """A user template cannot be rendered; the message names the template's settings key."""


def canonical_kind(kind: str) -> str:
    """The template kind for what the ERP wrote (devis, commande, facture, releve or unknown)."""
    return _ALIASES.get(kind.strip().lower(), "unknown")


def _language(language: str) -> str:
    lang = language.strip().lower().replace("_", "-").split("-")[0]
    return lang or "fr"


def format_date(value: str, language: str) -> str:
    """An ISO date (YYYY-MM-DD...) written the way ``language`` reads it; other text as is."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not match:
        return value
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return value
    if _language(language) == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day:%d/%m/%Y}"


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _fill(template: str, values: dict[str, str], key: str) -> str:
    def replace(match: re.Match[str]) -> str:
        text = match.group()
        if text in ("{{", "}}"):
            return text[0]
        name = match.group(1)
        if name is None:
            raise TemplateError(f"template {key}: unmatched {text!r}; write {text * 2} for a literal brace")
        if name.strip() not in values:
            known = ", ".join("{" + f + "}" for f in sorted(values))
            raise TemplateError(f"template {key}: unknown placeholder {{{name}}}; use one of {known}")
        return values[name.strip()]

    return _PLACEHOLDER.sub(replace, template)


def _pick(kind: str, lang: str, overrides: dict[str, str], defaults: dict[str, str], what: str) -> tuple[str, str]:
    """(template, key naming where it came from) — user override first, then the defaults."""
    raw_kind = kind.strip().lower()
    canonical = canonical_kind(kind)
    for candidate in dict.fromkeys(k for k in (raw_kind, canonical) if k):
        key = f"{candidate}.{lang}"
        if key in overrides:
            return overrides[key], f"templates.{what}[{key!r}]"
    fallback_lang = lang if f"{canonical}.{lang}" in defaults else "en"
    key = f"{canonical}.{fallback_lang}"
    return defaults[key], f"default {what[:-1]} {key}"


# Words that only make sense with the field after them: dropped with an empty field, so a
# sentence never reads "le document ." or "du ." ("d'un montant de" goes with its comma).
_CONNECTORS = r"(?:,?\s+d'un montant de|,?\s+amounting to|\s+du|\s+de|\s+of|\s+dated|\s+n°|\s+no\.)"
_PERCENT = re.compile(r"%([A-Z]+)%")


def _percent_to_braces(template: str) -> str:
    """%CONTACT% and the other ERP-style names as {contact_name}...; unknown %WORDS% stay as written."""
    return _PERCENT.sub(lambda m: "{" + PERCENT_FIELDS[m.group(1)] + "}" if m.group(1) in PERCENT_FIELDS else m.group(), template)


# One pattern for every field (a field's own pattern, compiled per empty field, cost ~0.5 M
# instructions each on every send): a match whose field is not empty is put back as it was.
_FIELD_AFTER_CONNECTOR = re.compile(_CONNECTORS + r"?\s*\{([^{}]*)\}")
_SPACE_BEFORE_STOP = re.compile(r"[ \t]+([,.])")


def _drop_empty(template: str, values: dict[str, str]) -> str:
    """Remove each empty field with the connector word before it, then the space left before , and ."""
    empty = {name for name, value in values.items() if not value.strip()}
    if empty:
        template = _FIELD_AFTER_CONNECTOR.sub(lambda m: "" if m.group(1) in empty else m.group(), template)
    return _SPACE_BEFORE_STOP.sub(r"\1", template)


GREETINGS = {"fr": ("Bonjour", "{civility} {last_name}"), "en": ("Hello", "Dear {civility} {last_name}")}


def greeting(lang: str, civility: str, contact_name: str) -> str:
    """"Bonjour Madame Marchand" with a civility, "Bonjour Élodie Marchand" with a name only, else "Bonjour"."""
    hello, formal = GREETINGS.get(lang, GREETINGS["en"])
    name = " ".join(contact_name.split())
    if civility.strip() and name:
        text = formal.format(civility=civility.strip(), last_name=name.split(" ")[-1])
        return text if text.startswith("Dear") else f"{hello} {text}"
    return f"{hello} {name}" if name else hello


def render(kind: str, language: str, fields: dict[str, str], settings: Settings, template: str = "") -> tuple[str, str]:
    """(subject, body) for a document ``kind`` in ``language``, filled with ``fields``.

    User templates (settings.templates.subjects/bodies keyed "kind.language") win over the
    shipped ones; a placeholder that is not a known field raises TemplateError naming the key.
    ``template``: the name of the templates to use instead of the kind's (a watched-folder
    rule's choice, e.g. "relance" for "relance.fr"); the kind still names the document.
    """
    lang = _language(language)
    canonical = canonical_kind(kind)
    values = {name: "" for name in FIELDS}
    values.update({k: "" if v is None else str(v) for k, v in fields.items()})
    values["date"] = format_date(values["date"], lang)
    if not values["kind_label"]:
        labels = KIND_LABELS.get(lang, KIND_LABELS["en"])
        values["kind_label"] = labels[canonical] if canonical != "unknown" or not kind.strip() else kind.strip()
    if not values["sender_name"]:
        values["sender_name"] = _display_name(settings.from_identity())
    if not values["greeting"]:
        values["greeting"] = greeting(lang, values["civility"], values["contact_name"])
    chosen = template.strip() or kind
    subject_t, subject_key = _pick(chosen, lang, settings.templates.subjects, DEFAULT_SUBJECTS, "subjects")
    body_t, body_key = _pick(chosen, lang, settings.templates.bodies, DEFAULT_BODIES, "bodies")
    # no "Votre devis D42 du ." when the ERP gave no date: the sentence drops what is empty
    subject_t, body_t = (_drop_empty(_percent_to_braces(t), values) for t in (subject_t, body_t))
    subject = " ".join(_fill(subject_t, values, subject_key).split())
    body = "\n".join(line.rstrip() for line in _fill(body_t, values, body_key).splitlines()).strip("\n") + "\n"
    return subject, body


def _display_name(identity: str) -> str:
    identity = identity.strip()
    if identity.endswith(">") and "<" in identity:
        return identity[: identity.rindex("<")].strip().strip('"').strip()
    return ""


def fields_for(info: DocInfo, customer_name: str = "", contact_name: str = "") -> dict[str, str]:
    """The template fields a document gives (the date stays ISO: render formats it per language)."""
    return {
        "number": info.number,
        "date": info.date,
        "customer_name": customer_name,
        "contact_name": contact_name,
        "kind_label": "",  # render() fills it in the message's language
        "sender_name": "",  # render() takes the From identity's name
        "civility": info.civility,
        "amount": info.amount,
        "greeting": "",  # render() greets the contact by civility and name when known
    }


def for_document(info: DocInfo, settings: Settings, customer_name: str = "", contact_name: str = "",
                 language: str = "") -> tuple[str, str]:
    """(subject, body) for a document: the ERP's own mail subject/body when it gives them, else the templates."""
    subject, body = render(info.kind, language or info.language, fields_for(info, customer_name, contact_name), settings)
    return info.mail_subject or subject, info.mail_body or body
