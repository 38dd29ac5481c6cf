"""SASLprep (RFC 4013): the examples of its section 3, the mapping, every prohibited table, the French words."""

from __future__ import annotations

import unicodedata

import pytest

from viewer import messages
from viewer.saslprep import CODES, SaslprepError, saslprep


@pytest.mark.parametrize(("given", "prepared"), [
    ("I\u00adX", "IX"),  # SOFT HYPHEN mapped to nothing
    ("user", "user"),  # no transformation
    ("USER", "USER"),  # case preserved, will not match #2
    ("\u00aa", "a"),  # output is NFKC, input in ISO 8859-1
    ("\u2168", "IX"),  # output is NFKC, will match #1
])
def test_rfc4013_section3_examples(given, prepared):
    assert saslprep(given) == prepared


@pytest.mark.parametrize(("given", "code"), [
    ("\u0007", "control"),  # Error - prohibited character
    ("\u0627\u0031", "bidi"),  # Error - bidirectional check
])
def test_rfc4013_section3_refused_examples(given, code):
    with pytest.raises(SaslprepError) as caught:
        saslprep(given)
    assert caught.value.code == code


def test_precomposed_decomposed_and_no_break_spaces_are_one_password():
    typed = ["mot de passe é", "mot de passe e\u0301", "mot\u00a0de\u2007passe\u202fé", "mot de\u200b passe é"]
    assert {saslprep(t) for t in typed} == {unicodedata.normalize("NFC", "mot de passe é")}


@pytest.mark.parametrize(("char", "code"), [
    ("\u0085", "control"), ("\ue000", "private"), ("\ufdd0", "noncharacter"), ("\ufffd", "plain_text"),
    ("\u2ff0", "canonical"), ("\u200e", "display"), ("\U000e0001", "tagging"),
])
def test_every_prohibited_table_names_the_character_and_its_place(char, code):
    with pytest.raises(SaslprepError) as caught:
        saslprep(f"ab{char}c")
    error = caught.value
    assert (error.code, error.position, error.params["point"]) == (code, 3, f"U+{ord(char):04X}")
    assert "ab" not in str(error)  # the password itself is never said


def test_unassigned_code_points_are_refused_only_when_stored():
    assert saslprep("a\u0221") == "a\u0221"  # a query (a login): allowed
    with pytest.raises(SaslprepError) as caught:
        saslprep("a\u0221", stored=True)  # U+0221 was unassigned in Unicode 3.2
    assert (caught.value.code, caught.value.position) == ("unassigned", 2)


def test_right_to_left_text_alone_passes():
    assert saslprep("\u0627\u0628\u0629") == "\u0627\u0628\u0629"
    with pytest.raises(SaslprepError):
        saslprep("\u0627a\u0628")  # left-to-right letters inside


def test_printable_ascii_is_left_as_it_is():
    assert saslprep(" P@ss w0rd~ ") == " P@ss w0rd~ "


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_refusal_is_worded_in_both_languages(lang):
    table = messages.catalogue(lang)
    for code in CODES:
        assert f"saslprep.{code}" in table, code
    with pytest.raises(SaslprepError) as caught:
        saslprep("é\u0007", stored=True)
    said = messages.describe(caught.value, lang)
    assert "U+0007" in said and "2" in said
    if lang == "fr":
        assert said == ("le mot de passe contient un caractère de contrôle (U+0007, caractère n° 2), "
                        "interdit dans un mot de passe : choisissez-en un autre")
    else:
        assert said == str(caught.value)
