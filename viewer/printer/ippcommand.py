"""The command ``ippeveprinter -c`` runs for each job: hand the document to the watched folder with its title and user."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from viewer.printer import backend

FOLDER_ENV = "SPOOLVIEW_PRINTER_FOLDER"


def ipp_text(value: str) -> str:
    """A value as ippeveprinter puts it in ``IPP_*``: its backslash escapes undone, a ``[language]`` suffix dropped."""
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            out.append(next(chars, ""))
        elif char == "[":  # an unescaped bracket only opens the language of a nameWithLanguage
            break
        else:
            out.append(char)
    return "".join(out)


def main(argv: list[str]) -> int:
    """``COMMAND FILE`` with the job's IPP attributes in ``IPP_*`` variables; 0 when the job is in the folder."""
    if len(argv) != 2:
        print(f"ERROR: usage: {argv[0]} FILE (run by ippeveprinter)", file=sys.stderr)
        return 1
    folder = os.environ.get(FOLDER_ENV, "")
    if not folder:
        print(f"ERROR: {FOLDER_ENV} is not set", file=sys.stderr)
        return 1
    job = os.environ.get("IPP_JOB_ID", "0")
    user = ipp_text(os.environ.get("IPP_JOB_ORIGINATING_USER_NAME", "")) or "anonymous"
    title = ipp_text(os.environ.get("IPP_JOB_NAME", "")) or "Untitled"
    copies = os.environ.get("IPP_COPIES", "1")
    try:
        with open(argv[1], "rb") as source:
            kind = backend.kind_suffix(source.read(64))
            if kind not in (".pdf", ".ps"):
                print(f"ERROR: job {job} is neither PDF nor PostScript: this printer takes only those", file=sys.stderr)
                return 1
            source.seek(0)
            target = backend.store(Path(folder), job, user, title, copies, source)
    except OSError as exc:
        print(f"ERROR: cannot write job {job} into {folder}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"INFO: job {job} of {user} saved as {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
