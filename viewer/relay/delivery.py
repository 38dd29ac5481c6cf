"""Delivery of queued messages to the smart host: one attempt per claim, retries, reports, badmail."""

from __future__ import annotations

import logging
import queue as queue_mod
import threading
import time
from collections.abc import Callable
from pathlib import Path

from viewer.mail.credentials import Credentials, OAuth2Credentials, PasswordCredentials
from viewer.mail.routes.base import (
    ConfigurationError,
    Envelope,
    PermanentError,
    RecipientResult,
    Route,
    RouteError,
)
from viewer.oauth.sources import shared_client_credentials
from viewer.relay.config import RelayConfig
from viewer.relay.dsn import Failure, build_report, status_code
from viewer.relay.journal import Journal
from viewer.relay.message import MalformedMessage, Parsed, parse_message
from viewer.relay.queue import Queue, message_id_time

__all__ = ["Deliverer", "DeliveryPool", "smarthost_route", "RouteFactory"]

log = logging.getLogger("viewer.relay.delivery")

RouteFactory = Callable[[], Route]

SENT, DEFERRED, FAILED, BADMAIL, GONE = "sent", "deferred", "failed", "badmail", "gone"


def smarthost_route(config: RelayConfig) -> Route:
    """A connection-reusing SMTP route to the configured smart host (SmtpRoute, pipelined where offered)."""
    from viewer.relay.pipelining import PipeliningSmtpRoute

    return PipeliningSmtpRoute(
        config.smarthost.host,
        config.smarthost.effective_port,
        security=config.smarthost.security,
        ca_file=config.smarthost.ca_file or None,
        credentials=smarthost_credentials(config),
        local_hostname=config.smarthost.helo or None,
        timeout=config.smarthost.timeout,
    )


def smarthost_credentials(config: RelayConfig) -> Credentials:
    """The smart host's login: the password, or (auth = "oauth2") the client credentials token.

    The token source is shared by every connection, so the token is cached and renewed
    before expiry instead of fetched per connection.
    """
    sh = config.smarthost
    if sh.auth != "oauth2":
        return PasswordCredentials(sh.user, sh.secret())
    source = shared_client_credentials(
        client_id=sh.oauth_client_id, client_secret=sh.client_secret(), scope=sh.oauth_scope,
        token_url=sh.oauth_token_url, issuer=sh.oauth_issuer, ca_file=sh.ca_file or None,
        timeout=sh.timeout, account=sh.user,
    )
    return OAuth2Credentials(sh.user, source)


def _results_from_error(exc: Exception, recipients: list[str]) -> list[RecipientResult]:
    """Per-recipient results for an attempt that raised."""
    if isinstance(exc, RouteError):
        temporary = not isinstance(exc, PermanentError)  # configuration problems wait for a fix
        reply = f"{exc.code} {exc.reply}" if exc.code and exc.reply else str(exc)
        return exc.recipient_results(recipients, temporary=temporary, reply=reply)
    return [RecipientResult(r, False, None, f"unexpected error: {exc}", temporary=True) for r in recipients]


def _reply(r: RecipientResult) -> str:
    text = r.reply or ""
    if r.code and not text.startswith(str(r.code)):
        text = f"{r.code} {text}".strip()
    return text


