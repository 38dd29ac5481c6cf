"""Freed memory goes back to the system: glibc's fixed mmap threshold and malloc_trim."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import pytest

from viewer.gui import heap

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                           reason="glibc's mallopt and malloc_trim")

# 40 MB of 1 KB blocks (below any mmap threshold: they come from the heap), all freed but
# the last one, which pins the top of the heap so glibc cannot shrink it on its own.
CHILD = textwrap.dedent("""
    import sys
    from viewer.gui import heap
    def rss():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
    blocks = [bytes(1000) + bytes([i % 256]) for i in range(40_000)]
    last = blocks[-1]
    del blocks
    before = rss()
    trimmed = heap.trim()
    print(trimmed, before - rss())
""")


@glibc
def test_trim_gives_the_holes_of_the_heap_back():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout.split()
    trimmed, freed_kib = out[0] == "True", int(out[1])
    assert trimmed
    assert freed_kib > 20_000  # most of the 40 MB left the process


@glibc
def test_freed_page_images_go_back_to_the_system():
    assert heap.return_freed_memory() is True


def test_without_glibc_nothing_is_called(monkeypatch):
    monkeypatch.setattr(heap.sys, "platform", "darwin")
    assert heap.trim() is False and heap.return_freed_memory() is False
