"""Watched-folder rules: first match wins, kinds and customers and file globs, and every error at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from formats.document import DocInfo
from viewer import settings as S
from viewer.watchrules import Rules, RulesError, load

ADVICE = "; correct the rules file (the watcher took no document)"

GOOD = """\
[default]
protection = "no-modify"

[[rule]]
name = "ACME quotes"
kind = "devis"
customer = ["CLI001", "CLI2*"]
action = "hold"

[[rule]]
kind = ["invoice", "avoir"]
file = "*-FAX.spv"
address_type = "fax"
template = "relance"
protection = "password"
password_file = "pdf-password"

[[rule]]
customer = "CLI00?"
template = "facture"
"""


@pytest.fixture
def settings() -> S.Settings:
    s = S.Settings()
    s.routing.fax = "SERV_SMTP:%ADR%@fax.example.com"
    s.templates.subjects["relance.fr"] = "Relance : facture {number}"
    return s


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (tmp_path / "pdf-password").write_text("Kowalski-2026\n", encoding="utf-8")
    (tmp_path / "pdf-password").chmod(0o600)
    return path


def good(tmp_path: Path, settings: S.Settings) -> Rules:
    return load(write(tmp_path, GOOD), settings)


def test_the_first_matching_rule_wins_and_leaves_the_rest_to_the_default(tmp_path, settings):
    rules = good(tmp_path, settings)
    path = tmp_path / "rules.toml"
    held = rules.choose(DocInfo(kind="Quote", customer="cli207"), "x.spv")  # quote is the kind devis; codes ignore case
    assert held.hold and held.rule == f'rule 1 "ACME quotes" ({path}:4)'
    assert held.describe() == "hold for review (nothing sent)"
    fax = rules.choose(DocInfo(kind="facture", customer="CLI001"), "f-0107-fax.spv")  # rule 1 is for quotes only
    assert fax.rule == f"rule 2 ({path}:10)"
    assert (fax.action, fax.address_type, fax.template, fax.protection, fax.password) == ("send", "FAX", "relance", "password", "Kowalski-2026")
    assert fax.describe() == "send as FAX, template relance, protection password"
    assert "Kowalski" not in repr(fax)
    third = rules.choose(DocInfo(kind="facture", customer="CLI003"), "f.spv")
    assert (third.rule, third.template, third.protection) == (f"rule 3 ({path}:18)", "facture", "no-modify")  # from [default]
    none = rules.choose(DocInfo(kind="facture", customer="CLI0031"), "f.spv")
    assert none.rule == f"no rule matched: the default of {path}"
    assert (none.action, none.address_type, none.template, none.protection) == ("send", None, "", "no-modify")


def test_a_default_hold_holds_what_no_rule_takes_and_a_rule_sends_unless_it_says_hold(tmp_path, settings):
    rules = load(write(tmp_path, '[default]\naction = "hold"\ntemplate = "facture"\n\n[[rule]]\nkind = "facture"\n'), settings)
    assert rules.choose(DocInfo(kind="devis"), "d.spv").hold
    invoice = rules.choose(DocInfo(kind="facture"), "f.spv")
    assert (invoice.action, invoice.template) == ("send", "facture")


def test_an_empty_file_sends_everything_with_the_defaults(tmp_path, settings):
    rules = load(write(tmp_path, "# no rule yet\n"), settings)
    decision = rules.choose(DocInfo(kind="devis"), "d.spv")
    assert (decision.action, decision.address_type, decision.protection) == ("send", None, None)
    assert not rules.sets_protection


@pytest.mark.parametrize(("text", "message"), [
    ('[[rule]]\nkind = "devis"\naction = "sned"\n',
     "rules.toml:3: rule[1].action must be one of 'send', 'hold', not 'sned'"),
    ('[[rule]]\nkind = "devis"\n\n[[rule]]\nkind = "facture"\nkinds = "x"\n',
     "rules.toml:6: unknown key rule[2].kinds (known: action, address_type, customer, file, kind, name, password_file, protection, template)"),
    ('[[rule]]\nkind = 3\n',
     'rules.toml:2: rule[1].kind must be a text in quotes ("…") or a list in brackets, e.g. [1, 2], found a whole number'),
    ('[[rule]]\nkind = []\n',
     "rules.toml:2: rule[1].kind is empty: give at least one value, or remove the key"),
    ('[[rule]]\ncustomer = ["CLI001", " "]\n',
     'rules.toml:2: rule[1].customer holds an empty text: give a value such as "devis" or "CLI0*"'),
    ('[[rule]]\nkind = "devis"\naddress_type = "MAIL"\n',
     "rules.toml:3: rule[1].address_type must be one of EMAIL, EMAIL2, FAX, FAX2, not 'MAIL'"),
    ('[[rule]]\nkind = "devis"\naddress_type = "FAX2"\n',
     'rules.toml:3: rule[1].address_type is "FAX2" but the settings give no route for FAX2 (routing.fax2 is empty): set it, '
     "e.g. `spoolview settings set routing.fax2 'SERV_SMTP:%ADR%@fax.example.com'`"),
    ('[default]\ntemplate = "rapel"\n',
     "rules.toml:2: default.template 'rapel' is not a template: define templates.subjects.rapel.fr and "
     "templates.bodies.rapel.fr (and .en) in the settings, or use a kind's: devis, commande, facture, releve"),
    ('[[rule]]\nkind = "devis"\naction = "hold"\nprotection = "none"\n',
     'rules.toml:4: rule[1].protection is never used: this rule holds its documents (action = "hold") and sends nothing; remove protection'),
    ('[[rule]]\nkind = "devis"\nprotection = "secret"\n',
     "rules.toml:3: rule[1].protection must be one of 'none', 'no-modify', 'password', not 'secret'"),
    ('[default]\nprotection = "password"\n\n[[rule]]\nkind = "devis"\n',
     'rules.toml:2: default.protection "password" needs a password: add password_file = "FILE" (its first line) '
     "to this rule or to [default], or give --password-file"),
    ('[[rule]]\nkind = "devis"\nprotection = "password"\npassword_file = "nowhere"\n',
     "rules.toml:4: rule[1].password_file {tmp}/nowhere does not exist: give the file whose first line is the PDF password"),
    ('[[rule]]\nname = "all"\n\n[[rule]]\nkind = "devis"\n',
     'rules.toml:4: rule[2] can never match: rule 1 "all" ({tmp}/rules.toml:1) has no kind, customer or file and '
     "takes every document; put it last, or make it the [default]"),
    ('[rule]\nkind = "devis"\n',
     "rules.toml:1: rule must be a list of rules: write each one under its own [[rule]] header (two brackets)"),
    ('[[rules]]\nkind = "devis"\n',
     "rules.toml:1: unknown key rules (known: default, rule): write each rule under [[rule]] and the defaults under [default]"),
])
def test_every_error_names_the_line_the_rule_the_field_and_what_to_do(tmp_path, settings, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        load(path, settings)
    assert str(caught.value) == f"{tmp_path}/" + message.replace("{tmp}", str(tmp_path)) + ADVICE


def test_a_password_file_every_user_can_read_is_refused(tmp_path, settings):
    path = write(tmp_path, GOOD)
    (tmp_path / "pdf-password").chmod(0o644)
    with pytest.raises(RulesError) as caught:
        load(path, settings)
    assert str(caught.value) == (f"{path}:16: rule[2].password_file {tmp_path}/pdf-password can be read by every user of this "
                                 f"computer: `chmod 600 {tmp_path}/pdf-password` (or 640 for the service's group)" + ADVICE)


def test_a_file_that_is_not_toml_names_its_line(tmp_path, settings):
    with pytest.raises(RulesError) as caught:
        load(write(tmp_path, '[[rule]]\nkind = "devis\n'), settings)
    text = str(caught.value)
    assert text.startswith(f"{tmp_path}/rules.toml:2: not a valid TOML file (") and text.endswith(ADVICE)


def test_a_missing_rules_file_says_where_to_set_it(tmp_path, settings):
    with pytest.raises(RulesError) as caught:
        load(tmp_path / "none.toml", settings)
    assert str(caught.value) == f"{tmp_path}/none.toml: no such rules file; check the path (--rules, or watch.rules in the settings)"


def test_the_watchers_own_password_serves_a_password_rule(tmp_path, settings):
    path = write(tmp_path, '[[rule]]\nkind = "devis"\nprotection = "password"\n')
    decision = load(path, settings, password="from --password-file").choose(DocInfo(kind="devis"), "d.spv")
    assert decision.protection == "password" and decision.password == ""  # "": the watcher's own password is used
