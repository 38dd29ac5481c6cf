"""A test's own runtime folder (XDG_RUNTIME_DIR), with a path short enough for a Unix socket."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path


def runtime_dir(tmp_path: Path) -> Path:
    """The private (0700) runtime folder of the test whose ``tmp_path`` this is; the same on each call.

    Not inside ``tmp_path``: a socket path there, ``.../spoolview/viewer-*.sock``, passes the 107
    bytes a Unix socket name may have once pytest-xdist adds its worker's level (``popen-gw0``),
    and the viewer then runs without its single-instance socket. Made in the temporary folder
    (the test process's own, tests/conftest.py), named by a tag of ``tmp_path``."""
    folder = Path(tempfile.gettempdir()) / f"run-{hashlib.sha256(str(tmp_path).encode()).hexdigest()[:12]}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder
