"""Viewer benchmarks: launch to first page painted, next page painted, a 500-page spool's first page.

Run standalone: ``.venv/bin/python tests/bench/bench_gui.py`` (starts its own Xvfb when
there is no DISPLAY). Each figure is printed next to a raw baseline measured in the same
run: PyMuPDF render + Tk PhotoImage + canvas update, with no viewer around it.
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
QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"
LAUNCHES = 5
PAGES = 40

CHILD = r"""
import sys, _tkinter
from viewer.gui.app import App
app = App()
window = app.new_window()
window.after_idle(window.open_path, sys.argv[1])
while window.pageview.photo(0) is None:
    app.root.tk.dooneevent(_tkinter.ALL_EVENTS)
app.root.tk.dooneevent(_tkinter.IDLE_EVENTS | _tkinter.DONT_WAIT)  # the canvas repaint
print("painted", flush=True)
app.destroy()
"""


def ensure_display() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if not shutil.which("Xvfb"):
        sys.exit("no DISPLAY and no Xvfb: cannot measure the window")
    for number in range(100 + os.getpid() % 100, 300):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", f":{number}", "-displayfd", str(write), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    ready = os.read(read, 32).decode().strip()  # written once the server accepts clients
    # ``read`` stays open while Xvfb runs: it may write again and would die of a broken pipe.
    if not ready or proc.poll() is not None:
        sys.exit(f"Xvfb :{number} did not start")
    os.environ["DISPLAY"] = f":{number}"
    return proc


def home() -> Path:
    """A throw-away user home where the preview-save offer is off (it would wait for a click)."""
    folder = Path(tempfile.mkdtemp(prefix="spoolview-bench-"))
    os.environ["SPOOLVIEW_HOME"] = str(folder)
    from viewer import settings

    s = settings.Settings()
    s.printing.no_save_offer = True
    settings.save(s)
    return folder


def launch(args: list[str]) -> float:
    """Seconds from process start until it prints "painted" (its exit is not counted)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    _, err = proc.communicate(timeout=60)
    if "painted" not in line:
        sys.exit(f"launch failed: {err.strip()[-500:]}")
    return elapsed


def bench_launch() -> None:
    times = [launch(["-c", CHILD, str(QUOTE)]) for _ in range(LAUNCHES)]
    pdf = Path(os.environ["SPOOLVIEW_HOME"]) / "quote.pdf"
    import formats
    from formats.pdf import to_pdf

    with formats.open_document(QUOTE) as doc:
        pdf.write_bytes(to_pdf(doc))
    raw_child = ("import sys,tkinter as tk; import pymupdf; d=pymupdf.open(sys.argv[1]); r=tk.Tk(); "
                 "c=tk.Canvas(r,width=800,height=1100); c.pack(); "
                 "p=tk.PhotoImage(data=d[0].get_pixmap(dpi=96).tobytes('ppm')); c.create_image(0,0,anchor='nw',image=p); "
                 "r.update(); print('painted', flush=True)")
    raw = [launch(["-c", raw_child, str(pdf)]) for _ in range(LAUNCHES)]
    light = [launch(["-c", "import sys; sys.modules['pymupdf.layout'] = None; " + raw_child, str(pdf)])
             for _ in range(LAUNCHES)]
    m, b, lb = statistics.median(times), statistics.median(raw), statistics.median(light)
    print(f"launch to first page painted (sample quote): median {m * 1000:.0f} ms over {LAUNCHES} "
          f"(target < 1500 ms); raw python+pymupdf+Tk showing its PDF: {b * 1000:.0f} ms "
          f"({lb * 1000:.0f} ms without PyMuPDF's layout model); ratio {m / lb:.2f} to the light raw chain")


def open_window():
    import tkinter as tk

    from viewer import settings
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    root = tk.Tk()
    root.withdraw()
    s = settings.Settings()
    s.printing.no_save_offer = True
    window = MainWindow(root, state=ViewerState(path=Path(os.environ["SPOOLVIEW_HOME"]) / "s.json"), settings=s)
    window.geometry("1000x800+0+0")
    window.update()
    return root, window


