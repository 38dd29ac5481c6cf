"""Direct SMTP route (smtplib): plain, STARTTLS or implicit TLS, AUTH, SIZE, per-recipient results."""

from __future__ import annotations

import base64
import binascii
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from viewer.mail.credentials import (
    SIGN_IN,
    TEMPORARY,
    AccessToken,
    Credentials,
    OAuth2Credentials,
    PasswordCredentials,
    SignInRequired,
    TokenError,
    b64,
    is_loopback,
    sasl_cram_md5,
    sasl_login_answers,
    sasl_oauthbearer,
    sasl_plain,
    sasl_xoauth2,
)
from viewer.mail.routes.base import (
    ConfigurationError,
    Envelope,
    PermanentError,
    RecipientResult,
    Route,
    RouteError,
    SendResult,
    TemporaryError,
    refused_after_data,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from viewer.settings import Settings

__all__ = ["SmtpRoute", "SECURITY_MODES", "error_for_code", "redact_secrets"]

SECURITY_MODES = ("none", "starttls", "tls")
OK = 250
_EOL = re.compile(rb"\r\n|\r|\n")
_TRACE_LINE_MAX = 300  # long DATA lines are cut in the trace

TraceSink = Callable[[str], None]


def error_for_code(code: int | None, message: str, reply: str = "", results: list[RecipientResult] | None = None,
                   msgid: str = "", params: Mapping[str, object] | None = None) -> RouteError:
    """The typed error for an SMTP reply code: 4xx temporary, anything else permanent."""
    if code is not None and 400 <= code < 500:
        return TemporaryError(message, code=code, reply=reply, results=results, msgid=msgid, params=params)
    return PermanentError(message, code=code, reply=reply, results=results, msgid=msgid, params=params)


def redact_secrets(text: str, secrets: list[str]) -> str:
    """Replace every secret (and its base64 forms) in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _reply_text(resp: bytes | str) -> str:
    if isinstance(resp, bytes):
        resp = resp.decode("utf-8", "replace")
    return " ".join(resp.split())


class _TracingMixin(smtplib.SMTP):
    """Sends smtplib's debug output to a sink instead of stderr, redacting AUTH exchanges."""

    trace_sink: TraceSink | None = None
    secrets: list[str] = []
    in_auth = False

    def _print_debug(self, *args: object) -> None:  # overrides smtplib's stderr printer
        sink = self.trace_sink
        if sink is None:
            return
        text = " ".join(str(a) for a in args)
        if self.in_auth and text.startswith("send:"):
            verb = text[5:].strip().strip("'\"b")[:10].upper()
            text = "send: AUTH <redacted>" if verb.startswith("AUTH") else "send: <redacted AUTH data>"
        elif self.in_auth and text.startswith("reply:") and "334" in text:
            text = "reply: 334 <challenge>"
        text = redact_secrets(text, self.secrets)
        if len(text) > _TRACE_LINE_MAX:
            text = f"{text[:_TRACE_LINE_MAX]}... ({len(text)} characters)"
        sink(text)


    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        """smtplib's DATA, without copying a message that has no line to dot-quote."""
        if not isinstance(msg, bytes):
            return super().data(msg)
        self.putcmd("data")
        code, repl = self.getreply()
        if self.debuglevel > 0:
            self._print_debug("data:", (code, repl))
        if code != 354:
            raise smtplib.SMTPDataError(code, repl)
        self.send(quoted_data(msg))
        code, repl = self.getreply()
        if self.debuglevel > 0:
            self._print_debug("data:", (code, repl))
        return code, repl


def quoted_data(data: bytes) -> bytes:
    """The message as sent after 354: leading dots doubled, ending with CRLF "." CRLF."""
    if data.startswith(b".") or b"\n." in data:  # most messages have no line to quote: no copy
        data = smtplib._quote_periods(data)  # type: ignore[attr-defined]  # private, absent from typeshed
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _SMTP(_TracingMixin):
    pass


class _SMTP_SSL(_TracingMixin, smtplib.SMTP_SSL):  # noqa: N801 - mirrors smtplib's name
    pass


class SmtpRoute(Route):
    """Sends straight to an SMTP server; one connection is reused while the route is open.

    ``security`` is ``none``, ``starttls`` or ``tls`` (implicit TLS). Certificates are always
    verified against the system store plus ``ca_file`` when given, host name included.
    ``trace`` receives the SMTP conversation, AUTH exchanges and password redacted.
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        security: str = "none",
        ca_file: str | None = None,
        credentials: Credentials | None = None,
        user: str = "",
        password: str = "",
        local_hostname: str | None = None,
        timeout: float = 30.0,
        trace: TraceSink | None = None,
    ) -> None:
        if not host:
            raise ConfigurationError("no SMTP server name is set: fill in the server name in the SMTP (functions) settings",
                                     msgid="smtp.no_host")
        if security not in SECURITY_MODES:
            raise ConfigurationError(f"unknown SMTP security mode {security!r}: use one of {', '.join(SECURITY_MODES)}")
        self.host, self.port, self.security = host, int(port), security
        self.ca_file = ca_file or None
        # ``user``/``password`` are a shorthand for PasswordCredentials(user, password).
        self.credentials: Credentials = credentials if credentials is not None else PasswordCredentials(user, password)
        self.local_hostname = local_hostname or None
        self.timeout = timeout
        self.trace = trace
        self._smtp: _TracingMixin | None = None
        self._opened_here = False

    @property
    def user(self) -> str:
        """The login name ("" when the route does not log in)."""
        return self.credentials.user

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        password: str | None = None,
        credentials: Credentials | None = None,
        trace: TraceSink | None = None,
    ) -> SmtpRoute:
        """Build the route from ``settings.functions`` and the active environment's credentials."""
        from viewer.mail.credentials import credentials_for

        fn = settings.functions
        security = ("tls" if fn.tls_mode == "implicit" else "starttls") if fn.ssl else "none"
        if credentials is None:
            credentials = credentials_for(settings, password=password)
        return cls(
            fn.host,
            fn.effective_port(),
            security=security,
            ca_file=fn.ca_file or None,
            credentials=credentials,
            local_hostname=fn.domain or None,
            timeout=fn.timeout or 30.0,
            trace=trace,
        )

    # -- connection -------------------------------------------------------------------
    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _context(self) -> ssl.SSLContext:
        try:
            ctx = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(f"cannot read the CA file {self.ca_file}: {exc}; set a PEM certificate file or clear the field") from None
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def _note(self, text: str) -> None:
        if self.trace:
            self.trace(redact_secrets(text, self._secret_forms()))

    def _secret_forms(self) -> list[str]:
        creds = self.credentials
        if isinstance(creds, OAuth2Credentials):
            return creds.add_forms_for(self.host, self.port)
        return creds.secret_forms()

    def check_login_security(self) -> None:
        """ConfigurationError when a login would cross the network unencrypted (before connecting)."""
        if self.user and self.security == "none" and not is_loopback(self.host):
            secret = "access token" if isinstance(self.credentials, OAuth2Credentials) else "password"
            raise ConfigurationError(
                f"{self.where}: logging in as {self.user!r} without TLS would send the {secret} unencrypted over the "
                "network; turn SSL on (STARTTLS on port 587, or implicit TLS on 465), or clear the user"
            )

    def open(self) -> None:
        if self._smtp is not None:
            return
        self._smtp = self._connect()
        self._opened_here = True

    def _connect(self) -> _TracingMixin:
        self.check_login_security()
        if isinstance(self.credentials, PasswordCredentials) and self.user:
            sasl_plain(self.user, self.credentials.password)  # a password that cannot be sent fails before connecting
        self._note(f"connect: {self.where} security={self.security} {self.credentials.describe()}")
        token = self._token() if isinstance(self.credentials, OAuth2Credentials) else None
        klass: type[_TracingMixin] = _SMTP_SSL if self.security == "tls" else _SMTP
        kwargs: dict[str, Any] = {"local_hostname": self.local_hostname, "timeout": self.timeout}
        if self.security == "tls":
            kwargs["context"] = self._context()
        smtp = klass(**kwargs)
        smtp._host = self.host  # type: ignore[attr-defined]  # smtplib's private name TLS checks the certificate against
        smtp.trace_sink = self.trace
        smtp.secrets = self._secret_forms()
        smtp.set_debuglevel(1 if self.trace else 0)
        try:
            code, msg = smtp.connect(self.host, self.port)
            if code != 220:
                raise error_for_code(code, f"{self.where} refused the connection: {code} {_reply_text(msg)}", _reply_text(msg))
            self._ehlo(smtp)
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise ConfigurationError(f"{self.where} does not offer STARTTLS: choose implicit TLS (port 465) or turn SSL off",
                                             msgid="smtp.no_starttls", params={"where": self.where})
                code, msg = smtp.starttls(context=self._context())
                if code != 220:
                    raise error_for_code(code, f"{self.where} refused STARTTLS: {code} {_reply_text(msg)}", _reply_text(msg))
                self._ehlo(smtp)
            if self.user:
                self._login(smtp, token)
        except RouteError:
            _quiet_close(smtp)
            raise
        except ssl.SSLCertVerificationError as exc:
            _quiet_close(smtp)
            raise ConfigurationError(
                f"the certificate of {self.where} is not trusted ({exc.verify_message}): "
                "check the server name, or set the CA file of that server in the SMTP settings",
                msgid="smtp.certificate", params={"where": self.where, "reason": str(exc.verify_message)},
            ) from None
        except ssl.SSLError as exc:
            _quiet_close(smtp)
            raise ConfigurationError(
                f"TLS with {self.where} failed ({exc.reason or exc}): check the SSL setting and the mode "
                "(STARTTLS on 587/25, implicit TLS on 465)",
                msgid="smtp.tls_failed", params={"where": self.where, "reason": str(exc.reason or exc)},
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            _quiet_close(smtp)
            raise self._disconnected(exc) from None
        except smtplib.SMTPResponseException as exc:
            _quiet_close(smtp)
            raise self._answered(exc) from None
        except TimeoutError:
            _quiet_close(smtp)
            raise TemporaryError(f"no answer from {self.where} within {self.timeout:g} s: check the server name and port, or try later",
                                 msgid="smtp.no_answer", params={"where": self.where, "seconds": f"{self.timeout:g}"}) from None
        except OSError as exc:
            _quiet_close(smtp)
            raise TemporaryError(f"cannot connect to {self.where} ({exc.strerror or exc}): check the server name and port, or try later",
                                 msgid="smtp.cannot_connect", params={"where": self.where, "reason": str(exc.strerror or exc)}) from None
        return smtp

    def _answered(self, exc: smtplib.SMTPResponseException) -> RouteError:
        """A refusal the server answered with a code: its reply quoted verbatim."""
        reply = _reply_text(exc.smtp_error)
        return error_for_code(exc.smtp_code, f"{self.where} answered {exc.smtp_code} {reply}", reply,
                              msgid="smtp.answered", params={"where": self.where, "reply": f"{exc.smtp_code} {reply}"})

    def _disconnected(self, exc: Exception, when: str = "") -> TemporaryError:
        if "timed out" in str(exc):  # smtplib turns a read timeout into a disconnection
            return TemporaryError(f"no answer from {self.where}{when} within {self.timeout:g} s: check the server name and port, or try later")
        return TemporaryError(f"{self.where} closed the connection{when} ({exc}): try again later")

    def _ehlo(self, smtp: smtplib.SMTP) -> None:
        code, msg = smtp.ehlo()
        if code != OK:
            code, msg = smtp.helo()
            if code != OK:
                raise error_for_code(code, f"{self.where} refused EHLO/HELO: {code} {_reply_text(msg)}", _reply_text(msg))

    def _token(self, *, refresh: bool = False) -> AccessToken:
        """An access token from the OAuth 2.0 source, its failure as a route error."""
        creds = self.credentials
        assert isinstance(creds, OAuth2Credentials)
        try:
            return creds.token(refresh=refresh)
        except TokenError as exc:
            if exc.kind == TEMPORARY:
                raise TemporaryError(f"no OAuth 2.0 token for {self.user}: {exc}", reply=exc.reply) from None
            if exc.kind == SIGN_IN:
                raise SignInRequired(f"{exc}", reply=exc.reply) from None
            raise ConfigurationError(f"no OAuth 2.0 token for {self.user}: {exc}", reply=exc.reply) from None

    def _login(self, smtp: _TracingMixin, token: AccessToken | None = None) -> None:
        if not smtp.has_extn("auth"):
            hint = " (it may only offer it after STARTTLS: turn SSL on)" if self.security == "none" else ""
            raise ConfigurationError(f"{self.where} does not offer authentication{hint}; or clear the user of the environment")
        offered = smtp.esmtp_features.get("auth", "").upper().split()
        smtp.in_auth = True
        try:
            if isinstance(self.credentials, OAuth2Credentials):
                self._login_oauth(smtp, offered, token)
            else:
                self._login_password(smtp, offered)
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPException as exc:
            raise ConfigurationError(f"login at {self.where} failed ({_reply_text(str(exc))}): check the user and password") from None
        finally:
            smtp.in_auth = False

    def _login_password(self, smtp: _TracingMixin, offered: list[str]) -> None:
        creds = self.credentials
        assert isinstance(creds, PasswordCredentials)
        user, password = creds.user, creds.password
        mechanisms = [m for m in ("CRAM-MD5", "PLAIN", "LOGIN") if m in offered]  # smtplib's order of preference
        if not mechanisms:
            raise ConfigurationError(
                f"{self.where} offers no authentication method spoolview knows with a password (PLAIN, LOGIN, CRAM-MD5)"
                + (": it offers OAuth 2.0 only; set functions.auth to oauth2 (see docs/oauth.md)" if {"XOAUTH2", "OAUTHBEARER"} & set(offered) else "")
            )
        code, reply = 0, ""
        for mechanism in mechanisms:
            if mechanism == "PLAIN":
                code, resp = _sasl(smtp, "PLAIN", sasl_plain(user, password), lambda n, c: b"")
            elif mechanism == "LOGIN":
                login, secret = sasl_login_answers(user, password)
                code, resp = _sasl(smtp, "LOGIN", login, _answer_once(secret))
            else:
                sasl_cram_md5(user, password, b"")  # refuses a password that cannot be encoded, before talking
                code, resp = _sasl(smtp, "CRAM-MD5", None, lambda n, c: sasl_cram_md5(user, password, c))
            reply = _reply_text(resp)
            if code in (235, 503):  # 503: already authenticated
                return
        if "5.7.139" in reply or "basic authentication is disabled" in reply.lower():
            message = (f"{self.where} refused the password login of user {user!r} ({code} {reply}): the provider has turned "
                       "password logins (basic authentication) off; sign in with OAuth 2.0 instead (functions.auth = oauth2, see docs/oauth.md)")
        else:
            message = f"{self.where} refused the login of user {user!r} ({code} {reply}): check the user and password of the active environment"
        basic_off = message.endswith("see docs/oauth.md)")
        try:  # raised while handling smtplib's own error, as before: callers read the login refusal in __context__
            raise smtplib.SMTPAuthenticationError(code, resp)
        except smtplib.SMTPAuthenticationError:
            raise ConfigurationError(message, code=code, reply=reply, msgid="smtp.basic_auth_off" if basic_off else "smtp.login_refused",
                                     params={"where": self.where, "user": user, "reply": f"{code} {reply}"}) from None

    def _login_oauth(self, smtp: _TracingMixin, offered: list[str], token: AccessToken | None) -> None:
        creds = self.credentials
        assert isinstance(creds, OAuth2Credentials)
        if "XOAUTH2" in offered:
            mechanism = "XOAUTH2"
        elif "OAUTHBEARER" in offered:
            mechanism = "OAUTHBEARER"
        else:
            raise ConfigurationError(
                f"{self.where} offers no OAuth 2.0 login (XOAUTH2 or OAUTHBEARER; it offers {' '.join(offered) or 'nothing'}): "
                "check the server name, or use password authentication (functions.auth = password)"
            )
        code, reply = 0, ""
        for attempt in (1, 2):  # once more with a refreshed token after a refusal
            if token is None or attempt == 2:
                token = self._token(refresh=attempt == 2)
            smtp.secrets = self._secret_forms()
            if mechanism == "XOAUTH2":
                initial = sasl_xoauth2(creds.user, token.value)
                code, resp = _sasl(smtp, mechanism, initial, lambda n, c: b"")  # an error challenge gets an empty answer
            else:
                initial = sasl_oauthbearer(creds.user, token.value, self.host, self.port)
                code, resp = _sasl(smtp, mechanism, initial, lambda n, c: b"\x01")  # RFC 7628 3.2.3
            reply = _reply_text(resp)
            if code in (235, 503):
                return
            if "5.7.139" in reply or "smtpclientauthentication" in reply.lower():
                raise ConfigurationError(
                    f"{self.where} refused the OAuth 2.0 login of {creds.user!r} ({code} {reply}): SMTP AUTH is not enabled "
                    "for this mailbox or tenant (or the account has no licence for it); an administrator must enable "
                    "authenticated SMTP for the mailbox (see docs/oauth.md)",
                    code=code,
                    reply=reply,
                )
            if 400 <= code < 500:
                raise TemporaryError(f"{self.where} could not check the OAuth 2.0 login now ({code} {reply}): try again later", code=code, reply=reply)
        raise SignInRequired(
            f"{self.where} refused the OAuth 2.0 login of {creds.user!r} even with a fresh token ({code} {reply}): "
            "check that the account matches the SMTP user and the permission SMTP.Send was granted, then sign in again",
            code=code,
            reply=reply,
        )

    def close(self) -> None:
        if self._opened_here:
            self.close_unowned()
        self._opened_here = False

    def _drop(self) -> None:
        if self._smtp is not None:
            _quiet_close(self._smtp)
        self._smtp = None

    # -- sending ----------------------------------------------------------------------
    def _recipient_results(self, replies: Iterable[tuple[str, int, bytes]]) -> list[RecipientResult]:
        """Per-recipient results from the RCPT replies; raises when none was accepted or on 421."""
        results: list[RecipientResult] = []
        for address, code, resp in replies:
            reply = _reply_text(resp)
            if code in (OK, 251):
                results.append(RecipientResult(address, True, code, reply))
            else:
                if code == 421:
                    raise TemporaryError(f"{self.where} closed the session: {code} {reply}", code=code, reply=reply)
                results.append(RecipientResult(address, False, code, reply, temporary=400 <= code < 500))
        if not any(r.accepted for r in results):
            temporary = all(r.temporary for r in results)
            detail = "; ".join(f"{r.address}: {r.code} {r.reply}" for r in results)
            exc: RouteError = (TemporaryError if temporary else PermanentError)(
                f"{self.where} refused every recipient ({detail})", code=results[0].code, reply=results[0].reply, results=results,
                msgid="smtp.every_recipient_refused", params={"where": self.where, "reply": detail},
            )
            raise exc
        return results

    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        if not envelope.recipients:
            raise PermanentError("the message has no recipient")
        envelope.check()  # before connecting: smtplib would quietly send another address
        keep_open = self._smtp is not None
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        try:
            return self._transaction(smtp, message, envelope)
        except RouteError:
            self._reset()
            raise
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise self._disconnected(exc, " during the send") from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise self._answered(exc) from None
        except TimeoutError:
            self._drop()
            raise TemporaryError(f"{self.where} stopped answering (timeout {self.timeout:g} s): try again later",
                                 msgid="smtp.stopped", params={"where": self.where, "seconds": f"{self.timeout:g}"}) from None
        except OSError as exc:
            self._drop()
            raise TemporaryError(f"connection to {self.where} lost ({exc.strerror or exc}): try again later",
                                 msgid="smtp.lost", params={"where": self.where, "reason": str(exc.strerror or exc)}) from None
        except BaseException:
            # Ctrl+C (or a stop) in the middle of a transaction: the session's state is unknown (the server
            # may be holding our DATA), so no QUIT that would wait for its answer up to the timeout: the
            # connection is dropped now. Nothing is reported: the caller never gets this message's outcome.
            self._drop()
            raise
        finally:
            if not keep_open and not self._opened_here and self._smtp is not None:
                self.close_unowned()

    def close_unowned(self) -> None:
        """Close a connection opened by ``send`` outside ``open()``/``close()``."""
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            _quiet_close(smtp)

    def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _transaction(self, smtp: smtplib.SMTP, message: bytes, envelope: Envelope) -> SendResult:
        crlf = message.count(b"\r\n")
        clean = crlf == message.count(b"\n") == message.count(b"\r")  # already CRLF only: no copy
        data = message if clean else _EOL.sub(b"\r\n", message)
        size = len(data)
        options: list[str] = []
        if smtp.does_esmtp and smtp.has_extn("size"):
            limit = int(smtp.esmtp_features.get("size", "0") or 0)
            if limit and size > limit:
                raise PermanentError(
                    f"the message is {size} bytes but {self.where} accepts at most {limit} bytes: "
                    "send a smaller document or fewer attachments",
                    code=552,
                    msgid="smtp.too_large", params={"size": size, "where": self.where, "limit": limit},
                )
            options.append(f"SIZE={size}")
        addresses = [envelope.sender, *envelope.recipients]
        if any(not a.isascii() for a in addresses):
            if not smtp.has_extn("smtputf8"):
                raise PermanentError(f"{self.where} does not accept non-ASCII addresses (no SMTPUTF8): {', '.join(a for a in addresses if not a.isascii())}")
            options.append("SMTPUTF8")
        code, resp = smtp.mail(envelope.sender, options)
        if code != OK:
            raise error_for_code(code, f"{self.where} refused the sender {envelope.sender}: {code} {_reply_text(resp)}", _reply_text(resp))
        results = self._recipient_results((address, *smtp.rcpt(address)) for address in envelope.recipients)
        code, resp = smtp.data(data)
        reply = _reply_text(resp)
        if code != OK:
            raise error_for_code(code, f"{self.where} refused the message: {code} {reply}", reply, refused_after_data(results, code, reply))
        for r in results:
            if r.accepted:
                r.code, r.reply = code, reply
        return SendResult(self.name, results, detail=f"{code} {reply}")


def _sasl(
    smtp: smtplib.SMTP, mechanism: str, initial: bytes | None, answer: Callable[[int, bytes], bytes]
) -> tuple[int, bytes]:
    """One AUTH exchange (RFC 4954) on bytes: ``answer(round, challenge)`` answers each 334."""
    if initial is not None:
        code, resp = smtp.docmd("AUTH", f"{mechanism} {b64(initial) if initial else '='}")
    else:
        code, resp = smtp.docmd("AUTH", mechanism)
    rounds = 0
    while code == 334:
        rounds += 1
        if rounds > 5:
            code, resp = smtp.docmd("*")  # cancel a server that keeps asking
            break
        try:
            challenge = base64.b64decode(resp, validate=False)
        except binascii.Error:
            challenge = b""
        code, resp = smtp.docmd(b64(answer(rounds, challenge)))
    return code, resp


def _answer_once(answer: bytes) -> Callable[[int, bytes], bytes]:
    """A SASL responder giving ``answer`` to the first challenge, then empty answers."""
    return lambda n, challenge: answer if n == 1 else b""


def _quiet_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.close()
    except OSError:
        pass
