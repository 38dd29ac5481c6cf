"""The relay's SMTP listener (aiosmtpd): relay rules, AUTH over TLS only, limits per client, 250 only once fsynced."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable

try:  # a C event loop where it exists (not on Windows): see new_event_loop
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]  # the module's absence is what new_event_loop tests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from viewer.errors import SpoolviewError
from viewer.relay.commit import GroupCommit
from viewer.relay.config import ListenerConfig, RelayConfig
from viewer.relay.guard import AUTH_DELAY_MAX, ClientGuard
from viewer.relay.message import (
    MalformedMessage,
    Parsed,
    has_envelope_lines,
    parse_received,
    pickup_bytes,
    valid_address,
)
from viewer.relay.queue import Queue
from viewer.relay.session import RelaySMTP, Tables, peer_ip
from viewer.saslprep import SaslprepError, saslprep

__all__ = ["RelayHandler", "RelaySMTP", "Listener", "ListenerError", "relay_allowed", "smtp_kwargs", "new_event_loop"]

log = logging.getLogger("viewer.relay.listener")

RELAY_DENIED = "550 5.7.1 Relaying denied: authenticate, or send from an allowed network"
QUEUE_FAILED = "451 4.3.0 The message could not be queued; try again later"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"


class ListenerError(SpoolviewError):
    """The listener could not start (port taken, bad certificate)."""


def relay_allowed(peer_ip: str, networks: list[ipaddress._BaseNetwork], authenticated: bool) -> bool:
    """Relaying is for authenticated users and allowed client networks only."""
    if authenticated:
        return True
    try:
        ip = ipaddress.ip_address(peer_ip.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


class RelayHandler:
    """aiosmtpd handler: checks the relay rule per recipient and queues the message durably."""

    def __init__(self, queue: Queue, config: ListenerConfig, on_queued: Callable[[str, Parsed], None] | None = None) -> None:
        self.queue = queue
        self.commit = GroupCommit(queue)
        self.networks = [ipaddress.ip_network(n, strict=False) for n in config.relay_networks]
        self.on_queued = on_queued
        self.max_recipients = config.max_recipients

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address not in ("", "<>") and not valid_address(address):  # <> is the null reverse-path of reports
            return f"553 5.1.7 The sender address {address!r} is not valid (expected name@domain)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        if not relay_allowed(peer, self.networks, bool(session.authenticated)):
            log.warning("relay refused: client %s, recipient %r", peer, address)
            return RELAY_DENIED
        if not valid_address(address):
            return f"553 5.1.3 The recipient address {address!r} is not valid (expected name@domain)"
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        content = bytes(envelope.original_content or envelope.content or b"")
        if has_envelope_lines(content):  # would rewrite the envelope checked above
            return "550 5.6.0 Message may not start with x-sender/x-receiver lines"
        data = pickup_bytes(envelope.mail_from or "", envelope.rcpt_tos, content)
        try:
            parsed = parse_received(envelope.mail_from or "", envelope.rcpt_tos, content)
        except MalformedMessage as exc:
            return f"550 5.6.0 Malformed message: {exc}"
        try:
            qid = await self.commit.submit_async(data)  # durable once this returns
        except OSError as exc:
            log.error("cannot queue a message from %s: %s", peer_ip(session.peer), exc)
            return QUEUE_FAILED
        log.info("queued %s from %s for %d recipient(s)", qid, peer_ip(session.peer), len(envelope.rcpt_tos))
        if self.on_queued:
            self.on_queued(qid, parsed)
        return f"250 2.0.0 Queued as {qid}"


class _Users:
    """aiosmtpd authenticator over the configured users; failures are counted.

    Passwords are compared in their SASLprep form (RFC 4013: "é" precomposed or decomposed, a
    no-break space, are the same password), constant-time; then as received, byte for byte, so
    a client that sends the configured text as it is written in relay.toml still logs in.
    """

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users
        self.prepared = {user: _prepared(password) for user, password in users.items()}

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = False
        message = None
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            ok = user in self.users and self.matches(user, auth_data.password)
            if not ok and isinstance(server, RelaySMTP):
                message = server.auth_failed(user)
        return AuthResult(success=ok, handled=False, message=message, auth_data=auth_data if ok else None)

    def matches(self, user: str, given: bytes) -> bool:
        expected = self.prepared[user]
        try:
            prepared = saslprep(given.decode("utf-8"))
        except (UnicodeDecodeError, SaslprepError):
            prepared = None
        same = prepared is not None and expected is not None and hmac.compare_digest(expected, prepared.encode("utf-8"))
        return hmac.compare_digest(self.users[user].encode("utf-8"), given) or same


def _prepared(password: str) -> bytes | None:
    """The SASLprep form of a configured password (None when it has none: it is then compared as written)."""
    try:
        return saslprep(password).encode("utf-8")
    except SaslprepError:
        return None


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The listener's event loop: uvloop's (libuv, in C) where it is installed, else asyncio's.

    Most of a short SMTP session's CPU goes to the event loop itself (a reply per command,
    a connection per message); uvloop roughly halves it. Windows has no uvloop.
    """
    if uvloop is not None:
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class _Controller(Controller):
    """aiosmtpd's controller building RelaySMTP sessions that share one ClientGuard."""

    def __init__(self, handler: RelayHandler, *, guard: ClientGuard, auth_max_failures: int, **kwargs) -> None:
        super().__init__(handler, loop=new_event_loop(), **kwargs)
        self.guard = guard
        self.auth_max_failures = auth_max_failures
        self.tables = Tables(RelaySMTP, handler)

    def factory(self) -> SMTP:
        return RelaySMTP(self.handler, guard=self.guard, auth_max_failures=self.auth_max_failures, tables=self.tables,
                         **self.SMTP_kwargs)


