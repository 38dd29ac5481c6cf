"""What a user waits for at the screen: `spoolview FILE` launched to first page painted, a second
`spoolview FILE` into the running viewer, the mail icon clicked to the send dialog drawn, and
the memory of the 500-page spool after paging.

Run: ``.venv/bin/python tests/bench/bench_launch.py [--peers] [--here] [cold|warm|mail|memory...]`` (starts its own Xvfb, 1280 x 1024 x 24,
unless ``--here`` asks for $DISPLAY). Each launch execs the real ``spoolview`` command and polls the screen
with XGetImage (tests/bench/screen.py) until the page's marker colour shows: the time
counts interpreter start, imports, the window, rendering and the X server drawing it.
Baselines measured in the same run: ``python -c pass`` and a bare python + PyMuPDF + Tk
script showing the same PDF. Run as root, ``cold`` also launches everything as an ordinary
account (nobody, a home of its own), as an office user does: some caches (Xlib's Compose table)
are never used for root. ``--peers`` adds evince and mupdf when installed. ``warm``
hands files over 3 s apart (the viewer's spare window ready) and back to back, and counts
the instructions of one `spoolview FILE` process handing over (valgrind, when installed).
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

from tests.bench import screen
from tests.bench.bench_gui import ensure_display

RUNS = 5
SPOOLVIEW = str(Path(sys.executable).with_name("spoolview"))
QUOTE = Path(os.environ.get("BENCH_SAMPLES", ROOT / "samples")) / "devis-D2026-0042.spv"  # "before": another checkout's
# Markers: the quote's logo block (the test documents draw a block of it too, which a
# spool's colour conversions may turn one step darker: (31, 78, 120) since spools are
# written by formats/pdfcanvas.py), and the second document's red.
BLUE = ((31, 78, 121), (31, 77, 121), (31, 78, 120))
RED = ((163, 21, 56),)
MARK_PIXELS = 400
PAGES_PAGED = 60

RAW_VIEWER = (  # without PyMuPDF's layout analyser, as spoolview (formats/__init__.py)
    "import sys; sys.modules['pymupdf.layout'] = sys.modules['pymupdf4llm'] = None\n"
    "import tkinter as tk, pymupdf\n"
    "d = pymupdf.open(sys.argv[1]); r = tk.Tk(); c = tk.Canvas(r, width=900, height=1000); c.pack()\n"
    "p = tk.PhotoImage(data=d[0].get_pixmap(dpi=96).tobytes('ppm')); c.create_image(0, 0, anchor='nw', image=p)\n"
    "r.mainloop()\n"
)


def make_pdf(path: Path, colour: screen.Colours, pages: int = 1) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=595, height=842)
        page.draw_rect(pymupdf.Rect(50, 50, 250, 150), color=None, fill=[c / 255 for c in colour[0]])
        page.insert_text((60, 200), f"Page {n + 1}: launch benchmark", fontsize=20)
    doc.save(path)
    return path


def large_spool(path: Path, pages: int = 500) -> Path:
    """samples/make_large_spool.py's text-heavy spool, with the marker block on each page."""
    from formats.native import SpoolWriter

    w = SpoolWriter({"kind": "releve", "number": "BIG-0001", "customer": "CLI003", "language": "fr"})
    for n in range(pages):
        p = w.new_page()
        p.rect(150, 8, 45, 15, stroke=None, fill="#{:02x}{:02x}{:02x}".format(*BLUE[0]))
        p.text(15, 20, f"Relevé détaillé — page {n + 1}/{pages}", size=14, bold=True)
        rows = [[f"L{n:03d}-{k:02d}", f"Article n° {k} — façade, œil-de-bœuf, Łódź", f"{k * 3 + n % 7},50 €"] for k in range(40)]
        p.table(15, 30, [(30, "left"), (110, "left"), (40, "right")], rows, header=["Réf.", "Désignation", "Montant"],
                size=8, row_height=5.5)
        p.line(15, 282, 195, 282)
        p.text(195, 287, f"{n + 1}", size=8, align="right")
    return w.save(path)


