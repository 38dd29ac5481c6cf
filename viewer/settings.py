"""Per-user settings S1–S8, grouped like the reference's screens; stored as private TOML."""

from __future__ import annotations

import codecs
import dataclasses
import os
import re
import typing
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from viewer import paths, tomlconfig
from viewer import secrets as _keyring
from viewer.errors import SpoolviewError
from viewer.fsutil import write_durable
from viewer.records import record

# Names of the address types of S3, in the reference's order.
ADDRESS_TYPES = ("EMAIL", "EMAIL2", "FAX", "FAX2")


def _data(sub: str) -> str:
    return str(paths.data_dir() / sub)


@record
class Printing:
    """S1 — Impression."""

    journal: bool = False  # "Journalisation des opérations (pour debug)"
    journal_folder: str = field(default_factory=lambda: str(paths.log_dir()))
    no_save_offer: bool = False  # "Ne pas proposer la sauvegarde à chaque aperçu"
    language: str = "auto"  # auto (from the locale), fr, en


@record
class PdfConversion:
    """S2 — Conversion PDF (F2, F3, F4)."""

    convert_mail: bool = True
    convert_fax: bool = True
    convert_fax2: bool = True
    protection: str = "no-modify"  # none | no-modify | password
    password_policy: str = "no"  # "Générer des fichiers PDF protégés par mot de passe": no | yes | ask
    use_external: bool = False  # F4: an external PDF program (reference: Acrobat)
    external_command: str = ""  # e.g. a command line with {input} and {output}
    pdfa: bool = False  # write spools as PDF/A-2b (archival; cannot be combined with protection)


@record
class AddressRouting:
    """S3 — Routage des adresses mail et fax: one template per address type."""

    email: str = "SERV_SMTP:%ADR%"
    email2: str = "SERV_SMTP:%ADR%"
    fax: str = ""  # e.g. SERV_SMTP:%ADR%@fax.example.com ; empty: not configured
    fax2: str = ""

    def template(self, address_type: str) -> str:
        return getattr(self, address_type.lower())


@record
class SmtpService:
    """S4 — Protocole SMTP (par le service smtp): the pickup folder route."""

    pickup_folder: str = field(default_factory=lambda: _data("pickup"))
    from_identity: str = ""  # "De la part de ..."
    use_server_service: bool = False  # "En mode connecté, le service SMTP est sur le serveur"


@record
class SmtpFunctions:
    """S5 — Protocole SMTP (par les fonctions smtp): direct SMTP."""

    send_direct: bool = False  # "Envoyer le mail directement avec la fonction SMTP"
    use_server_functions: bool = False  # "En mode connecté, la fonction SMTP est sur le serveur"
    from_identity: str = ""
    send_without_file: bool = False  # "Envoyer le mail sans générer de fichier"
    host: str = ""
    port: int = 0  # 0: 25, or 587 with SSL/TLS (465 for implicit TLS)
    domain: str = ""  # EHLO name
    ssl: bool = False  # "Le serveur SMTP utilise SSL"
    tls_mode: str = "starttls"  # when ssl: starttls | implicit
    ca_file: str = ""  # extra CA bundle; certificates are always verified (SMTP and OAuth token endpoints)
    timeout: float = 30.0
    auth: str = "password"  # password | oauth2 (sign in with Microsoft 365, Google or another OAuth 2.0 provider)
    oauth_provider: str = "microsoft"  # microsoft | google | custom
    oauth_client_id: str = ""  # the application (client) ID registered with the provider; no secret
    oauth_tenant: str = "organizations"  # microsoft: tenant ID or domain
    oauth_issuer: str = ""  # custom: issuer URL (endpoints discovered from its .well-known document)
    oauth_scope: str = ""  # empty: the provider's default
    oauth_browser: str = ""  # command that opens a URL ({url} replaced, else appended); empty: the system browser
    oauth_token_url: str = ""  # application server only: token endpoint of the client credentials grant

    def effective_port(self) -> int:
        if self.port:
            return self.port
        if not self.ssl:
            return 25
        return 465 if self.tls_mode == "implicit" else 587


@record
class Environment:
    """One environment's SMTP credentials (the password lives in the keyring or the file)."""

    smtp_user: str = ""
    smtp_password: str = ""  # never printed, logged or traced
    # Application server's route only (client credentials grant); never printed, logged or traced.
    oauth_client_secret: str = ""
    oauth_client_secret_env: str = ""  # name of an environment variable holding the client secret

    def client_secret(self) -> str:
        """The OAuth client secret (from the environment variable when one is named)."""
        if self.oauth_client_secret_env:
            return os.environ.get(self.oauth_client_secret_env, "")
        return self.oauth_client_secret


@record
class MailCopies:
    """S6 — Répertoires de copie des mails."""

    sent_folder: str = field(default_factory=lambda: _data("sent"))
    error_folder: str = field(default_factory=lambda: _data("errors"))
    log_folder: str = field(default_factory=lambda: _data("log"))  # where Smtp.log goes
    log_errors_only: bool = False


