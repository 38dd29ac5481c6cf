"""Error texts in French and English: every formats code and every coded connection error is worded in both."""

from __future__ import annotations

import ast
import json
import re
import socket
import string
from pathlib import Path

import pytest

from formats import open_document
from formats.document import ERROR_CODES, DocumentError
from viewer import messages
from viewer.connection import Connection, ServerUnreachable
from viewer.settings import ConnectionProfile

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "formats"
CODED_VIEWER_MODULES = [ROOT / "viewer" / "connection.py", ROOT / "viewer" / "mail" / "routes" / "server.py",
                        ROOT / "viewer" / "mail" / "routes" / "smtp.py", ROOT / "viewer" / "commands" / "documents.py"]
DOCUMENT_ERRORS = {"DocumentError", "RuleError", "ProtectionError", "PasswordRequired"}
CONNECTION_ERRORS = {"ConnectionProblem", "ServerUnavailable", "ServerUnreachable", "CertificateProblem", "LoginRefused",
                     "SessionExpired", "NotConnected", "SendOutcomeUnknown", "ServerRefused"}
SAMPLE = ROOT / "samples" / "devis-D2026-0042.spv"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def catalogue_file(lang: str) -> dict[str, str]:
    return json.loads((messages.LOCALE_DIR / f"messages.{lang}.json").read_text(encoding="utf-8"))


def calls(path: Path, names: set[str]):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            yield node, {k.arg: k.value for k in node.keywords if k.arg}


# -- the catalogues are complete ------------------------------------------------------------


SAME_IN_BOTH = ("formats.where.page", "formats.jsontype.null", "directory.kind.contact",  # the same word in French
                "directory.count.contacts.one", "directory.count.contacts.other")


def test_both_languages_have_the_same_keys_and_placeholders():
    fr, en = catalogue_file("fr"), catalogue_file("en")
    assert set(fr) == set(en)
    for key in fr:
        assert placeholders(fr[key]) == placeholders(en[key]), key
        assert fr[key] != en[key] or key in SAME_IN_BOTH, f"{key} is not translated"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_formats_code_is_worded_with_only_its_parameters(lang):
    table = catalogue_file(lang)
    missing = sorted(code for code in ERROR_CODES if f"formats.{code}" not in table)
    assert missing == [], f"messages.{lang}.json lacks the words of {missing}"
    for code, params in ERROR_CODES.items():
        assert placeholders(table[f"formats.{code}"]) <= set(params), code
        worded = messages.text(lang, f"formats.{code}", **{p: "X" for p in params})  # never a KeyError
        assert worded.strip()
    stale = sorted(k for k in table if k.startswith("formats.") and k.split(".", 1)[1] not in ERROR_CODES
                   and not k.startswith(("formats.where.", "formats.placed", "formats.jsontype.")))
    assert stale == [], f"words of codes no error carries: {stale}"


