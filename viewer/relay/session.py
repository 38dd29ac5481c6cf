"""The listener's SMTP session (aiosmtpd's SMTP): limits per client, set-up from a per-class table, DATA read in chunks."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, cast

import aiosmtpd
from aiosmtpd import smtp as aio

from viewer.relay.guard import Guard

__all__ = ["RelaySMTP", "Tables", "TOO_MANY_FAILURES", "TOO_MANY_CONNECTIONS", "STOPPING", "FAST_SETUP", "peer_ip"]

log = logging.getLogger("viewer.relay.listener")

TOO_MANY_FAILURES = "421 4.7.0 Too many failed logins, closing the connection"
TOO_MANY_CONNECTIONS = b"421 4.7.0 Too many connections, try again later\r\n"
IDLE = b"421 4.4.2 Idle for too long, closing the connection\r\n"
STOPPING = b"421 4.3.2 The relay is stopping, try again later\r\n"

# aiosmtpd 1.4 builds three method tables with dir() and inspect.getmembers() for every
# connection (~1.5 ms of CPU: most of a short session). Its constructor is repeated here
# with the tables' names computed once per class; any other aiosmtpd version gets its own
# constructor (FAST_SETUP False), and a test compares both on the installed version.
FAST_SETUP = aiosmtpd.__version__.startswith("1.4.")

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_ADDRESS = re.compile(rf"\s*<(({_ATEXT}(?:\.{_ATEXT})*)@{_ATEXT}(?:\.{_ATEXT})*)>[ \t]*(.*)\Z", re.DOTALL)
LINE_MAX = 1001  # aiosmtpd's line_length_limit (RFC 5321 4.5.3.1.6)
_READ = 256 * 1024
_TOO_MUCH = b"(over the size limit)"  # a marker, compared by identity


class Tables:
    """The names behind aiosmtpd's per-connection tables, for one session class and handler (built once per listener)."""

    def __init__(self, cls: type, handler: Any) -> None:
        self.smtp = [name[5:] for name in dir(cls) if name.startswith("smtp_")]
        self.hooks = {name[7:]: getattr(handler, name) for name in dir(handler) if name.startswith("handle_")}
        self.auth: list[tuple[str, str, bool]] = []  # mechanism, attribute, builtin (on the session)
        for owner, builtin in ((cls, True), (type(handler), False)):
            for attr in dir(owner):
                if attr.startswith("auth_"):
                    func = getattr(owner, attr)
                    mech = getattr(func, "__auth_mechanism_name__", attr.replace("auth_", "").replace("__", "-"))
                    self.auth.append((mech, attr, builtin))


