"""Tests for viewer.mail.templates: shipped subjects/bodies per kind and language, and user overrides."""

from __future__ import annotations

import pytest

from formats.document import DocInfo
from viewer.mail.templates import (
    DEFAULT_BODIES,
    DEFAULT_SUBJECTS,
    KINDS,
    TemplateError,
    canonical_kind,
    fields_for,
    for_document,
    format_date,
    render,
)
from viewer.settings import Settings

INFO = DocInfo(kind="devis", number="D2026-0042", date="2026-11-27", customer="CLI001", language="fr")


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    s.service.from_identity = "Ventes Dupont <ventes@dupont.fr>"
    return s


def fields(**kw: str) -> dict[str, str]:
    data = fields_for(INFO, customer_name="Menuiserie Martin", contact_name="Jean Martin")
    data.update(kw)
    return data


@pytest.mark.parametrize(
    "kind, language, subject",
    [
        ("devis", "fr", "Votre devis D2026-0042 du 27/11/2026"),
        ("commande", "fr", "Votre commande D2026-0042 du 27/11/2026"),
        ("facture", "fr", "Votre facture D2026-0042 du 27/11/2026"),
        ("releve", "fr", "Votre relevé D2026-0042 du 27/11/2026"),
        ("devis", "en", "Your quote D2026-0042 of 27 November 2026"),
        ("commande", "en", "Your order D2026-0042 of 27 November 2026"),
        ("facture", "en", "Your invoice D2026-0042 of 27 November 2026"),
        ("releve", "en", "Your statement D2026-0042 of 27 November 2026"),
        ("", "fr", "Votre document D2026-0042 du 27/11/2026"),
        ("bon de livraison", "fr", "Votre bon de livraison D2026-0042 du 27/11/2026"),
        ("", "en", "Your document D2026-0042 of 27 November 2026"),
    ],
)
def test_default_subjects_per_kind_and_language(settings, kind, language, subject):
    got_subject, body = render(kind, language, fields(), settings)
    assert got_subject == subject
    assert "D2026-0042" in body and body.endswith("Ventes Dupont\n")


def test_french_body(settings):
    _, body = render("devis", "fr", fields(), settings)
    assert body.startswith("Bonjour Jean Martin,\n\nVeuillez trouver ci-joint notre devis D2026-0042 du 27/11/2026.\n")
    assert "Cordialement,\nVentes Dupont" in body


def test_english_body(settings):
    _, body = render("facture", "en", fields(), settings)
    assert "Please find attached your invoice D2026-0042 of 27 November 2026." in body
    assert body.endswith("Kind regards,\nVentes Dupont\n")


def test_every_kind_and_language_is_shipped():
    for kind in KINDS:
        for language in ("fr", "en"):
            assert f"{kind}.{language}" in DEFAULT_SUBJECTS and f"{kind}.{language}" in DEFAULT_BODIES


@pytest.mark.parametrize("kind, expected", [("Devis", "devis"), ("quote", "devis"), ("INVOICE", "facture"),
                                            ("relevé", "releve"), ("order", "commande"), ("x", "unknown")])
def test_erp_kinds_map_to_template_kinds(kind, expected):
    assert canonical_kind(kind) == expected


def test_unknown_language_falls_back_to_english(settings):
    assert render("devis", "de", fields(), settings)[0] == "Your quote D2026-0042 of 27/11/2026"  # day first outside English
    assert render("devis", "fr_FR", fields(), settings)[0].startswith("Votre devis")
    assert render("devis", "", fields(), settings)[0].startswith("Votre devis")  # French by default


@pytest.mark.parametrize("value, language, expected", [("2026-11-27", "fr", "27/11/2026"), ("2026-01-05T10:00", "en", "5 January 2026"),
                                                       ("27/11/2026", "en", "27/11/2026"), ("2026-02-30", "fr", "2026-02-30")])
def test_dates_are_formatted_per_language(value, language, expected):
    assert format_date(value, language) == expected