class Deliverer:
    """Makes one delivery attempt for a claimed message and moves it to its next state."""

    def __init__(self, config: RelayConfig, queue: Queue, journal: Journal) -> None:
        self.config = config
        self.queue = queue
        self.journal = journal

    # -- one attempt ----------------------------------------------------------------------
    def process(self, path: Path, route: Route, parsed: Parsed | None = None, *, fresh: bool = False) -> str:
        """Try ``path`` (in this process's active folder) once; return the state it ends in.

        ``parsed`` is the message as the pickup parsed it (the file is never modified, so
        it need not be read and parsed again); ``fresh`` says it was queued by this process
        and never tried, so there is no attempt history to look for.
        """
        qid = self.queue.qid(path)
        if parsed is None:
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                return GONE
            except OSError as exc:
                return self._badmail(path, qid, f"the queued file cannot be read: {exc.strerror or exc}")
            try:
                parsed = parse_message(raw)
            except MalformedMessage as exc:
                return self._badmail(path, qid, f"malformed message: {exc}")
        limit = self.config.queue.max_message_size
        if len(parsed.content) > limit:  # the message itself: the listener's SIZE does not count the envelope lines
            return self._badmail(path, qid, f"the message is {len(parsed.content)} bytes, over the limit of {limit} bytes (queue.max_message_size)")
        now = time.time()
        meta = (None if fresh else self.queue.load_meta(qid)) or {
            "id": qid,
            "created": message_id_time(qid) or now,
            "sender": parsed.sender,
            "pending": list(parsed.recipients),
            "attempts": [],
            "delay_notice": False,
        }
        recipients = [r for r in meta["pending"] if r] or list(parsed.recipients)
        try:
            route.open()
            results = list(route.send(parsed.content, Envelope(parsed.sender, tuple(recipients))).recipients)
        except RouteError as exc:
            if isinstance(exc, ConfigurationError):
                log.error("smart host configuration problem: %s", exc)
            results = _results_from_error(exc, recipients)
        except Exception as exc:
            log.exception("unexpected error delivering %s", qid)
            results = _results_from_error(exc, recipients)
        seen = {r.address for r in results}
        results += [RecipientResult(r, False, None, "no result from the route", temporary=True) for r in recipients if r not in seen]

        temp = [r for r in results if not r.accepted and r.temporary]
        perm = [r for r in results if not r.accepted and not r.temporary]
        meta["attempts"].append(
            {"at": now, "results": [{"address": r.address, "accepted": r.accepted, "code": r.code, "reply": r.reply, "temporary": r.temporary} for r in results]}
        )
        for r in results:
            outcome = "SENT" if r.accepted else ("DEFERRED" if r.temporary else "FAILED")
            self.journal.record(subject=parsed.subject, sender=parsed.sender, recipient=r.address, outcome=outcome, reply=_reply(r), qid=qid)
        failures = [Failure(r.address, r.code, _reply(r)) for r in perm]
        age = now - float(meta["created"])
        if temp and age >= self.config.retry.max_age:
            hours = self.config.retry.max_age / 3600
            for r in temp:
                why = f"gave up after {len(meta['attempts'])} attempts in {hours:g} h; last reply: {_reply(r)}"
                failures.append(Failure(r.address, r.code, why, status_code(r.code, r.reply, expired=True)))
                self.journal.record(subject=parsed.subject, sender=parsed.sender, recipient=r.address, outcome="EXPIRED", reply=_reply(r), qid=qid)
            temp = []
        state = SENT
        if failures:
            log.warning("%s failed for %s", qid, "; ".join(f"{f.address}: {f.reply!r}" for f in failures))
            state = self._report(path, qid, parsed, meta, failures, route, keep=bool(temp))
        if temp:
            meta["pending"] = [r.address for r in temp]
            self._maybe_delay_notice(qid, parsed, meta, temp, route, age)
            when = now + self.config.retry.delay(len(meta["attempts"]))
            when = min(when, float(meta["created"]) + self.config.retry.max_age)
            self.queue.defer(path, meta, max(when, now))
            log.info("%s deferred (attempt %d, next in %.0f s): %s", qid, len(meta["attempts"]), max(when - now, 0),
                     "; ".join(f"{r.address}: {_reply(r)!r}" for r in temp))
            return DEFERRED
        if state != BADMAIL:
            self.queue.done(path, meta=not fresh)
        return state if failures else SENT

    # -- failures -------------------------------------------------------------------------
    def _badmail(self, path: Path, qid: str, reason: str) -> str:
        log.warning("%s moved to badmail: %s", qid, reason)
        self.queue.to_badmail(path, f"queue id {qid}\n{reason}")
        self.journal.record(subject="", sender="", recipient="", outcome="BADMAIL", reply=reason, qid=qid)
        return BADMAIL

    def _report(self, path: Path, qid: str, parsed: Parsed, meta: dict, failures: list[Failure], route: Route, *, keep: bool) -> str:
        """Send the non-delivery report; when there is none or it fails, badmail the original."""
        lines = "\n".join(f"  {f.address}: {f.reply}" for f in failures)
        if not parsed.sender:
            reason = f"queue id {qid}\ndelivery failed for:\n{lines}\nno report sent: the message is itself a report (null sender)"
            log.warning("%s: report about a report not sent; original moved to badmail", qid)
            self.queue.to_badmail(path, reason, keep=keep)
            return BADMAIL
        error = self._send_report(qid, parsed, meta, failures, route, action="failed")
        if error:
            reason = f"queue id {qid}\ndelivery failed for:\n{lines}\nthe non-delivery report to {parsed.sender} failed too:\n  {error}"
            log.warning("%s: report failed (%s); original moved to badmail", qid, error)
            self.queue.to_badmail(path, reason, keep=keep)
            self.journal.record(subject=parsed.subject, sender="", recipient=parsed.sender, outcome="BADMAIL", reply=error, qid=qid)
            return BADMAIL
        return FAILED

    def _send_report(self, qid: str, parsed: Parsed, meta: dict, failures: list[Failure], route: Route, *, action: str) -> str:
        """Deliver a report now; return "" on success, else the error."""
        report = build_report(
            original_headers=parsed.headers,
            envelope_sender=parsed.sender,
            failures=failures,
            reporting_mta=self.config.hostname,
            report_from=self.config.report_sender,
            queue_id=qid,
            arrival=float(meta["created"]),
            remote_mta=self.config.smarthost.host,
            action=action,
            subject=parsed.subject,
        )
        copies = [c for c in self.config.reports.copies if c.lower() != parsed.sender.lower()]
        envelope = Envelope("", (parsed.sender, *copies))
        try:
            route.open()
            result = route.send(report, envelope)
        except RouteError as exc:
            mine = [r for r in exc.results if r.address == parsed.sender]
            return _reply(mine[0]) if mine else (f"{exc.code} {exc.reply}" if exc.code and exc.reply else str(exc))
        except Exception as exc:
            log.exception("unexpected error sending a report for %s", qid)
            return f"unexpected error: {exc}"
        outcome = "REPORT" if action == "failed" else "DELAY-NOTICE"
        for r in result.recipients:
            self.journal.record(subject=f"report on {parsed.subject}", sender="", recipient=r.address, outcome=outcome if r.accepted else "FAILED", reply=_reply(r), qid=qid)
        mine = [r for r in result.recipients if r.address == parsed.sender and not r.accepted]
        return _reply(mine[0]) if mine else ""

    def _maybe_delay_notice(self, qid: str, parsed: Parsed, meta: dict, temp: list[RecipientResult], route: Route, age: float) -> None:
        notice = self.config.retry.delay_notice
        if not notice or age < notice or meta.get("delay_notice") or not parsed.sender:
            return
        failures = [Failure(r.address, r.code, _reply(r)) for r in temp]
        error = self._send_report(qid, parsed, meta, failures, route, action="delayed")
        meta["delay_notice"] = True  # one notice only, even when it failed
        if error:
            log.warning("%s: delay notice to %s failed: %s", qid, parsed.sender, error)


