"""Benchmark: relay throughput (pickup -> smart host) vs bare smtplib and the disk's fsync rate; pickup latency."""

from __future__ import annotations

import base64
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.smtpd import RecordingHandler, SmtpServer, free_port
from viewer.relay.config import from_dict
from viewer.relay.service import RelayService

COUNT = int(os.environ.get("BENCH_RELAY_COUNT", "2000"))
SIZE = 30 * 1024
LATENCY_SAMPLES = int(os.environ.get("BENCH_RELAY_SAMPLES", "30"))

# A minimal SMTP sink (asyncio, no per-line work): the smart host must not be the bottleneck,
# or every figure would only measure it.
SINK = r"""
import asyncio, sys

class Sink(asyncio.Protocol):
    def connection_made(self, transport):
        self.t, self.buf, self.data = transport, b"", False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, chunk):
        self.buf += chunk
        while True:
            if self.data:
                end = self.buf.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buf, self.data = self.buf[end + 5:], False
                self.t.write(b"250 2.0.0 ok\r\n")
                continue
            end = self.buf.find(b"\r\n")
            if end < 0:
                return
            line, self.buf = self.buf[:end], self.buf[end + 2:]
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.t.write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.data = True
                self.t.write(b"354 go\r\n")
            elif verb == b"QUIT":
                self.t.write(b"221 bye\r\n")
                self.t.close()
                return
            else:
                self.t.write(b"250 ok\r\n")

async def main():
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.close()

asyncio.run(main())
"""


def _more_than(items: dict[int, float], count: int) -> bool:
    return len(items) > count


def message(n: int) -> bytes:
    body = base64.encodebytes(random.randbytes(SIZE * 3 // 4)).replace(b"\n", b"\r\n")
    head = f"From: bench@example.com\r\nTo: sink@example.com\r\nSubject: bench {n}\r\nMessage-ID: <b{n}@bench>\r\n\r\n"
    return head.encode() + body


def fsync_rate(folder: Path, payloads: list[bytes]) -> float:
    """Files/s for: create, write, fsync, close — the floor of any durable queue on this disk."""
    folder.mkdir()
    t0 = time.perf_counter()
    for i, data in enumerate(payloads):
        fd = os.open(folder / f"{i}.eml", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
    return len(payloads) / (time.perf_counter() - t0)


def smtplib_rate(port: int, payloads: list[bytes]) -> float:
    import smtplib

    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as c:
        for data in payloads:
            c.sendmail("bench@example.com", ["sink@example.com"], data)
    return len(payloads) / (time.perf_counter() - t0)


def config(base: Path, port: int, **over):
    data: dict[str, dict[str, Any]] = {
        "queue": {"folder": str(base / "queue")},
        "pickup": {"folder": str(base / "pickup"), "scan_interval": 1.0},
        "smarthost": {"host": "127.0.0.1", "port": port, "connections": 2},
        "log": {"level": "WARNING"},
    }
    for k, v in over.items():
        data[k].update(v)
    (base / "pickup").mkdir(parents=True, exist_ok=True)
    return from_dict(data)


def relay_rate(base: Path, port: int, payloads: list[bytes], connections: int) -> float:
    cfg = config(base, port, smarthost={"connections": connections})
    pickup = Path(cfg.pickup.folder)
    for i, data in enumerate(payloads):  # dropped before the start: the clock covers pickup + delivery
        (pickup / f".{i}.tmp").write_bytes(data)
        os.rename(pickup / f".{i}.tmp", pickup / f"{i:05d}.eml")
    done = threading.Semaphore(0)
    svc = RelayService(cfg)
    service_done = svc.pool.on_done  # kept: the service's own bookkeeping is part of what is measured
    assert service_done is not None

    def on_done(path: Path, state: str) -> None:
        service_done(path, state)
        done.release()

    svc.pool.on_done = on_done
    t0 = time.perf_counter()
    svc.start()
    for _ in payloads:
        if not done.acquire(timeout=120):
            raise SystemExit("relay did not finish")
    elapsed = time.perf_counter() - t0
    svc.stop()
    st = svc.status()
    assert st.incoming == st.deferred == st.active == 0, st
    return len(payloads) / elapsed


def latency(base: Path, events: bool, samples: int) -> list[float]:
    stamps: dict[int, float] = {}
    arrived = threading.Condition()

    class Timed(RecordingHandler):
        async def handle_DATA(self, server, session, envelope):
            return "250 ok"

        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            with arrived:
                stamps[len(stamps)] = time.perf_counter()
                arrived.notify_all()
            return await super().handle_MAIL(server, session, envelope, address, mail_options)

    out = []
    with SmtpServer(Timed()) as sink:
        cfg = config(base, sink.port, pickup={"events": events, "scan_interval": 1.0}, smarthost={"connections": 1})
        svc = RelayService(cfg).start()
        pickup = Path(cfg.pickup.folder)
        try:
            time.sleep(0.3)
            for i in range(samples):
                data = message(i)[:2000]
                (pickup / f".{i}.tmp").write_bytes(data)
                t0 = time.perf_counter()
                os.rename(pickup / f".{i}.tmp", pickup / f"l{i}.eml")
                with arrived:
                    if not arrived.wait_for(functools.partial(_more_than, stamps, i), 10):
                        raise SystemExit("no delivery")
                out.append(stamps[i] - t0)
                # a random phase against the scan clock (else the samples lock onto it)
                time.sleep(random.uniform(0.02, 0.2) if events else random.uniform(0.0, 1.0))
        finally:
            svc.stop()
    return out


def main() -> None:
    random.seed(1)
    payloads = [message(i) for i in range(COUNT)]
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None
    assert sink.stdout.readline().strip() == "ready"
    try:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            base = Path(tmp)
            disk = fsync_rate(base / "fsync", payloads)
            bare = smtplib_rate(port, payloads)
            relay1 = relay_rate(base / "r1", port, payloads, 1)
            relay2 = relay_rate(base / "r2", port, payloads, 2)
            lat_events = latency(base / "lat-ev", True, LATENCY_SAMPLES)
            lat_scan = latency(base / "lat-scan", False, max(10, LATENCY_SAMPLES // 2))
    finally:
        if sink.stdin is not None:
            sink.stdin.close()
        sink.wait(10)
    print(f"messages: {COUNT} x ~{SIZE // 1024} KB")
    print(f"disk fsync-write rate          {disk:8.0f} files/s")
    print(f"bare smtplib, one connection   {bare:8.0f} msg/s")
    print(f"relay pickup->smart host, 1 c. {relay1:8.0f} msg/s  = {relay1 / bare:.2f}x smtplib, {relay1 / disk:.2f}x fsync rate")
    print(f"relay pickup->smart host, 2 c. {relay2:8.0f} msg/s  = {relay2 / bare:.2f}x smtplib, {relay2 / disk:.2f}x fsync rate")
    for name, values in (("events", lat_events), ("scan only", lat_scan)):
        values = sorted(values)
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"pickup latency ({name:9}) median {statistics.median(values) * 1000:7.1f} ms  p90 {p90 * 1000:7.1f} ms  (n={len(values)})")


if __name__ == "__main__":
    main()
