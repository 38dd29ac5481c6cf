"""Watched-folder rules (TOML): by document kind, customer and file name, send or hold, and with what.

A rules file is a list of ``[[rule]]`` tables tried in order (the first that matches a
document wins) and an optional ``[default]`` for the documents no rule matches::

    [default]                      # optional; what a rule leaves out comes from here
    protection = "no-modify"

    [[rule]]
    name = "ACME quotes are checked first"
    kind = "devis"                 # a kind or a list; "quote" and "devis" are the same kind
    customer = ["CLI001", "CLI2*"] # customer codes; * and ? as in file names
    action = "hold"                # send (the default) or hold: moved to hold/ for review

    [[rule]]
    kind = "facture"
    file = "*-fax.spv"             # the file's name; * and ?
    address_type = "FAX"           # EMAIL, EMAIL2, FAX, FAX2 (look-up L1 and routing S3)
    template = "relance"           # templates.subjects/bodies "relance.LANG" of the settings
    protection = "password"        # none, no-modify, password
    password_file = "pdf-password" # its first line; relative to the rules file

Rules only choose the inputs of the one send job (viewer/mail/job.py): what a rule and
``[default]`` leave out comes from the watcher's command line, then from the settings.
``load`` checks everything it can before the watcher takes a single file: a field of the
wrong kind, an address type without a route, a template the settings do not have, a
password protection without a password, a rule that can never match. Every error names
``file:line``, the rule and the field, and what to do; nothing of a broken file is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from formats.document import DocInfo
from viewer import tomlconfig
from viewer.errors import SpoolviewError
from viewer.settings import ADDRESS_TYPES, Settings

__all__ = ["Decision", "Rule", "Rules", "RulesError", "load"]

ADVICE = tomlconfig.words("correct the rules file (the watcher took no document)", "watch.rules.advice")
_SEND_FIELDS = ("address_type", "template", "protection", "password_file")


W = tomlconfig.words


class RulesError(SpoolviewError):
    """The rules file cannot be used; ``file:line``, the rule, the field and what to do."""


@dataclass
class Default:
    """What a document no rule matches gets, and what a rule leaves out."""

    action: Literal["send", "hold"] | None = None
    address_type: str | None = None
    template: str | None = None
    protection: Literal["none", "no-modify", "password"] | None = None
    password_file: Path | None = None


@dataclass
class Rule(Default):
    """One ``[[rule]]``: which documents (kind, customer, file name) and what to do with them."""

    name: str = ""
    kind: str | list[str] = field(default_factory=list)
    customer: str | list[str] = field(default_factory=list)
    file: str | list[str] = field(default_factory=list)
    label: str = field(default="", init=False)  # 'rule 2 "ACME quotes" (rules.toml:7)'

    def patterns(self) -> tuple[list[str], list[str], list[str]]:
        """The kind, customer and file patterns (each a list; empty: any)."""
        return _listed(self.kind), _listed(self.customer), _listed(self.file)

    @property
    def takes_all(self) -> bool:
        return not any(self.patterns())

    def matches(self, info: DocInfo, name: str) -> bool:
        kinds, customers, files = self.patterns()
        if kinds and not any(_same_kind(k, info.kind) for k in kinds):
            return False
        if customers and not any(fnmatchcase(info.customer.strip().casefold(), c.strip().casefold()) for c in customers):
            return False
        return not files or any(fnmatchcase(name.casefold(), f.casefold()) for f in files)


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class Decision:
    """What the rules say for one document: the rule (its label) and the send job's inputs."""

    rule: str  # who decided, in words, with file:line
    action: str = "send"
    address_type: str | None = None  # None: the watcher's own (--type, else EMAIL)
    template: str = ""  # "": the kind's templates
    protection: str | None = None  # None: the watcher's own (--protect, else the settings)
    password: str = field(default="", repr=False)  # never printed

    @property
    def hold(self) -> bool:
        return self.action == "hold"

    def describe(self, address_type: str = "EMAIL", lang: str = "en") -> str:
        """``hold for review`` or ``send as FAX, template relance, protection password`` (``address_type``: the
        watcher's), in ``lang`` (fr, en)."""
        from viewer.messages import text

        if self.hold:
            return text(lang, "watch.decision.hold")
        parts = [text(lang, "watch.decision.send", address_type=self.address_type or address_type)]
        if self.template:
            parts.append(text(lang, "watch.decision.template", template=self.template))
        if self.protection:
            parts.append(text(lang, "watch.decision.protection", protection=self.protection))
        return ", ".join(parts)

    def who(self, lang: str = "en") -> str:
        """The rule that decided (``rule`` with its file:line), in ``lang``."""
        return rule_text(lang, self.rule)


_LABEL = r'^rule (?P<n>\d+)(?: "(?P<name>.*)")? \((?P<where>[^()]*)\)$'
_DEFAULT = r"^no rule matched: the default of (?P<source>.+)$"


