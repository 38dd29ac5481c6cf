"""TrueType fonts for spool rendering: family (sans, serif, mono) + weight/style -> file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from formats.document import DocumentError
from formats.ttfsubset import FontError, TrueType

FAMILIES = ("sans", "serif", "mono")

# DejaVu covers Latin-1, Latin Extended-A (Central-European letters) and the euro sign.
_FILES = {
    ("sans", False, False): "DejaVuSans.ttf",
    ("sans", True, False): "DejaVuSans-Bold.ttf",
    ("sans", False, True): "DejaVuSans-Oblique.ttf",
    ("sans", True, True): "DejaVuSans-BoldOblique.ttf",
    ("serif", False, False): "DejaVuSerif.ttf",
    ("serif", True, False): "DejaVuSerif-Bold.ttf",
    ("serif", False, True): "DejaVuSerif-Italic.ttf",
    ("serif", True, True): "DejaVuSerif-BoldItalic.ttf",
    ("mono", False, False): "DejaVuSansMono.ttf",
    ("mono", True, False): "DejaVuSansMono-Bold.ttf",
    ("mono", False, True): "DejaVuSansMono-Oblique.ttf",
    ("mono", True, True): "DejaVuSansMono-BoldOblique.ttf",
}


def _candidate_dirs() -> list[Path]:
    dirs = []
    env = os.environ.get("SPOOLVIEW_FONT_DIR")
    if env:
        dirs.append(Path(env))
    # The DejaVu faces ship with spoolview (formats/fonts, Bitstream Vera licence), so a
    # spool draws the same on every machine; system copies are only a fallback.
    dirs.append(Path(__file__).with_name("fonts"))
    dirs += [
        Path("/usr/share/fonts/truetype/dejavu"),
        Path("/usr/share/fonts/dejavu"),
        Path("/usr/share/fonts/TTF"),
        Path("/usr/local/share/fonts"),
        Path.home() / ".fonts",
        Path("C:/Windows/Fonts"),
        Path("/Library/Fonts"),
    ]
    try:  # matplotlib ships DejaVu; use it when present
        import matplotlib  # type: ignore[import-not-found]  # optional, not a dependency

        dirs.append(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf")
    except Exception:  # noqa: BLE001 - optional
        pass
    return dirs


@lru_cache(maxsize=1)
def font_dir() -> Path:
    """The folder holding the DejaVu fonts; a clear error when none is installed."""
    for d in _candidate_dirs():
        if (d / "DejaVuSans.ttf").is_file() and (d / "DejaVuSansMono.ttf").is_file():
            return d
    raise DocumentError(
        "the DejaVu fonts needed to draw spools are not installed",
        code="fonts.missing",
        hint="reinstall spoolview (formats/fonts is missing), install the Debian package fonts-dejavu-core, or set SPOOLVIEW_FONT_DIR to a folder holding DejaVuSans.ttf",
    )


def font_file(family: str, bold: bool = False, italic: bool = False) -> Path:
    """The TrueType file for a family and weight/style (falls back to the regular face)."""
    d = font_dir()
    path = d / _FILES[(family, bold, italic)]
    if not path.is_file():
        path = d / _FILES[(family, False, False)]
    if not path.is_file():
        path = d / _FILES[("sans", False, False)]
    return path


def font_name(family: str, bold: bool = False, italic: bool = False) -> str:
    """The name a built-in face is registered under (see ``register``)."""
    return f"SV-{family}{'-B' if bold else ''}{'-I' if italic else ''}"


# Parsed faces by registered name, kept for the process (a batch draws many documents with them).
_faces: dict[str, TrueType] = {}


def register(family: str, bold: bool = False, italic: bool = False) -> str:
    """Read a built-in face (once per process) and return the name ``face`` knows it by."""
    name = font_name(family, bold, italic)
    if name not in _faces:
        path = font_file(family, bold, italic)
        try:
            _faces[name] = TrueType(path.read_bytes())
        except (OSError, FontError) as exc:
            raise DocumentError(f"the font file {path} cannot be read ({exc})", code="fonts.unreadable",
                                params={"path": str(path), "reason": str(exc)},
                                hint="reinstall spoolview or the Debian package fonts-dejavu-core") from None
    return name


def register_bytes(name: str, data: bytes) -> str:
    """Read an embedded TrueType font from a spool's resources; return the name ``face`` knows it by."""
    import hashlib

    key = "SVR-" + hashlib.sha1(data).hexdigest()[:16]
    if key not in _faces:
        try:
            _faces[key] = TrueType(data)
        except FontError as exc:
            raise DocumentError(f"font resource '{name}' is not a usable TrueType font ({exc})", code="font.unusable",
                                params={"name": name, "reason": str(exc)}) from None
    return key


def face(name: str) -> TrueType:
    """The parsed face registered under ``name`` (by ``register`` or ``register_bytes``)."""
    return _faces[name]
