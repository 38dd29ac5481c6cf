"""The relay's configuration (relay.toml): dataclasses, loading and validation."""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from viewer import paths, tomlconfig
from viewer.errors import SpoolviewError
from viewer.mail.credentials import is_loopback

__all__ = [
    "RelayConfig",
    "QueueConfig",
    "PickupConfig",
    "ListenerConfig",
    "SmartHostConfig",
    "RetryConfig",
    "ReportConfig",
    "LogConfig",
    "ConfigError",
    "load_config",
    "listener_processes",
    "workers_supported",
    "check_password_env",
    "default_config_path",
]

SECURITY_MODES = ("none", "starttls", "tls")
AUTH_MODES = ("password", "oauth2")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
PROCESSES_MAX = 64


class ConfigError(SpoolviewError):
    """relay.toml is missing, unreadable or has a wrong value (names the file and the key)."""


@dataclass
class QueueConfig:
    folder: str = ""  # holds incoming/ active/ deferred/ badmail/ meta/ (same file system as pickup)
    badmail_folder: str = ""  # empty: <folder>/badmail
    max_message_size: int = 10 * 1024 * 1024  # bytes; bigger pickup files go to badmail
    lease_seconds: float = 120.0  # a peer silent this long has its in-flight messages taken back


@dataclass
class PickupConfig:
    folder: str = ""  # empty: no pickup folder watched
    events: bool = True  # inotify/FSEvents through watchdog; the periodic scan always runs
    scan_interval: float = 1.0  # seconds between two scans (the only way on SMB/NFS shares)
    settle_seconds: float = 0.0  # take a file only once unchanged this long (writers that do not rename)


@dataclass
class ListenerConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 2525
    hostname: str = ""  # name in the greeting; empty: this machine's name
    tls_cert: str = ""  # PEM certificate chain: enables STARTTLS
    tls_key: str = ""  # PEM private key
    require_tls: bool = False  # refuse MAIL before STARTTLS
    relay_networks: list[str] = field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])  # IPv4 and IPv6 loopback
    users: dict[str, str] = field(default_factory=dict)  # AUTH user -> password (TLS only)
    max_recipients: int = 100  # RCPT per message; more get "452 4.5.3 Too many recipients"
    max_connections: int = 100  # connections at once, all clients together (then "421")
    max_connections_per_client: int = 10  # connections at once from one client address
    idle_timeout: float = 60.0  # seconds a client may stay silent before it is disconnected
    auth_max_failures: int = 3  # wrong logins on one connection before it is closed
    auth_delay: float = 1.0  # seconds the next AUTH of a failing address waits; doubles per failure (max 30)
    # Processes running SMTP sessions. 0: one per CPU core this process may use; 1: the
    # sessions run in the relay process itself. Above 1 (Linux), the relay process accepts
    # every connection, enforces the limits above for all of them, and hands it to a worker.
    processes: int = 0


@dataclass
class SmartHostConfig:
    host: str = ""
    port: int = 0  # 0: 25, 587 with starttls, 465 with tls
    security: str = "none"  # none | starttls | tls
    ca_file: str = ""  # extra CA bundle; certificates are always verified
    user: str = ""
    password: str = ""  # never logged; or password_env
    password_env: str = ""  # name of an environment variable holding the password
    helo: str = ""  # EHLO name; empty: this machine's name
    timeout: float = 30.0
    connections: int = 2  # parallel connections to the smart host
    idle_close: float = 10.0  # close an idle connection after this many seconds
    auth: str = "password"  # password | oauth2 (client credentials grant; ``user`` is the mailbox to send as)
    oauth_issuer: str = ""  # issuer URL (token endpoint discovered), or oauth_token_url
    oauth_token_url: str = ""
    oauth_client_id: str = ""
    oauth_client_secret: str = ""  # never logged; or oauth_client_secret_env
    oauth_client_secret_env: str = ""  # name of an environment variable holding the client secret
    oauth_scope: str = ""  # e.g. https://outlook.office365.com/.default

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"none": 25, "starttls": 587, "tls": 465}[self.security]

    def secret(self) -> str:
        """The smart host's password (from the file or the environment)."""
        if self.password_env:
            return os.environ.get(self.password_env, "")
        return self.password

    def client_secret(self) -> str:
        """The OAuth client secret (from the file or the environment)."""
        if self.oauth_client_secret_env:
            return os.environ.get(self.oauth_client_secret_env, "")
        return self.oauth_client_secret

    def __repr__(self) -> str:  # never show the password
        return (f"SmartHostConfig(host={self.host!r}, port={self.effective_port}, security={self.security!r}, user={self.user!r}, "
                f"auth={self.auth!r})")


