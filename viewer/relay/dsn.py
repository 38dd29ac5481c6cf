"""RFC 3464 delivery status notifications (non-delivery and delay reports)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate, make_msgid

__all__ = ["Failure", "build_report", "status_code"]

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Failure:
    """One recipient the report is about, with the remote server's reply."""

    address: str
    code: int | None
    reply: str
    status: str = ""  # RFC 3463 code; derived from the reply when empty


def status_code(code: int | None, reply: str, *, expired: bool = False) -> str:
    """The RFC 3463 status for a reply: the enhanced code in it, else derived from the basic code."""
    if expired:
        return "4.4.7"
    m = _ENHANCED.search(reply or "")
    if m:
        return m.group(0)
    if code and 400 <= code < 600:
        return f"{code // 100}.0.0"
    return "4.4.1"  # no answer from host (connection failures)


def _ascii(text: str) -> str:
    return " ".join(text.encode("ascii", "replace").decode("ascii").split())


def build_report(
    *,
    original_headers: bytes,
    envelope_sender: str,
    failures: list[Failure],
    reporting_mta: str,
    report_from: str,
    queue_id: str,
    arrival: float,
    remote_mta: str = "",
    action: str = "failed",
    subject: str = "",
) -> bytes:
    """A ``multipart/report; report-type=delivery-status`` message to ``envelope_sender``.

    ``action`` is "failed" (non-delivery) or "delayed" (still trying). The third part holds
    the original headers (text/rfc822-headers).
    """
    boundary = f"=_spoolview_report_{secrets.token_hex(8)}"
    delayed = action == "delayed"
    title = "Delivery Status Notification (Delay)" if delayed else "Undelivered Mail Returned to Sender"
    lines = []
    if delayed:
        lines.append(f"This is the mail relay at {reporting_mta}. Your message could not be delivered yet")
        lines.append("to the recipients below; it is still being tried. No action is required.")
    else:
        lines.append(f"This is the mail relay at {reporting_mta}. Your message could not be delivered")
        lines.append("to the recipients below.")
    lines.append("")
    for f in failures:
        lines.append(f"<{f.address}>: {_ascii(f.reply) or 'no reply'}")
    if subject:
        lines.append("")
        lines.append(f"Subject of your message: {_ascii(subject)}")
    human = "\r\n".join(lines)

    arrived = format_datetime(datetime.fromtimestamp(arrival, UTC))
    per_message = [f"Reporting-MTA: dns; {reporting_mta}", f"X-Spoolview-Queue-ID: {queue_id}", f"Arrival-Date: {arrived}"]
    blocks = ["\r\n".join(per_message)]
    for f in failures:
        status = f.status or status_code(f.code, f.reply)
        block = [
            f"Final-Recipient: rfc822; {f.address}",
            f"Original-Recipient: rfc822; {f.address}",
            f"Action: {action}",
            f"Status: {status}",
        ]
        if remote_mta:
            block.append(f"Remote-MTA: dns; {remote_mta}")
        if f.reply:
            block.append(f"Diagnostic-Code: smtp; {_ascii(f.reply)}")
        block.append(f"Last-Attempt-Date: {formatdate(time.time())}")
        blocks.append("\r\n".join(block))
    status_part = "\r\n\r\n".join(blocks)

    headers = original_headers.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").rstrip(b"\r\n")
    domain = report_from.rpartition("@")[2] or reporting_mta
    head = "\r\n".join(
        [
            f"From: Mail Delivery System <{report_from}>",
            f"To: <{envelope_sender}>",
            f"Subject: {title}",
            f"Date: {formatdate(localtime=True)}",
            f"Message-ID: {make_msgid('report', domain=domain)}",
            "Auto-Submitted: auto-replied",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        ]
    )
    parts = [
        head + "\r\n\r\nThis is a MIME-encapsulated message.\r\n",
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Description: Notification\r\n\r\n{human}\r\n",
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n{status_part}\r\n",
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\nContent-Description: Undelivered message headers\r\n\r\n",
    ]
    return "\r\n".join(parts[:3]).encode("ascii") + ("\r\n" + parts[3]).encode("ascii") + headers + f"\r\n\r\n--{boundary}--\r\n".encode("ascii")