def _label_words(label: str) -> str | SpoolviewError:
    """A rule's label quoted in an error, with its catalogue key (as ``rule_text`` words it)."""
    import re

    found = re.match(_LABEL, label, re.S)
    if found is None:
        return label
    key = "watch.rule.named" if found["name"] is not None else "watch.rule.bare"
    return W(label, key, n=found["n"], name=found["name"] or "", where=found["where"])


def rule_text(lang: str, label: str) -> str:
    """A Decision's ``rule`` (``rule 2 "Fax" (rules.toml:10)``, ``no rule matched: the default of F``) in ``lang``;
    as it is in English, or when it is not one of those."""
    import re

    from viewer.messages import text

    if lang == "en":
        return label
    found = re.match(_LABEL, label, re.S)
    if found:
        named = "watch.rule.named" if found["name"] is not None else "watch.rule.bare"
        return text(lang, named, n=found["n"], name=found["name"] or "", where=found["where"])
    found = re.match(_DEFAULT, label, re.S)
    if found:
        return text(lang, "watch.rule.default", source=found["source"])
    return label


@dataclass
class Rules:
    """The rules of one file, checked; ``choose`` gives the Decision for a document."""

    source: Path
    rules: list[Rule] = field(default_factory=list)
    default: Default = field(default_factory=Default)
    passwords: dict[Path, str] = field(default_factory=dict, repr=False)

    @property
    def sets_protection(self) -> bool:
        return any(r.protection for r in (*self.rules, self.default))

    def choose(self, info: DocInfo, name: str) -> Decision:
        """The first rule matching ``info`` (kind, customer) and the file ``name``; else the default."""
        for rule in self.rules:
            if rule.matches(info, name):
                return self._decision(rule.label, rule)
        return self._decision(f"no rule matched: the default of {self.source}", None)

    def _decision(self, label: str, rule: Rule | None) -> Decision:
        """What ``rule`` says, completed by [default]; None of either: the watcher's own (command line, settings)."""
        default = self.default
        given = rule or Default()
        address_type = given.address_type or default.address_type
        password_file = given.password_file or default.password_file
        # A rule that matches sends unless it says hold; [default]'s action is for the documents no rule takes.
        action = (rule.action if rule is not None else default.action) or "send"
        return Decision(
            label,
            action=action,
            address_type=address_type.strip().upper() if address_type else None,
            template=(given.template or default.template or "").strip(),
            protection=given.protection or default.protection,
            password=self.passwords.get(password_file, "") if password_file is not None else "",
        )


def _same_kind(wanted: str, kind: str) -> bool:
    """``wanted`` (a rule's kind, * and ? allowed) names ``kind``: as written, or as the same kind (quote = devis)."""
    from viewer.mail.templates import canonical_kind

    given = kind.strip().casefold()
    pattern = wanted.strip().casefold()
    if fnmatchcase(given, pattern):
        return True
    canonical = canonical_kind(wanted)
    return canonical != "unknown" and canonical == canonical_kind(kind)


def _template_names(settings: Settings) -> set[str]:
    from viewer.mail.templates import _ALIASES, KINDS

    names = {*KINDS, *_ALIASES}
    for table in (settings.templates.subjects, settings.templates.bodies):
        names.update(key.rsplit(".", 1)[0].lower() for key in table if "." in key)
    return names


def load(path: Path, settings: Settings, *, password: str = "") -> Rules:
    """The checked rules of ``path`` (RulesError naming file:line, rule and field when unusable).

    ``password``: the watcher's own PDF password (--password-file), used by a password
    protection whose rule and [default] give no password_file.
    """
    parsed = tomlconfig.read(path, RulesError, advice=ADVICE)
    if parsed is None:
        raise RulesError(f"{path}: no such rules file; check the path (--rules, or watch.rules in the settings)",
                         msgid="watch.rules.missing", params={"path": path})
    data, text = parsed
    toml = tomlconfig.TomlFile(path, text, error=RulesError, base=path.parent, advice=ADVICE)
    rules = Rules(path)
    for key in data:
        if key not in ("rule", "default"):
            raise toml.refuse((), key, W(f"unknown key {key} (known: default, rule): write each rule under [[rule]] "
                                         "and the defaults under [default]", "watch.rules.unknown_key", key=key))
    if "default" in data:
        toml.load(rules.default, data["default"], ("default",))
        _check(toml, settings, rules.default, "default", data["default"])
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        raise toml.refuse((), "rule", W("rule must be a list of rules: write each one under its own [[rule]] header "
                                        "(two brackets)", "watch.rules.not_list"))
    for index, entry in enumerate(entries, 1):
        where = f"rule[{index}]"
        if not isinstance(entry, dict):
            raise toml.refuse((), "rule", W(f"{where} must be a table: write each rule under its own [[rule]] header",
                                            "watch.rules.not_table", where=where))
        rule = toml.load(Rule(), entry, (where,))
        rule.name = rule.name.strip()
        rule.label = f"rule {index}" + (f' "{rule.name}"' if rule.name else "") + f" ({toml.where((), where)})"
        _check(toml, settings, rule, where, entry)
        for earlier in rules.rules:
            if earlier.takes_all:
                raise toml.refuse((), where, W(f"{where} can never match: {earlier.label} has no kind, customer or file "
                                               "and takes every document; put it last, or make it the [default]",
                                               "watch.rules.never", where=where, earlier=_label_words(earlier.label)))
        rules.rules.append(rule)
    for holder in (rules.default, *rules.rules):
        if holder.password_file is not None and holder.password_file not in rules.passwords:
            where = holder_where(rules, holder)
            rules.passwords[holder.password_file] = _read_password(toml, where, holder.password_file)
    for holder in (rules.default, *rules.rules):
        decision = rules._decision("", holder if isinstance(holder, Rule) else None)
        if decision.protection == "password" and not decision.hold and not decision.password and not password:
            where = holder_where(rules, holder)
            at = _at(toml, where, "protection")
            raise RulesError(f'{at}: {where}.protection "password" needs a password: add password_file = "FILE" (its first '
                             f'line) to this rule or to [default], or give --password-file; {ADVICE}',
                             msgid="watch.rules.no_password", params={"where": at, "table": where, "advice": ADVICE})
    return rules


