"""The smart-host route with SMTP PIPELINING (RFC 2920): MAIL, RCPT and DATA in one write.

A transaction without pipelining waits for the server once per command: MAIL, each RCPT,
DATA, then the end of the data — four round trips for one recipient, during which the
delivery thread does nothing. When the smart host advertises PIPELINING, this route sends
MAIL, every RCPT and DATA together and then reads their replies in order, so a message
costs two round trips (the commands, then the data). Everything else — connection, TLS,
AUTH, the error classes and messages, per-recipient results — is viewer.mail's SmtpRoute;
a server without PIPELINING, or non-ASCII addresses (SMTPUTF8), take its plain path.
"""

from __future__ import annotations

import re
import smtplib

from viewer.mail.routes.base import Envelope, PermanentError, SendResult, refused_after_data
from viewer.mail.routes.smtp import OK, SmtpRoute, _reply_text, error_for_code, quoted_data

__all__ = ["PipeliningSmtpRoute"]

CRLF = b"\r\n"
_EOL = re.compile(rb"\r\n|\r|\n")


class PipeliningSmtpRoute(SmtpRoute):
    """SmtpRoute sending each message's envelope commands in one write when the server allows it."""

    def _transaction(self, smtp: smtplib.SMTP, message: bytes, envelope: Envelope) -> SendResult:
        addresses = [envelope.sender, *envelope.recipients]
        if not (smtp.does_esmtp and smtp.has_extn("pipelining")) or any(not a.isascii() for a in addresses):
            return super()._transaction(smtp, message, envelope)
        clean = message.count(b"\r\n") == message.count(b"\n") == message.count(b"\r")  # CRLF only: no copy
        data = message if clean else _EOL.sub(CRLF, message)
        size = len(data)
        options = ""
        if smtp.has_extn("size"):
            limit = int(smtp.esmtp_features.get("size", "0") or 0)
            if limit and size > limit:
                raise PermanentError(
                    f"the message is {size} bytes but {self.where} accepts at most {limit} bytes: "
                    "send a smaller document or fewer attachments",
                    code=552,
                )
            options = f" SIZE={size}"
        # send() checked the envelope (bare local@domain: no spaces, brackets, quotes, commas,
        # parentheses or controls), for which smtplib.quoteaddr's full parse (a tenth of a
        # millisecond per address) gives back exactly "<address>".
        commands = [f"MAIL FROM:<{envelope.sender}>{options}"]
        commands += [f"RCPT TO:<{r}>" for r in envelope.recipients]
        commands.append("DATA")
        smtp.send(("\r\n".join(commands) + "\r\n").encode("ascii"))

        # Every reply is read before anything is raised, so the session stays in step.
        mail_code, mail_resp = smtp.getreply()
        rcpt_replies = [smtp.getreply() for _ in envelope.recipients]
        data_code, data_resp = smtp.getreply()
        if data_code == 354 and (mail_code != OK or not any(c in (OK, 251) for c, _ in rcpt_replies)):
            smtp.send(b"." + CRLF)  # a server that opened DATA anyway gets an empty, ended message
            smtp.getreply()  # (refused: there is no transaction) — the caller resets the session
            data_code = 554
        if mail_code != OK:
            raise error_for_code(mail_code, f"{self.where} refused the sender {envelope.sender}: {mail_code} {_reply_text(mail_resp)}",
                                 _reply_text(mail_resp))
        results = self._recipient_results((address, code, resp) for address, (code, resp) in zip(envelope.recipients, rcpt_replies, strict=True))
        if data_code == 354:
            smtp.send(quoted_data(data))
            data_code, data_resp = smtp.getreply()
        reply = _reply_text(data_resp)
        if data_code != OK:
            raise error_for_code(data_code, f"{self.where} refused the message: {data_code} {reply}", reply,
                                 refused_after_data(results, data_code, reply))
        for r in results:
            if r.accepted:
                r.code, r.reply = data_code, reply
        return SendResult(self.name, results, detail=f"{data_code} {reply}")