class RelaySMTP(aio.SMTP):
    """aiosmtpd's SMTP session with the listener's limits: connection caps, idle timeout, AUTH failures."""

    def __init__(self, handler: Any, *, guard: Guard, auth_max_failures: int, tables: Tables | None = None,
                 **kwargs: Any) -> None:
        if tables is not None and FAST_SETUP and not set(kwargs) - _FAST_KWARGS and "EHLO" not in tables.hooks:
            self._setup(handler, tables, **kwargs)
        else:
            super().__init__(handler, **kwargs)
        self.guard = guard
        self.auth_max_failures = auth_max_failures
        self.client = "?"
        self.admitted = False
        self.refused = False
        self.auth_failures = 0  # on this connection
        self.in_data = False  # between DATA and its reply: a drain lets the message finish
        self.draining = False

    def drain(self) -> None:
        """The relay is stopping: close now between commands, or right after the current message's reply."""
        self.draining = True
        if not self.in_data and self.transport is not None:
            cast(asyncio.Transport, self.transport).write(STOPPING)
            self.transport.close()

    def _setup(self, handler: Any, tables: Tables, *, data_size_limit: int | None = aio.DATA_SIZE_DEFAULT, enable_SMTPUTF8: bool = False,  # noqa: N803 - aiosmtpd's name
               hostname: str | None = None, ident: str | None = None, tls_context: Any = None, require_starttls: bool = False,
               timeout: float = 300, auth_required: bool = False, auth_require_tls: bool = True, authenticator: Any = None) -> None:
        """aiosmtpd 1.4's SMTP.__init__ for the arguments the listener passes, tables from the class cache."""
        self.__ident__ = ident or aio.__ident__
        self.loop = aio.make_loop()
        asyncio.StreamReaderProtocol.__init__(
            self, asyncio.StreamReader(loop=self.loop, limit=self.line_length_limit),
            client_connected_cb=self._cb_client_connected, loop=self.loop)
        self.event_handler = handler
        self.data_size_limit = data_size_limit
        self.enable_SMTPUTF8 = enable_SMTPUTF8
        self._decode_data = False
        self.command_size_limits.clear()
        self.hostname = hostname or aio.socket.getfqdn()
        self.tls_context = tls_context
        self.require_starttls = tls_context and require_starttls
        self._timeout_duration = timeout
        self._timeout_handle = None
        self._tls_handshake_okay = True
        self._tls_protocol = None
        self._original_transport = None
        self.session = None
        self.envelope = None
        self.transport = None
        self._handler_coroutine = None
        self._auth_require_tls = auth_require_tls
        self._proxy_timeout = None
        self._authenticator = authenticator
        self._auth_callback = None if authenticator is not None else aio.login_always_fail
        self._auth_required = auth_required
        self._auth_methods = {mech: aio._AuthMechAttr(getattr(self if builtin else handler, attr), builtin)
                              for mech, attr, builtin in tables.auth}
        self._handle_hooks = tables.hooks
        self._ehlo_hook_ver = None
        self._smtp_methods = {name: getattr(self, "smtp_" + name) for name in tables.smtp}
        self._enforce_call_limit = False

    # -- connection limits -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None and not self.admitted:  # a new connection, not the switch to TLS
            self.client = peer_ip(transport.get_extra_info("peername"))
            refusal = self.guard.admit(self.client)
            if refusal is not None:
                self.refused = True
                log.warning("connection from %s refused: %s", self.client, refusal)
                cast(asyncio.Transport, transport).write(TOO_MANY_CONNECTIONS)
                transport.close()
                return
            self.admitted = True
        super().connection_made(transport)
        if self.draining:  # drained while its connection was being set up
            cast(asyncio.Transport, transport).write(STOPPING)
            transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        if self.refused:
            return  # never started: nothing of aiosmtpd's to undo
        if self.admitted:
            self.admitted = False
            self.guard.release(self.client)
        super().connection_lost(error)

    def _timeout_cb(self) -> None:
        if self.transport is not None:
            cast(asyncio.Transport, self.transport).write(IDLE)
        super()._timeout_cb()

    # -- authentication failures -------------------------------------------------------------
    def auth_failed(self, user: str) -> str | None:
        """A wrong user or password on this connection (called by the authenticator): the reply
        to give instead of aiosmtpd's 535 when it is one too many, else None."""
        self.auth_failures += 1
        self.guard.failed_login(self.client, user, self.auth_failures)
        if self.auth_failures >= self.auth_max_failures:
            return TOO_MANY_FAILURES
        return None

    async def smtp_AUTH(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command name
        wait = await self.guard.auth_wait(self.client)
        if wait:
            await asyncio.sleep(wait)
        failures = self.auth_failures
        await super().smtp_AUTH(arg)
        if self.auth_failures > failures and self.auth_failures >= self.auth_max_failures and self.transport is not None:
            log.warning("closing the connection from %s after %d failed logins", self.client, self.auth_failures)
            self.transport.close()

    # -- addresses ----------------------------------------------------------------------------
    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's address parsing, with the common ``<local@domain>`` read by one regex
        (email's full parser costs ~0.5 ms a command); anything else goes to aiosmtpd's."""
        m = _SIMPLE_ADDRESS.match(arg) if arg else None
        if m is not None and not (self.local_part_limit and len(m.group(2)) > self.local_part_limit):
            return m.group(1), m.group(3)
        return super()._getaddr(arg)

    # -- DATA in chunks ------------------------------------------------------------------------
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command name
        """aiosmtpd's DATA (same replies, same limits), reading the message in large chunks
        instead of one ``readuntil`` per line (~400 for a 30 KB message)."""
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        self.in_data = True
        try:
            await self._data()
        finally:
            self.in_data = False
            if self.draining and self.transport is not None:
                self.transport.close()

    async def _data(self) -> None:
        assert self.envelope is not None
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        data = await self._read_data()
        if data is None:
            return  # the connection closed
        limit = self.data_size_limit
        if data is _TOO_MUCH or (limit and len(data) > limit):
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()
            return
        if max(map(len, data.split(b"\n"))) > LINE_MAX:
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)")
            self._set_post_data_state()
            return
        content = data.replace(b"\r\n.", b"\r\n")  # dot-unstuffing (RFC 5321 4.5.2), line by line as aiosmtpd
        if content.startswith(b"."):
            content = content[1:]
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is aio.MISSING else status)

    async def _read_data(self) -> bytes | None:
        """The message up to the lone dot (its final CRLF kept, the dot line not); None at EOF.

        Beyond the size limit only the tail is kept (to find the end), so a client sending
        too much costs no memory. Bytes after the end (a client pipelining the next command)
        go back to the reader for the command loop.
        """
        reader = self._reader
        limit = self.data_size_limit or 0
        buf = bytearray()
        dropped = 0
        scanned = 0
        while True:
            if buf.startswith(b".\r\n") and not dropped:  # an empty message
                end, start_of_rest = 0, 3
                break
            end = buf.find(b"\r\n.\r\n", max(0, scanned - 4))
            if end >= 0:
                end += 2
                start_of_rest = end + 3
                break
            scanned = len(buf)
            chunk = await reader.read(_READ)
            if not chunk:
                return None
            self._reset_timeout()  # idle_timeout is for silence: a long message arriving slowly is not idle
            buf += chunk
            if limit and dropped + len(buf) > limit + _READ:  # far too much: keep the tail only
                dropped += len(buf) - 4
                del buf[:-4]
                scanned = 0
        rest = bytes(buf[start_of_rest:])
        if rest:  # asyncio's StreamReader has no unread(): its buffer is a bytearray
            reader._buffer[:0] = rest  # type: ignore[attr-defined]
        if dropped:
            return _TOO_MUCH
        return bytes(buf[:end])


_FAST_KWARGS = {"data_size_limit", "enable_SMTPUTF8", "hostname", "ident", "tls_context", "require_starttls", "timeout",
                "auth_required", "auth_require_tls", "authenticator"}


def peer_ip(peer: object) -> str:
    """The client's address from aiosmtpd's peer (a (host, port, ...) tuple), "?" when unknown."""
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return "?"
