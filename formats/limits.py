"""Resource limits on input files (size, pages, items per page, JSON nesting), given by the caller."""

from __future__ import annotations

import re
from pathlib import Path

from formats.document import DocumentError
from formats.records import record

_STRING = re.compile(rb'"[^"]*"')
_PAIR = re.compile(rb"\[\]|\{\}")
_KEEP = bytes(b for b in range(256) if b not in b'[]{}"\\')


@record(frozen=True)
class Limits:
    """What one document may hold. The viewer fills it from its settings; these are the defaults."""

    max_file_mb: int = 200  # size of the file on disk
    max_pages: int = 10_000  # pages per document
    max_items: int = 20_000  # items per page (a table counts one per row)
    max_depth: int = 32  # JSON nesting of a .spv (a valid spool needs 7)

    def check_size(self, size: int, path: Path) -> None:
        if size > self.max_file_mb * 1_000_000:
            raise DocumentError(
                f"the file is too large ({size / 1e6:.0f} MB; limit max_file_mb = {self.max_file_mb})",
                code="limit.file_size",
                params={"size": round(size / 1e6), "limit": self.max_file_mb},
                file=path,
                hint="raise the limit in the settings if the file is genuine",
            )

    def check_pages(self, count: int, path: Path) -> None:
        if count > self.max_pages:
            raise DocumentError(
                f"the document has {count} pages (limit max_pages = {self.max_pages})",
                code="limit.pages",
                params={"count": count, "limit": self.max_pages},
                file=path,
                hint="split the document, or raise the limit in the settings if it is genuine",
            )

    def check_items(self, count: int, path: Path, page: int) -> None:
        if count > self.max_items:
            raise DocumentError(
                f"the page has {count} items (limit max_items = {self.max_items})",
                code="limit.items",
                params={"count": count, "limit": self.max_items},
                file=path,
                page=page,
                hint="raise the limit in the settings if the page is genuine",
            )

    def check_depth(self, data: bytes, path: Path) -> None:
        """Refuse JSON nested deeper than ``max_depth`` before parsing it (no RecursionError)."""
        if json_depth_exceeds(data, self.max_depth):
            raise DocumentError(
                f"the JSON is nested more than {self.max_depth} levels deep (limit max_depth = {self.max_depth})",
                code="limit.depth",
                params={"limit": self.max_depth},
                file=path,
                hint="a spool needs at most 7 levels: the file is not a genuine spool",
            )


DEFAULT = Limits()


def json_depth_exceeds(data: bytes, depth: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than ``depth``, at C speed (no parsing).

    Only brackets, quotes and backslashes are kept; escaped quotes and backslashes go, then
    strings; each pass then removes every innermost ``[]`` or ``{}`` pair, so a document of
    depth d is empty after d passes. What is left (malformed input) is measured directly.
    """
    kept = data.translate(None, _KEEP).replace(b"\\\\", b"").replace(b'\\"', b"").replace(b"\\", b"")
    # Two adjacent quotes hold nothing (an empty string, or nothing between two strings):
    # dropping them keeps every other quote's parity, and leaves few strings for the regex.
    brackets = _STRING.sub(b"", kept.replace(b'""', b"")).replace(b'"', b"")
    for done in range(depth):  # noqa: B007 - read after the loop: the levels already removed
        if not brackets:
            return False
        shorter = _PAIR.sub(b"", brackets)  # one level a pass: "{[]}" -> "{}"
        if len(shorter) == len(brackets):
            break  # unbalanced (malformed JSON): measure what is left
        brackets = shorter
    else:
        return bool(_PAIR.search(brackets))  # a pair left after ``depth`` passes is one level too deep
    level = 0
    for opening in brackets.translate(_OPENING):
        level = level + 1 if opening else max(level - 1, 0)
        if level + done > depth:
            return True
    return False


_OPENING = bytes(1 if chr(b) in "[{" else 0 for b in range(256))