@record
class Advanced:
    """S7 — Paramètres avancés."""

    delay_seconds: float = 0.0  # "Délai de latence entre deux envois"
    file_extension: str = ".eml"  # ".txt" possible
    use_default_charset: bool = True  # "Code page du corps du message par défaut"
    default_charset: str = "windows-1252"
    charset: str = ""  # "Sinon, utiliser le texte suivant"
    allow_html: bool = True
    allow_rtf: bool = False
    base64_body: bool = True  # else 8bit
    process_cid: bool = True
    one_to_per_recipient: bool = False
    fold_subject: bool = False
    omit_closing_boundaries: bool = False

    def body_charset(self) -> str:
        return self.default_charset if self.use_default_charset or not self.charset else self.charset


@record
class Debug:
    """S8 — debug trace (Divers / Activer le debug)."""

    trace: bool = False
    trace_folder: str = field(default_factory=lambda: str(paths.log_dir() / "trace"))


@record
class Directory:
    """Where the customer/contact directory lives."""

    database_url: str = ""  # empty: sqlite file in the user data folder


@record
class DocumentLimits:
    """What one input document may hold (formats.limits.Limits); beyond, it is refused naming the limit."""

    max_file_mb: int = 200
    max_pages: int = 10_000
    max_items: int = 20_000  # per page; a table counts one per row
    max_depth: int = 32  # JSON nesting of a .spv

    def to_limits(self) -> Any:
        from formats.limits import Limits

        return Limits(self.max_file_mb, self.max_pages, self.max_items, self.max_depth)


@record
class Extract:
    """Lecture des documents imprimés: document info read from the first page of documents that carry none.

    Each rule is a regular expression with one group (the value), ignoring case; empty: not read.
    """

    kind: str = ""
    number: str = ""
    date: str = ""
    customer: str = ""
    contact: str = ""
    language: str = ""
    region: str = ""  # "left top right bottom" in mm on the first page; empty: the whole page
    customer_region: str = ""  # the same for the customer rule alone (the address block)
    customer_by_name: bool = False  # the customer rule finds a name: look its code up in the directory

    def rules(self) -> Any:
        """The formats.extract.Rules of these settings (RuleError when one is unusable)."""
        from formats.extract import Rules, parse_region

        return Rules(self.kind, self.number, self.date, self.customer, self.contact, self.language,
                     parse_region(self.region), parse_region(self.customer_region, "customer_region"))


@record
class ConnectionProfile:
    """A connected-mode profile: an application server and the user to log in as."""

    name: str = ""
    url: str = ""
    user: str = ""
    ca_file: str = ""


@record
class Templates:
    """Subject/body template overrides, keyed "kind.language" (e.g. "devis.fr")."""

    subjects: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)


@record
class PrinterQueue:
    """The local printer queue "spoolview" (`spoolview printer install`): where jobs go, what happens next."""

    folder: str = ""  # where each print job is written (empty: the data folder's "printed/")
    mode: str = "open"  # open: also open it in the running viewer; watch: leave it to the watched folder
    # `spoolview printer serve`, the network printer (its jobs go to `folder`, for the watched-folder rules):
    port: int = 8631  # 0: any free port
    listen: str = "127.0.0.1"  # loopback only; "0.0.0.0" (or this computer's address) for the office
    name: str = "spoolview"  # the printer's name on the network
    users: list[str] = field(default_factory=list)  # empty: anyone who reaches the port; else only these (TLS needed)
    tls_cert: str = ""  # PEM certificate chain: the printer speaks IPP over TLS (ipps://)
    tls_key: str = ""  # its PEM private key
    max_job_mb: float = 50.0  # larger jobs are refused


@record
class Watch:
    """The watched folder: `spoolview watch` without FOLDER runs from here (a service, a desktop session)."""

    enabled: bool = False  # `spoolview watch` without FOLDER runs only when true
    folder: str = ""  # where the ERP (or the printer queue) drops complete documents
    done: str = ""  # sent documents; empty: FOLDER/done
    failed: str = ""  # documents not sent, each with NAME.log; empty: FOLDER/failed
    hold: str = ""  # documents a rule holds for review, each with NAME.log; empty: FOLDER/hold
    rules: str = ""  # the rules file (TOML, docs/batch.md); empty: every document is sent with the defaults
    settle: float = 2.0  # seconds a file must stay unchanged to be complete
    interval: float = 5.0  # seconds between two scans (shares where inotify sees nothing)
    jobs: int = 1  # worker processes converting documents (as `send --jobs`); the sends stay one at a time