def prepare(folder: Path) -> None:
    """A throw-away user: no preview-save offer (it would wait for a click), private runtime folder."""
    os.environ["SPOOLVIEW_HOME"] = str(folder / "home")
    os.environ["XDG_RUNTIME_DIR"] = str(folder / "run")
    (folder / "run").mkdir(mode=0o700)
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    from viewer import settings

    s = settings.Settings()
    s.printing.no_save_offer = True
    settings.save(s)


def new_window_flag() -> list[str]:
    """``--new-window`` where this spoolview has it (the figures before issue 16 are taken without)."""
    help_text = subprocess.run([SPOOLVIEW, "open", "--help"], capture_output=True, text=True).stdout
    return ["--new-window"] if "--new-window" in help_text else []


def launch(scr: screen.Screen, argv: list[str], colour=BLUE, env: dict[str, str] | None = None) -> float:
    """Seconds from exec to the marker on screen; the program is ended afterwards."""
    clear(scr, colour)
    start = time.perf_counter()
    proc = screen.start(argv, env=env)
    try:
        seen = scr.wait_for(colour, MARK_PIXELS, proc=proc)
    finally:
        screen.stop(proc)
    return seen - start


def clear(scr: screen.Screen, colour: screen.Colours) -> None:
    """The marker must be off screen before a launch, else the launch would be "painted" at once."""
    scr.wait_gone(colour)
    if scr.count(colour):
        raise SystemExit(f"colour {colour} is still on screen (a window left over?): run on a fresh display")


