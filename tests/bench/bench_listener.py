"""Benchmark: the relay's SMTP listener (8 sessions, 2,000 messages of 30 KB, 250 only once durable).

Prints spoolview's rate, the stock aiosmtpd listener storing each message the plain way
(write, fsync, rename, fsync the folder) measured in the same run, and with ``--peers``
Postfix's smtpd relaying to the same sink (Debian's postfix: smtp-source drives both, so
the load generator is the same; installed here if missing, never by ``make test``).

The workload is smtp-source's: ``-s 8 -m 2000 -l 30720``, one message per connection
(HELO, MAIL, RCPT, DATA, QUIT), to one sink standing for the smart host. The figure is
messages accepted per second as the client sees them; the relay delivers to the sink at
the same time, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from viewer.relay.config import from_dict
from viewer.relay.queue import Queue
from viewer.relay.service import RelayService

COUNT = int(os.environ.get("BENCH_LISTENER_COUNT", "2000"))
SESSIONS = int(os.environ.get("BENCH_LISTENER_SESSIONS", "8"))
SIZE = 30 * 1024
ROUNDS = int(os.environ.get("BENCH_LISTENER_ROUNDS", "3"))
NOTES: list[str] = []

# smtp-source's session in Python (a separate process, so it has the other core): one
# message per connection, the body in lines of 78 characters, like smtp-source -l.
SOURCE = r"""
import asyncio, sys, time

port, sessions, count, size = (int(a) for a in sys.argv[1:5])
line = b"La de da de da " * 5 + b"abc\r\n"
body = b"From: bench@example.com\r\nTo: sink@example.com\r\nSubject: bench\r\n\r\n"
body += line * (size // len(line)) + b".\r\n"
left = count

async def reply(reader):
    while True:
        got = await reader.readline()
        if not got:
            raise SystemExit("connection closed")
        if got[3:4] != b"-":
            return got

async def session():
    global left
    while left > 0:
        left -= 1
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reply(reader)
        for cmd in (b"HELO bench\r\n", b"MAIL FROM:<bench@example.com>\r\n", b"RCPT TO:<sink@example.com>\r\n", b"DATA\r\n"):
            writer.write(cmd)
            code = await reply(reader)
        if not code.startswith(b"354"):
            raise SystemExit(f"DATA answered {code!r}")
        writer.write(body)
        code = await reply(reader)
        if not code.startswith(b"250"):
            raise SystemExit(f"message answered {code!r}")
        writer.write(b"QUIT\r\n")
        await reply(reader)
        writer.close()

async def main():
    t0 = time.perf_counter()
    await asyncio.gather(*(session() for _ in range(sessions)))
    print(time.perf_counter() - t0, flush=True)

asyncio.run(main())
"""

SINK = (ROOT / "tests" / "bench" / "bench_relay.py").read_text().split('SINK = r"""', 1)[1].split('"""', 1)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def drive(port: int, *, peers: bool) -> float:
    """Messages per second smtp-source (peers) or its Python twin gets accepted on ``port``."""
    if peers:
        t0 = time.perf_counter()
        subprocess.run(["smtp-source", "-s", str(SESSIONS), "-m", str(COUNT), "-l", str(SIZE), "-f", "bench@example.com",
                        "-t", "sink@example.com", f"127.0.0.1:{port}"], check=True, stdout=subprocess.DEVNULL)
        return COUNT / (time.perf_counter() - t0)
    out = subprocess.run([sys.executable, "-c", SOURCE, str(port), str(SESSIONS), str(COUNT), str(SIZE)],
                         check=True, capture_output=True, text=True)
    return COUNT / float(out.stdout.strip())


def relay_config(base: Path, listen: int, sink: int):
    return from_dict({
        "queue": {"folder": str(base / "queue")},
        "smarthost": {"host": "127.0.0.1", "port": sink, "connections": 2},
        "listener": {"enabled": True, "port": listen, "hostname": "bench.example"},
        "log": {"level": "WARNING"},
    })


def spoolview_rate(base: Path, sink: int, *, peers: bool) -> float:
    port = free_port()
    svc = RelayService(relay_config(base, port, sink)).start()
    assert svc.listener is not None
    cpu = time.process_time()
    try:
        rate = drive(port, peers=peers)
    finally:
        svc.stop()
    commit = svc.listener.handler.commit
    NOTES.append(f"{(time.process_time() - cpu) * 1000 / COUNT:.2f} ms of relay CPU per message (listener and delivery), "
                 f"{commit.messages / max(commit.groups, 1):.1f} messages per group commit")
    return rate


def stock_rate(base: Path, *, peers: bool) -> float:
    """The baseline: aiosmtpd as it comes (line-by-line DATA, a command table per connection),
    each message written, fsynced, renamed and its folder fsynced before 250."""
    from aiosmtpd.controller import Controller

    queue = Queue(base / "queue").ensure()

    class Store:
        async def handle_DATA(self, server, session, envelope):
            data = bytes(envelope.original_content)
            qid = await asyncio.get_running_loop().run_in_executor(None, queue.store, data)
            return f"250 2.0.0 Queued as {qid}"

    port = free_port()
    controller = Controller(Store(), hostname="127.0.0.1", port=port, server_hostname="bench.example")
    controller.start()
    try:
        return drive(port, peers=peers)
    finally:
        controller.stop()


# -- Postfix (bench-peers) -----------------------------------------------------------------


def ensure_postfix() -> None:
    """Debian's postfix (smtpd, smtp-source, smtp-sink), installed if missing (root only)."""
    if shutil.which("smtp-source") and Path("/usr/sbin/postfix").exists():
        return
    if os.geteuid() != 0:
        raise SystemExit("bench-peers needs Debian's postfix: sudo apt-get install postfix")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["debconf-set-selections"], input="postfix postfix/main_mailer_type select No configuration\n",
                   text=True, check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], check=True, env=env, stdout=subprocess.DEVNULL)