def test_user_override_wins(settings):
    settings.templates.subjects["devis.fr"] = "Devis n° {number} – {customer_name}"
    settings.templates.bodies["devis.fr"] = "Bonjour {contact_name},\n\nVoici le {kind_label} {number} du {date}.\n{{signature}}\n{sender_name}"
    subject, body = render("devis", "fr", fields(), settings)
    assert subject == "Devis n° D2026-0042 – Menuiserie Martin"
    assert body == "Bonjour Jean Martin,\n\nVoici le devis D2026-0042 du 27/11/2026.\n{signature}\nVentes Dupont\n"
    assert render("devis", "en", fields(), settings)[0].startswith("Your quote")  # other language untouched


def test_override_for_a_kind_the_erp_writes(settings):
    settings.templates.subjects["avoir.fr"] = "Votre avoir {number}"
    assert render("Avoir", "fr", fields(), settings)[0] == "Votre avoir D2026-0042"
    assert render("facture", "fr", fields(), settings)[0].startswith("Votre facture")


def test_a_named_template_replaces_the_kinds_and_the_kind_still_names_the_document(settings):
    settings.templates.subjects["relance.fr"] = "Relance : votre {kind_label} {number}"
    assert render("devis", "fr", fields(), settings, template="relance")[0] == "Relance : votre devis D2026-0042"
    assert render("devis", "fr", fields(), settings, template="facture")[0] == "Votre facture D2026-0042 du 27/11/2026"
    assert render("devis", "en", fields(), settings, template="relance")[0] == "Your quote D2026-0042 of 27 November 2026"  # no relance.en: the generic one


def test_override_for_a_new_language(settings):
    settings.templates.subjects["devis.de"] = "Ihr Angebot {number}"
    assert render("devis", "de", fields(), settings)[0] == "Ihr Angebot D2026-0042"


def test_unknown_placeholder_names_the_template_key(settings):
    settings.templates.bodies["facture.en"] = "Dear {customer},"
    with pytest.raises(TemplateError, match=r"templates\.bodies\['facture\.en'\].*unknown placeholder \{customer\}.*\{customer_name\}"):
        render("invoice", "en", fields(), settings)


def test_unmatched_brace_names_the_template_key(settings):
    settings.templates.subjects["devis.fr"] = "Devis {number"
    with pytest.raises(TemplateError, match=r"templates\.subjects\['devis\.fr'\].*unmatched"):
        render("devis", "fr", fields(), settings)


def test_attribute_access_is_not_evaluated(settings):
    settings.templates.subjects["devis.fr"] = "{number.__class__}"
    with pytest.raises(TemplateError, match="unknown placeholder"):
        render("devis", "fr", fields(), settings)


def test_missing_fields_render_empty_and_sender_name_can_be_given(settings):
    subject, body = render("devis", "fr", {"number": "D1", "sender_name": "Anne"}, settings)
    assert subject == "Votre devis D1"  # no dangling "du" without a date
    assert body.endswith("Anne\n")


def test_no_from_name_leaves_an_empty_signature(settings):
    settings.service.from_identity = "ventes@dupont.fr"
    _, body = render("devis", "fr", fields(), settings)
    assert body.endswith("Cordialement,\n")


def test_fields_for():
    assert fields_for(INFO, "Martin", "Jean") == {
        "number": "D2026-0042", "date": "2026-11-27", "customer_name": "Martin", "contact_name": "Jean",
        "kind_label": "", "sender_name": "", "civility": "", "amount": "", "greeting": "",
    }


def test_for_document_prefers_the_erp_hints(settings):
    assert for_document(INFO, settings)[0] == "Votre devis D2026-0042 du 27/11/2026"
    hinted = DocInfo(kind="devis", number="D1", mail_subject="Sujet ERP", mail_body="Corps ERP")
    assert for_document(hinted, settings) == ("Sujet ERP", "Corps ERP")


