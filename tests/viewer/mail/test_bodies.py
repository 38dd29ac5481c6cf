"""Body alternatives: plain text <-> simple HTML, and RTF."""

from __future__ import annotations

from viewer.mail.bodies import html_to_text, text_to_html, text_to_rtf


def test_plain_text_round_trips_through_simple_html():
    body = "Bonjour Élodie,\n\nVeuillez trouver <ci-joint> le devis.\nCordialement,\n"
    html = text_to_html(body)
    assert "<p>Bonjour Élodie,</p>" in html and "&lt;ci-joint&gt;" in html and "<br>" in html
    assert html_to_text(html) == body


def test_rtf_escapes_what_rtf_reserves_and_non_ascii():
    rtf = text_to_rtf("a{b}\\c é 😀\n")
    assert "a\\{b\\}\\\\c" in rtf and "\\u233?" in rtf and "\\u-10179?\\u-8704?" in rtf


def test_the_html_escape_is_the_standard_librarys():
    import html

    from viewer.mail.bodies import _escape

    for text in ("a & b < c > d", "\"quoted\" and 'single'", "&amp; already", "plain", "é <ü>"):
        assert _escape(text) == html.escape(text)