@dataclass
class RetryConfig:
    schedule: list[float] = field(default_factory=lambda: [900.0, 1800.0, 3600.0])  # seconds
    interval: float = 14400.0  # after the schedule: every 4 hours
    max_age: float = 172800.0  # 2 days, then the message fails
    delay_notice: float = 0.0  # send a "delayed" notice after this many seconds (0: never)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if attempt <= len(self.schedule):
            return float(self.schedule[attempt - 1])
        return float(self.interval)


@dataclass
class ReportConfig:
    sender: str = ""  # From: of reports; empty: MAILER-DAEMON@<hostname>
    copies: list[str] = field(default_factory=list)  # addresses getting a copy of every report


@dataclass
class LogConfig:
    folder: str = ""  # empty: <queue folder>/log
    journal: str = "Smtp.log"  # one line per delivery attempt
    journal_errors_only: bool = False
    service_log: str = "relay.log"
    level: str = "INFO"


@dataclass
class RelayConfig:
    queue: QueueConfig = field(default_factory=QueueConfig)
    pickup: PickupConfig = field(default_factory=PickupConfig)
    listener: ListenerConfig = field(default_factory=ListenerConfig)
    smarthost: SmartHostConfig = field(default_factory=SmartHostConfig)
    retry: RetryConfig = field(default_factory=RetryConfig)
    reports: ReportConfig = field(default_factory=ReportConfig)
    log: LogConfig = field(default_factory=LogConfig)
    path: Path | None = None

    @property
    def queue_dir(self) -> Path:
        return Path(self.queue.folder)

    @property
    def badmail_dir(self) -> Path:
        return Path(self.queue.badmail_folder) if self.queue.badmail_folder else self.queue_dir / "badmail"

    @property
    def log_dir(self) -> Path:
        return Path(self.log.folder) if self.log.folder else self.queue_dir / "log"

    @property
    def hostname(self) -> str:
        return self.listener.hostname or _machine_name()

    @property
    def report_sender(self) -> str:
        return self.reports.sender or f"MAILER-DAEMON@{self.hostname}"


@functools.lru_cache(maxsize=1)
def _machine_name() -> str:
    """This machine's name, looked up once (getfqdn may wait on DNS)."""
    return socket.getfqdn() or socket.gethostname() or "localhost"


_SECTIONS = {
    "queue": QueueConfig,
    "pickup": PickupConfig,
    "listener": ListenerConfig,
    "smarthost": SmartHostConfig,
    "retry": RetryConfig,
    "reports": ReportConfig,
    "log": LogConfig,
}


def default_config_path() -> Path:
    """``relay.toml`` in the per-user configuration folder."""
    return paths.config_dir() / "relay.toml"


_PATH_KEYS = (("queue", "folder"), ("queue", "badmail_folder"), ("pickup", "folder"), ("log", "folder"),
              ("smarthost", "ca_file"), ("listener", "tls_cert"), ("listener", "tls_key"))


def _hidden(dotted: str) -> bool:
    """Keys whose value never appears in an error (passwords, client secrets, AUTH users)."""
    return "password" in dotted or "secret" in dotted or dotted.startswith("listener.users")


def from_dict(data: dict[str, Any], source: str = "relay.toml", base: Path | None = None, *, text: str = "") -> RelayConfig:
    """Build and validate a configuration from parsed TOML (relative paths against ``base``).

    ``text`` is the file's text, for the line numbers of errors.
    """
    toml = tomlconfig.TomlFile(source, text, error=ConfigError, hide=_hidden)
    config = toml.load(RelayConfig(), data, skip=("path",))
    if base is not None:
        for sec, name in _PATH_KEYS:
            obj = getattr(config, sec)
            value = getattr(obj, name)
            if value and not Path(value).expanduser().is_absolute():
                setattr(obj, name, str(base / value))
            elif value:
                setattr(obj, name, str(Path(value).expanduser()))
    validate(config, source)
    return config