def test_every_error_raised_in_formats_carries_a_declared_code():
    """A new raise without a code, or with a code nobody declared (and so nobody worded), fails here."""
    seen = set()
    for path in sorted(FORMATS.glob("*.py")):
        for node, keywords in calls(path, DOCUMENT_ERRORS):
            where = f"{path.name}:{node.lineno}"
            assert "code" in keywords, f"{where}: an error without a code"
            strings = {n.value for n in ast.walk(keywords["code"]) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            assert strings <= set(ERROR_CODES), f"{where}: undeclared code {strings - set(ERROR_CODES)}"
            seen |= strings
        # codes chosen in a table (the schema rules): every constant that looks like a declared code's family
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"schema\.[a-z_]+", node.value):
                assert node.value in ERROR_CODES, f"{path.name}:{node.lineno}: undeclared code {node.value}"
                seen.add(node.value)
    assert set(ERROR_CODES) - seen == set(), "declared codes no error carries"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_coded_connection_and_route_error_is_worded_with_only_its_parameters(lang):
    """Every ``msgid="..."`` written in the modules that code their errors has words in ``lang`` that use
    only the parameters given beside it; and no words are left that nobody raises."""
    table = catalogue_file(lang)
    found = set()
    for path in CODED_VIEWER_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if "msgid" not in keywords:
                continue
            msgids = {n.value for n in ast.walk(keywords["msgid"]) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            params = keywords.get("params")
            given = {k.value for k in params.keys if isinstance(k, ast.Constant)} if isinstance(params, ast.Dict) else set()
            for msgid in msgids:  # none: passed along from the error it wraps (checked where that one is raised)
                found.add(msgid)
                assert msgid in table, f"{path.name}:{node.lineno}: messages.{lang}.json lacks {msgid}"
                assert placeholders(table[msgid]) <= given, f"{path.name}:{node.lineno}: {msgid}"
    for prefix in ("appserver.", "smtp."):
        assert {k for k in table if k.startswith(prefix)} == {m for m in found if m.startswith(prefix)}, \
            f"words of {prefix} errors nobody raises"


def test_every_connection_error_raised_has_a_msgid():
    path = ROOT / "viewer" / "connection.py"
    for node, keywords in calls(path, CONNECTION_ERRORS):
        assert "msgid" in keywords, f"connection.py:{node.lineno}: an error without words in the catalogue"


# -- what a person reads ---------------------------------------------------------------


@pytest.fixture
def corrupt_spool(tmp_path) -> Path:
    """The sample quote with an unknown item type on page 2, item 3."""
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["pages"][1]["items"][2]["type"] = "texte"
    path = tmp_path / "devis-abime.spv"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def open_error(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        with open_document(path) as doc:
            for _ in doc.pages():
                pass
    return caught.value


def test_a_corrupt_spool_in_french_names_file_page_item_and_field(corrupt_spool):
    error = open_error(corrupt_spool)
    assert error.code == "item.unknown_type"
    assert messages.describe(error, "fr", file_name_only=True) == (
        "fichier « devis-abime.spv », page 2, élément 3, champ « type » : "
        "type d'élément « texte » inconnu (types possibles : text, line, rect, image, table)")
    assert messages.describe(error, "en") == (
        f"file '{corrupt_spool}', page 2, item 3, field 'type': unknown item type 'texte' (expected one of text, line, rect, image, table)")
    assert "unknown item type 'texte'" in str(error)  # logs keep the English


def test_a_schema_violation_is_worded_by_its_rule(tmp_path):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    del data["pages"][1]["items"][0]["x"]
    path = tmp_path / "sans-x.spv"
    path.write_text(json.dumps(data), encoding="utf-8")
    error = open_error(path)
    assert (error.code, error.params) == ("schema.required", {"name": "x"})
    assert messages.describe(error, "fr", file_name_only=True) == (
        "fichier « sans-x.spv », page 2, élément 1 : la propriété obligatoire « x » manque")


def test_json_type_names_are_translated(tmp_path):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["pages"][1] = 5
    path = tmp_path / "page5.spv"
    path.write_text(json.dumps(data), encoding="utf-8")
    error = open_error(path)
    assert messages.describe(error, "fr", file_name_only=True) == (
        "fichier « page5.spv », page 2, champ « pages.1 » : la valeur 5 n'est pas du type attendu (objet)")
    assert messages.describe(error, "en", file_name_only=True) == "file 'page5.spv', page 2, field 'pages.1': 5 is not of type 'object'"


def test_truncated_json_and_limits_in_french(tmp_path):
    path = tmp_path / "tronque.spv"
    path.write_text(SAMPLE.read_text(encoding="utf-8")[:500], encoding="utf-8")
    said = messages.describe(open_error(path), "fr", file_name_only=True)
    assert said.startswith("fichier « tronque.spv » : JSON invalide ligne ") and "le spool est peut-être tronqué" in said
    from formats.limits import Limits

    with pytest.raises(DocumentError) as caught:
        open_document(SAMPLE, limits=Limits(max_pages=1))
    assert messages.describe(caught.value, "fr", file_name_only=True) == (
        "fichier « devis-D2026-0042.spv » : le document a 2 pages (limite max_pages = 1) : "
        "scindez le document, ou relevez la limite dans les paramètres s'il est authentique")


def test_a_damaged_pdf_in_french_quotes_the_engine_reason(tmp_path):
    path = tmp_path / "abime.pdf"
    path.write_bytes(b"%PDF-1.7\n this is not a pdf \x00\x01")
    error = open_error(path)
    assert error.code == "file.damaged"
    said = messages.describe(error, "fr", file_name_only=True)
    assert said.startswith("fichier « abime.pdf » : ce fichier PDF ne peut pas être lu (« ")
    assert said.endswith("produisez-le ou copiez-le de nouveau")


def test_the_file_the_sentence_names_is_left_out_another_is_kept(tmp_path):
    error = DocumentError("x", code="file.empty", file=tmp_path / "devis.spv", page=2)
    assert messages.describe(error, "fr", named=tmp_path / "devis.spv") == (
        "page 2 : le fichier est vide (le programme qui l'a écrit a peut-être échoué)")
    sidecar = DocumentError("x", code="meta.not_text", file=tmp_path / "releve.meta.json", field="customer")
    assert messages.describe(sidecar, "fr", file_name_only=True, named=tmp_path / "releve.txt") == (
        "fichier « releve.meta.json », champ « customer » : une valeur texte est attendue")


def test_words_that_do_not_fit_the_parameters_fall_back_to_the_errors_own_text():
    from viewer.errors import SpoolviewError

    error = SpoolviewError("cannot reach x", msgid="appserver.unreachable", params={"url": "http://x"})  # no profile
    assert messages.describe(error, "fr") == "cannot reach x"


def test_an_error_without_a_code_keeps_its_own_words_but_is_placed():
    error = DocumentError("unsupported thing", file="/x/data.bin", page=3)
    assert messages.describe(error, "fr", file_name_only=True) == "fichier « data.bin », page 3 : unsupported thing"
    assert messages.describe(ValueError("boom"), "fr") == "boom"


def refused_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_connection_refused_by_the_application_server_in_both_languages():
    url = f"http://127.0.0.1:{refused_port()}"
    connection = Connection(ConnectionProfile(name="bureau", url=url, user="alice"))
    with pytest.raises(ServerUnreachable) as caught:
        connection.connect("secret")
    error = caught.value
    assert messages.describe(error, "fr") == (
        f"le serveur d'applications {url} est injoignable : vérifiez qu'il fonctionne et l'adresse du profil « bureau »")
    assert messages.describe(error, "en") == str(error)  # the English catalogue says what the log says
    assert messages.describe(connection.health(), "fr") == messages.describe(error, "fr")


def test_a_refused_smtp_connection_in_french():
    from viewer.mail.routes.base import Envelope, TemporaryError
    from viewer.mail.routes.smtp import SmtpRoute

    port = refused_port()
    envelope = Envelope("ventes@example.com", ("client@example.org",))
    with pytest.raises(TemporaryError) as caught:
        SmtpRoute("127.0.0.1", port, timeout=5).send(b"Subject: x\r\n\r\nbody\r\n", envelope)
    said = messages.describe(caught.value, "fr")
    assert said.startswith(f"connexion impossible à 127.0.0.1:{port} (« ")
    assert said.endswith(" ») : vérifiez le nom du serveur et le port, ou réessayez plus tard")
    assert messages.describe(caught.value, "en") == str(caught.value)


def test_a_refused_smtp_login_in_french_with_the_servers_reply_verbatim(smtpd_factory, ca_file):
    from viewer.mail.routes.base import ConfigurationError, Envelope
    from viewer.mail.routes.smtp import SmtpRoute

    server = smtpd_factory(mode="starttls", auth=("ventes", "bon-mot-de-passe"))
    route = SmtpRoute(server.host, server.port, timeout=10, security="starttls", ca_file=str(ca_file), user="ventes",
                      password="mauvais")
    with pytest.raises(ConfigurationError) as caught:
        route.send(b"Subject: x\r\n\r\nbody\r\n", Envelope("ventes@example.com", ("client@example.org",)))
    error = caught.value
    said = messages.describe(error, "fr")
    assert said == (f"{server.host}:{server.port} a refusé l'identification de l'utilisateur « ventes » (réponse du serveur : "
                    f"« {error.code} {error.reply} ») : vérifiez l'utilisateur et le mot de passe de l'environnement actif")
    assert error.code == 535 and error.reply in str(error)  # the reply as received, in both texts
    assert "mauvais" not in said


def test_a_nested_error_is_worded_inside_the_sentence_and_the_reply_stays_verbatim():
    from viewer.connection import SendOutcomeUnknown, ServerUnavailable

    inner = ServerUnavailable("the application server at http://h did not answer within 5 s",
                              msgid="appserver.timeout", params={"url": "http://h", "seconds": "5"})
    outer = SendOutcomeUnknown(f"{inner}; the request may have reached the server", msgid="appserver.may_have_reached",
                               params={"reason": inner})
    assert messages.describe(outer, "fr") == (
        "le serveur d'applications http://h n'a pas répondu en 5 s ; la demande a peut-être atteint le serveur")
    from viewer.connection import ServerRefused

    refused = ServerRefused("x", 413, msgid="appserver.refused", params={"status": 413, "reply": "Message too large"})
    assert messages.describe(refused, "fr") == (
        "le serveur d'applications a refusé la demande (HTTP 413) ; réponse du serveur : « Message too large »")


@pytest.mark.parametrize(("env", "setting", "expected"), [
    ({"LANG": "fr_FR.UTF-8"}, "auto", "fr"),
    ({"LANG": "en_GB.UTF-8"}, "auto", "en"),
    ({"LANG": "C.UTF-8", "LANGUAGE": "fr"}, "auto", "en"),  # gettext ignores LANGUAGE in the C locale
    ({"LANG": "de_DE.UTF-8", "LANGUAGE": "fr:en"}, "auto", "fr"),
    ({"LC_ALL": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"}, "auto", "fr"),
    ({}, "auto", "en"),
    ({"LANG": "en_US.UTF-8"}, "fr", "fr"),  # the interface language setting wins
])
def test_cli_language(monkeypatch, env, setting, expected):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert messages.cli_language(setting) == expected


# -- the command line's outcome lines (send, batch, watcher, report) ---------------------------------

LINE_FAMILIES = ("cli.warning", "route.", "send.", "batch.", "watch.", "report.")


def test_the_outcome_lines_are_in_both_catalogues_with_both_plural_forms():
    fr, en = catalogue_file("fr"), catalogue_file("en")
    ours = [k for k in en if k.startswith(LINE_FAMILIES)]
    assert len(ours) > 80 and set(ours) == {k for k in fr if k.startswith(LINE_FAMILIES)}
    for key in ours:
        if key.endswith(".one"):
            assert key[:-4] + ".other" in en, key
        if key.endswith(".other"):
            assert key[:-6] + ".one" in en, key
    # every category of the batch is worded, as a label and as a count
    from viewer.commands._batch import WORD_IDS

    for word in WORD_IDS.values():
        assert f"batch.category.{word}" in en and f"batch.count.{word}.one" in en


def test_french_typography_of_the_outcome_lines():
    """A space before the colon and the semicolon (as the project's other French lines), elision, no English left."""
    fr = catalogue_file("fr")
    for key, value in fr.items():
        if not key.startswith(LINE_FAMILIES):
            continue
        bare = re.sub(r"\{[^}]*\}|https?://\S+|--\w+|\d+:\d+|\S+@\S+", "", value)  # fields, URLs, options, times
        assert not re.search(r"\S[:;?!]", bare), f"{key}: {value!r} lacks the space before : ; ? !"
        assert not re.search(r"\b(de|le|la|ne|que|se|je) [aeiouéèêà]", bare, re.I), f"{key}: {value!r} lacks an elision"
        assert "'" not in bare or re.search(r"\b[dlnsjq]u?'\w", bare), f"{key}: {value!r}"
        assert not re.search(r"\b(sent|refused|folder|route|nothing|accepted)\b", bare), f"{key}: {value!r} is English"


@pytest.mark.parametrize(("route", "french"), [
    ("pickup folder /srv/pickup", "dossier de dépôt /srv/pickup"),
    ("SMTP server mail.example.com:587 (STARTTLS)", "serveur SMTP mail.example.com:587 (STARTTLS)"),
    ("SMTP server 127.0.0.1:25 (no TLS)", "serveur SMTP 127.0.0.1:25 (sans TLS)"),
    ("SMTP server mail.example.com:465 (implicit TLS)", "serveur SMTP mail.example.com:465 (TLS implicite)"),
    ("application server bureau (https://erp.example:8443)", "serveur d'applications bureau (https://erp.example:8443)"),
    ("pickup folder /p (local after server failure: cannot reach https://x)",
     "dossier de dépôt /p (envoi local après l'échec du serveur : cannot reach https://x)"),
    ("direct SMTP", "SMTP direct"),
    ("memory", "memory"),  # not one of the send job's descriptions: as it is
    ("", "voie d'envoi inconnue"),
])
def test_route_text_words_the_stored_route_and_keeps_its_places(route, french):
    assert messages.route_text("fr", route) == french
    assert messages.route_text("en", route) == (route or "unknown route")


def test_counted_uses_the_french_singular_for_zero_and_one():
    assert [messages.counted("fr", "batch.count.refused", n) for n in (0, 1, 2)] == ["0 refusé", "1 refusé", "2 refusés"]
    assert [messages.counted("en", "batch.count.refused", n) for n in (0, 1, 2)] == ["0 refused", "1 refused", "2 refused"]
    assert messages.counted("en", "report.summary", 1, start="since x", what="1 accepted") == "1 recipient line since x: 1 accepted"


def test_every_outcome_line_key_is_used_by_the_code():
    """A key no code asks for is a sentence nobody reads: remove it with the line that used it."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "viewer").rglob("*.py"))
    built = {  # keys the code builds from a fixed set of values
        "batch.category.": "WORD_IDS", "batch.count.": "counted(", "send.kind.": "send.kind.", "report.outcome.": "report.outcome.",
        "report.count.": "report.count.", "route.security.": "_SECURITY",
    }
    unused = []
    for key in catalogue_file("en"):
        if not key.startswith(LINE_FAMILIES):
            continue
        stem = key.removesuffix(".one").removesuffix(".other")
        if f'"{stem}"' in source or f"'{stem}'" in source:
            continue
        if not any(key.startswith(prefix) and marker in source for prefix, marker in built.items()):
            unused.append(key)
    assert unused == []
