"""CLI commands on documents: info, convert (with protection), render, and the demo job."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formats import Document, PasswordRequired, open_document
from viewer.errors import SpoolviewError

if TYPE_CHECKING:
    from viewer.settings import Settings

SAMPLE_QUOTE = Path(__file__).resolve().parents[2] / "samples" / "devis-D2026-0042.spv"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show a document's kind, pages and DocInfo")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    _common(p)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("convert", help="convert a document to PDF, optionally protected")
    p.add_argument("file", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="the PDF to write")
    p.add_argument("--protect", choices=("none", "no-modify", "password"), default="none")
    p.add_argument("--input-password-file", type=Path, help="password of an encrypted input PDF (first line)")
    p.add_argument("--pdfa", action=argparse.BooleanOptionalAction, default=None,
                   help="write a spool as PDF/A-2b (default: the setting pdf.pdfa); not with --protect")
    _common(p)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("render", help="draw one page to a PNG image")
    p.add_argument("file", type=Path)
    p.add_argument("--page", type=int, default=1, help="page number, from 1")
    p.add_argument("--dpi", type=float, default=96.0)
    p.add_argument("--rotation", type=int, default=0, choices=(0, 90, 180, 270))
    p.add_argument("-o", "--output", type=Path, required=True, help="the image to write (.png, .jpg, .ppm)")
    _common(p)
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("demo", help="convert the sample quote to a protected PDF and say where it went")
    p.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-file",
        type=Path,
        help="file whose first line is the password ('-': standard input); convert: the password of the output PDF",
    )
    p.add_argument("--encoding", help="encoding of a text spool (utf-8, cp1252, cp850; default: detected)")


def read_password(path: Path | None) -> str | None:
    """The first line of a password file (or of standard input for '-')."""
    if path is None:
        return None
    try:
        if str(path) == "-":
            text = sys.stdin.readline()
        else:
            lines = path.read_text(encoding="utf-8").splitlines()
            text = lines[0] if lines else ""
    except FileNotFoundError:
        raise SpoolviewError(f"password file {path} not found", msgid="documents.password_file.missing", params={"file": path}) from None
    except UnicodeDecodeError:
        raise SpoolviewError(f"password file {path} is not UTF-8 text", msgid="documents.password_file.not_utf8",
                             params={"file": path}) from None
    except OSError as exc:
        raise SpoolviewError(f"cannot read the password file {path}: {exc.strerror or exc}", msgid="documents.password_file.unreadable",
                             params={"file": path, "reason": exc.strerror or exc}) from None
    text = text.rstrip("\r\n")
    if not text:
        raise SpoolviewError(f"password file {path} is empty", msgid="documents.password_file.empty", params={"file": path})
    return text


def _mode_for(path: Path) -> int:
    """The rights of the file being replaced, else those of a new file under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _private_temporary(folder: Path) -> tuple[int, str]:
    """A new file ``.spoolview-XXXXXXXXXXXX`` in ``folder``, 0600, opened for writing: tempfile.mkstemp's
    guarantees (exclusive creation, no symlink followed, closed on exec) without importing tempfile
    and random for it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        tmp = os.path.join(folder, f".spoolview-{os.urandom(6).hex()}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SpoolviewError(f"folder {folder} does not exist; create it or choose another output", msgid="documents.output.no_folder",
                             params={"folder": folder})
    if path.is_dir():
        raise SpoolviewError(f"{path} is a folder; give the name of the file to write in it", msgid="documents.output.is_folder",
                             params={"path": path})
    try:
        fd, tmp = _private_temporary(folder)
    except OSError as exc:
        raise SpoolviewError(f"cannot write in {folder} ({exc.strerror or exc}); choose another output folder",
                             msgid="documents.output.folder_not_writable", params={"folder": folder, "reason": exc.strerror or exc}) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes it private; the output gets the usual rights
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SpoolviewError(f"cannot write {path} ({exc.strerror or exc}); check the disk space and access rights",
                             msgid="documents.output.not_written", params={"path": path, "reason": exc.strerror or exc}) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _open(args: argparse.Namespace, password_file: Path | None, option: str, settings: Settings | None = None) -> Document:
    """Open the command's input (with ``settings``, else the user's); a password error names the ``option`` that gives it."""
    from viewer.docopen import open_document as open_with_settings

    try:
        return open_with_settings(args.file, settings, password=read_password(password_file), encoding=args.encoding)
    except PasswordRequired as exc:
        raise SpoolviewError(f"{exc.file}: {exc.message} (give it with {option} FILE, whose first line is the password)",
                             msgid="cli.password_file", params={"reason": exc, "option": option}) from None


def cmd_info(args: argparse.Namespace) -> int:
    with _open(args, args.password_file, "--password-file") as doc:
        first = doc.page(0)
        for _ in doc.pages():  # every page checked (a spool's schema, a PDF's page tree), not only the first
            pass
        data: dict[str, Any] = {
            "file": str(doc.path),
            "source": doc.source,
            "pages": doc.page_count,
            "page_size_pt": [round(first.width, 2), round(first.height, 2)],
            "info": doc.info.to_dict(),
        }
        if doc.repaired:
            data["repaired"] = True
        found = _found_on_page(doc)
        if found is not None:
            data["read_from_page"] = found
        if doc.headers:
            data["headers"] = doc.headers
        if doc.attachments:
            data["attachments"] = [{"filename": a.filename, "content_type": a.content_type, "size": len(a.data)} for a in doc.attachments]
    if args.json:
        import json

        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    from viewer.cli import language
    from viewer.messages import counted, text

    lang = language()
    repaired = text(lang, "documents.info.repaired") if doc.repaired else ""
    print(counted(lang, "documents.info.summary", doc.page_count, file=data["file"], source=doc.source,
                  width=f"{first.width:.0f}", height=f"{first.height:.0f}", repaired=repaired))
    for key, value in data["info"].items():
        print(text(lang, "documents.info.line", label=text(lang, f"documents.info.field.{key}"), value=value))
    if "read_from_page" in data:
        read = ", ".join(f"{k}={v}" for k, v in data["read_from_page"].items()) or text(lang, "documents.info.read_nothing")
        print(text(lang, "documents.info.read_from_page", read=read))
    for key, value in data.get("headers", {}).items():
        print(text(lang, "documents.info.line", label=key, value=value))
    for att in data.get("attachments", []):
        print(counted(lang, "documents.info.attachment", att["size"], filename=att["filename"], content_type=att["content_type"]))
    return 0


def _found_on_page(doc: Document) -> dict[str, str] | None:
    """What the [extract] rules find on the first page (None when no rule is set)."""
    from formats.extract import find
    from viewer.settings import load

    rules = load().extract.rules()
    return find(doc, rules).to_dict() if rules else None


def cmd_convert(args: argparse.Namespace) -> int:
    from formats.pdf import Protection, to_pdf
    from viewer.settings import load

    settings = load()
    pdfa = settings.pdf.pdfa if args.pdfa is None else args.pdfa
    if pdfa and args.protect != "none":
        raise SpoolviewError("PDF/A forbids encryption: use --no-pdfa with --protect, or --protect none for an archival PDF",
                             msgid="documents.convert.pdfa_protected")
    password = read_password(args.password_file)
    protection = Protection(args.protect, password or "")
    if args.protect == "password" and not password:
        raise SpoolviewError("--protect password needs --password-file with the password to open the PDF",
                             msgid="documents.convert.no_password")
    protection.check()
    # --password-file protects the output; --input-password-file opens an encrypted input.
    with _open(args, args.input_password_file, "--input-password-file", settings) as doc:
        pdf = to_pdf(doc, pdfa=pdfa, protection=protection)
        repaired = doc.repaired
    write_atomic(args.output, pdf)
    from viewer.cli import language
    from viewer.messages import text

    lang = language()
    notes = (", PDF/A-2b" if pdfa and doc.source in ("spv", "text") else "") + (text(lang, "documents.convert.repaired") if repaired else "")
    print(text(lang, "documents.convert.done", file=args.output, size=len(pdf), protection=args.protect, notes=notes))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from formats.render import render_image

    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".ppm": "PPM"}.get(args.output.suffix.lower())
    if fmt is None:  # checked before drawing: a big page is not drawn for nothing
        raise SpoolviewError(f"{args.output}: unknown image type; use .png, .jpg or .ppm", msgid="documents.render.image_type",
                             params={"file": args.output})
    if not 1 <= args.dpi <= 1200:
        raise SpoolviewError("--dpi must be between 1 and 1200", msgid="documents.render.dpi")
    with _open(args, args.password_file, "--password-file") as doc:
        if not 1 <= args.page <= doc.page_count:
            raise SpoolviewError(f"{args.file}: no page {args.page} (the document has {doc.page_count})", msgid="documents.render.no_page",
                                 params={"file": args.file, "page": args.page, "count": doc.page_count})
        img = render_image(doc, args.page - 1, dpi=args.dpi, rotation=args.rotation)
    import io

    buf = io.BytesIO()
    img.save(buf, fmt)
    write_atomic(args.output, buf.getvalue())
    from viewer.cli import language
    from viewer.messages import text

    print(text(language(), "documents.render.done", file=args.output, page=args.page, width=img.width, height=img.height))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from formats.pdf import Protection, to_pdf
    from viewer.paths import data_dir, ensure_private_dir

    if not SAMPLE_QUOTE.is_file():
        raise SpoolviewError(f"the sample quote {SAMPLE_QUOTE} is missing; run samples/make_samples.py")
    with open_document(SAMPLE_QUOTE) as doc:
        pdf = to_pdf(doc, protection=Protection("no-modify"))
        info = doc.info
    out_dir = ensure_private_dir(data_dir() / "demo")
    out = out_dir / f"{SAMPLE_QUOTE.stem}.pdf"
    write_atomic(out, pdf)
    print(f"{info.title or SAMPLE_QUOTE.name} ({info.kind} {info.number}, customer {info.customer}) converted and protected (no-modify, AES-256):")
    print(out)
    return 0
