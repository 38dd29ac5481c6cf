"""Desktop integration: the .desktop entry, icon and MIME types in the user's XDG data folder."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

APP_ID = "spoolview"
DESKTOP_NAME = f"{APP_ID}.desktop"
MIME_XML_NAME = f"{APP_ID}.xml"
ICON_NAME = APP_ID

# Our own types: a .spv spool, and the line-printer text spools (not .txt: every text file
# would open in the viewer). PostScript is the standard type, only listed in the entry.
OWN_MIME_TYPES = ("application/x-spoolview", "application/x-spoolview-text")
MIME_TYPES = (*OWN_MIME_TYPES, "application/postscript", "application/pdf")
DEFAULT_FOR = (*OWN_MIME_TYPES, "application/postscript")

_MIME_XML = """<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="application/x-spoolview">
    <comment>spoolview print spool</comment>
    <comment xml:lang="fr">Spool d'impression spoolview</comment>
    <icon name="spoolview"/>
    <glob pattern="*.spv"/>
  </mime-type>
  <mime-type type="application/x-spoolview-text">
    <comment>Line-printer text spool</comment>
    <comment xml:lang="fr">Spool texte d'imprimante</comment>
    <sub-class-of type="text/plain"/>
    <icon name="spoolview"/>
    <glob pattern="*.prn"/>
    <glob pattern="*.lst"/>
    <glob pattern="*.spl"/>
  </mime-type>
</mime-info>
"""

_ICON_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <rect x="12" y="4" width="40" height="52" rx="3" fill="#ffffff" stroke="#2b4c7e" stroke-width="3"/>
  <path d="M20 16h24M20 24h24M20 32h16" stroke="#2b4c7e" stroke-width="3" stroke-linecap="round"/>
  <rect x="4" y="38" width="56" height="22" rx="4" fill="#2b4c7e"/>
  <circle cx="50" cy="46" r="3" fill="#8fd18f"/>
</svg>
"""


@dataclass
class Outcome:
    """What an install or remove did: the files touched and each helper tool run or missing."""

    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # "tool (Debian package): what it would have done"
    failed: list[str] = field(default_factory=list)


def data_home() -> Path:
    """``$XDG_DATA_HOME`` if set and absolute, else ``~/.local/share`` (XDG base directory rules)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / ".local" / "share"


def paths(base: Path | None = None) -> dict[str, Path]:
    """Where each file goes under the XDG data folder ``base``."""
    root = base or data_home()
    return {
        "desktop": root / "applications" / DESKTOP_NAME,
        "mime": root / "mime" / "packages" / MIME_XML_NAME,
        "icon": root / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg",
    }


def exec_command() -> str:
    """The command line the entry runs: the installed ``spoolview``, else this Python with the CLI module."""
    found = shutil.which("spoolview")
    if found:
        return shlex.quote(found)
    return f"{shlex.quote(sys.executable)} -m viewer.cli"


def desktop_entry(command: str | None = None) -> str:
    """The text of the .desktop file (Desktop Entry Specification 1.4)."""
    cmd = command or exec_command()
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.4\n"
        "Name=spoolview\n"
        "GenericName=Print spool viewer\n"
        "GenericName[fr]=Visionneuse de spools d'impression\n"
        "Comment=View print spools, convert them to PDF and send them by e-mail\n"
        "Comment[fr]=Afficher les spools d'impression, les convertir en PDF et les envoyer par e-mail\n"
        f"Exec={cmd} open %F\n"
        f"TryExec={cmd.split(' ')[0].strip(chr(39))}\n"
        f"Icon={ICON_NAME}\n"
        "Terminal=false\n"
        "Categories=Office;Viewer;\n"
        f"MimeType={';'.join(MIME_TYPES)};\n"
        "Keywords=spool;print;PDF;PostScript;invoice;quote;\n"
        "StartupNotify=true\n"
    )


def _write(path: Path, text: str, outcome: Outcome) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    outcome.written.append(path)


def _run(tool: str, package: str, why: str, args: list[str], outcome: Outcome) -> None:
    exe = shutil.which(tool)
    if exe is None:
        outcome.missing.append(f"{tool} (Debian package {package}): {why}")
        return
    try:
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        outcome.failed.append(f"{tool}: {exc}")
        return
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        outcome.failed.append(f"{tool} exited {done.returncode}: {detail[-1] if detail else 'no message'}")
    else:
        outcome.ran.append(" ".join([tool, *args]))


def _refresh(base: Path, outcome: Outcome, *, set_defaults: bool) -> None:
    _run("update-mime-database", "shared-mime-info", "the file manager learns the .spv type at next login",
         [str(base / "mime")], outcome)
    _run("update-desktop-database", "desktop-file-utils", "the 'Open with' lists update at next login",
         [str(base / "applications")], outcome)
    if set_defaults and shutil.which("xdg-mime") is None:
        outcome.missing.append("xdg-mime (Debian package xdg-utils): spoolview is not made the default application"
                               " for .spv, .prn and PostScript files (choose it once in 'Open with')")
    elif set_defaults:
        for mime in DEFAULT_FOR:
            _run("xdg-mime", "xdg-utils", f"spoolview is not made the default for {mime}",
                 ["default", DESKTOP_NAME, mime], outcome)


def install(base: Path | None = None, *, command: str | None = None, refresh: bool = True) -> Outcome:
    """Write the entry, the MIME types and the icon under ``base`` (the XDG data folder) and refresh the caches."""
    root = base or data_home()
    where = paths(root)
    outcome = Outcome()
    _write(where["desktop"], desktop_entry(command), outcome)
    _write(where["mime"], _MIME_XML, outcome)
    _write(where["icon"], _ICON_SVG, outcome)
    if refresh:
        _refresh(root, outcome, set_defaults=True)
    return outcome


def remove(base: Path | None = None, *, refresh: bool = True) -> Outcome:
    """Delete what ``install`` wrote (absent files are fine) and refresh the caches."""
    root = base or data_home()
    outcome = Outcome()
    for path in paths(root).values():
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        outcome.removed.append(path)
    if refresh and (root / "mime").is_dir():
        _refresh(root, outcome, set_defaults=False)
    return outcome


def installed(base: Path | None = None) -> dict[str, bool]:
    """Which of the three files are in place."""
    return {name: path.is_file() for name, path in paths(base).items()}