@pytest.mark.parametrize("language, dangling", [("fr", " du"), ("en", " of")])
def test_no_date_leaves_no_dangling_word(language, dangling):
    subject, body = render("releve", language, {"number": "R-7", "date": ""}, Settings())
    assert subject.endswith("R-7")
    assert f"R-7{dangling}" not in body and "R-7." in body


def test_greets_the_contact_by_civility_and_name(settings):
    info = DocInfo(kind="devis", number="D2026-0042", date="2026-11-20", civility="Madame", amount="1 234,56 €",
                   language="fr")
    subject, body = for_document(info, settings, customer_name="Atelier Dupré SARL", contact_name="Élodie Marchand")
    assert body.startswith("Bonjour Madame Marchand,\n\nVeuillez trouver ci-joint notre devis D2026-0042 du "
                           "20/11/2026, d'un montant de 1 234,56 €.\n")
    _, english = for_document(info, settings, contact_name="Élodie Marchand", language="en")
    assert english.startswith("Dear Madame Marchand,\n\nPlease find attached our quote D2026-0042 of 20 November 2026, "
                              "amounting to 1 234,56 €.")
    _, nobody = for_document(DocInfo(kind="devis", number="D1", language="fr"), settings)
    assert nobody.startswith("Bonjour,\n\nVeuillez trouver ci-joint notre devis D1.\n")


@pytest.mark.parametrize("empty", ["number", "date", "amount", "all"])
def test_a_sentence_adapts_to_empty_fields(settings, empty):
    settings.templates.bodies["devis.fr"] = ("Bonjour %CIVILITE% %CONTACT%,\nci-joint le document %NUMERO% du %DATE%, "
                                             "d'un montant de %MONTANT%, pour %CLIENT%.")
    values = {"number": "D7", "date": "2026-11-20", "amount": "12,00 €", "customer_name": "Atelier",
              "contact_name": "Élodie Marchand", "civility": "Madame"}
    for name in (["number", "date", "amount"] if empty == "all" else [empty]):
        values[name] = ""
    _, body = render("devis", "fr", values, settings)
    assert " ." not in body and " ," not in body and "du ." not in body and "de ," not in body, body
    assert "Bonjour Madame Élodie Marchand," in body and "pour Atelier." in body
    if empty == "all":
        assert "ci-joint le document, pour Atelier." in body


def test_percent_fields_fill_like_braces(settings):
    settings.templates.subjects["devis.fr"] = "%DOCUMENT% %NUMERO% — %CLIENT% (%INCONNU%)"
    subject, _ = render("devis", "fr", fields(), settings)
    assert subject == "devis D2026-0042 — Menuiserie Martin (%INCONNU%)"


def _drop_empty_one_field_at_a_time(template: str, values: dict[str, str]) -> str:
    """The former _drop_empty: one pattern per empty field, applied in turn."""
    import re

    from viewer.mail import templates as T

    for name, value in values.items():
        if not value.strip():
            template = re.sub(T._CONNECTORS + r"?\s*\{" + re.escape(name) + r"\}", "", template)
    return re.sub(r"[ \t]+([,.])", r"\1", template)


def test_empty_fields_are_dropped_as_one_pattern_per_field_dropped_them():
    from viewer.mail import templates as T

    texts = [*T.DEFAULT_SUBJECTS.values(), *T.DEFAULT_BODIES.values(), "du {a} de {b}", "x du{a}{b} .", "{{a}} {a}, {b}.",
             "n° {a} dated {b} amounting to {c}, of {a}", "{unknown} du {b}", "{a}{b}{c}", "du {a} {{b}} {b}"]
    fields = sorted({*T.FIELDS, "a", "b", "c"})
    for text in texts:
        for empty in ([], ["a"], ["b"], ["a", "c"], ["a", "b", "c"], fields):
            values = {name: "" if name in empty else "x" for name in fields}
            assert T._drop_empty(text, values) == _drop_empty_one_field_at_a_time(text, values), (text, empty)
