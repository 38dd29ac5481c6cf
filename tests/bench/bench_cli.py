"""Whole-process timings of the command line: `spoolview send` (pickup route) and `spoolview convert`.

Run: ``.venv/bin/python tests/bench/bench_cli.py [--peers]``. Each figure is the median
wall time of the real ``spoolview`` command, from exec to exit, next to the interpreter's
own start (``python -c pass``) and the raw library doing the same work, measured in the
same run. Targets (issue 16): send <= 12x and convert <= 8x ``python -c pass``.
``--peers`` adds swaks (the same PDF to a loopback SMTP sink) and ``mutool convert``. A row
without target times ``spoolview send notice.pdf``: a PDF protected ("no-modify", the default)
on its way, by formats.pdfprotect since it is well formed (PyMuPDF opened it before).
``--instructions`` adds the instructions each process executes (valgrind's cachegrind, one
run each, about a minute): a count that other programs on the machine do not disturb, so its
ratios hold on a busy machine where the wall times do not.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RUNS = 9
SPOOLVIEW = str(Path(sys.executable).with_name("spoolview"))
SAMPLES = Path(os.environ.get("BENCH_SAMPLES", ROOT / "samples"))  # another checkout's, for "before" figures
QUOTE = SAMPLES / "devis-D2026-0042.spv"
NOTICE = SAMPLES / "notice.pdf"


class Timing(float):
    """Median wall seconds, carrying the median CPU seconds (user + system) of the same runs."""

    cpu: float


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run; the CPU figure is what a busy machine disturbs least."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.strip()[-400:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def median(argv: list[str], runs: int = RUNS) -> Timing:
    timed(argv)  # warm the file cache
    runs_ = [timed(argv) for _ in range(runs)]
    result = Timing(statistics.median(w for w, _ in runs_))
    result.cpu = statistics.median(c for _, c in runs_)
    return result


def row(what: str, value: Timing, base_name: str, base: Timing, target: float | None = None) -> None:
    verdict = "" if target is None else ("  OK" if value / base <= target else f"  MISSED (target <= {target:g}x)")
    print(f"  {what:<28} {value * 1000:6.0f} ms (cpu {value.cpu * 1000:5.0f})   {base_name:<32} "
          f"{base * 1000:6.0f} ms (cpu {base.cpu * 1000:5.0f})   ratio {value / base:6.2f} (cpu {value.cpu / base.cpu:5.2f})"
          f"{verdict}")


def instructions(argv: list[str]) -> int:
    """User-space instructions one run of ``argv`` executes (valgrind --tool=cachegrind)."""
    proc = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"valgrind {' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    for line in proc.stderr.splitlines():
        if "I   refs:" in line or "I refs:" in line:
            return int(line.split(":")[1].strip().replace(",", ""))
    raise SystemExit("valgrind printed no instruction count")


def instruction_rows(send_argv: list[str], convert_argv: list[str], pdf_argv: list[str]) -> None:
    if not shutil.which("valgrind"):
        print("  instructions: valgrind is not installed (apt-get install valgrind)")
        return
    python = instructions([sys.executable, "-c", "pass"])
    print("instructions executed, one run each under valgrind (not disturbed by the machine's load)")
    rows: tuple[tuple[str, list[str], float | None], ...] = (
        ("send quote (pickup route)", send_argv, 12), ("convert notice.pdf", convert_argv, 8),
        ("send notice.pdf, protected", pdf_argv, None))
    for what, argv, target in rows:
        count = instructions(argv)
        verdict = "" if target is None else "  OK" if count / python <= target else f"  MISSED (target <= {target}x)"
        print(f"  {what:<28} {count / 1e6:8.0f} M   python -c pass {python / 1e6:6.0f} M   ratio {count / python:6.2f}{verdict}")


def prepare(folder: Path) -> None:
    os.environ["SPOOLVIEW_HOME"] = str(folder / "home")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install has compiled bytecode
    from viewer import settings

    s = settings.Settings()  # the default route: the pickup folder
    s.service.from_identity = "Bench <bench@example.com>"
    settings.save(s)
    from viewer.directory import open_directory

    with open_directory(s) as directory:  # a user's directory: the send checks who the recipient belongs to
        directory.import_csv(ROOT / "samples" / "customers.csv", ROOT / "samples" / "contacts.csv")


def main() -> int:
    peers = "--peers" in sys.argv
    folder = Path(tempfile.mkdtemp(prefix="spoolview-bench-cli-"))
    try:
        prepare(folder)
        out = folder / "notice-out.pdf"
        python = median([sys.executable, "-c", "pass"])
        send = median([SPOOLVIEW, "send", str(QUOTE), "--to", "client@example.com", "--force"])
        convert = median([SPOOLVIEW, "convert", str(NOTICE), "-o", str(out)])
        send_pdf = median([SPOOLVIEW, "send", str(NOTICE), "--to", "client@example.com", "--force"])
        raw_convert = median([sys.executable, "-c", "import sys; sys.modules['pymupdf.layout'] = sys.modules['pymupdf4llm'] = None; import pymupdf; "
                              f"pymupdf.open({str(NOTICE)!r}).save({str(folder / 'raw.pdf')!r})"])
        raw_send = median([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import formats; "
                           "from formats.pdf import to_pdf; to_pdf(formats.open_document(sys.argv[2]))",
                           str(ROOT), str(QUOTE)])
        pickup = folder / "home" / "data" / "pickup"
        sent = len(list(pickup.glob("*"))) if pickup.is_dir() else 0
        print(f"command line, whole process from exec to exit (median of {RUNS}; {sent} mails in the pickup folder)")
        row("send quote (pickup route)", send, "python -c pass", python, 12)
        row("send quote (pickup route)", send, "python + formats: quote -> PDF", raw_send)
        row("convert notice.pdf", convert, "python -c pass", python, 8)
        row("convert notice.pdf", convert, "python+pymupdf open+save", raw_convert)
        row("send notice.pdf, protected", send_pdf, "python -c pass", python)
        if peers:
            peer_columns(folder, send, convert, out)
        if "--instructions" in sys.argv:
            instruction_rows([SPOOLVIEW, "send", str(QUOTE), "--to", "client@example.com", "--force"],
                             [SPOOLVIEW, "convert", str(NOTICE), "-o", str(out)],
                             [SPOOLVIEW, "send", str(NOTICE), "--to", "client@example.com", "--force"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def peer_columns(folder: Path, send: Timing, convert: Timing, out: Path) -> None:
    if shutil.which("mutool"):
        row("convert notice.pdf", convert, "mutool convert", median(["mutool", "convert", "-o", str(folder / "m.pdf"), str(NOTICE)]))
    else:
        print("  mutool: not installed (make bench-peers installs mupdf-tools)")
    if not shutil.which("swaks"):
        print("  swaks: not installed (make bench-peers installs it)")
        return
    from tests.support.smtpd import SmtpServer

    pdf = folder / "quote.pdf"
    subprocess.run([SPOOLVIEW, "convert", str(QUOTE), "-o", str(pdf)], check=True, stdout=subprocess.DEVNULL)
    with SmtpServer() as server:
        swaks = median(["swaks", "--silent", "2", "--server", f"127.0.0.1:{server.port}", "--to", "client@example.com",
                        "--from", "bench@example.com", "--attach", f"@{pdf}"])
    row("send quote (pickup route)", send, "swaks, same PDF to an SMTP sink", swaks)


if __name__ == "__main__":
    sys.exit(main())
