"""Soak test (`make soak`): 10,000 messages through pickup and 3,000 through the listener, random SIGKILLs, a smart host failing 10%.

The kills hit the relay process (kill -9: its listener workers finish their sessions and
exit) or, one time in three, one of its listener worker processes (replaced at once). The
SMTP clients retry a message until it is acknowledged; every acknowledged message must be
delivered (or be in badmail, or still queued): lost must be 0.
"""

from __future__ import annotations

import os
import random
import re
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import tomli_w

from tests.support.procs import children
from tests.support.smtpd import RecordingHandler, SmtpServer, free_port

TOTAL = int(os.environ.get("SOAK_MESSAGES", "10000"))
LISTENER_TOTAL = int(os.environ.get("SOAK_LISTENER_MESSAGES", "3000"))  # ids TOTAL.. TOTAL + LISTENER_TOTAL - 1
SESSIONS = 3
DEADLINE = float(os.environ.get("SOAK_SECONDS", "600"))  # the whole run is bounded
FAIL_RATE = 0.10
MSGID = re.compile(rb"Message-ID: <soak(\d+)@test>")


class Flaky(RecordingHandler):
    """Answers 451 to 10% of the messages, records the rest."""

    async def handle_DATA(self, server, session, envelope):
        if random.random() < FAIL_RATE:
            with self.lock:
                self.failures = getattr(self, "failures", 0) + 1
            return "451 4.3.0 random failure (soak)"
        return await super().handle_DATA(server, session, envelope)


def message(n: int) -> bytes:
    return (f"From: soak@example.com\r\nTo: sink@example.com\r\nSubject: soak {n}\r\nMessage-ID: <soak{n}@test>\r\n\r\n"
            + "x" * 900 + "\r\n").encode()


def ids_in(folder: Path) -> set[int]:
    found = set()
    for path in folder.rglob("*"):
        if path.is_file():
            try:
                m = MSGID.search(path.read_bytes())
            except OSError:
                continue
            if m:
                found.add(int(m.group(1)))
    return found


def main() -> int:
    random.seed(int(os.environ.get("SOAK_SEED", "7")))
    start = time.monotonic()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, SmtpServer(Flaky()) as sink:
        base = Path(tmp)
        pickup = base / "pickup"
        pickup.mkdir()
        config = base / "relay.toml"
        config.write_text(tomli_w.dumps({
            "queue": {"folder": str(base / "queue"), "lease_seconds": 20.0},
            "pickup": {"folder": str(pickup), "scan_interval": 0.5},
            "smarthost": {"host": "127.0.0.1", "port": sink.port, "connections": 2, "timeout": 10.0},
            "retry": {"schedule": [0.2, 0.5], "interval": 1.0, "max_age": 86400.0},
            "listener": {"enabled": True, "port": port, "processes": 2, "max_connections_per_client": 100},
            "log": {"level": "WARNING"},
        }))
        dropped = 0
        acknowledged: set[int] = set()
        next_id = iter(range(TOTAL, TOTAL + LISTENER_TOTAL))
        id_lock = threading.Lock()

        def injector() -> None:
            """An SMTP client: each message tried again until a 250 (a kill cuts sessions)."""
            while True:
                with id_lock:
                    n = next(next_id, None)
                if n is None:
                    return
                while time.monotonic() < start + DEADLINE * 0.8:
                    try:
                        with smtplib.SMTP("127.0.0.1", port, timeout=20) as c:
                            c.sendmail("soak@example.com", ["sink@example.com"], message(n))
                    except (OSError, smtplib.SMTPException):
                        time.sleep(0.05)
                        continue
                    with id_lock:
                        acknowledged.add(n)
                    break

        def dropper() -> None:
            nonlocal dropped
            for n in range(TOTAL):
                tmp_name = pickup / f".{n}.tmp"
                tmp_name.write_bytes(message(n))
                os.rename(tmp_name, pickup / f"{n:06d}.eml")
                dropped += 1
                if n % 200 == 0:
                    time.sleep(0.05)

        writer = threading.Thread(target=dropper, daemon=True)
        writer.start()
        clients = [threading.Thread(target=injector, daemon=True) for _ in range(SESSIONS)]
        for t in clients:
            t.start()
        kills = worker_kills = 0
        log = open(base / "relay-stderr.log", "wb")

        def start_relay() -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "viewer.cli", "relay", "run", "--config", str(config)],
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)

        proc = start_relay()
        kill_until = start + DEADLINE * 0.6
        while time.monotonic() < kill_until and (writer.is_alive() or len(sink.messages) < (TOTAL + LISTENER_TOTAL) * 0.97):
            time.sleep(random.uniform(1.0, 4.0))
            workers = children(proc.pid)
            if workers and random.random() < 1 / 3:
                os.kill(random.choice(workers), signal.SIGKILL)  # the relay replaces it
                worker_kills += 1
                continue
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            kills += 1
            proc = start_relay()
        writer.join(max(1.0, start + DEADLINE - time.monotonic()))
        for t in clients:
            t.join(max(1.0, start + DEADLINE - time.monotonic()))

        def delivered() -> set[int]:
            with sink.handler.lock:
                return {int(m.group(1)) for m in map(MSGID.search, (d.data for d in sink.handler.messages)) if m}

        while time.monotonic() < start + DEADLINE and len(delivered()) < dropped + len(acknowledged):
            with sink.handler.arrived:
                sink.handler.arrived.wait(0.5)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        log.close()
        got = delivered()
        receipts = len(sink.handler.messages)
        badmail = ids_in(base / "queue" / "badmail") if (base / "queue" / "badmail").exists() else set()
        queued = ids_in(base / "queue" / "incoming") | ids_in(base / "queue" / "deferred") | ids_in(base / "queue" / "active") | ids_in(pickup)
        sent = set(range(dropped)) | acknowledged
        lost = sent - got - badmail - queued
        print(f"elapsed           {time.monotonic() - start:.0f} s (bound {DEADLINE:.0f} s)")
        print(f"SIGKILLs          {kills} of the relay, {worker_kills} of a listener worker")
        print(f"smart host 451s   {getattr(sink.handler, 'failures', 0)}")
        print(f"dropped           {dropped} (pickup)")
        print(f"acknowledged      {len(acknowledged)} of {LISTENER_TOTAL} (listener, 250 received)")
        print(f"delivered         {len(got)}")
        print(f"duplicates        {receipts - len(got)}")
        print(f"still queued      {len(queued - got)}")
        print(f"in badmail        {len(badmail)}")
        print(f"lost              {len(lost)}")
        print(f"last stop exit    {code}")
        if lost:
            print(f"LOST ids: {sorted(lost)[:20]}")
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