def validate(config: RelayConfig, source: str = "relay.toml") -> None:
    """Raise ConfigError naming the key when a value cannot work."""
    if not config.queue.folder:
        raise ConfigError(f"{source}: queue.folder is required (the folder holding the relay's queue)")
    if config.queue.max_message_size <= 0:
        raise ConfigError(f"{source}: queue.max_message_size must be a positive number of bytes")
    if config.pickup.settle_seconds < 0:
        raise ConfigError(f"{source}: pickup.settle_seconds must be 0 or more")
    if config.pickup.scan_interval <= 0:
        raise ConfigError(f"{source}: pickup.scan_interval must be above 0 seconds")
    sh = config.smarthost
    if not sh.host:
        raise ConfigError(f"{source}: smarthost.host is required (the provider's SMTP server)")
    if sh.security not in SECURITY_MODES:
        raise ConfigError(f"{source}: smarthost.security must be one of {', '.join(SECURITY_MODES)}, not {sh.security!r}")
    if not 0 <= sh.port <= 65535:
        raise ConfigError(f"{source}: smarthost.port must be 0 (the usual port for smarthost.security) or 1 to 65535")
    if sh.connections < 1 or sh.connections > 64:
        raise ConfigError(f"{source}: smarthost.connections must be between 1 and 64")
    if sh.ca_file and not Path(sh.ca_file).is_file():
        raise ConfigError(f"{source}: smarthost.ca_file {sh.ca_file} does not exist")
    if (sh.password or sh.password_env) and not sh.user:
        given = "smarthost.password" if sh.password else f"smarthost.password_env ({sh.password_env})"
        raise ConfigError(f"{source}: {given} is set but smarthost.user is empty: give the user, "
                          "or empty both password and password_env for a smart host without login")
    if sh.auth not in AUTH_MODES:
        raise ConfigError(f"{source}: smarthost.auth must be one of {', '.join(AUTH_MODES)}, not {sh.auth!r}")
    if sh.auth == "oauth2":
        if not sh.user:
            raise ConfigError(f"{source}: smarthost.auth = \"oauth2\" needs smarthost.user (the mailbox to send as)")
        if not (sh.oauth_issuer or sh.oauth_token_url):
            raise ConfigError(f"{source}: smarthost.auth = \"oauth2\" needs smarthost.oauth_token_url (or smarthost.oauth_issuer)")
        for key in ("oauth_issuer", "oauth_token_url"):
            url = getattr(sh, key)
            parts = urlsplit(url)
            if url and parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
                raise ConfigError(f"{source}: smarthost.{key} {url!r} is not an https address: the client secret would cross the network unencrypted")
        if not sh.oauth_client_id or not (sh.oauth_client_secret or sh.oauth_client_secret_env):
            raise ConfigError(f"{source}: smarthost.auth = \"oauth2\" needs smarthost.oauth_client_id and smarthost.oauth_client_secret "
                              "(or oauth_client_secret_env)")
    if sh.user and sh.security == "none" and not is_loopback(sh.host):
        raise ConfigError(f"{source}: smarthost.user is set but smarthost.security is \"none\": logging in to {sh.host} without TLS "
                          "would send the password or token unencrypted over the network; set security to starttls (port 587) or tls (465)")
    lst = config.listener
    if not 0 <= lst.port <= 65535:
        raise ConfigError(f"{source}: listener.port must be between 0 and 65535")
    for net in lst.relay_networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ConfigError(f"{source}: listener.relay_networks: {net!r} is not a network (e.g. 192.168.1.0/24)") from None
    if bool(lst.tls_cert) != bool(lst.tls_key):
        raise ConfigError(f"{source}: listener.tls_cert and listener.tls_key go together")
    for key in ("tls_cert", "tls_key"):
        value = getattr(lst, key)
        if value and not Path(value).is_file():
            raise ConfigError(f"{source}: listener.{key} {value} does not exist")
    if lst.users and not lst.tls_cert:
        raise ConfigError(f"{source}: listener.users needs listener.tls_cert/tls_key (AUTH is only offered over TLS)")
    for user, password in lst.users.items():
        _check_user_password(source, user, password)
    if lst.require_tls and not lst.tls_cert:
        raise ConfigError(f"{source}: listener.require_tls needs listener.tls_cert/tls_key")
    for key in ("max_recipients", "max_connections", "max_connections_per_client", "auth_max_failures"):
        if getattr(lst, key) < 1:
            raise ConfigError(f"{source}: listener.{key} must be 1 or more")
    if lst.idle_timeout <= 0:
        raise ConfigError(f"{source}: listener.idle_timeout must be above 0 seconds")
    if not 0 <= lst.processes <= PROCESSES_MAX:
        raise ConfigError(f"{source}: listener.processes must be between 0 (one per CPU core) and {PROCESSES_MAX}")
    if lst.processes > 1 and not workers_supported():
        raise ConfigError(f"{source}: listener.processes above 1 needs Linux (connections are handed to worker "
                          "processes over a Unix socket); set it to 1 or 0")
    if lst.auth_delay < 0:
        raise ConfigError(f"{source}: listener.auth_delay must be 0 or more seconds")
    r = config.retry
    if any(not isinstance(s, (int, float)) or s < 0 for s in r.schedule):
        raise ConfigError(f"{source}: retry.schedule must be a list of seconds, e.g. [900, 1800, 3600]")
    r.schedule = [float(s) for s in r.schedule]
    if r.interval <= 0 or r.max_age <= 0 or r.delay_notice < 0:
        raise ConfigError(f"{source}: retry.interval and retry.max_age must be above 0, retry.delay_notice 0 or more")
    if config.log.level.upper() not in LOG_LEVELS:
        raise ConfigError(f"{source}: log.level must be one of {', '.join(LOG_LEVELS)}, not {config.log.level!r}")
    for addr in config.reports.copies:
        if not isinstance(addr, str) or "@" not in addr:
            raise ConfigError(f"{source}: reports.copies: {addr!r} is not an e-mail address")