def wait_painted(window, index: int) -> None:
    """Handle events one by one until page ``index`` is on the canvas, then let the canvas repaint.

    Prefetching continues on a timer afterwards and is not counted.
    """
    import _tkinter

    while window.pageview.photo(index) is None:
        window.tk.dooneevent(_tkinter.ALL_EVENTS)
    window.tk.dooneevent(_tkinter.IDLE_EVENTS | _tkinter.DONT_WAIT)


def bench_next_page(pdf: Path) -> None:
    import tkinter as tk

    import pymupdf

    root, window = open_window()
    window.open_path(pdf)
    view = window.pageview
    view.set_zoom(96.0 / view.screen_dpi)  # render at 96 dpi
    wait_painted(window, 0)
    cold, warm = [], []
    for i in range(1, PAGES + 1):
        view.render_pending()
        view.drop_images()  # nothing prefetched: the page is rendered after the key press
        start = time.perf_counter()
        view.next_page()
        wait_painted(window, i)
        cold.append(time.perf_counter() - start)
    for i in range(PAGES + 1, 2 * PAGES + 1):
        view.render_pending()  # the idle time between two key presses prefetches neighbours
        start = time.perf_counter()
        view.next_page()
        wait_painted(window, i)
        warm.append(time.perf_counter() - start)
    # Raw chain on other pages of the same PDF: PyMuPDF render + PhotoImage + canvas update.
    doc = pymupdf.open(pdf)
    canvas = tk.Canvas(window, width=800, height=1100)
    canvas.place(x=0, y=0)
    item = canvas.create_image(0, 0, anchor="nw")
    raw = []
    keep = None
    for i in range(2 * PAGES + 1, 3 * PAGES + 1):
        start = time.perf_counter()
        pix = doc[i].get_pixmap(dpi=96)
        keep = tk.PhotoImage(master=window, data=pix.tobytes("ppm"))
        canvas.itemconfigure(item, image=keep)
        window.update_idletasks()
        raw.append(time.perf_counter() - start)
    del keep
    doc.close()
    mc, mw, mr = statistics.median(cold), statistics.median(warm), statistics.median(raw)
    print(f"next page painted at 96 dpi: median {mc * 1000:.1f} ms cold, {mw * 1000:.1f} ms with prefetch "
          f"(target < 40 ms); raw chain {mr * 1000:.1f} ms; ratio cold/raw {mc / mr:.2f}")
    window.close()
    root.destroy()


def bench_large_spool(spool: Path) -> None:
    import tkinter as tk

    import formats
    from formats import render

    root, window = open_window()
    start = time.perf_counter()
    window.open_path(spool)
    wait_painted(window, 0)
    viewer = time.perf_counter() - start
    window.close()
    canvas = tk.Canvas(root)
    start = time.perf_counter()
    doc = formats.open_document(spool)
    photo = tk.PhotoImage(master=root, data=render.render_ppm(doc, 0, dpi=96))
    canvas.create_image(0, 0, image=photo)
    root.update_idletasks()
    raw = time.perf_counter() - start
    doc.close()
    print(f"500-page spool, open to first page painted: {viewer * 1000:.0f} ms (target < 1000 ms); "
          f"raw open_document + render + PhotoImage {raw * 1000:.0f} ms; ratio {viewer / raw:.2f}")
    root.destroy()


def main() -> int:
    xvfb = ensure_display()
    folder = home()
    try:
        from viewer.gui.app import skip_layout_model

        skip_layout_model()
        sys.path.insert(0, str(ROOT / "samples"))
        from make_large_spool import make

        spool = make(folder / "large-500.spv", 500)
        import formats
        from formats.pdf import to_pdf

        with formats.open_document(spool) as doc:
            pdf = folder / "large-500.pdf"
            pdf.write_bytes(to_pdf(doc))
        bench_launch()
        bench_next_page(pdf)
        bench_large_spool(spool)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
