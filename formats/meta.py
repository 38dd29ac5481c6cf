"""Sidecar DocInfo files: ``NAME.meta.json`` next to a spool gives kind, number, customer..."""

from __future__ import annotations

from pathlib import Path

from formats.document import DocInfo, DocumentError
from formats.limits import DEFAULT


def sidecar_path(path: Path) -> Path:
    """``report.txt`` -> ``report.meta.json`` (same folder)."""
    return path.with_name(path.stem + ".meta.json")


def read_sidecar(path: Path) -> DocInfo:
    """DocInfo from the sidecar of ``path``; an empty DocInfo when there is none."""
    meta = sidecar_path(path)
    if not meta.is_file():
        return DocInfo()
    raw = meta.read_bytes()
    DEFAULT.check_depth(raw, meta)  # a sidecar is one flat object
    import json  # only when there is a sidecar: a PDF without one is converted without the JSON decoder

    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DocumentError("not UTF-8 text", code="meta.not_utf8", file=meta, hint="write the .meta.json file in UTF-8") from None
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", code="meta.json",
                            params={"line": exc.lineno, "column": exc.colno, "reason": exc.msg}, file=meta) from None
    if not isinstance(data, dict):
        raise DocumentError("expected a JSON object with kind, number, customer, ...", code="meta.not_object", file=meta)
    for key, value in data.items():
        if value is not None and not isinstance(value, (str, int)):
            raise DocumentError("expected a text value", code="meta.not_text", file=meta, field=str(key))
    return DocInfo.from_dict(data)
