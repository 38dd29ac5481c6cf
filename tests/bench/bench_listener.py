"""Benchmark: the relay's SMTP listener (8 sessions, 2,000 messages of 30 KB, 250 only once durable).

Prints spoolview's rate, the stock aiosmtpd listener storing each message the plain way
(write, fsync, rename, fsync the folder) measured in the same run, and with ``--peers``
Postfix's smtpd relaying to the same sink (Debian's postfix: smtp-source drives both, so
the load generator is the same; installed here if missing, never by ``make test``).

The workload is smtp-source's: ``-s 8 -m 2000 -l 30720``, one message per connection
(HELO, MAIL, RCPT, DATA, QUIT), to one sink standing for the smart host. The figure is
messages accepted per second as the client sees them; the relay delivers to the sink at
the same time, as in production. CPU per message is printed for the relay process and for
all of Postfix's processes (master and every child, reaped or living) of the same rounds.

With ``--peers`` it also compares the pickup folder with Postfix's maildrop (sendmail, which
runs postdrop): the same 2,000 messages written by 8 writers at once while each mail system
runs (msg/s from the first message written to the last one the sink accepted), and as a
backlog written before each starts (msg/s from its start). ``--only listener|pickup`` runs
one part.
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
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.procs import child_map
from tests.support.sockets import wait_listening
from viewer.relay.acceptor import ListenerPool
from viewer.relay.config import from_dict
from viewer.relay.queue import Queue
from viewer.relay.service import RelayService

COUNT = int(os.environ.get("BENCH_LISTENER_COUNT", "2000"))
SESSIONS = int(os.environ.get("BENCH_LISTENER_SESSIONS", "8"))
SIZE = 30 * 1024
ROUNDS = int(os.environ.get("BENCH_LISTENER_ROUNDS", "3"))
NOTES: list[str] = []
NOTES_ALSO: list[str] = []
NOTES_PF: list[float] = []  # Postfix's CPU per message (ms), per round

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
    if not wait_listening(port, timeout):
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


def relay_config(base: Path, listen: int, sink: int, processes: int = 0):
    return from_dict({
        "queue": {"folder": str(base / "queue")},
        "smarthost": {"host": "127.0.0.1", "port": sink, "connections": 2},
        # smtp-source opens a new connection as soon as the last one is closed, before the
        # listener has counted the old one out: 8 sessions can look like 11 for a moment
        # (Postfix runs with its per-client count limit off, too).
        "listener": {"enabled": True, "port": listen, "hostname": "bench.example", "max_connections_per_client": 100,
                     "processes": processes},
        "log": {"level": "WARNING"},
    })


def _relay_cpu(svc: RelayService) -> tuple[float, float]:
    """CPU seconds so far of the relay process, and of its listener workers."""
    listener = svc.listener
    workers = listener.pids if isinstance(listener, ListenerPool) else []
    return time.process_time(), sum(_proc_cpu(pid) for pid in workers)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def spoolview_rate(base: Path, sink: int, *, peers: bool, processes: int = 0, notes: list[str] | None = None) -> float:
    port = free_port()
    svc = RelayService(relay_config(base, port, sink, processes)).start()
    listener = svc.listener
    assert listener is not None
    main0, workers0 = _relay_cpu(svc)
    try:
        rate = drive(port, peers=peers)
        main1, workers1 = _relay_cpu(svc)  # before the stop: the workers are still there to be read
        rss = [_rss_mb(pid) for pid in listener.pids] if isinstance(listener, ListenerPool) else []
    finally:
        svc.stop()
    used = (main1 - main0) + (workers1 - workers0)
    if isinstance(listener, ListenerPool):
        groups, messages = listener.groups, listener.messages
        shape = (f"{listener.processes} listener processes: relay process {(main1 - main0) * 1000 / COUNT:.2f} ms, "
                 f"workers {(workers1 - workers0) * 1000 / COUNT:.2f} ms, workers' RSS {', '.join(f'{r:.0f}' for r in rss)} MB")
    else:
        commit = listener.handler.commit
        groups, messages, shape = commit.groups, commit.messages, "one process"
    (NOTES if notes is None else notes).append(
        f"{used * 1000 / COUNT:.2f} ms of relay CPU per message (listener and delivery; {shape}), "
        f"{messages / max(groups, 1):.1f} messages per group commit")
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
TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and of the children it has reaped (utime, stime, cutime, cstime)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # gone since it was listed
    return sum(int(v) for v in fields[11:15]) / TICK


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` (Postfix's master) and every process below it, living or reaped."""
    children = child_map()
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _proc_cpu(pid)
        todo.extend(children.get(pid, ()))
    return total


