"""Tests for viewer.mail.routing: S3 templates per address type, fax numbers, and every refusal."""

from __future__ import annotations

import pytest

from viewer.mail.routing import Routed, RoutingError, normalise_fax, route, route_all, route_mailbox
from viewer.settings import Settings

GATEWAY = "SERV_SMTP:%ADR%@fax.example.com"


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    s.routing.fax = GATEWAY
    s.routing.fax2 = "SERV_SMTP:fax-%ADR%@gw2.example.com"
    return s


def test_email_goes_as_is_with_the_default_template(settings):
    assert route(settings, "EMAIL", " jean@client.fr ") == Routed("SERV_SMTP", "jean@client.fr", "EMAIL", "SERV_SMTP:%ADR%")
    assert route(settings, "email2", "compta@client.fr").address == "compta@client.fr"


@pytest.mark.parametrize(
    "number, expected",
    [
        ("03 88 12 34 56", "0388123456"),
        ("03.88.12.34.56", "0388123456"),
        ("03-88-12-34-56", "0388123456"),
        ("+33 (0)3 88 12 34 56", "+330388123456"),
        ("(+33) 3/88 12\t34 56", "+33388123456"),
    ],
)
def test_fax_numbers_are_normalised_into_the_gateway_address(settings, number, expected):
    routed = route(settings, "FAX", number)
    assert routed.address == f"{expected}@fax.example.com"
    assert routed.service == "SERV_SMTP" and routed.address_type == "FAX" and routed.template == GATEWAY


def test_normalise_fax_keeps_a_leading_plus():
    assert normalise_fax(" +33 3.88-12 (34) 56 ") == "+33388123456"


def test_fax2_uses_its_own_template(settings):
    assert route(settings, "FAX2", "03 88 12 34 56").address == "fax-0388123456@gw2.example.com"


def test_fax_type_with_an_address_routes_it_unchanged(settings):
    settings.routing.fax = "SERV_SMTP:%ADR%"
    assert route(settings, "FAX", "0388123456@fax.example.com").address == "0388123456@fax.example.com"


def test_placeholder_and_prefix_are_case_insensitive(settings):
    settings.routing.email = "serv_smtp:%adr%"
    assert route(settings, "EMAIL", "a@b.fr") == Routed("SERV_SMTP", "a@b.fr", "EMAIL", "serv_smtp:%adr%")


def test_idn_domain_is_routed_in_ascii_form(settings):
    assert route(settings, "EMAIL", "info@bücher.example").address == "info@xn--bcher-kva.example"


def test_route_all(settings):
    routed = route_all(settings, "FAX", ["01 02 03 04 05", "+41 22 123 45 67"])
    assert [r.address for r in routed] == ["0102030405@fax.example.com", "+41221234567@fax.example.com"]
    assert route_all(settings, "EMAIL", []) == []


def test_route_all_stops_at_the_first_bad_address(settings):
    with pytest.raises(RoutingError, match="'pas une adresse'"):
        route_all(settings, "EMAIL", ["a@b.fr", "pas une adresse"])


# --- refusals: each names the template and the address ------------------------------------


def test_type_not_configured_says_which_setting_to_fill():
    with pytest.raises(RoutingError, match=r"FAX is not configured.*routing\.fax\b.*SERV_SMTP:%ADR%@fax"):
        route(Settings(), "FAX", "0388123456")


def test_unknown_address_type(settings):
    with pytest.raises(RoutingError, match="unknown address type 'TELEX'"):
        route(settings, "TELEX", "a@b.fr")


@pytest.mark.parametrize("template", ["SERV_MAPI:%ADR%", "SERV_EWS:%ADR%", "%ADR%", "smtp://%ADR%"])
def test_unknown_prefix(settings, template):
    settings.routing.email = template
    with pytest.raises(RoutingError, match="unknown prefix") as info:
        route(settings, "EMAIL", "jean@client.fr")
    assert template in str(info.value) and "jean@client.fr" in str(info.value)


def test_template_without_placeholder(settings):
    settings.routing.fax = "SERV_SMTP:fax@fax.example.com"
    with pytest.raises(RoutingError, match=r"'SERV_SMTP:fax@fax.example.com' \(routing.fax\) has no %ADR%"):
        route(settings, "FAX", "0388123456")


@pytest.mark.parametrize(
    "address_type, address, template",
    [
        ("EMAIL", "jean dupont@client.fr", "SERV_SMTP:%ADR%"),
        ("EMAIL", "jean@client.fr", "SERV_SMTP:%ADR%@fax.example.com"),  # two @
        ("EMAIL", "jean", "SERV_SMTP:%ADR%"),
        ("FAX", "0388123456", "SERV_SMTP:%ADR%"),  # no domain
        ("FAX", "0388123456", "SERV_SMTP:%ADR%@fax..example.com"),
        ("EMAIL", "jean@client.fr\r\nBcc: x@y.fr", "SERV_SMTP:%ADR%"),
    ],
)
def test_malformed_result_names_template_and_address(settings, address_type, address, template):
    setattr(settings.routing, address_type.lower(), template)
    with pytest.raises(RoutingError, match="not a valid e-mail address") as info:
        route(settings, address_type, address)
    assert repr(template) in str(info.value) and repr(address) in str(info.value)


@pytest.mark.parametrize("number", ["03 88 ABC", "+", "12", "++33388123456"])
def test_fax_number_that_is_not_a_number(settings, number):
    with pytest.raises(RoutingError, match="is not a number") as info:
        route(settings, "FAX", number)
    assert GATEWAY in str(info.value)


def test_empty_address(settings):
    with pytest.raises(RoutingError, match="no EMAIL address"):
        route(settings, "EMAIL", "  ")


def test_route_mailbox_keeps_the_display_name(settings):
    assert route_mailbox(settings, "EMAIL", " Jean Martin <jean@client.fr> ") == "Jean Martin <jean@client.fr>"
    assert route_mailbox(settings, "FAX", "03 88 12 34 56") == "0388123456@fax.example.com"
    assert route_mailbox(settings, "FAX", '"Martin" <03 88 12 34 56>') == '"Martin" <0388123456@fax.example.com>'
    with pytest.raises(RoutingError, match="not a valid e-mail address"):
        route_mailbox(settings, "EMAIL", "Jean <jean>")
