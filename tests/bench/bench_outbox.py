"""Benchmarks of the send road: click-to-accepted via the pickup folder, and a direct SMTP batch.

Run: .venv/bin/python tests/bench/bench_outbox.py [--messages 500] [--clicks 30]
Prints figures and ratios against raw baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from viewer.mail.routes.base import Envelope

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"


# -- a fast SMTP sink in its own process (like Postfix's smtp-sink) -----------------------
def _serve(conn: socket.socket) -> None:
    f = conn.makefile("rb")
    conn.sendall(b"220 sink ESMTP\r\n")
    while True:
        line = f.readline()
        if not line:
            return
        verb = line[:4].upper()
        if verb in (b"EHLO",):
            conn.sendall(b"250-sink\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250 PIPELINING\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go\r\n")
            while True:
                chunk = f.readline()
                if not chunk or chunk == b".\r\n":
                    break
            conn.sendall(b"250 2.0.0 queued\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"250 ok\r\n")


def _sink(port_queue) -> None:
    import threading

    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port_queue.put(srv.getsockname()[1])
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=_serve, args=(conn,), daemon=True).start()


def start_sink() -> tuple[Any, int]:
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_sink, args=(q,), daemon=True)
    proc.start()
    return proc, q.get(timeout=10)


# -- helpers --------------------------------------------------------------------------------
def message_30k(i: int) -> tuple[bytes, Envelope]:
    from viewer.mail.routes.base import Envelope

    body = (b"Ligne de texte du message de test numero %06d pour le banc d'essai.\r\n" % i) * 440
    raw = (
        b"From: agent@example.com\r\nTo: client@example.org\r\nSubject: bench %d\r\n"
        b"Message-ID: <bench-%d@example.com>\r\n\r\n" % (i, i)
    ) + body
    return raw, Envelope("agent@example.com", ("client@example.org",))


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def bench_smtp(n: int, rounds: int) -> None:
    from viewer.mail.outbox import Outbox
    from viewer.mail.routes.smtp import SmtpRoute
    from viewer.settings import Settings

    proc, port = start_sink()
    items = [message_30k(i) for i in range(n)]
    size = sum(len(r) for r, _ in items) / n
    settings = Settings()
    fn = settings.functions
    fn.send_direct, fn.host, fn.port, fn.domain = True, "127.0.0.1", port, "bench.local"

    def bare() -> None:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local")
        for raw, env in items:
            s.sendmail(env.sender, list(env.recipients), raw)
        s.quit()

    def route() -> None:
        results = SmtpRoute("127.0.0.1", port, local_hostname="bench.local").send_many(items)
        assert all(getattr(r, "ok", False) for r in results)

    def outbox(keep_copy: bool):
        def run() -> None:
            fn.send_without_file = not keep_copy
            assert all(o.ok for o in Outbox(settings).send_many(items, document=""))

        return run

    cases = {
        "bare smtplib, one connection ": bare,
        "SmtpRoute.send_many          ": route,
        "Outbox (log+history, no copy)": outbox(False),
        "Outbox (log+history+copy)    ": outbox(True),
    }
    rates: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for _ in range(rounds):  # interleaved rounds: the machine is shared, take the best
            for name, case in cases.items():
                t = time.perf_counter()
                case()
                rates[name].append(rate(n, time.perf_counter() - t))
    finally:
        proc.terminate()
    print(f"direct SMTP batch: {n} messages of {size / 1024:.1f} KB to a local sink, {rounds} interleaved rounds")
    bare_rates = rates["bare smtplib, one connection "]
    for name, values in rates.items():
        best, med = max(values), statistics.median(values)
        paired = statistics.median(v / b for v, b in zip(values, bare_rates, strict=True))  # same round, same load
        print(f"  {name}: best {best:6.0f} msg/s, median {med:6.0f}; ratio to bare (median of rounds) {paired:.2f}x")


def bench_click(clicks: int) -> None:
    from formats import open_document
    from viewer.mail.attachments import document_attachment
    from viewer.mail.compose import MailSpec, compose
    from viewer.mail.outbox import Outbox
    from viewer.mail.routes.pickup import atomic_write
    from viewer.settings import Settings

    settings = Settings()
    settings.service.from_identity = "Agent <agent@example.com>"
    settings.pdf.protection = "no-modify"
    doc = open_document(QUOTE)
    outbox = Outbox(settings)
    steps: dict[str, list[float]] = {"pdf+protect": [], "compose": [], "outbox.send": [], "total": []}
    raw_writes: list[float] = []
    for i in range(clicks + 3):
        t0 = time.perf_counter()
        att = document_attachment(doc, settings, "EMAIL")
        t1 = time.perf_counter()
        composed = compose(MailSpec(to=["client@example.org"], subject="Votre devis", body="Bonjour\n", attachments=[att], document_id="devis D2026-0042"), settings)
        t2 = time.perf_counter()
        outcome = outbox.send(composed, document="devis D2026-0042")
        t3 = time.perf_counter()
        assert outcome.ok
        # Raw baseline: the same bytes written, fsynced and renamed into a folder.
        t4 = time.perf_counter()
        atomic_write(Path(settings.service.pickup_folder).parent / "raw", composed.raw)
        t5 = time.perf_counter()
        if i < 3:
            continue  # warm-up (fonts, caches)
        steps["pdf+protect"].append(t1 - t0)
        steps["compose"].append(t2 - t1)
        steps["outbox.send"].append(t3 - t2)
        steps["total"].append(t3 - t0)
        raw_writes.append(t5 - t4)
    print(f"click-to-accepted, sample quote through the pickup folder ({clicks} clicks, median):")
    for name, values in steps.items():
        print(f"  {name:12s}: {1000 * statistics.median(values):7.1f} ms")
    raw = statistics.median(raw_writes)
    send = statistics.median(steps["outbox.send"])
    print(f"  raw atomic write of the same bytes: {1000 * raw:.1f} ms; outbox.send / raw = {send / raw:.2f}x")
    print(f"  message size {len(composed.raw) / 1024:.0f} KB; target total < 150 ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["SPOOLVIEW_HOME"] = home
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        bench_click(args.clicks)
        bench_smtp(args.messages, args.rounds)


if __name__ == "__main__":
    main()
