"""PostScript and EPS spools: converted to PDF once by Ghostscript, cached by content hash."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from formats.document import Document, DocumentError
from formats.limits import DEFAULT, Limits
from formats.meta import read_sidecar

INSTALL = "sudo apt install ghostscript"
TIMEOUT = 300  # seconds for one conversion
SIGNATURES = (b"%!PS", b"\xc5\xd0\xd3\xc6")  # PostScript, DOS EPS binary header


def is_postscript(head: bytes) -> bool:
    """Whether the first bytes are PostScript (``%!PS``, ``%!``, or a DOS EPS header), after a ^D."""
    head = head.lstrip(b"\x04")
    return head.startswith(SIGNATURES) or head.startswith(b"%!")


def _is_eps(path: Path, head: bytes) -> bool:
    first = head.split(b"\n", 1)[0]
    return path.suffix.lower() in (".eps", ".epsf", ".epsi") or b"EPSF" in first or head.startswith(SIGNATURES[1])


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("spoolview")) / "postscript"


def _private_dir(path: Path) -> Path:
    """``path`` and its missing parents created readable by the user only (0700)."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)  # whatever the umask
    os.chmod(path, 0o700)
    return path


def _gs_error(output: str) -> str:
    """Ghostscript's own words: the line naming the error (``Error: /undefined in foo``)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if "Error:" in line or line.startswith("Unrecoverable error"):
            return line[:160]
    return lines[-1][:160] if lines else "no output"


def convert(path: Path, data: bytes, cache_dir: Path, limits: Limits = DEFAULT) -> Path:
    """The cached PDF of a PostScript file (made by Ghostscript on first use)."""
    import hashlib
    import subprocess  # only here: every document's type sniffing imports this module

    folder = _private_dir(cache_dir)
    cached = folder / (hashlib.sha256(data).hexdigest() + ".pdf")
    if cached.is_file():
        return cached
    gs = shutil.which("gs")
    if gs is None:
        raise DocumentError(
            "Ghostscript is needed to open PostScript files and is not installed", code="ps.no_ghostscript",
            params={"install": INSTALL}, file=path, hint=f"install it: {INSTALL}"
        )
    import tempfile  # here, not at the top: detect sniffs every file with is_postscript

    fd, tmp = tempfile.mkstemp(prefix=".gs-", suffix=".pdf", dir=folder)  # 0600
    os.close(fd)
    cmd = [gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", f"-dLastPage={limits.max_pages + 1}",
           f"-sOutputFile={tmp}"]
    if _is_eps(path, data[:1024]):
        cmd.append("-dEPSCrop")
    try:
        run = subprocess.run(cmd + ["-f", str(path.resolve())], stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=TIMEOUT, text=True, errors="replace")
        if run.returncode == 0 and os.path.getsize(tmp) == 0:
            raise DocumentError("the PostScript file draws no page", code="ps.no_page", file=path, hint="print the document again")
        if run.returncode != 0:
            raise DocumentError(
                f"not valid PostScript (Ghostscript: {_gs_error(run.stdout + run.stderr)})",
                code="ps.invalid",
                params={"reason": _gs_error(run.stdout + run.stderr)},
                file=path,
                hint="the printing program may have written a truncated or non-PostScript file",
            )
        os.replace(tmp, cached)
    except subprocess.TimeoutExpired:
        raise DocumentError(f"Ghostscript took more than {TIMEOUT} s on this file", code="ps.timeout",
                            params={"seconds": TIMEOUT}, file=path,
                            hint="the file may loop forever: print it again") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return cached


def open_postscript(path: Path, *, cache_dir: Path | None = None, limits: Limits = DEFAULT) -> Document:
    """Open a PostScript/EPS file as the PDF Ghostscript makes of it (cached per content)."""
    from formats.mupdf import open_mupdf

    data = path.read_bytes()
    pdf = convert(path, data, cache_dir or default_cache_dir(), limits)
    doc = open_mupdf(pdf, "pdf")
    if doc.page_count < 1:  # pragma: no cover - open_mupdf refuses page-less PDFs
        doc.close()
        raise DocumentError("the PostScript file draws no page", code="ps.no_page", file=path, hint="print the document again")
    doc.path = path
    doc.source = "ps"
    doc.backend.path = path
    doc.info = read_sidecar(path)
    return doc
