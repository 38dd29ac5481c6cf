"""reportlab's parsed TrueType metrics, kept across processes so a conversion does not parse DejaVu again.

Registering a DejaVu face with reportlab parses the whole file (cmap, hmtx, glyph offsets:
~45 ms per face on an idle machine, the largest single cost of `spoolview send` after the
imports). The parsed face is plain data except one scaling lambda, so it is written once
with ``marshal`` to a private folder the viewer names (``use_folder``; none: no cache)
and read back in about a millisecond. The cache file is keyed on the font file (path,
size, modification time), reportlab's version and this format; anything unexpected in
it (another reportlab, a truncated or foreign file) means the font is parsed as before.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["load_ttfont", "use_folder"]

FORMAT = 1
_folder: Path | None = None
_create: Callable[[Path], object] | None = None
_SKIPPED = ("_ttf_data", "_pdfScale")  # the file's bytes (read again) and a lambda of unitsPerEm (made again)


def use_folder(folder: Path | None, create: Callable[[Path], object] | None = None) -> None:
    """Keep parsed metrics in ``folder`` (a private folder of the user), or nowhere (None).

    ``create(folder)`` makes the folder (private) the first time a face is saved; without it
    the folder must exist."""
    global _folder, _create
    _folder, _create = folder, create


def load_ttfont(name: str, path: Path) -> TTFont:
    """``TTFont(name, path)``, its metrics read from the cache when they were saved for this very file."""
    from reportlab.pdfbase.ttfonts import TTFont

    folder = _folder
    key = _key(path) if folder is not None else None
    if folder is None or key is None:
        return TTFont(name, str(path))
    cached = _read(_file(folder, key), key)
    font = _rebuild(name, path, cached) if cached is not None else None
    if font is None:
        font = TTFont(name, str(path))
        _write(folder, key, font)
    return font


def _file(folder: Path, key: str) -> Path:
    import hashlib  # here: a document without spool text never registers a face

    return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.marshal"


def _key(path: Path) -> str | None:
    import reportlab

    try:
        st = path.stat()
    except OSError:
        return None
    return f"{FORMAT}|{reportlab.Version}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _read(file: Path, key: str) -> dict[str, Any] | None:
    try:
        data = marshal.loads(file.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(data, dict) and data.get("key") == key and isinstance(data.get("face"), dict)
            and isinstance(data.get("font"), list) and isinstance(data.get("names"), list)):
        return None
    return data


def _rebuild(name: str, path: Path, cached: dict[str, Any]) -> TTFont | None:
    """The TTFont reportlab would build, from the cached face; None when this reportlab builds it otherwise."""
    from fnmatch import fnmatch
    from weakref import WeakKeyDictionary

    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTEncoding, TTFNameBytes, TTFont, TTFontFace

    try:
        data = path.read_bytes()
    except OSError:
        return None
    face = TTFontFace.__new__(TTFontFace)
    pdfmetrics.TypeFace.__init__(face, None)
    state = dict(cached["face"])
    for attr in cached["names"]:
        if isinstance(state.get(attr), bytes):
            state[attr] = TTFNameBytes(state[attr])
    units = state.get("unitsPerEm")
    if not isinstance(units, int) or units <= 0:
        return None
    mult = 1000 / units
    # reportlab's own scaling (TTFontFile.extractInfo): identity at 1000 units per em.
    state["_pdfScale"] = (lambda x: x) if units == 1000 else (lambda x: x * mult)
    state["_ttf_data"] = data
    face.__dict__.update(state)  # private attributes of reportlab's face, hence not set one by one
    # TTFont.__init__ without its TTFontFace(filename): the same attributes, checked against
    # those a real TTFont had when the cache was written.
    font = TTFont.__new__(TTFont)
    font.fontName = name
    font.face = face
    font.encoding = TTEncoding()
    font.state = WeakKeyDictionary()
    font.__dict__["_asciiReadable"] = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch(name, glob) for glob in rl_config.unShapedFontGlob or ())
    return font if sorted(font.__dict__) == cached["font"] else None


def _write(folder: Path, key: str, font: TTFont) -> None:
    """Save ``font``'s parsed face (best effort: a cache that cannot be written is no error)."""
    from reportlab.pdfbase.ttfonts import TTFNameBytes

    face = {k: v for k, v in font.face.__dict__.items() if k not in _SKIPPED}
    names = [k for k, v in face.items() if isinstance(v, TTFNameBytes)]
    face.update({k: bytes(face[k]) for k in names})
    try:
        blob = marshal.dumps({"key": key, "face": face, "font": sorted(font.__dict__), "names": names})
    except ValueError:  # a value marshal cannot hold: this reportlab parses into other types
        return
    file = _file(folder, key)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        if _create is not None and not folder.is_dir():
            _create(folder)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
        os.replace(tmp, file)
    except OSError:
        with contextlib.suppress(OSError):  # nothing was made, or the folder went away
            tmp.unlink(missing_ok=True)