def whole(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median(fn, runs: int = RUNS) -> float:
    fn()  # warm the file cache
    return statistics.median(fn() for _ in range(runs))


def row(what: str, value: float, base_name: str, base: float, unit: str = "ms") -> None:
    print(f"  {what:<46} {value * 1000:7.0f} {unit}   {base_name:<28} {base * 1000:7.0f} {unit}   ratio {value / base:5.2f}")


def cold(scr: screen.Screen, pdf: Path, quote_pdf: Path, peers: bool) -> None:
    py = median(lambda: whole([sys.executable, "-c", "pass"]))
    raw = median(lambda: launch(scr, [sys.executable, "-c", RAW_VIEWER, str(pdf)]))
    flag = new_window_flag()
    # Page 1 drawn by a forked child while Tk starts (viewer/firstpage.py), and without it (the same
    # program, one step after another), in the same run.
    sequential = {**os.environ, "SPOOLVIEW_FIRST_PAGE": "sequential"}
    one = median(lambda: launch(scr, [SPOOLVIEW, *flag, str(pdf)]))
    one_seq = median(lambda: launch(scr, [SPOOLVIEW, *flag, str(pdf)], env=sequential))
    quote = median(lambda: launch(scr, [SPOOLVIEW, *flag, str(QUOTE)]))
    quote_seq = median(lambda: launch(scr, [SPOOLVIEW, *flag, str(QUOTE)], env=sequential))
    print(f"cold start: `spoolview FILE` exec to first page painted on screen (median of {RUNS}; target <= evince, "
          "else <= 250 ms)")
    row("1-page PDF", one, "python -c pass", py)
    row("1-page PDF", one, "python+pymupdf+Tk, same PDF", raw)
    row("1-page PDF", one, "the same, page 1 in sequence", one_seq)
    row("sample quote .spv", quote, "python+pymupdf+Tk, its PDF", raw)
    row("sample quote .spv", quote, "the same, page 1 in sequence", quote_seq)
    if peers:
        for name, argv in (("evince", ["evince"]), ("mupdf", ["mupdf"]), ("mupdf-x11", ["mupdf-x11"])):
            if shutil.which(argv[0]):
                peer = median(lambda argv=argv: launch(scr, [*argv, str(pdf)]))
                row("1-page PDF", one, f"{name}, same PDF", peer)
                peer_q = median(lambda argv=argv: launch(scr, [*argv, str(quote_pdf)]))
                row("sample quote .spv", quote, f"{name} on its PDF", peer_q)
            else:
                print(f"  {name}: not installed (make bench-peers installs it)")


def ordinary_user(folder: Path) -> tuple[list[str], dict[str, str]] | None:
    """When the bench runs as root: the command prefix and environment that run a program as an
    ordinary account (nobody) with a home, cache and runtime folder of its own, as an office user
    starts it. Xlib keeps its parsed Compose table (XCOMPOSECACHE) only for users other than root,
    and so do other caches: root's launches are not what a user waits for. None when not root or
    without setpriv."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    import pwd

    account = pwd.getpwnam("nobody")
    home = folder / "user"
    shutil.copytree(Path(os.environ["SPOOLVIEW_HOME"]), home / "spoolview")  # the settings without the save offer
    (home / "run").mkdir(mode=0o700)
    for path in (home, *home.rglob("*")):
        os.chown(path, account.pw_uid, account.pw_gid)
    folder.chmod(0o755)  # the documents, readable by the account
    env = {**os.environ, "HOME": str(home), "USER": "nobody", "LOGNAME": "nobody", "SPOOLVIEW_HOME": str(home / "spoolview"),
           "XDG_RUNTIME_DIR": str(home / "run"), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local" / "share")}
    env.pop("XCOMPOSECACHE", None)
    prefix = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import tkinter, pymupdf"], env=env, capture_output=True, text=True)
    if probe.returncode:
        where = Path(os.path.realpath(sys.executable))
        print(f"cold start as an ordinary user: not measured, nobody cannot run {where} "
              f"({probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else probe.returncode}); "
              "an interpreter under a private home (pyenv in /root) needs that folder passable (chmod o+x)")
        return None
    return prefix, env


def cold_as_user(scr: screen.Screen, folder: Path, pdf: Path, quote_pdf: Path, peers: bool) -> None:
    user = ordinary_user(folder)
    if user is None:
        return
    prefix, env = user
    flag = new_window_flag()
    raw = median(lambda: launch(scr, [*prefix, sys.executable, "-c", RAW_VIEWER, str(pdf)], env=env))
    one = median(lambda: launch(scr, [*prefix, SPOOLVIEW, *flag, str(pdf)], env=env))
    quote = median(lambda: launch(scr, [*prefix, SPOOLVIEW, *flag, str(QUOTE)], env=env))
    print(f"cold start as an ordinary user (nobody, a home of its own; median of {RUNS}; target <= evince)")
    row("1-page PDF", one, "python+pymupdf+Tk, same PDF", raw)
    row("sample quote .spv", quote, "python+pymupdf+Tk, its PDF", raw)
    if peers and shutil.which("evince"):
        peer = median(lambda: launch(scr, [*prefix, "evince", str(pdf)], env=env))
        row("1-page PDF", one, "evince, same PDF", peer)
        peer_q = median(lambda: launch(scr, [*prefix, "evince", str(quote_pdf)], env=env))
        row("sample quote .spv", quote, "evince on its PDF", peer_q)


USER_PAUSE = 3.0  # s: a user's next `spoolview FILE` comes seconds after the last page showed


def warm(scr: screen.Screen, pdf: Path, second: Path) -> None:
    """Hand-overs to the running viewer: each after a pause (its idle work done: the plugins, the mail
    warm-up, the spare window made ready), then back to back (the next comes as soon as the page shows)."""
    first = screen.start([SPOOLVIEW, str(pdf)])

    def hand_over() -> float:
        start = time.perf_counter()
        proc = screen.start([SPOOLVIEW, str(second)])
        seen = scr.wait_for(RED, MARK_PIXELS)
        proc.wait(timeout=30)
        if proc.returncode != 0:
            raise SystemExit(f"the second spoolview ended with status {proc.returncode}")
        close_newest_window(first.pid)
        scr.wait_gone(RED)
        return seen - start

    try:
        scr.wait_for(BLUE, MARK_PIXELS, proc=first)
        paused = []
        for _ in range(RUNS):
            time.sleep(USER_PAUSE)
            paused.append(hand_over())
        back_to_back = [hand_over() for _ in range(RUNS)]
        alone = median(lambda: whole([sys.executable, "-c", "pass"]))
        time.sleep(USER_PAUSE)
        count = instructions([sys.executable, SPOOLVIEW, str(second)])  # a real hand-over, under valgrind
        if count is not None:
            scr.wait_for(RED, MARK_PIXELS)
            close_newest_window(first.pid)
            scr.wait_gone(RED)
    finally:
        screen.stop(first)
    print(f"warm start: second `spoolview FILE` while a viewer runs, exec to its page painted (median of {RUNS}; "
          "target <= 100 ms)")
    row(f"1-page PDF, {USER_PAUSE:g} s after the last", statistics.median(paused), "python -c pass", alone)
    row("1-page PDF, back to back", statistics.median(back_to_back), "python -c pass", alone)
    base = instructions([sys.executable, "-c", "pass"])
    if count is not None and base:
        print(f"  {'the `spoolview FILE` process (valgrind)':<46} {count / 1e6:7.1f} Mi   {'python -c pass':<28} "
              f"{base / 1e6:7.1f} Mi   ratio {count / base:5.2f}")


def instructions(argv: list[str]) -> int | None:
    """Instructions ``argv``'s process runs (valgrind's callgrind), None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                          capture_output=True, text=True)
    found = [line for line in done.stderr.splitlines() if "Collected :" in line]
    return int(found[-1].split()[-1]) if found else None


