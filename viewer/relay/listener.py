"""The relay's SMTP listener (aiosmtpd): relay rules, AUTH over TLS only, limits per client, 250 only once fsynced."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from viewer.errors import SpoolviewError
from viewer.relay.config import ListenerConfig, RelayConfig
from viewer.relay.guard import AUTH_DELAY_MAX, ClientGuard
from viewer.relay.message import MalformedMessage, has_envelope_lines, parse_message, pickup_bytes, valid_address
from viewer.relay.queue import Queue

__all__ = ["RelayHandler", "RelaySMTP", "Listener", "ListenerError", "relay_allowed"]

log = logging.getLogger("viewer.relay.listener")

RELAY_DENIED = "550 5.7.1 Relaying denied: authenticate, or send from an allowed network"
QUEUE_FAILED = "451 4.3.0 The message could not be queued; try again later"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
TOO_MANY_FAILURES = "421 4.7.0 Too many failed logins, closing the connection"


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

    def __init__(self, queue: Queue, config: ListenerConfig, on_queued: Callable[[str], None] | None = None) -> None:
        self.queue = queue
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
            parse_message(data)
        except MalformedMessage as exc:
            return f"550 5.6.0 Malformed message: {exc}"
        loop = asyncio.get_running_loop()
        try:
            qid = await loop.run_in_executor(None, self.queue.store, data)
        except OSError as exc:
            log.error("cannot queue a message from %s: %s", _peer_ip(session.peer), exc)
            return QUEUE_FAILED
        log.info("queued %s from %s for %d recipient(s)", qid, _peer_ip(session.peer), len(envelope.rcpt_tos))
        if self.on_queued:
            self.on_queued(qid)
        return f"250 2.0.0 Queued as {qid}"


def _peer_ip(peer: object) -> str:
    """The client's address from aiosmtpd's peer (a (host, port, ...) tuple), "?" when unknown."""
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return "?"


class _Users:
    """aiosmtpd authenticator over the configured users (constant-time compare); failures are counted."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = False
        message = None
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            expected = self.users.get(user)
            ok = expected is not None and hmac.compare_digest(expected.encode("utf-8"), auth_data.password)
            if not ok and isinstance(server, RelaySMTP):
                message = server.auth_failed(user)
        return AuthResult(success=ok, handled=False, message=message, auth_data=auth_data if ok else None)


class RelaySMTP(SMTP):
    """aiosmtpd's SMTP session with the listener's limits: connection caps, idle timeout, AUTH failures."""

    def __init__(self, handler: RelayHandler, *, guard: ClientGuard, auth_max_failures: int, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self.guard = guard
        self.auth_max_failures = auth_max_failures
        self.client = "?"
        self.admitted = False
        self.refused = False
        self.auth_failures = 0  # on this connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None and not self.admitted:  # a new connection, not the switch to TLS
            self.client = _peer_ip(transport.get_extra_info("peername"))
            refusal = self.guard.admit(self.client)
            if refusal is not None:
                self.refused = True
                log.warning("connection from %s refused: %s", self.client, refusal)
                cast(asyncio.Transport, transport).write(b"421 4.7.0 Too many connections, try again later\r\n")
                transport.close()
                return
            self.admitted = True
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self.refused:
            return  # never started: nothing of aiosmtpd's to undo
        if self.admitted:
            self.admitted = False
            self.guard.release(self.client)
        super().connection_lost(error)

    def _timeout_cb(self) -> None:
        if self.transport is not None:
            cast(asyncio.Transport, self.transport).write(b"421 4.4.2 Idle for too long, closing the connection\r\n")
        super()._timeout_cb()

    def auth_failed(self, user: str) -> str | None:
        """A wrong user or password on this connection (called by the authenticator): the reply
        to give instead of aiosmtpd's 535 when it is one too many, else None."""
        self.auth_failures += 1
        total = self.guard.auth_failed(self.client)
        log.warning("authentication failed for user %r from %s (%d on this connection, %d from this address); "
                    "the next AUTH from there waits %.2f s", user, self.client, self.auth_failures, total,
                    self.guard.auth_delay(self.client))
        if self.auth_failures >= self.auth_max_failures:
            return TOO_MANY_FAILURES
        return None

    async def smtp_AUTH(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command name
        wait = self.guard.auth_delay(self.client)
        if wait:
            await asyncio.sleep(wait)
        failures = self.auth_failures
        await super().smtp_AUTH(arg)
        if self.auth_failures > failures and self.auth_failures >= self.auth_max_failures and self.transport is not None:
            log.warning("closing the connection from %s after %d failed logins", self.client, self.auth_failures)
            self.transport.close()


class _Controller(Controller):
    """aiosmtpd's controller building RelaySMTP sessions that share one ClientGuard."""

    def __init__(self, handler: RelayHandler, *, guard: ClientGuard, auth_max_failures: int, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self.guard = guard
        self.auth_max_failures = auth_max_failures

    def factory(self) -> SMTP:
        return RelaySMTP(self.handler, guard=self.guard, auth_max_failures=self.auth_max_failures, **self.SMTP_kwargs)


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


class Listener:
    """Starts and stops the SMTP server; fails loudly when it does not come up."""

    def __init__(self, config: RelayConfig, queue: Queue, on_queued: Callable[[str], None] | None = None) -> None:
        lc = config.listener
        self.config = lc
        self.handler = RelayHandler(queue, lc, on_queued)
        kwargs: dict = dict(
            hostname=lc.host,
            port=lc.port,
            server_hostname=config.hostname,
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
        self.guard = ClientGuard(max_connections=lc.max_connections, max_per_client=lc.max_connections_per_client,
                                 auth_delay=min(lc.auth_delay, AUTH_DELAY_MAX))
        self.controller = _Controller(self.handler, guard=self.guard, auth_max_failures=lc.auth_max_failures, **kwargs)

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:  # fail at once, not after a timeout
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.config.host, self.config.port))
            except OSError as exc:
                raise ListenerError(
                    f"the SMTP listener cannot start on {self.config.host}:{self.config.port}: {exc.strerror or exc}; "
                    "choose another listener.port or stop the program using it"
                ) from None
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