class Postfix:
    """A private Postfix instance (its own main.cf, master.cf and queue) relaying to the sink."""

    def __init__(self, sink: int) -> None:
        self.sink = sink
        self.port = 0
        self.env = {**os.environ, "MAIL_CONFIG": str(POSTFIX_DIR)}
        self.master = 0

    def configure(self) -> Postfix:
        """Write the instance's configuration and empty queue (not started: sendmail still fills the maildrop)."""
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
        self.port = free_port()
        main_cf = {
            "queue_directory": str(spool), "data_directory": str(data), "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4", "mydestination": "", "relayhost": f"[127.0.0.1]:{self.sink}",
            "mynetworks": "127.0.0.0/8", "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "compatibility_level": "3.6", "maillog_file": str(POSTFIX_DIR / "maillog"), "myhostname": "bench.example",
            "smtp_tls_security_level": "none", "default_process_limit": "100",
            "smtpd_client_connection_rate_limit": "0", "smtpd_client_connection_count_limit": "0",
        }
        (POSTFIX_DIR / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main_cf.items()))
        master = []
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            cols = line.split()
            if line[:1].isalnum() and len(cols) >= 8:
                if cols[0] == "smtp" and cols[1] == "inet":
                    cols[0] = f"127.0.0.1:{self.port}"
                cols[4] = "n"  # no chroot: the private queue has no copy of /etc
                line = "  ".join(cols)
            master.append(line)
        (POSTFIX_DIR / "master.cf").write_text("\n".join(master) + "\n")
        subprocess.run(["postfix", "-c", str(POSTFIX_DIR), "check"], check=True, env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # creates the queue folders
        return self

    def start(self) -> None:
        subprocess.run(["postfix", "-c", str(POSTFIX_DIR), "start"], check=True, env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        self.master = int((POSTFIX_DIR / "spool" / "pid" / "master.pid").read_text().split()[0])

    def __enter__(self) -> Postfix:
        if not self.master:
            if not (POSTFIX_DIR / "main.cf").exists() or not self.port:
                self.configure()
            self.start()
        return self

    def cpu(self) -> float:
        """CPU seconds of all the instance's processes so far (master, smtpd, cleanup, qmgr, pickup, smtp, ...)."""
        return tree_cpu(self.master)

    def sent(self) -> int:
        """Messages the sink accepted so far, from the instance's log."""
        try:
            return (POSTFIX_DIR / "maillog").read_bytes().count(b" status=sent ")
        except FileNotFoundError:
            return 0

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["postfix", "-c", str(POSTFIX_DIR), "stop"], check=False, env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)


def postfix_rate(sink: int) -> float:
    """Postfix's smtpd on a private instance relaying to the sink: msg/s accepted, and its CPU per message."""
    with Postfix(sink) as pf:
        cpu = pf.cpu()
        rate = drive(pf.port, peers=True)
        NOTES_PF.append((pf.cpu() - cpu) * 1000 / COUNT)
    return rate


# -- the pickup folder against Postfix's maildrop (bench-peers) ----------------------------------

# The injector, a process of its own for both: COUNT messages by SESSIONS writers at once
# (smtp-source's -s 8), each either dropped in the pickup folder as its writers do (a
# temporary name renamed into place) or handed to Postfix's sendmail (which runs postdrop:
# the maildrop queue).
INJECT = r"""
import os, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

mode, target, count, path, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
data = open(path, "rb").read()

def one(i):
    if mode == "pickup":
        tmp = os.path.join(target, f".{i}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(target, f"{i:05d}.eml"))
    else:
        with open(path, "rb") as f:
            subprocess.run(["/usr/sbin/sendmail", "-C", target, "-f", "bench@example.com", "sink@example.com"],
                           stdin=f, check=True, stderr=subprocess.DEVNULL)

with ThreadPoolExecutor(jobs) as pool:
    list(pool.map(one, range(count)))
"""


def bench_message() -> bytes:
    """smtp-source's message of SIZE bytes (lines of 78 characters), with its headers."""
    line = b"La de da de da " * 5 + b"abc\r\n"
    head = b"From: bench@example.com\r\nTo: sink@example.com\r\nSubject: bench\r\n\r\n"
    return head + line * (SIZE // len(line))


def inject(mode: str, target: Path, message: Path) -> tuple[subprocess.Popen[bytes], float]:
    """Start the injector; return it and the CPU time of this process's reaped children before it."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (subprocess.Popen([sys.executable, "-c", INJECT, mode, str(target), str(COUNT), str(message), str(SESSIONS)]),
            before.ru_utime + before.ru_stime)


def injector_cpu(proc: subprocess.Popen[bytes], before: float) -> float:
    import resource

    if proc.wait() != 0:
        raise SystemExit("the injector failed")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before


def pickup_rate(base: Path, sink: int, *, backlog: bool) -> tuple[float, float, float]:
    """spoolview: COUNT files into the pickup folder, relayed to the sink.

    Written while the relay runs (the clock starts with the writer), or (``backlog``) all
    written before the relay starts (the clock starts once it runs). Returns msg/s to the
    last message the sink accepted, the relay's CPU per message and the writer's.
    """
    from viewer.mail import pickupfile

    message = base / "message.eml"
    message.write_bytes(pickupfile.write(bench_message(), "bench@example.com", ["sink@example.com"]))
    cfg = from_dict({
        "queue": {"folder": str(base / "queue")},
        "pickup": {"folder": str(base / "pickup")},
        "smarthost": {"host": "127.0.0.1", "port": sink, "connections": 2},
        "log": {"level": "WARNING"},
    })
    folder = base / "pickup"
    folder.mkdir(mode=0o700)
    svc = RelayService(cfg)
    delivered = threading.Semaphore(0)
    service_done = svc.pool.on_done
    assert service_done is not None

    def on_done(path: Path, state: str) -> None:
        service_done(path, state)
        if state == "sent":
            delivered.release()

    svc.pool.on_done = on_done
    if backlog:
        proc, before = inject("pickup", folder, message)
        inj_cpu = injector_cpu(proc, before)
    svc.start()
    try:
        cpu = time.process_time()
        t0 = time.perf_counter()
        if not backlog:
            proc, before = inject("pickup", folder, message)
        for _ in range(COUNT):
            if not delivered.acquire(timeout=300):
                raise SystemExit("the relay did not deliver everything")
        elapsed = time.perf_counter() - t0
        relay_cpu = time.process_time() - cpu
        if not backlog:
            inj_cpu = injector_cpu(proc, before)
    finally:
        svc.stop()
    return COUNT / elapsed, relay_cpu * 1000 / COUNT, inj_cpu * 1000 / COUNT


def maildrop_rate(base: Path, sink: int, *, backlog: bool) -> tuple[float, float, float]:
    """Postfix: COUNT messages through sendmail/postdrop into the instance's maildrop, relayed to the sink
    (while it runs, or ``backlog``: all dropped before it starts)."""
    message = base / "message.eml"
    message.write_bytes(bench_message())
    pf = Postfix(sink).configure()
    if backlog:  # postdrop fills the maildrop without a running Postfix (its wake-up call fails quietly)
        proc, before = inject("maildrop", POSTFIX_DIR, message)
        inj_cpu = injector_cpu(proc, before)
    with pf:
        t0 = time.perf_counter()
        cpu = pf.cpu()
        if not backlog:
            proc, before = inject("maildrop", POSTFIX_DIR, message)
        deadline = time.monotonic() + 600
        while pf.sent() < COUNT:
            if time.monotonic() > deadline or (not backlog and proc.poll() not in (None, 0)):
                raise SystemExit(f"Postfix delivered {pf.sent()} of {COUNT}")
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        server_cpu = pf.cpu() - cpu
        if not backlog:
            inj_cpu = injector_cpu(proc, before)
    return COUNT / elapsed, server_cpu * 1000 / COUNT, inj_cpu * 1000 / COUNT


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


def _figures(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


def _ms(values: list[float]) -> str:
    return "-".join(f"{v:.2f}" for v in (min(values), max(values))) if values else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", action="store_true", help="also measure Postfix (installs Debian's postfix if missing)")
    parser.add_argument("--only", choices=("listener", "pickup"), help="one part only (with --peers)")
    parser.add_argument("--processes", type=int, default=0, help="listener.processes for spoolview (0: one per core)")
    parser.add_argument("--also-processes", type=int, metavar="N",
                        help="also measure spoolview with listener.processes = N, in the same rounds")
    parser.add_argument("--no-baseline", action="store_true", help="skip the stock aiosmtpd baseline (the slowest part)")
    args = parser.parse_args()
    if args.peers:
        ensure_postfix()
    sink, sink_port = start_sink(args.peers)
    ours: list[float] = []
    also: list[float] = []
    stock: list[float] = []
    postfix: list[float] = []
    pickup: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    maildrop: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    try:
        for _ in range(ROUNDS):  # interleaved, so a busy moment of the machine hits all alike
            if args.only != "pickup":
                with tempfile.TemporaryDirectory() as tmp:
                    ours.append(spoolview_rate(Path(tmp), sink_port, peers=args.peers, processes=args.processes))
                if args.also_processes is not None:
                    with tempfile.TemporaryDirectory() as tmp:
                        also.append(spoolview_rate(Path(tmp), sink_port, peers=args.peers, processes=args.also_processes,
                                                   notes=NOTES_ALSO))
                if not args.no_baseline:
                    with tempfile.TemporaryDirectory() as tmp:
                        stock.append(stock_rate(Path(tmp), peers=args.peers))
                if args.peers:
                    postfix.append(postfix_rate(sink_port))
            if args.peers and args.only != "listener":
                for backlog in (False, True):
                    with tempfile.TemporaryDirectory() as tmp:
                        pickup[backlog].append(pickup_rate(Path(tmp), sink_port, backlog=backlog))
                    with tempfile.TemporaryDirectory() as tmp:
                        maildrop[backlog].append(maildrop_rate(Path(tmp), sink_port, backlog=backlog))
    finally:
        if sink.stdin:
            sink.stdin.close()
        sink.terminate()
        sink.wait()
    if ours:
        gen = "smtp-source" if args.peers else "smtp-source's session in Python"
        print(f"relay listener, {gen} -s {SESSIONS} -m {COUNT}, {SIZE // 1024} KB, one message per connection, "
              f"median of {ROUNDS} (msg/s accepted, 250 only once durable)")
        ours_m = statistics.median(ours)
        print(f"  spoolview listener          {ours_m:8.0f} msg/s   ({_figures(ours)})")
        if stock:
            stock_m = statistics.median(stock)
            print(f"  baseline: stock aiosmtpd    {stock_m:8.0f} msg/s   ({_figures(stock)})   ratio {ours_m / stock_m:.2f}x")
        for note in NOTES:
            print(f"    spoolview: {note}")
        if also:
            also_m = statistics.median(also)
            print(f"  spoolview, processes = {args.also_processes:<3} {also_m:8.0f} msg/s   ({_figures(also)})   "
                  f"ratio {ours_m / also_m:.2f}x (per round {', '.join(f'{o / a:.2f}' for o, a in zip(ours, also, strict=True))})")
            for note in NOTES_ALSO:
                print(f"    spoolview: {note}")
        if postfix:
            pf = statistics.median(postfix)
            ratios = [o / p for o, p in zip(ours, postfix, strict=True)]
            print(f"  peer: Postfix smtpd         {pf:8.0f} msg/s   ({_figures(postfix)})   ratio {ours_m / pf:.2f}x "
                  f"(goal >= 1.0x; per round {', '.join(f'{r:.2f}' for r in ratios)})")
            print(f"    Postfix: {_ms(NOTES_PF)} ms of CPU per message, all its processes (smtpd, cleanup, qmgr, smtp, ...)")
    for backlog in (False, True):
        if not pickup[backlog]:
            continue
        ours_p, theirs = pickup[backlog], maildrop[backlog]
        what = ("all written before the mail system starts, msg/s from its start" if backlog else
                f"written by {SESSIONS} writers at once while it runs, msg/s from the first written")
        print(f"pickup folder vs Postfix's maildrop, {COUNT} messages of {SIZE // 1024} KB {what} "
              f"to the last the sink accepted, median of {ROUNDS}")
        pk, md = statistics.median(p[0] for p in ours_p), statistics.median(m[0] for m in theirs)
        ratios = [p[0] / m[0] for p, m in zip(ours_p, theirs, strict=True)]
        print(f"  spoolview pickup folder     {pk:8.0f} msg/s   ({_figures([p[0] for p in ours_p])})")
        print(f"    relay CPU {_ms([p[1] for p in ours_p])} ms per message, the writers' {_ms([p[2] for p in ours_p])} ms")
        print(f"  peer: Postfix sendmail      {md:8.0f} msg/s   ({_figures([m[0] for m in theirs])})   ratio {pk / md:.2f}x "
              f"(goal >= 1.8x; per round {', '.join(f'{r:.2f}' for r in ratios)})")
        print(f"    Postfix CPU {_ms([m[1] for m in theirs])} ms per message (pickup, cleanup, qmgr, smtp, ...), "
              f"sendmail + postdrop {_ms([m[2] for m in theirs])} ms")


if __name__ == "__main__":
    main()
