"""Command-line tools the tests run: a missing one is an error naming the install command."""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "system-deps.sh"


@cache
def package_of() -> dict[str, str]:
    """Command -> Debian package, read from the one list in tools/system-deps.sh."""
    table: dict[str, str] = {}
    for pkg, proofs in re.findall(r'^\s*"([a-z0-9.+-]+):([^"]*)"', SCRIPT.read_text(), re.M):
        for proof in proofs.split(","):
            if proof and not proof.startswith(("/", "py:")):
                table[proof] = pkg
    return table


def require_tool(name: str) -> str:
    """The path of command ``name``; fails the test (never skips) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        pkg = package_of().get(name)
        hint = f"sudo apt-get install -y --no-install-recommends {pkg}" if pkg else f"install '{name}'"
        pytest.fail(f"'{name}' not found on PATH; `make deps` (tools/system-deps.sh) installs it, "
                    f"or run: {hint}", pytrace=False)
    return path
