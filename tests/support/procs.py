"""A process's own tree read from /proc: tests look at their children only, never at every process."""

from __future__ import annotations

import time
from pathlib import Path


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first, then the parent's pid)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def child_map() -> dict[int, list[int]]:
    """Every parent pid with the pids of its children, as /proc shows them now."""
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(_stat_fields(entry.name)[1])
            except (OSError, IndexError, ValueError):
                continue  # ended while listed
            found.setdefault(ppid, []).append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return sorted(child_map().get(pid, []))


def descendants(pid: int) -> set[int]:
    """The processes below ``pid``: its children, theirs, and so on."""
    tree = child_map()
    found, todo = set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def ended(pid: int) -> bool:
    """True when ``pid`` is gone or a zombie (dead, not yet reaped)."""
    try:
        return _stat_fields(pid)[0] == "Z"
    except OSError:
        return True


def still_running(pids: set[int], within: float = 30.0) -> set[int]:
    """The pids of ``pids`` still running after waiting up to ``within`` seconds for them all to end."""
    deadline = time.monotonic() + within
    while True:
        alive = {pid for pid in pids if not ended(pid)}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)