# The bare Tk floor of "click -> window drawn": a button (the mail icon's blue) opening a
# Toplevel at the same place as the send dialog, with about as many widgets.
RAW_DIALOG = (
    "import tkinter as tk\n"
    "r = tk.Tk(); r.geometry('300x120+900+0')\n"
    "def show():\n"
    "    t = tk.Toplevel(r); t.geometry('+0+0')\n"
    "    for n in range(12):\n"
    "        tk.Label(t, text=f'Field {n}:').grid(row=n, column=0); e = tk.Entry(t, width=60); e.grid(row=n, column=1); e.insert(0, 'x' * n)\n"
    "    tk.Text(t, width=70, height=12).grid(row=12, column=0, columnspan=2)\n"
    "tk.Button(r, text='mail', bg='#1971c2', activebackground='#1971c2', width=30, height=6, command=show).pack()\n"
    "r.mainloop()\n"
)
MAIL_BLUE = (25, 113, 194)  # the envelope's line in the toolbar's mail icon (viewer/gui/toolbar.BLUE)
DIALOG_REGION = (0, 120, 700, 450)  # where the send dialog (0,0 without a window manager) is drawn, below the toolbar
POINTER_REST = (1270, 1015)  # the black corner of the screen: no tooltip, no hover


def visible_windows(pid: int) -> set[str]:
    return set(subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid), "--name", "."],
                              capture_output=True, text=True).stdout.split())


def clicks_to_window(scr: screen.Screen, proc: subprocess.Popen, at: tuple[int, int],
                     ) -> tuple[list[float], list[float], list[float]]:
    """Click at ``at`` RUNS + 1 times (the first is the first click after start-up); each time the
    delays to (window mapped, window drawn, region settled), then the new window is unmapped again.

    "Drawn" is the first frame that differs from the settled one in two lines at most: the send
    dialog's attachment row says « Préparation du PDF… » and its Send button is disabled until the
    PDF is made on a worker; for a window drawn in one go it is the settled time."""
    mapped, drawn, settled = [], [], []
    for _ in range(RUNS + 1):
        before = visible_windows(proc.pid)
        time.sleep(0.3)
        since = scr.click(*at, then_to=POINTER_REST)
        frames = changes(scr, DIALOG_REGION, since)
        final = frames[-1][1]
        if os.environ.get("BENCH_FRAMES"):  # a folder: each changed frame as a PNG, to look at
            save_frames(Path(os.environ["BENCH_FRAMES"]), frames, since)
        mapped.append(frames[0][0] - since)
        drawn.append(next(t for t, rows in frames if differing_rows(rows, final) <= TWO_LINES) - since)
        settled.append(frames[-1][0] - since)
        for wid in visible_windows(proc.pid) - before:
            subprocess.run(["xdotool", "windowunmap", "--sync", wid], check=False)
        time.sleep(0.3)
    return mapped, drawn, settled


def save_frames(folder: Path, frames: list[tuple[float, list[bytes]]], since: float) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    width, height = DIALOG_REGION[2], DIALOG_REGION[3]
    for t, rows in frames:
        Image.frombytes("RGB", (width, height), b"".join(rows), "raw", "BGRX").save(
            folder / f"{time.monotonic_ns()}-{(t - since) * 1000:05.0f}ms.png")