def tls_context(config: ListenerConfig) -> ssl.SSLContext | None:
    """The server TLS context from the configured certificate, or None without one."""
    if not config.tls_cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ListenerError(f"listener.tls_cert/tls_key ({config.tls_cert}): cannot load the certificate: {exc}") from None
    return ctx


def smtp_kwargs(config: RelayConfig) -> dict:
    """aiosmtpd's session arguments for the configured listener (TLS context loaded: ListenerError if it cannot be)."""
    lc = config.listener
    kwargs: dict = dict(
        hostname=config.hostname,
        ident="spoolview relay",
        data_size_limit=config.queue.max_message_size,
        auth_require_tls=True,
        auth_required=False,
        timeout=lc.idle_timeout,
    )
    ctx = tls_context(lc)
    if ctx is not None:
        kwargs.update(tls_context=ctx, require_starttls=lc.require_tls)
    if lc.users:
        kwargs["authenticator"] = _Users(lc.users)
    return kwargs


def bind_error(config: ListenerConfig, exc: OSError) -> ListenerError:
    """The one-line error for a port the listener cannot take."""
    return ListenerError(f"the SMTP listener cannot start on {config.host}:{config.port}: {exc.strerror or exc}; "
                         "choose another listener.port or stop the program using it")


class Listener:
    """Starts and stops the SMTP server; fails loudly when it does not come up."""

    def __init__(self, config: RelayConfig, queue: Queue, on_queued: Callable[[str, Parsed], None] | None = None) -> None:
        lc = config.listener
        self.config = lc
        self.handler = RelayHandler(queue, lc, on_queued)
        kwargs = smtp_kwargs(config)
        self.guard = ClientGuard(max_connections=lc.max_connections, max_per_client=lc.max_connections_per_client,
                                 auth_delay=min(lc.auth_delay, AUTH_DELAY_MAX))
        self.controller = _Controller(self.handler, guard=self.guard, auth_max_failures=lc.auth_max_failures,
                                      hostname=lc.host, port=lc.port, server_hostname=kwargs.pop("hostname"), **kwargs)

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:  # fail at once, not after a timeout
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.config.host, self.config.port))
            except OSError as exc:
                raise bind_error(self.config, exc) from None
        self.handler.commit.start()
        try:
            self.controller.start()
        except Exception as exc:  # noqa: BLE001 - aiosmtpd raises various types
            raise ListenerError(f"the SMTP listener cannot start on {self.config.host}:{self.config.port}: {exc}") from None
        log.info("listening on %s:%s", self.config.host, self.config.port)

    def stop(self) -> None:
        try:
            self.controller.stop()
        except Exception:  # noqa: BLE001 - already stopped
            pass
        self.handler.commit.stop()
