"""Timing what a user sees: poll the X screen (XGetImage through ctypes) until a colour shows.

The documents the launch benchmarks open carry a solid block of a marker colour that no
window decoration uses; "painted" is the moment enough pixels of that colour are on the
root window, whatever program drew them.

The poll must not take the CPU the measured program needs: a plain XGetImage of a
1280 x 1024 screen sends 5 MB through the X socket (about 15 ms of the X server's and the
poller's time) and counting three colours in it took 12 ms more, so a poll every
millisecond kept one of the machine's two cores and half the other busy, which slowed
every program measured and most those that work in parallel. The screen is therefore
read through MIT-SHM (the X server copies into shared memory, ~1 ms; plain XGetImage
when the extension is missing) and a colour absent from the screen is ruled out with one
``bytes.find`` in every 8th row before anything is counted.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import time

Colours = tuple[tuple[int, int, int], ...]  # a marker: one colour, or its shades after colour conversions
ZPIXMAP = 2
ALL_PLANES = 0xFFFFFFFFFFFFFFFF


class _XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.c_void_p), ("byte_order", ctypes.c_int),
                ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int), ("bits_per_pixel", ctypes.c_int)]


class Screen:
    """The root window of $DISPLAY, read pixel by pixel."""

    def __init__(self) -> None:
        lib = ctypes.util.find_library("X11")
        if lib is None:
            raise SystemExit("libX11 not found: cannot read the screen")
        x = ctypes.CDLL(lib)
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XDisplayWidth.argtypes = x.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XGetImage.restype = ctypes.POINTER(_XImage)
        x.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                                ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
        x.XDestroyImage.argtypes = [ctypes.POINTER(_XImage)]
        self.x = x
        self.display = x.XOpenDisplay(os.environ["DISPLAY"].encode())
        if not self.display:
            raise SystemExit(f"cannot open display {os.environ['DISPLAY']}")
        self.root = x.XDefaultRootWindow(self.display)
        self.xtst: ctypes.CDLL | None = None
        self.width = x.XDisplayWidth(self.display, 0)
        self.height = x.XDisplayHeight(self.display, 0)
        self._shm = _SharedImage(x, self.display, self.width, self.height)

    def _grab_shm(self) -> bytes | None:
        return self._shm.grab(self.root) if self._shm.ready else None

    def grab(self) -> bytes:
        """The screen's pixels, 4 bytes each (B, G, R, pad on a 24-bit little-endian server)."""
        shared = self._grab_shm()
        if shared is not None:
            return shared
        image = self.x.XGetImage(self.display, self.root, 0, 0, self.width, self.height, ALL_PLANES, ZPIXMAP)
        if not image:
            raise SystemExit("XGetImage failed")
        try:
            img = image.contents
            if img.bits_per_pixel != 32:
                raise SystemExit(f"the screen must be 24-bit (Xvfb -screen 0 WxHx24), not {img.depth}")
            return ctypes.string_at(img.data, img.bytes_per_line * img.height)
        finally:
            self.x.XDestroyImage(image)

    def grab_rows(self, x: int, y: int, width: int, height: int) -> list[bytes]:
        """The rows of pixels of a region of the screen (4 bytes a pixel)."""
        image = self.x.XGetImage(self.display, self.root, x, y, width, height, ALL_PLANES, ZPIXMAP)
        if not image:
            raise SystemExit("XGetImage failed")
        try:
            img = image.contents
            data = ctypes.string_at(img.data, img.bytes_per_line * img.height)
            return [data[r * img.bytes_per_line:r * img.bytes_per_line + width * 4] for r in range(height)]
        finally:
            self.x.XDestroyImage(image)

    def find_cluster(self, colour: tuple[int, int, int], band: tuple[int, int], *, tolerance: int = 40,
                     min_width: int = 16, gap: int = 6) -> tuple[int, int] | None:
        """The centre of the first horizontal cluster of pixels near ``colour`` in the rows ``band``
        at least ``min_width`` wide (a toolbar icon drawn in that colour), or None."""
        rows = self.grab_rows(0, band[0], self.width, band[1] - band[0])
        near: dict[int, list[int]] = {}
        for dy, row in enumerate(rows):
            for x in range(self.width):
                b, g, r = row[4 * x], row[4 * x + 1], row[4 * x + 2]
                if abs(r - colour[0]) < tolerance and abs(g - colour[1]) < tolerance and abs(b - colour[2]) < tolerance:
                    near.setdefault(x, []).append(band[0] + dy)
        xs = sorted(near)
        start = 0
        for i in range(1, len(xs) + 1):
            if i == len(xs) or xs[i] - xs[i - 1] > gap:
                cluster = xs[start:i]
                if cluster and cluster[-1] - cluster[0] + 1 >= min_width:
                    ys = [y for x in cluster for y in near[x]]
                    return (cluster[0] + cluster[-1]) // 2, (min(ys) + max(ys)) // 2
                start = i
        return None

    def click(self, x: int, y: int, *, then_to: tuple[int, int] | None = None) -> float:
        """A left click at (x, y) through XTest, as a mouse gives it; the perf_counter time it was sent.
        ``then_to``: move the pointer there right after (no tooltip over what opens)."""
        if self.xtst is None:
            lib = ctypes.util.find_library("Xtst")
            if lib is None:
                raise SystemExit("libXtst not found: cannot click (install libxtst6)")
            self.xtst = ctypes.CDLL(lib)
            self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
            self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
            self.x.XFlush.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeMotionEvent(self.display, -1, x, y, 0)
        self.x.XFlush(self.display)
        time.sleep(0.05)  # the pointer rests on the icon, as a hand does before it clicks
        self.xtst.XTestFakeButtonEvent(self.display, 1, 1, 0)
        self.xtst.XTestFakeButtonEvent(self.display, 1, 0, 0)
        if then_to is not None:
            self.xtst.XTestFakeMotionEvent(self.display, -1, then_to[0], then_to[1], 0)
        self.x.XFlush(self.display)
        return time.perf_counter()

    def settled(self, region: tuple[int, int, int, int], since: float, *, quiet: float = 0.5, timeout: float = 30.0,
                segments: int = 8, threshold: int = 24) -> tuple[float, float]:
        """Watch ``region`` (x, y, width, height) after ``since`` until it stops changing: the times
        (first change, last change) at which more than ``threshold`` row segments changed between
        two grabs. A blinking text cursor changes fewer; a window being drawn, many more."""
        x, y, width, height = region
        step = width * 4 // segments
        previous = self.grab_rows(x, y, width, height)
        first = last = 0.0
        deadline = since + timeout
        while True:
            rows = self.grab_rows(x, y, width, height)
            now = time.perf_counter()
            changed = sum(1 for old, new in zip(previous, rows, strict=True) if old != new
                          for k in range(segments) if old[k * step:(k + 1) * step] != new[k * step:(k + 1) * step])
            if changed > threshold:
                last = now
                first = first or now
            previous = rows
            if last and now - last > quiet:
                return first, last
            if now > deadline:
                raise SystemExit(f"the screen did not {'settle' if first else 'change'} within {timeout:g} s")
            time.sleep(0.001)

    def count(self, colours: Colours) -> int:
        """How many pixels of exactly these colours are on screen."""
        data = self.grab()
        shades = [bytes((b, g, r)) for r, g, b in colours]
        return sum(data.count(shade) for shade in shades if data.find(shade) >= 0)

    def wait_for(self, rgb: Colours, pixels: int, *, timeout: float = 30.0,
                 proc: subprocess.Popen | None = None) -> float:
        """Poll until ``pixels`` of ``rgb`` show; the perf_counter time they were seen."""
        deadline = time.perf_counter() + timeout
        shades = [bytes((b, g, r)) for r, g, b in rgb]
        while True:
            data = self.grab()
            stride = len(data) // self.height
            # Every 8th row first (a marker is a solid block taller than that): an eighth of the work.
            rows = b"".join(data[y * stride:(y + 1) * stride] for y in range(0, self.height, 8))
            if any(rows.find(shade) >= 0 for shade in shades) and sum(data.count(shade) for shade in shades) >= pixels:
                return time.perf_counter()
            if proc is not None and proc.poll() is not None and proc.returncode != 0:
                raise SystemExit(f"{proc.args!r} ended with status {proc.returncode}")
            if time.perf_counter() > deadline:
                raise SystemExit(f"nothing of colour {rgb} painted within {timeout:g} s")
            time.sleep(0.003)

    def wait_gone(self, rgb: Colours, *, timeout: float = 10.0) -> None:
        deadline = time.perf_counter() + timeout
        while self.count(rgb) and time.perf_counter() < deadline:
            time.sleep(0.01)