TWO_LINES = 2 * 26  # pixel rows: a line of a list and a button


def changes(scr: screen.Screen, region: tuple[int, int, int, int], since: float, *, quiet: float = 0.5,
            timeout: float = 30.0, segments: int = 8, threshold: int = 24) -> list[tuple[float, list[bytes]]]:
    """The frames of ``region`` that changed (as screen.Screen.settled counts a change) after ``since``,
    with their times, until nothing changed for ``quiet`` seconds."""
    x, y, width, height = region
    step = width * 4 // segments
    previous = scr.grab_rows(x, y, width, height)
    frames: list[tuple[float, list[bytes]]] = []
    deadline = since + timeout
    while True:
        rows = scr.grab_rows(x, y, width, height)
        now = time.perf_counter()
        changed = sum(1 for old, new in zip(previous, rows, strict=True) if old != new
                      for k in range(segments) if old[k * step:(k + 1) * step] != new[k * step:(k + 1) * step])
        if changed > threshold:
            frames.append((now, rows))
        previous = rows
        if frames and now - frames[-1][0] > quiet:
            return frames
        if now > deadline:
            raise SystemExit(f"the screen did not {'settle' if frames else 'change'} within {timeout:g} s")
        time.sleep(0.001)


def differing_rows(rows: list[bytes], final: list[bytes]) -> int:
    """How many pixel rows differ between two frames (0: the same)."""
    return sum(1 for a, b in zip(rows, final, strict=True) if a != b)


def mail_click(scr: screen.Screen, folder: Path) -> None:
    """The mail icon of the open quote, clicked like a user, to the send dialog drawn on screen."""
    from viewer import settings
    from viewer.directory import open_directory

    s = settings.load()
    s.service.from_identity = "Bench <bench@example.com>"
    settings.save(s)
    with open_directory(s) as directory:  # To filled from the directory, as at a user's
        directory.import_csv(ROOT / "samples" / "customers.csv", ROOT / "samples" / "contacts.csv")
    raw = screen.start([sys.executable, "-c", RAW_DIALOG])
    try:
        scr.wait_for(((25, 113, 194),), 2000, proc=raw)
        raw_mapped, raw_drawn, _raw_settled = clicks_to_window(scr, raw, (1050, 60))
    finally:
        screen.stop(raw)
    clear(scr, BLUE)
    viewer = screen.start([SPOOLVIEW, *new_window_flag(), str(QUOTE)])
    try:
        scr.wait_for(BLUE, MARK_PIXELS, proc=viewer)
        time.sleep(3)  # a user's first click comes seconds after the page shows: the mail warm-up has run
        icon = scr.find_cluster(MAIL_BLUE, (30, 80))
        if icon is None:
            raise SystemExit("the mail icon was not found in the toolbar")
        mapped, drawn, settled = clicks_to_window(scr, viewer, icon)
    finally:
        screen.stop(viewer)
    print(f"mail icon: click (XTest) to the send dialog drawn on screen, sample quote (median of {RUNS}; target <= 100 ms)")
    row("first click after start-up, dialog drawn", drawn[0], "bare Tk button -> Toplevel", statistics.median(raw_drawn))
    row("next clicks, dialog drawn", statistics.median(drawn[1:]), "bare Tk button -> Toplevel", statistics.median(raw_drawn[1:]))
    row("next clicks, dialog window mapped", statistics.median(mapped[1:]), "bare Tk, window mapped", statistics.median(raw_mapped[1:]))
    # The PDF made on a worker after the dialog shows: its name and size replace « Préparation du PDF… ».
    row("next clicks, PDF attached (row filled)", statistics.median(settled[1:]), "bare Tk button -> Toplevel",
        statistics.median(raw_drawn[1:]))


def close_newest_window(pid: int) -> None:
    """Close the last window the viewer opened (xdotool), so the next one is seen appearing."""
    found = subprocess.run(["xdotool", "search", "--pid", str(pid), "--onlyvisible", "--name", "second"],
                           capture_output=True, text=True).stdout.split()
    for wid in found:
        subprocess.run(["xdotool", "windowunmap", "--sync", wid], check=False)