def workers_supported() -> bool:
    """Whether listener worker processes can run here (Linux: SOCK_SEQPACKET and SCM_RIGHTS)."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


def listener_processes(listener: ListenerConfig) -> int:
    """How many processes run the listener's SMTP sessions (``processes``, 0 resolved to the cores)."""
    if listener.processes:
        return listener.processes
    if not workers_supported():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), PROCESSES_MAX))


def _check_user_password(source: object, user: str, password: str) -> None:
    """A listener user's password must be one a client can send: not empty, and one SASLprep (RFC 4013) accepts."""
    from viewer.saslprep import SaslprepError, saslprep

    if not password:
        raise ConfigError(f"{source}: listener.users: the password of {user!r} is empty; give one (or remove the user)")
    try:
        saslprep(password, stored=True)
    except SaslprepError as exc:  # its words name the character's position, never the password
        raise ConfigError(f"{source}: listener.users: the password of {user!r} cannot be used: {exc}") from None


def check_password_env(config: RelayConfig) -> None:
    """For commands that log in to the smart host (run, check): the named variable must be set.

    Not part of ``validate``: ``relay status`` and ``flush`` need no password, and an
    administrator's shell rarely has the service's environment.
    """
    name = config.smarthost.password_env
    if config.smarthost.auth == "oauth2" and config.smarthost.oauth_client_secret_env:
        name = config.smarthost.oauth_client_secret_env
    if name and name not in os.environ:
        raise ConfigError(f"{config.path or 'relay.toml'}: smarthost.password_env names {name}, which is not set in the "
                          f"environment: export {name}=... (or set it in the service's unit) before starting the relay")


def load_config(path: Path | str | None = None) -> RelayConfig:
    """Read relay.toml (default: the per-user one) and validate it."""
    file = Path(path) if path else default_config_path()
    parsed = tomlconfig.read(file, ConfigError)
    if parsed is None:
        raise ConfigError(f"{file}: no such file; copy samples/relay.example.toml and edit it")
    data, text = parsed
    config = from_dict(data, str(file), file.resolve().parent, text=text)
    config.path = file
    return config
