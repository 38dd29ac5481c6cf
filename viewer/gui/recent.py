"""Recent files and window geometry, kept in a small JSON file in the user's config folder."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from viewer import paths

MAX_RECENT = 10
_GEOMETRY = re.compile(r"^\d+x\d+[+-]-?\d+[+-]-?\d+$")


def state_file() -> Path:
    return paths.config_dir() / "viewer-state.json"


class ViewerState:
    """``recent`` (newest first) and ``geometry`` ("WxH+X+Y"); ``save()`` never raises."""

    def __init__(self, recent: list[str] | None = None, geometry: str = "", path: Path | None = None) -> None:
        self.recent = list(recent or [])
        self.geometry = geometry
        self.path = path or state_file()

    @classmethod
    def load(cls, path: Path | None = None) -> ViewerState:
        path = path or state_file()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path=path)  # missing or damaged: start afresh
        if not isinstance(data, dict):
            return cls(path=path)
        recent = [str(p) for p in data.get("recent", []) if isinstance(p, str)][:MAX_RECENT]
        geometry = str(data.get("geometry", ""))
        return cls(recent, geometry if _GEOMETRY.match(geometry) else "", path)

    def add_recent(self, path: str | Path) -> None:
        name = str(Path(path).resolve())
        self.recent = [name] + [p for p in self.recent if p != name]
        del self.recent[MAX_RECENT:]

    def existing_recent(self) -> list[str]:
        return [p for p in self.recent if os.path.exists(p)]

    def save(self) -> bool:
        """Write the file atomically; False when the folder is not writable."""
        try:
            paths.ensure_private_dir(self.path.parent)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"recent": self.recent, "geometry": self.geometry}, indent=1),
                           encoding="utf-8")
            os.replace(tmp, self.path)
            return True
        except OSError:
            return False