def memory(scr: screen.Screen, spool: Path, big_pdf: Path, peers: bool) -> None:
    def paged(argv: list[str], colour=BLUE) -> int:
        clear(scr, colour)
        proc = screen.start(argv)
        try:
            scr.wait_for(colour, MARK_PIXELS, proc=proc, timeout=60)
            time.sleep(0.5)
            windows = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid), "--name", "."],
                                     capture_output=True, text=True).stdout.split()
            if windows:  # the keys go to the viewer, whatever else is on the display
                subprocess.run(["xdotool", "windowfocus", "--sync", windows[-1]], check=False)
            subprocess.run(["xdotool", "mousemove", "400", "500"], check=True)
            for _ in range(PAGES_PAGED):
                subprocess.run(["xdotool", "key", "Next"], check=True)
                time.sleep(0.08)
            time.sleep(1.5)  # prefetch and thumbnails settle
            return screen.rss_kib(proc.pid)
        finally:
            screen.stop(proc)

    flag = new_window_flag()
    ours = paged([SPOOLVIEW, *flag, str(spool)])
    ours_pdf = paged([SPOOLVIEW, *flag, str(big_pdf)])
    raw = paged([sys.executable, "-c", RAW_VIEWER, str(big_pdf)])  # python + PyMuPDF + Tk, page 1 shown

    def line(what: str, kib: int, base_name: str, base: int) -> None:
        print(f"  {what:<24} {kib / 1024:5.0f} MB   {base_name:<34} {base / 1024:5.0f} MB   ratio {kib / base:5.2f}")

    print(f"memory: 500-page spool after paging {PAGES_PAGED} pages (Page Down), RSS (target <= 130 MB, evince's figure)")
    line("spoolview, .spv", ours, "python+pymupdf+Tk, its PDF's page 1", raw)
    line("spoolview, its PDF", ours_pdf, "python+pymupdf+Tk, its PDF's page 1", raw)
    print(f"  {'spoolview, .spv':<24} {ours / 1024:5.0f} MB   {'the 130 MB target':<34} {130:5.0f} MB   ratio {ours / 1024 / 130:5.2f}")
    if peers:
        for name in ("evince", "mupdf"):
            if shutil.which(name):
                peer = paged([name, str(big_pdf)])
                line("spoolview, .spv", ours, f"{name}, the same PDF, paged", peer)
                line("spoolview, its PDF", ours_pdf, f"{name}, the same PDF, paged", peer)
            else:
                print(f"  {name}: not installed (make bench-peers installs it)")


def main() -> int:
    peers = "--peers" in sys.argv
    if "--here" not in sys.argv:  # a display of our own: nothing left over from other programs
        os.environ.pop("DISPLAY", None)
    parts = [a for a in sys.argv[1:] if not a.startswith("-")] or ["cold", "warm", "mail", "memory"]
    # A user's install has compiled bytecode; a shell that forbids writing it would make every
    # launch compile the project's sources again and time that instead.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    xvfb = ensure_display()
    folder = Path(tempfile.mkdtemp(prefix="spoolview-bench-launch-"))
    try:
        prepare(folder)
        scr = screen.Screen()
        pdf = make_pdf(folder / "one.pdf", BLUE)
        second = make_pdf(folder / "second.pdf", RED)
        import formats
        from formats.pdf import to_pdf

        with formats.open_document(QUOTE) as doc:
            quote_pdf = folder / "quote.pdf"
            quote_pdf.write_bytes(to_pdf(doc))
        spool = large_spool(folder / "large-500.spv")
        with formats.open_document(spool) as doc:
            big_pdf = folder / "large-500.pdf"
            big_pdf.write_bytes(to_pdf(doc))
        if "cold" in parts:
            cold(scr, pdf, quote_pdf, peers)
            cold_as_user(scr, folder, pdf, quote_pdf, peers)
        if "warm" in parts:
            warm(scr, pdf, second)
        if "mail" in parts:
            mail_click(scr, folder)
        if "memory" in parts:
            memory(scr, spool, big_pdf, peers)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
