"""A real aiosmtpd server on loopback with a recording, scriptable handler (plain/STARTTLS/TLS)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

OK = "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None = None


@dataclass
class RecordingHandler:
    """Records every message; ``rcpt_replies``/``data_replies`` script failures.

    ``rcpt_replies`` maps a recipient address to the reply for RCPT (e.g. "550 5.1.1 no such
    user"); ``data_replies`` is a list of replies used in order for successive DATA commands
    (then 250); ``mail_reply`` answers MAIL FROM when set.
    """

    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    mail_reply: str | None = None
    on_data: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return OK

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return OK

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            reply = self.data_replies.pop(0) if self.data_replies else None
        if reply and not reply.startswith("250"):
            return reply
        auth = getattr(session, "auth_data", None)
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        msg = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content), login)
        if self.on_data:
            self.on_data(msg)
        with self.arrived:
            self.messages.append(msg)
            self.arrived.notify_all()
        return reply or "250 2.0.0 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` messages have arrived (or the timeout passes)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)


class Authenticator:
    """Accepts exactly one user/password pair."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class SmtpServer:
    """A started aiosmtpd server. ``mode``: plain | starttls | tls (implicit)."""

    def __init__(
        self,
        handler: RecordingHandler | None = None,
        *,
        mode: str = "plain",
        server_context: ssl.SSLContext | None = None,
        auth: tuple[str, str] | None = None,
        authenticator: Callable | None = None,
        bind: str = "127.0.0.1",
        data_size_limit: int = 33554432,
        auth_exclude_mechanism: list[str] | None = None,
    ) -> None:
        self.handler = handler or RecordingHandler()
        self.mode = mode
        self.bind = bind
        self.port = free_port()
        kwargs: dict = dict(
            hostname=bind,
            port=self.port,
            data_size_limit=data_size_limit,
            ident="spoolview-test-smtpd",
            ready_timeout=20.0,  # aiosmtpd's 5 s is short on a 2-core machine running the whole suite
        )
        if authenticator is None and auth:
            authenticator = Authenticator(*auth)
        if authenticator is not None:
            kwargs.update(authenticator=authenticator, auth_required=False, auth_require_tls=mode == "starttls",
                          auth_exclude_mechanism=auth_exclude_mechanism or [])
        else:
            kwargs.update(auth_require_tls=False)
        if mode == "starttls":
            kwargs.update(tls_context=server_context, require_starttls=False)
        elif mode == "tls":
            kwargs.update(ssl_context=server_context)
        self.controller = Controller(self.handler, **kwargs)

    @property
    def host(self) -> str:
        return self.bind

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> SmtpServer:
        self.controller.start()  # raises when the server does not come up
        return self

    def stop(self) -> None:
        try:
            self.controller.stop()
        except Exception:  # noqa: BLE001 - already stopped
            pass

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