class DeliveryPool:
    """N threads, each with its own smart-host connection, delivering claimed messages."""

    def __init__(self, deliverer: Deliverer, route_factory: RouteFactory, *, connections: int = 2, idle_close: float = 10.0,
                 on_done: Callable[[Path, str], None] | None = None) -> None:
        self.deliverer = deliverer
        self.route_factory = route_factory
        self.connections = connections
        self.idle_close = idle_close
        self.on_done = on_done
        self.work: queue_mod.Queue[tuple[Path, Parsed | None, bool] | None] = queue_mod.Queue()
        self.threads: list[threading.Thread] = []
        self._busy = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        for n in range(self.connections):
            t = threading.Thread(target=self._run, name=f"relay-delivery-{n}", daemon=True)
            t.start()
            self.threads.append(t)

    def submit(self, path: Path, parsed: Parsed | None = None, *, fresh: bool = False) -> None:
        """Deliver a claimed message (see ``Deliverer.process`` for ``parsed`` and ``fresh``)."""
        with self._lock:
            self._busy += 1
        self.work.put((path, parsed, fresh))

    @property
    def load(self) -> int:
        """Messages handed to the pool and not finished yet."""
        with self._lock:
            return self._busy

    def stop(self, timeout: float = 60.0) -> list[Path]:
        """Finish the messages being sent; return the ones never started (the caller requeues them)."""
        left: list[Path] = []
        while True:
            try:
                item = self.work.get_nowait()
            except queue_mod.Empty:
                break
            if item is not None:
                left.append(item[0])
                with self._lock:
                    self._busy -= 1
        for _ in self.threads:
            self.work.put(None)
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self.threads = []
        return left

    def _run(self) -> None:
        route = self.route_factory()
        try:
            while True:
                try:
                    item = self.work.get(timeout=self.idle_close)
                except queue_mod.Empty:
                    route.close()
                    continue
                if item is None:
                    return
                path, parsed, fresh = item
                state = GONE
                try:
                    state = self.deliverer.process(path, route, parsed, fresh=fresh)
                except Exception:
                    log.exception("delivery of %r failed; handing it back to the queue", path.name)
                    try:
                        self.deliverer.queue.release(path)
                    except OSError:
                        log.exception("could not hand %r back; it is recovered at the next start", path.name)
                finally:
                    with self._lock:
                        self._busy -= 1
                    if self.on_done:
                        self.on_done(path, state)
        finally:
            try:
                route.close()
            except Exception:  # noqa: BLE001 - closing after the outcome is recorded: nothing left to report
                pass