@record
class Settings:
    """Everything a user configures. ``load()``/``save()`` live in this module."""

    printing: Printing = field(default_factory=Printing)
    pdf: PdfConversion = field(default_factory=PdfConversion)
    routing: AddressRouting = field(default_factory=AddressRouting)
    service: SmtpService = field(default_factory=SmtpService)
    functions: SmtpFunctions = field(default_factory=SmtpFunctions)
    copies: MailCopies = field(default_factory=MailCopies)
    advanced: Advanced = field(default_factory=Advanced)
    debug: Debug = field(default_factory=Debug)
    directory: Directory = field(default_factory=Directory)
    limits: DocumentLimits = field(default_factory=DocumentLimits)
    extract: Extract = field(default_factory=Extract)
    printer: PrinterQueue = field(default_factory=PrinterQueue)
    watch: Watch = field(default_factory=Watch)
    templates: Templates = field(default_factory=Templates)
    active_environment: str = "default"
    environments: dict[str, Environment] = field(default_factory=lambda: {"default": Environment()})
    profiles: dict[str, ConnectionProfile] = field(default_factory=dict)
    path: Path | None = None  # the file it was loaded from (not stored)
    # Keys of the file this version does not know ("section.key"): reported by check(),
    # written back unchanged by save() (their values are in ``unknown_values``).
    unknown_keys: list[str] = field(default_factory=list)
    unknown_values: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def environment(self) -> Environment:
        """The active environment (created empty if missing)."""
        return self.environments.setdefault(self.active_environment, Environment())

    def from_identity(self) -> str:
        """The From of the route in force (functions when direct, else service)."""
        if self.functions.send_direct:
            return self.functions.from_identity or self.service.from_identity
        return self.service.from_identity or self.functions.from_identity


# ---------------------------------------------------------------------------------------
# Reading, writing and checking the settings file.
# ---------------------------------------------------------------------------------------


# Table name in the file -> dataclass of that screen.
SECTIONS: dict[str, type] = {
    "printing": Printing,
    "pdf": PdfConversion,
    "routing": AddressRouting,
    "service": SmtpService,
    "functions": SmtpFunctions,
    "copies": MailCopies,
    "advanced": Advanced,
    "debug": Debug,
    "directory": Directory,
    "limits": DocumentLimits,
    "extract": Extract,
    "printer": PrinterQueue,
    "watch": Watch,
}
# Settings whose value is one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {
    "printing.language": ("auto", "fr", "en"),
    "pdf.protection": ("none", "no-modify", "password"),
    "pdf.password_policy": ("no", "yes", "ask"),
    "functions.tls_mode": ("starttls", "implicit"),
    "functions.auth": ("password", "oauth2"),
    "functions.oauth_provider": ("microsoft", "google", "custom"),
    "printer.mode": ("open", "watch"),
}
ENVIRONMENT_KEYS = ("smtp_user", "smtp_password")
PROFILE_KEYS = ("url", "user", "ca_file")
TEMPLATE_KEYS = ("subjects", "bodies")
ROUTE_PREFIXES = ("SERV_SMTP",)
SECRETS_TABLE = "secrets"
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_TRUE = ("true", "yes", "on", "1", "oui", "vrai")
_FALSE = ("false", "no", "off", "0", "non", "faux")


class SettingsError(SpoolviewError):
    """The settings file cannot be read or a value is wrong; says which and what to do."""


@record
class Problem:
    """One finding of ``check()``: the dotted key and a sentence saying what to do.

    ``message`` is the English sentence (logs, tests); ``msgid`` and ``params`` word it in the
    interface language (``text(lang)``, from viewer/locale/messages.<lang>.json); a problem
    that quotes an error (a rules file, an extraction rule) words that error instead.
    """

    key: str
    message: str
    msgid: str = ""
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"

    def text(self, lang: str) -> str:
        """The sentence in ``lang`` (fr, en)."""
        from viewer.messages import describe, text

        cause = self.params.get("error")
        if not self.msgid:
            return describe(cause, lang) if isinstance(cause, BaseException) else self.message
        return text(lang, self.msgid, **{k: describe(v, lang) if isinstance(v, BaseException) else v
                                         for k, v in self.params.items()})


Said = tuple[str, dict[str, object]]  # a problem's words: (msgid without "settings.problem.", params)


def _problem(key: str, said: Said) -> Problem:
    """The Problem of ``key`` worded by ``said``, its English sentence from the catalogue."""
    msgid, params = said
    problem = Problem(key, "", f"settings.problem.{msgid}", params)
    problem.message = problem.text("en")
    return problem


def _quoting(key: str, error: BaseException) -> Problem:
    """A Problem whose sentence is ``error``'s own (worded in the interface language when it has a code)."""
    from viewer.messages import describe

    return Problem(key, describe(error, "en"), "", {"error": error})


def _refused(msgid: str, **params: object) -> SettingsError:
    """A SettingsError worded by ``msgid`` (its English text from the catalogue, as logs keep it)."""
    from viewer.messages import text

    return SettingsError(text("en", msgid, **params), msgid=msgid, params=params)


def smtp_secret_name(environment: str) -> str:
    """Name under which an environment's SMTP password is stored."""
    return f"smtp:{environment}"


def server_secret_name(profile: str) -> str:
    """Name under which a connection profile's token or password is stored."""
    return f"server:{profile}"


# --- types -------------------------------------------------------------------------------


ADVICE = tomlconfig.words("correct the file by hand (it was left unchanged)", "settings.advice.by_hand")