def start(argv: list[str], **kwargs) -> subprocess.Popen:
    """A program in its own process group (so :func:`stop` ends its children too)."""
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **kwargs)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class _XShmSegmentInfo(ctypes.Structure):
    _fields_ = [("shmseg", ctypes.c_ulong), ("shmid", ctypes.c_int), ("shmaddr", ctypes.c_void_p),
                ("readOnly", ctypes.c_int)]


class _SharedImage:
    """The whole screen read through MIT-SHM into one shared memory segment (``ready`` False
    when the server or the libraries lack it: Screen.grab then uses plain XGetImage)."""

    IPC_PRIVATE, IPC_CREAT, IPC_RMID = 0, 0o1000, 0

    def __init__(self, x: ctypes.CDLL, display: int, width: int, height: int) -> None:
        self.ready = False
        self.x, self.display = x, display
        ext_name, libc_name = ctypes.util.find_library("Xext"), ctypes.util.find_library("c")
        if ext_name is None or libc_name is None:
            return
        ext, libc = ctypes.CDLL(ext_name), ctypes.CDLL(libc_name, use_errno=True)
        ext.XShmQueryExtension.argtypes = [ctypes.c_void_p]
        if not ext.XShmQueryExtension(display):
            return
        x.XDefaultVisual.restype = ctypes.c_void_p
        x.XDefaultVisual.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XDefaultDepth.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        ext.XShmCreateImage.restype = ctypes.POINTER(_XImage)
        ext.XShmCreateImage.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p,
                                        ctypes.POINTER(_XShmSegmentInfo), ctypes.c_uint, ctypes.c_uint]
        ext.XShmAttach.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XShmSegmentInfo)]
        ext.XShmGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XImage), ctypes.c_int,
                                     ctypes.c_int, ctypes.c_ulong]
        libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
        libc.shmat.restype = ctypes.c_void_p
        libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        self.info = _XShmSegmentInfo()
        image = ext.XShmCreateImage(display, x.XDefaultVisual(display, 0), x.XDefaultDepth(display, 0), ZPIXMAP, None,
                                    ctypes.byref(self.info), width, height)
        if not image or image.contents.bits_per_pixel != 32:
            return
        self.size = image.contents.bytes_per_line * image.contents.height
        shmid = libc.shmget(self.IPC_PRIVATE, self.size, self.IPC_CREAT | 0o600)
        if shmid < 0:
            return
        address = libc.shmat(shmid, None, 0)
        libc.shmctl(shmid, self.IPC_RMID, None)  # freed when both sides detach, even if we are killed
        if address in (None, ctypes.c_void_p(-1).value):
            return
        self.info.shmid, self.info.shmaddr, self.info.readOnly = shmid, address, 0
        image.contents.data = address
        if not ext.XShmAttach(display, ctypes.byref(self.info)):
            return
        x.XSync(display, 0)
        self.ext, self.image, self.address = ext, image, address
        self.ready = True

    def grab(self, root: int) -> bytes:
        if not self.ext.XShmGetImage(self.display, root, self.image, 0, 0, ALL_PLANES):
            raise SystemExit("XShmGetImage failed")
        return ctypes.string_at(self.address, self.size)