POSTFIX_DIR = Path("/var/tmp/spoolview-bench-postfix")  # the private instance's configuration and queue


def postfix_rate(sink: int) -> float:
    """Postfix's smtpd on a private instance (its own main.cf, master.cf and queue) relaying to the sink."""
    shutil.rmtree(POSTFIX_DIR, ignore_errors=True)
    spool, data = POSTFIX_DIR / "spool", POSTFIX_DIR / "data"
    for folder in (POSTFIX_DIR, spool, data):
        folder.mkdir(mode=0o755)
    shutil.chown(data, "postfix")
    default = Path("/etc/postfix/main.cf")  # postfix -c accepts only directories the default one names
    if not default.exists():
        default.write_text(f"# written by spoolview's tests/bench/bench_listener.py --peers\n"
                           f"compatibility_level = 3.6\nalternate_config_directories = {POSTFIX_DIR}\n")
    elif str(POSTFIX_DIR) not in default.read_text():
        raise SystemExit(f"{default} exists: add 'alternate_config_directories = {POSTFIX_DIR}' to it for bench-peers")
    port = free_port()
    main_cf = {
        "queue_directory": str(spool), "data_directory": str(data), "inet_interfaces": "127.0.0.1",
        "inet_protocols": "ipv4", "mydestination": "", "relayhost": f"[127.0.0.1]:{sink}", "mynetworks": "127.0.0.0/8",
        "smtpd_relay_restrictions": "permit_mynetworks, reject", "compatibility_level": "3.6",
        "maillog_file": str(POSTFIX_DIR / "maillog"), "myhostname": "bench.example", "smtp_tls_security_level": "none",
        "default_process_limit": "100", "smtpd_client_connection_rate_limit": "0",
        "smtpd_client_connection_count_limit": "0",
    }
    (POSTFIX_DIR / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main_cf.items()))
    master = []
    for line in Path("/etc/postfix/master.cf").read_text().splitlines():
        cols = line.split()
        if line[:1].isalnum() and len(cols) >= 8:
            if cols[0] == "smtp" and cols[1] == "inet":
                cols[0] = f"127.0.0.1:{port}"
            cols[4] = "n"  # no chroot: the private queue has no copy of /etc
            line = "  ".join(cols)
        master.append(line)
    (POSTFIX_DIR / "master.cf").write_text("\n".join(master) + "\n")
    env = {**os.environ, "MAIL_CONFIG": str(POSTFIX_DIR)}
    subprocess.run(["postfix", "-c", str(POSTFIX_DIR), "start"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        return drive(port, peers=True)
    finally:
        subprocess.run(["postfix", "-c", str(POSTFIX_DIR), "stop"], check=False, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)


def start_sink(peers: bool) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    if peers:  # Postfix's own sink: the smart host costs the same for everyone
        user = ["-u", "postfix"] if os.geteuid() == 0 else []
        sink = subprocess.Popen(["smtp-sink", *user, "-c", f"127.0.0.1:{port}", "256"], stdout=subprocess.DEVNULL, text=True)
        wait_port(port)
        return sink, port
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    return sink, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", action="store_true", help="also measure Postfix (installs Debian's postfix if missing)")
    args = parser.parse_args()
    if args.peers:
        ensure_postfix()
    sink, sink_port = start_sink(args.peers)
    ours, stock, postfix = [], [], []
    try:
        for _ in range(ROUNDS):  # interleaved, so a busy moment of the machine hits all alike
            with tempfile.TemporaryDirectory() as tmp:
                ours.append(spoolview_rate(Path(tmp), sink_port, peers=args.peers))
            with tempfile.TemporaryDirectory() as tmp:
                stock.append(stock_rate(Path(tmp), peers=args.peers))
            if args.peers:
                postfix.append(postfix_rate(sink_port))
    finally:
        if sink.stdin:
            sink.stdin.close()
        sink.terminate()
        sink.wait()
    gen = "smtp-source" if args.peers else "smtp-source's session in Python"
    print(f"relay listener, {gen} -s {SESSIONS} -m {COUNT}, {SIZE // 1024} KB, one message per connection, "
          f"median of {ROUNDS} (msg/s accepted, 250 only once durable)")
    ours_m, stock_m = statistics.median(ours), statistics.median(stock)
    print(f"  spoolview listener          {ours_m:8.0f} msg/s   ({', '.join(f'{r:.0f}' for r in ours)})")
    print(f"  baseline: stock aiosmtpd    {stock_m:8.0f} msg/s   ({', '.join(f'{r:.0f}' for r in stock)})"
          f"   ratio {ours_m / stock_m:.2f}x")
    for note in NOTES:
        print(f"    spoolview: {note}")
    if postfix:
        pf = statistics.median(postfix)
        print(f"  peer: Postfix smtpd         {pf:8.0f} msg/s   ({', '.join(f'{r:.0f}' for r in postfix)})"
              f"   ratio {ours_m / pf:.2f}x (goal >= 1.0x)")


if __name__ == "__main__":
    main()