class _Reader:
    """Applies a parsed TOML document to a Settings through the one loader (viewer.tomlconfig);
    unknown keys are kept (written back on save) and reported by ``settings check``."""

    def __init__(self, path: Path, text: str, settings: Settings) -> None:
        self.settings = settings
        self.toml = tomlconfig.TomlFile(path, text, error=SettingsError, advice=ADVICE,
                                        hide=lambda dotted: "password" in dotted or "secret" in dotted or dotted.startswith(SECRETS_TABLE))

    def fail(self, table: tuple[str, ...], key: str, what: str | SpoolviewError) -> SpoolviewError:
        return self.toml.fail(table, key, what)

    def table(self, table: tuple[str, ...], key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            dotted = ".".join((*table, key))
            raise self.fail(table, key, tomlconfig.words(f"must be a table [{dotted}], found {value!r}", "toml.must_table",
                                                         table=dotted, found=repr(value)))
        return value

    def fields(self, obj: Any, table: tuple[str, ...], data: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
        self.toml.load(obj, data, table, unknown="keep", skip=skip)

    def apply(self, data: dict[str, Any]) -> None:
        s = self.settings
        for key, value in data.items():
            if key in SECTIONS:
                self.fields(getattr(s, key), (key,), self.table((), key, value))
            elif key == "templates":
                for sub, entries in self.table((), key, value).items():
                    if sub not in TEMPLATE_KEYS:
                        self.toml.unknown[(key, sub)] = entries
                        continue
                    getattr(s.templates, sub).update(self.toml.value(dict[str, str], entries, (key,), sub))
            elif key == "active_environment":
                s.active_environment = self.toml.value(str, value, (), key)
            elif key == "environments":
                s.environments = {}
                for name, entry in self.table((), key, value).items():
                    env = Environment()
                    self.fields(env, (key, name), self.table((key,), name, entry))
                    s.environments[name] = env
            elif key == "profiles":
                for name, entry in self.table((), key, value).items():
                    profile = ConnectionProfile(name=name)
                    self.fields(profile, (key, name), self.table((key,), name, entry), skip=("name",))
                    s.profiles[name] = profile
            elif key == SECRETS_TABLE:
                self.table((), key, value)  # read by get_secret(); must be a table
            else:
                self.toml.unknown[(key,)] = value
        for path, value in self.toml.unknown.items():
            s.unknown_keys.append(".".join(path))
            s.unknown_values[path] = value


def _read_toml(path: Path) -> tuple[dict[str, Any], str] | None:
    """The parsed file and its text, None when it does not exist; SettingsError if broken."""
    return tomlconfig.read(path, SettingsError, advice=tomlconfig.words(
        "correct it by hand or move it away to start from the defaults (it was left unchanged)", "settings.advice.move_away"))


def load(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default: the per-user file); defaults when it is missing."""
    path = Path(path) if path is not None else paths.config_file()
    settings = Settings(path=path)
    parsed = _read_toml(path)
    if parsed is not None:
        data, text = parsed
        _Reader(path, text, settings).apply(data)
    return settings


# --- writing -----------------------------------------------------------------------------


def as_dict(settings: Settings, redact: bool = True) -> dict[str, Any]:
    """The settings as nested tables like the file; passwords only when ``redact`` is False."""
    data: dict[str, Any] = {"active_environment": settings.active_environment}
    for name in SECTIONS:
        data[name] = dataclasses.asdict(getattr(settings, name))
    data["templates"] = {"subjects": dict(settings.templates.subjects), "bodies": dict(settings.templates.bodies)}
    envs: dict[str, Any] = {}
    for name, env in settings.environments.items():
        envs[name] = {"smtp_user": env.smtp_user}
        if not redact and env.smtp_password:
            envs[name]["smtp_password"] = env.smtp_password
    data["environments"] = envs
    data["profiles"] = {
        name: {key: getattr(p, key) for key in PROFILE_KEYS} for name, p in settings.profiles.items()
    }
    return data


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return
        node = child
    node.setdefault(path[-1], value)


def kind_name(example: Any) -> str:
    """How a TOML value like ``example`` is described to a person ("a whole number", …)."""
    return tomlconfig.describe(example)


def _atomic_write(path: Path, data: dict[str, Any]) -> None:
    """Write TOML to a temporary file in the same folder, fsync it, then rename it in place."""
    parent = path.parent
    if not parent.exists():
        paths.ensure_private_dir(parent)
        os.chmod(parent, 0o700)
    import tomli_w  # only when saving

    write_durable(path, tomli_w.dumps(data).encode("utf-8"), mode=0o600, strict=False)


def _file_secrets(path: Path) -> dict[str, str]:
    parsed = _read_toml(path)
    if parsed is None:
        return {}
    table = parsed[0].get(SECRETS_TABLE, {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise SettingsError(f"{path}: the [{SECRETS_TABLE}] table must hold texts only; correct it by hand")
    return dict(table)


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically (mode 0600); passwords to the keyring, else the file.

    An existing file that cannot be parsed is never overwritten (SettingsError).
    """
    path = Path(path) if path is not None else settings.path or paths.config_file()
    stored = _file_secrets(path)  # also refuses to overwrite a broken file
    data = as_dict(settings, redact=True)
    for key_path, value in settings.unknown_values.items():
        _put(data, key_path, value)
    for name, env in settings.environments.items():
        if env.smtp_password:
            secret = smtp_secret_name(name)
            if _keyring.keyring_set(secret, env.smtp_password):
                stored.pop(secret, None)
            else:
                stored[secret] = env.smtp_password
    if stored:
        data[SECRETS_TABLE] = stored
    try:
        _atomic_write(path, data)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be written ({exc.strerror}); check the folder's permissions") from None
    settings.path = path
    return path


# --- secrets -----------------------------------------------------------------------------


def _update_file_secrets(path: Path, name: str, value: str | None) -> None:
    parsed = _read_toml(path)
    data = parsed[0] if parsed else {}
    table = data.get(SECRETS_TABLE, {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: the [{SECRETS_TABLE}] table is not a table; correct it by hand")
    if value is None:
        if name not in table:
            return
        table.pop(name)
    else:
        table[name] = value
    if table:
        data[SECRETS_TABLE] = table
    else:
        data.pop(SECRETS_TABLE, None)
    try:
        _atomic_write(path, data)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be written ({exc.strerror}); check the folder's permissions") from None


def get_secret(name: str, path: Path | None = None) -> str:
    """The secret ``name`` from the keyring, else from the settings file; "" when absent."""
    value = _keyring.keyring_get(name)
    if value is not None:
        return value
    return _file_secrets(Path(path) if path is not None else paths.config_file()).get(name, "")


def set_secret(name: str, value: str, path: Path | None = None) -> str:
    """Store a secret; answers where it went: "keyring" or "file" ("" when deleted)."""
    path = Path(path) if path is not None else paths.config_file()
    if not value:
        delete_secret(name, path)
        return ""
    if _keyring.keyring_set(name, value):
        if path.exists():
            _update_file_secrets(path, name, None)
        return "keyring"
    _update_file_secrets(path, name, value)
    return "file"


def delete_secret(name: str, path: Path | None = None) -> None:
    """Forget a secret in both the keyring and the settings file."""
    path = Path(path) if path is not None else paths.config_file()
    _keyring.keyring_delete(name)
    if path.exists():
        _update_file_secrets(path, name, None)


def get_password(settings: Settings, environment: str | None = None) -> str:
    """The SMTP password of ``environment`` (default: the active one); "" when none."""
    name = environment or settings.active_environment
    env = settings.environments.get(name)
    if env is not None and env.smtp_password:
        return env.smtp_password
    value = get_secret(smtp_secret_name(name), settings.path)
    if env is not None and value:
        env.smtp_password = value
    return value


def set_password(settings: Settings, password: str, environment: str | None = None) -> str:
    """Store the SMTP password of ``environment`` (default: the active one) right away.

    Answers where it went ("keyring" or "file"; "" when an empty password deleted it).
    """
    name = environment or settings.active_environment
    if not _NAME_RE.match(name):
        raise _refused("settings.error.environment_name", name=name)
    if password:
        from viewer.saslprep import saslprep

        saslprep(password, stored=True)  # SaslprepError (which character, where) before anything is stored
    env = settings.environments.setdefault(name, Environment())
    where = set_secret(smtp_secret_name(name), password, settings.path)
    env.smtp_password = password
    return where


# --- changing one value ------------------------------------------------------------------


def _parse(key: str, raw: str, typ: Any) -> Any:
    text = raw.strip()
    if typing.get_origin(typ) is list:  # "anne, paul" -> ["anne", "paul"]
        return [part.strip() for part in text.split(",") if part.strip()]
    if typ is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise _refused("settings.error.bool", key=key, value=raw)
    if typ is int:
        try:
            return int(text)
        except ValueError:
            raise _refused("settings.error.int", key=key, value=raw) from None
    if typ is float:
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise _refused("settings.error.float", key=key, value=raw) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise _refused("settings.error.finite", key=key, value=raw)
        return value
    return raw


def is_loopback(host: str) -> bool:
    """viewer.mail.credentials.is_loopback, imported when a setting is checked (not by every command)."""
    from viewer.mail.credentials import is_loopback as loopback

    return loopback(host)


def _valid_keys() -> list[str]:
    keys = ["active_environment"]
    for name, cls in SECTIONS.items():
        keys += [f"{name}.{f.name}" for f in dataclasses.fields(cls)]
    keys += ["environments.NAME.smtp_user", *(f"profiles.NAME.{k}" for k in PROFILE_KEYS)]
    keys += ["templates.subjects.KIND.LANG", "templates.bodies.KIND.LANG"]
    return keys


# Values no setting can take: refused by set_value (a hand-edited file is told by check()).
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "functions.port": (0, 65535),
    "functions.timeout": (0.1, None),
    "advanced.delay_seconds": (0, None),
    "printer.port": (0, 65535),
    "printer.max_job_mb": (0.001, None),
    "watch.settle": (0, None),
    "watch.interval": (0.1, None),
    "watch.jobs": (1, 64),
}


def set_value(settings: Settings, key: str, value: str) -> None:
    """Set one setting from text, e.g. ``set_value(s, "functions.port", "587")``."""
    parts = key.split(".")
    head = parts[0]
    if head in SECTIONS and len(parts) == 2:
        section = getattr(settings, head)
        hints = typing.get_type_hints(type(section))
        if parts[1] not in hints:
            raise _refused("settings.error.unknown_in_section", key=key, section=head,
                           keys=", ".join(f"{head}.{f.name}" for f in dataclasses.fields(section)))
        converted = _parse(key, value, hints[parts[1]])
        if key in CHOICES and converted not in CHOICES[key]:
            raise _refused("settings.error.choice", key=key, choices=", ".join(CHOICES[key]), value=value)
        low, high = _RANGES.get(key, (None, None))
        if (low is not None and converted < low) or (high is not None and converted > high):
            if high is not None:
                raise _refused("settings.error.range", key=key, low=low, high=high, value=value)
            raise _refused("settings.error.minimum", key=key, low=low, value=value)
        setattr(section, parts[1], converted)
    elif key == "active_environment":
        if value not in settings.environments:
            known = ", ".join(sorted(settings.environments))
            raise _refused("settings.error.environment", name=value, known=known) if known else \
                _refused("settings.error.environment_none", name=value)
        settings.active_environment = value
    elif head in ("environments", "profiles") and len(parts) == 3:
        name, field_name = parts[1], parts[2]
        if not _NAME_RE.match(name):
            raise _refused("settings.error.environment_name" if head == "environments" else "settings.error.profile_name", name=name)
        if head == "environments":
            if field_name == "smtp_password":
                raise _refused("settings.error.password_key", name=name)
            if field_name not in ENVIRONMENT_KEYS:
                raise _refused("settings.error.unknown_environment_key", key=key)
            settings.environments.setdefault(name, Environment()).smtp_user = value
        else:
            if field_name not in PROFILE_KEYS:
                raise _refused("settings.error.unknown_profile_key", key=key, keys=", ".join(PROFILE_KEYS))
            setattr(settings.profiles.setdefault(name, ConnectionProfile(name=name)), field_name, value)
    elif head == "templates" and len(parts) >= 3 and parts[1] in TEMPLATE_KEYS:
        table = getattr(settings.templates, parts[1])
        name = ".".join(parts[2:])
        if value:
            table[name] = value
        else:
            table.pop(name, None)
    else:
        import difflib  # only for a mistyped key

        close = difflib.get_close_matches(key, _valid_keys(), n=1)
        if close:
            raise _refused("settings.error.unknown_close", key=key, close=close[0], keys=", ".join(_valid_keys()))
        raise _refused("settings.error.unknown", key=key, keys=", ".join(_valid_keys()))


# --- checking ----------------------------------------------------------------------------


def _folder_problem(folder: str) -> Said | None:
    """Why ``folder`` cannot be used (exists and writable, or creatable), or None."""
    if not folder.strip():
        return "folder.none", {}
    target = Path(folder).expanduser()
    if target.exists():
        if not target.is_dir():
            return "folder.not_folder", {"target": target}
        if not os.access(target, os.W_OK | os.X_OK):
            return "folder.not_writable", {"target": target}
        return None
    parent = target.parent
    for _ in range(len(target.parts)):
        if parent.exists() or parent == parent.parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        return "folder.parent_not_folder", {"target": target, "parent": parent}
    if not os.access(parent, os.W_OK | os.X_OK):
        return "folder.parent_not_writable", {"target": target, "parent": parent}
    return None


def _route_problem(address_type: str, template: str) -> Said | None:
    if not template:
        if address_type == "EMAIL":
            return "route.email_missing", {}
        return None
    prefix, sep, rest = template.partition(":")
    if not sep or prefix not in ROUTE_PREFIXES:
        return "route.prefix", {"template": template, "prefix": prefix, "supported": ", ".join(f"{p}:" for p in ROUTE_PREFIXES)}
    if rest.count("%ADR%") != 1:
        return "route.adr", {"template": template}
    if any(c.isspace() for c in rest):
        return "route.spaces", {"template": template}
    return None


def _address_problem(value: str) -> Said | None:
    from email.utils import parseaddr

    if "\r" in value or "\n" in value:
        return "address.line_break", {}
    _name, address = parseaddr(value)
    if not address or address.count("@") != 1 or not all(address.split("@")):
        return "address.invalid", {"value": value}
    return None


def _charset_problem(name: str) -> Said | None:
    try:
        codecs.lookup(name)
    except LookupError:
        return "charset.unknown", {"name": name}
    return None


def _oauth_problems(settings: Settings) -> list[Problem]:
    """What stops an OAuth 2.0 sign-in or send with these settings (functions.auth = oauth2)."""
    import shlex

    fn, found = settings.functions, []
    if not fn.oauth_client_id.strip():
        found.append(_problem("functions.oauth_client_id", ("oauth.client_id", {})))
    if fn.oauth_provider == "microsoft" and not fn.oauth_tenant.strip():
        found.append(_problem("functions.oauth_tenant", ("oauth.tenant", {})))
    if fn.oauth_provider == "custom":
        parts = urlsplit(fn.oauth_issuer or fn.oauth_token_url)
        if not (fn.oauth_issuer or fn.oauth_token_url):
            found.append(_problem("functions.oauth_issuer", ("oauth.issuer_missing", {})))
        elif parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
            found.append(_problem("functions.oauth_issuer", ("oauth.issuer_plain", {"url": fn.oauth_issuer or fn.oauth_token_url})))
    if fn.oauth_browser:
        try:
            if not shlex.split(fn.oauth_browser):
                raise ValueError
        except ValueError:
            found.append(_problem("functions.oauth_browser", ("oauth.browser", {"command": fn.oauth_browser})))
    env = settings.environment
    if not (env.oauth_client_secret or env.oauth_client_secret_env) and fn.oauth_client_id:
        from viewer.oauth.store import load_tokens

        try:
            stored = load_tokens(settings)
        except SpoolviewError:
            stored = None
        if stored is None:
            found.append(_problem(f"environments.{settings.active_environment}", ("oauth.not_signed_in", {})))
    return found


def _watch_problems(settings: Settings) -> list[Problem]:
    """What stops `spoolview watch` (without FOLDER) from running with these settings."""
    watch, found = settings.watch, []
    if watch.enabled and not watch.folder.strip():
        found.append(_problem("watch.folder", ("watch.no_folder", {})))
    if watch.folder.strip() and not Path(watch.folder).expanduser().is_dir():
        found.append(_problem("watch.folder", ("watch.not_folder", {"folder": watch.folder})))
    for name in ("done", "failed", "hold"):
        value = getattr(watch, name)
        if value.strip():
            problem = _folder_problem(value)
            if problem:
                found.append(_problem(f"watch.{name}", problem))
    if watch.settle < 0:
        found.append(_problem("watch.settle", ("watch.settle", {})))
    if watch.interval < 0.1:
        found.append(_problem("watch.interval", ("watch.interval", {})))
    if not 1 <= watch.jobs <= 64:
        found.append(_problem("watch.jobs", ("watch.jobs", {})))
    if watch.rules.strip():
        from viewer import watchrules

        try:
            watchrules.load(Path(watch.rules).expanduser(), settings, password="(checked when the watcher starts)")
        except watchrules.RulesError as exc:
            found.append(_quoting("watch.rules", exc))
    return found


def _password_problem(name: str, password: str) -> Said | None:
    """Why an environment's password (as typed in the settings window) cannot be stored, or None."""
    from viewer.saslprep import SaslprepError, saslprep

    try:
        saslprep(password, stored=True)
    except SaslprepError as exc:
        return "env.password_refused", {"name": name, "reason": exc}
    return None


def check(settings: Settings) -> list[Problem]:
    """Every problem in the settings, each with its key and what to do; [] when all is well."""
    found: list[Problem] = []

    def add(key: str, said: Said | None) -> None:
        if said:
            found.append(_problem(key, said))

    for key in settings.unknown_keys:
        add(key, ("unknown_key", {}))
    for key, allowed in CHOICES.items():
        section, name = key.split(".")
        value = getattr(getattr(settings, section), name)
        if value not in allowed:
            add(key, ("choice", {"value": value, "allowed": ", ".join(allowed)}))

    # S1 printing, S8 debug, S4/S6 folders.
    if settings.printing.journal:
        add("printing.journal_folder", _folder_problem(settings.printing.journal_folder))
    add("debug.trace_folder", _folder_problem(settings.debug.trace_folder))
    add("service.pickup_folder", _folder_problem(settings.service.pickup_folder))
    for name in ("sent_folder", "error_folder", "log_folder"):
        add(f"copies.{name}", _folder_problem(getattr(settings.copies, name)))

    # The network printer (`printer serve`): no password in clear on the network.
    if settings.printer.users and not (settings.printer.tls_cert and settings.printer.tls_key):
        add("printer.users", ("printer.users", {}))

    # S2 PDF.
    pdf = settings.pdf
    if pdf.pdfa and pdf.protection != "none":
        add("pdf.pdfa", ("pdf.pdfa", {"protection": pdf.protection}))
    if pdf.protection == "password" and pdf.password_policy == "no":
        add("pdf.password_policy", ("pdf.policy_no", {}))
    if pdf.password_policy in ("yes", "ask") and pdf.protection == "none":
        add("pdf.protection", ("pdf.protection_none", {"policy": pdf.password_policy}))
    if pdf.use_external and not pdf.external_command.strip():
        add("pdf.external_command", ("pdf.external_missing", {}))
    elif pdf.use_external and ("{input}" not in pdf.external_command or "{output}" not in pdf.external_command):
        add("pdf.external_command", ("pdf.external_placeholders", {}))

    # S3 routing.
    for address_type in ADDRESS_TYPES:
        add(f"routing.{address_type.lower()}", _route_problem(address_type, settings.routing.template(address_type)))

    # S4 / S5 identities and the SMTP server.
    fn = settings.functions
    for key, value in (("service.from_identity", settings.service.from_identity), ("functions.from_identity", fn.from_identity)):
        if value:
            add(key, _address_problem(value))
    if not settings.from_identity():
        add("service.from_identity", ("from_missing", {}))
    if fn.send_direct and not fn.host.strip():
        add("functions.host", ("host_missing", {}))
    if fn.host and (any(c.isspace() for c in fn.host) or "/" in fn.host or ":" in fn.host.strip("[]")):
        add("functions.host", ("host_invalid", {"host": fn.host}))
    if not 0 <= fn.port <= 65535:
        add("functions.port", ("port_range", {"port": fn.port}))
    port = fn.effective_port()
    if fn.ssl and fn.tls_mode == "implicit" and port == 25:
        add("functions.port", ("port_implicit_25", {}))
    elif fn.ssl and port == 25:
        add("functions.port", ("port_ssl_25", {}))
    if not fn.ssl and port == 465:
        add("functions.ssl", ("ssl_465", {}))
    user = settings.environments.get(settings.active_environment, Environment()).smtp_user
    oauth = fn.auth == "oauth2"
    if fn.send_direct and (user or oauth) and not fn.ssl and not is_loopback(fn.host):
        which = ("ssl_user_token" if oauth else "ssl_user_password") if user else "ssl_oauth"
        add("functions.ssl", (which, {"user": user, "host": fn.host}))
    if oauth:
        for problem in _oauth_problems(settings):
            found.append(problem)
    if fn.timeout <= 0:
        add("functions.timeout", ("timeout", {}))
    if fn.ca_file and not Path(fn.ca_file).expanduser().is_file():
        add("functions.ca_file", ("ca_file", {"file": fn.ca_file}))
    if fn.domain and any(c.isspace() for c in fn.domain):
        add("functions.domain", ("domain", {"domain": fn.domain}))

    # Environments.
    if settings.active_environment not in settings.environments:
        known = ", ".join(sorted(settings.environments))
        add("active_environment", ("env_unknown", {"name": settings.active_environment, "known": known}) if known
            else ("env_unknown_none", {"name": settings.active_environment}))
    for name, env in settings.environments.items():
        if not _NAME_RE.match(name):
            add(f"environments.{name}", ("env_name", {}))
        if env.smtp_password:
            add(f"environments.{name}.smtp_password", _password_problem(name, env.smtp_password))
        if env.smtp_user and not env.smtp_password and fn.auth == "password":
            try:
                has_password = bool(get_password(settings, name))
            except SettingsError:
                has_password = False
            if not has_password:
                add(f"environments.{name}.smtp_password", ("env_no_password", {"user": env.smtp_user, "name": name}))

    # S7 advanced.
    adv = settings.advanced
    if adv.delay_seconds < 0:
        add("advanced.delay_seconds", ("delay", {}))
    ext = adv.file_extension
    if not ext.startswith(".") or len(ext) < 2 or any(c in ext for c in "/\\ \t") or ext.count(".") != 1:
        add("advanced.file_extension", ("extension", {"ext": ext}))
    add("advanced.default_charset", _charset_problem(adv.default_charset))
    if adv.charset:
        add("advanced.charset", _charset_problem(adv.charset))
    elif not adv.use_default_charset:
        add("advanced.charset", ("charset_missing", {}))
    if adv.allow_html and adv.allow_rtf:
        add("advanced.allow_rtf", ("html_rtf", {}))

    # Document limits and the extraction rules.
    for f in dataclasses.fields(DocumentLimits):
        if getattr(settings.limits, f.name) < 1:
            add(f"limits.{f.name}", ("limit_min", {}))
    if settings.limits.max_depth > 500:
        add("limits.max_depth", ("depth_max", {}))
    from formats.extract import FIELDS as RULE_FIELDS
    from formats.extract import RuleError, compile_rule, parse_region

    for name in RULE_FIELDS:
        pattern = getattr(settings.extract, name)
        if pattern:
            try:
                compile_rule(name, pattern)
            except RuleError as exc:
                found.append(_quoting(f"extract.{name}", exc))
    for name in ("region", "customer_region"):
        try:
            parse_region(getattr(settings.extract, name), name)
        except RuleError as exc:
            found.append(_quoting(f"extract.{name}", exc))
    if settings.extract.customer_by_name and not settings.extract.customer:
        add("extract.customer_by_name", ("customer_by_name", {}))

    # The watched folder.
    for problem in _watch_problems(settings):
        found.append(problem)

    # Directory, profiles, templates.
    if settings.directory.database_url:
        try:
            from sqlalchemy.engine import make_url

            make_url(settings.directory.database_url)
        except Exception:  # noqa: BLE001 - any parse failure is the user's to fix
            add("directory.database_url", ("database_url", {}))
    for name, profile in settings.profiles.items():
        parts = urlsplit(profile.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            add(f"profiles.{name}.url", ("profile_url", {"url": profile.url}))
        elif parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            add(f"profiles.{name}.url", ("profile_plain", {"url": profile.url}))
        if profile.ca_file and not Path(profile.ca_file).expanduser().is_file():
            add(f"profiles.{name}.ca_file", ("profile_ca", {"file": profile.ca_file}))
    for sub in TEMPLATE_KEYS:
        for name in getattr(settings.templates, sub):
            if name.count(".") != 1 or not all(name.split(".")):
                add(f"templates.{sub}.{name}", ("template_key", {}))
    return found
