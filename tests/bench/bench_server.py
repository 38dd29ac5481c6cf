"""Benchmark: sending through the application server vs the same route locally; concurrent load.

Run: .venv/bin/python tests/bench/bench_server.py [--sends 40] [--clients 50] [--per-client 20] [--workers 1]

1. Overhead: the sample quote as a composed mail (PDF attached), sent N times
   a) raw smtplib to a loopback sink (baseline), b) the local outbox with direct SMTP,
   c) the outbox through the server route (the server sends with the same SMTP route).
   Prints medians and the extra per send (goal: < 30 ms on loopback).
2. Load: C concurrent clients x M messages each through the server to the sink; all must
   be accepted and arrive (none lost); prints throughput.
The server runs as `spoolview server run` in a child process, like in production.
"""

from __future__ import annotations

import argparse
import os
import queue
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller

from tests.support.smtpd import free_port

USERS = 10


class CountingSink:
    """Accepts everything; remembers each Message-ID that arrived."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        mid = ""
        for line in data.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                mid = line.split(b":", 1)[1].strip().decode()
                break  # the first one: the benchmark puts its own on top
        with self.done:
            self.ids.append(mid)
            self.done.notify_all()
        return "250 2.0.0 OK"

    def wait_for(self, count: int, timeout: float) -> int:
        with self.done:
            self.done.wait_for(lambda: len(self.ids) >= count, timeout)
            return len(self.ids)


def compose_quote(settings, to: str):
    from formats import open_document
    from formats.pdf import to_pdf
    from viewer.mail.compose import Attachment, MailSpec, compose

    doc = open_document(ROOT / "samples" / "devis-D2026-0042.spv")
    pdf = to_pdf(doc)
    spec = MailSpec(to=[to], subject="Devis D2026-0042", body="Bonjour,\nveuillez trouver notre devis.\n", attachments=[Attachment("devis-D2026-0042.pdf", pdf, "application/pdf")], document_id="devis D2026-0042")
    return compose(spec, settings)


def start_server(home: Path, sink_port: int, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = home / "server.toml"
    config.write_text(
        "[server]\n"
        f'database_url = "sqlite:///{home / "server.db"}"\n'
        f"[server.route.functions]\nsend_direct = true\nhost = \"127.0.0.1\"\nport = {sink_port}\nsend_without_file = true\n"
        f"[server.route.copies]\nsent_folder = \"{home / 'srv-sent'}\"\nerror_folder = \"{home / 'srv-errors'}\"\nlog_folder = \"{home / 'srv-log'}\"\n",
        encoding="utf-8",
    )
    env = dict(os.environ, SPOOLVIEW_HOME=str(home / "server-home"))
    from viewer.server.auth import hash_password
    from viewer.server.db import Database

    db = Database(f"sqlite:///{home / 'server.db'}")
    hashed = hash_password("pw")  # one scrypt; the users share it (same password)
    for i in range(USERS):
        db.add_user(f"user{i}", hashed)
    db.dispose()
    proc = subprocess.Popen(
        [sys.executable, "-m", "viewer.cli", "server", "run", "--config", str(config), "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]  # started with stderr=PIPE
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    started = 0
    while started < workers:
        line = lines.get(timeout=120)
        if line == "":
            raise SystemExit("server did not start")
        started += "Application startup complete" in line
    return proc, f"http://127.0.0.1:{port}"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=40)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-server-"))
    os.environ["SPOOLVIEW_HOME"] = str(home / "viewer-home")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    sink = CountingSink()
    sink_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    proc, url = start_server(home, sink_port, args.workers)
    try:
        from viewer.connection import Connection
        from viewer.mail.outbox import Outbox
        from viewer.mail.routes.server import ServerRoute
        from viewer.settings import ConnectionProfile, Settings

        settings = Settings()
        settings.functions.send_direct = True
        settings.functions.host, settings.functions.port = "127.0.0.1", sink_port
        settings.functions.from_identity = "sales@example.com"
        settings.functions.send_without_file = True
        composed = compose_quote(settings, "client@example.org")
        raw, envelope = composed.raw, composed.envelope
        print(f"sample quote message: {len(raw)} bytes")

        # a) raw smtplib baseline: one connection per message, like the routes do per send.
        raw_times = []
        for _ in range(args.sends):
            t = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", sink_port, local_hostname="localhost") as smtp:
                smtp.sendmail(envelope.sender, list(envelope.recipients), raw)
            raw_times.append(time.perf_counter() - t)

        # b) local outbox, direct SMTP route
        local_times = []
        for _ in range(args.sends):
            t = time.perf_counter()
            outcome = Outbox(settings).send(composed)
            local_times.append(time.perf_counter() - t)
            assert outcome.ok, outcome.summary_lines()

        # c) outbox through the server route
        conn = Connection(ConnectionProfile(name="bench", url=url, user="user0"), timeout=60)
        conn.connect("pw")
        server_times = []
        for _ in range(args.sends):
            t = time.perf_counter()
            outcome = Outbox(settings, route=ServerRoute(conn)).send(composed)
            server_times.append(time.perf_counter() - t)
            assert outcome.ok, outcome.summary_lines()
        extra = median_ms(server_times) - median_ms(local_times)
        print(f"raw smtplib        median {median_ms(raw_times):7.2f} ms")
        print(f"local outbox+SMTP  median {median_ms(local_times):7.2f} ms  ({median_ms(local_times) / median_ms(raw_times):.2f}x raw)")
        print(f"through server     median {median_ms(server_times):7.2f} ms  ({median_ms(server_times) / median_ms(raw_times):.2f}x raw)")
        print(f"server overhead    {extra:+.2f} ms per send (goal < 30 ms): {'OK' if extra < 30 else 'OVER'}")

        # 2) concurrent load
        before = len(sink.ids)
        total = args.clients * args.per_client
        connections = []
        for i in range(args.clients):
            c = Connection(ConnectionProfile(name=f"bench{i}", url=url, user=f"user{i % USERS}"), timeout=120)
            c.connect("pw")
            connections.append(c)

        def client(index: int) -> list[str]:
            c, ids = connections[index], []
            for n in range(args.per_client):
                mid = f"<bench-{index}-{n}@example.com>"
                message = f"Message-ID: {mid}\r\n".encode() + raw
                answer = c.send(message, envelope.sender, tuple(envelope.recipients), document=f"bench {index}/{n}")
                if not answer.error_kind and all(r.accepted for r in answer.recipients):
                    ids.append(mid)
            return ids

        t = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            accepted = [mid for ids in pool.map(client, range(args.clients)) for mid in ids]
        elapsed = time.perf_counter() - t
        arrived = sink.wait_for(before + total, 60) - before
        lost = set(accepted) - set(sink.ids)
        print(f"load: {args.clients} clients x {args.per_client} = {total} messages in {elapsed:.2f} s -> {total / elapsed:.1f} msg/s "
              f"(workers {args.workers}); accepted {len(accepted)}, arrived {arrived}, lost {len(lost)}")
        single = 1 / statistics.median(raw_times)
        print(f"raw smtplib sequential rate for comparison: {single:.1f} msg/s")
        if len(accepted) != total or lost:
            raise SystemExit("FAILED: not every message was accepted and delivered")
    finally:
        proc.terminate()
        proc.wait(30)
        controller.stop()


if __name__ == "__main__":
    main()