def holder_where(rules: Rules, holder: Default) -> str:
    """``rule[N]`` or ``default``: the table ``holder`` was read from."""
    for index, rule in enumerate(rules.rules, 1):
        if rule is holder:
            return f"rule[{index}]"
    return "default"


def _check(toml: tomlconfig.TomlFile, settings: Settings, holder: Default, where: str, given: dict[str, object]) -> None:
    """The checks the loader's types cannot make: names that must exist, fields that go together."""
    table = (where,)
    patterns = zip(("kind", "customer", "file"), holder.patterns(), strict=True) if isinstance(holder, Rule) else iter(())
    for key, items in patterns:
        if key in given and not items:
            raise toml.fail(table, key, W("is empty: give at least one value, or remove the key", "watch.rules.empty"))
        if any(not item.strip() for item in items):
            raise toml.fail(table, key, W('holds an empty text: give a value such as "devis" or "CLI0*"', "watch.rules.empty_text"))
    if holder.address_type is not None:
        kind = holder.address_type.strip().upper()
        if kind not in ADDRESS_TYPES:
            raise toml.fail(table, "address_type", W(f"must be one of {', '.join(ADDRESS_TYPES)}, not {holder.address_type!r}",
                                                     "toml.one_of", choices=", ".join(ADDRESS_TYPES),
                                                     value=repr(holder.address_type)))
        if not settings.routing.template(kind):
            raise toml.fail(table, "address_type", W(f'is "{kind}" but the settings give no route for {kind} '
                            f"(routing.{kind.lower()} is empty): set it, e.g. `spoolview settings set routing.{kind.lower()} "
                            "'SERV_SMTP:%ADR%@fax.example.com'`", "watch.rules.no_route", kind=kind, key=kind.lower()))
    if holder.template is not None:
        name = holder.template.strip().lower()
        if not name or name not in _template_names(settings):
            raise toml.fail(table, "template", W(f"{holder.template!r} is not a template: define "
                            f"templates.subjects.{name or 'NAME'}.fr and templates.bodies.{name or 'NAME'}.fr (and .en) in the "
                            "settings, or use a kind's: devis, commande, facture, releve", "watch.rules.template",
                            template=holder.template, name=name or "NAME"))
    if holder.action == "hold" and isinstance(holder, Rule):  # [default]'s send keys still serve the rules that send
        unused = [key for key in _SEND_FIELDS if key in given]
        if unused:
            raise toml.fail(table, unused[0], W('is never used: this rule holds its documents (action = "hold") and sends '
                            f"nothing; remove {', '.join(unused)}", "watch.rules.unused", keys=", ".join(unused)))


def _at(toml: tomlconfig.TomlFile, where: str, key: str) -> str:
    """``file:line`` of ``key`` in the table ``where``, else of the table's header."""
    found = toml.where((where,), key)
    return found if found != toml.source else toml.where((), where)


def _read_password(toml: tomlconfig.TomlFile, where: str, path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise toml.fail((where,), "password_file", W(f"{path} does not exist: give the file whose first line is the PDF password",
                                                     "watch.rules.password_missing", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise toml.fail((where,), "password_file", W(f"{path} cannot be read ({why}): check its rights",
                                                     "watch.rules.password_unreadable", path=path, reason=why)) from None
    if not lines or not lines[0]:
        raise toml.fail((where,), "password_file", W(f"{path} is empty: write the PDF password on its first line",
                                                     "watch.rules.password_empty", path=path))
    if path.stat().st_mode & 0o004:
        raise toml.fail((where,), "password_file", W(f"{path} can be read by every user of this computer: "
                        f"`chmod 600 {path}` (or 640 for the service's group)", "watch.rules.password_readable", path=path))
    return lines[0]
