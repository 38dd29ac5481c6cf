"""Per-user settings S1–S8, grouped like the reference's screens; stored as private TOML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from viewer import paths

# Names of the address types of S3, in the reference's order.
ADDRESS_TYPES = ("EMAIL", "EMAIL2", "FAX", "FAX2")


def _data(sub: str) -> str:
    return str(paths.data_dir() / sub)


@dataclass
class Printing:
    """S1 — Impression."""

    journal: bool = False  # "Journalisation des opérations (pour debug)"
    journal_folder: str = field(default_factory=lambda: str(paths.log_dir()))
    no_save_offer: bool = False  # "Ne pas proposer la sauvegarde à chaque aperçu"
    language: str = "auto"  # auto (from the locale), fr, en


@dataclass
class PdfConversion:
    """S2 — Conversion PDF (F2, F3, F4)."""

    convert_mail: bool = True
    convert_fax: bool = True
    convert_fax2: bool = True
    protection: str = "no-modify"  # none | no-modify | password
    password_policy: str = "no"  # "Générer des fichiers PDF protégés par mot de passe": no | yes | ask
    use_external: bool = False  # F4: an external PDF program (reference: Acrobat)
    external_command: str = ""  # e.g. a command line with {input} and {output}


@dataclass
class AddressRouting:
    """S3 — Routage des adresses mail et fax: one template per address type."""

    email: str = "SERV_SMTP:%ADR%"
    email2: str = "SERV_SMTP:%ADR%"
    fax: str = ""  # e.g. SERV_SMTP:%ADR%@fax.example.com ; empty: not configured
    fax2: str = ""

    def template(self, address_type: str) -> str:
        return getattr(self, address_type.lower())


@dataclass
class SmtpService:
    """S4 — Protocole SMTP (par le service smtp): the pickup folder route."""

    pickup_folder: str = field(default_factory=lambda: _data("pickup"))
    from_identity: str = ""  # "De la part de ..."
    use_server_service: bool = False  # "En mode connecté, le service SMTP est sur le serveur"


@dataclass
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
    ca_file: str = ""  # extra CA bundle; certificates are always verified
    timeout: float = 30.0

    def effective_port(self) -> int:
        if self.port:
            return self.port
        if not self.ssl:
            return 25
        return 465 if self.tls_mode == "implicit" else 587


@dataclass
class Environment:
    """One environment's SMTP credentials (the password lives in the keyring or the file)."""

    smtp_user: str = ""
    smtp_password: str = ""  # never printed, logged or traced


@dataclass
class MailCopies:
    """S6 — Répertoires de copie des mails."""

    sent_folder: str = field(default_factory=lambda: _data("sent"))
    error_folder: str = field(default_factory=lambda: _data("errors"))
    log_folder: str = field(default_factory=lambda: _data("log"))  # where Smtp.log goes
    log_errors_only: bool = False


@dataclass
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


@dataclass
class Debug:
    """S8 — debug trace (Divers / Activer le debug)."""

    trace: bool = False
    trace_folder: str = field(default_factory=lambda: str(paths.log_dir() / "trace"))


@dataclass
class Directory:
    """Where the customer/contact directory lives."""

    database_url: str = ""  # empty: sqlite file in the user data folder


@dataclass
class ConnectionProfile:
    """A connected-mode profile: an application server and the user to log in as."""

    name: str = ""
    url: str = ""
    user: str = ""
    ca_file: str = ""


@dataclass
class Templates:
    """Subject/body template overrides, keyed "kind.language" (e.g. "devis.fr")."""

    subjects: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)


@dataclass
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
    templates: Templates = field(default_factory=Templates)
    active_environment: str = "default"
    environments: dict[str, Environment] = field(default_factory=lambda: {"default": Environment()})
    profiles: dict[str, ConnectionProfile] = field(default_factory=dict)
    path: Path | None = None  # the file it was loaded from (not stored)

    @property
    def environment(self) -> Environment:
        """The active environment (created empty if missing)."""
        return self.environments.setdefault(self.active_environment, Environment())

    def from_identity(self) -> str:
        """The From of the route in force (functions when direct, else service)."""
        if self.functions.send_direct:
            return self.functions.from_identity or self.service.from_identity
        return self.service.from_identity or self.functions.from_identity
