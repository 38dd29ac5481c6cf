"""Benchmark: peak memory of converting a 5,000-page statement (.spv) to PDF; target < 300 MB.

Runs the conversion in a child process and reads its peak resident set size; prints the
figures and the ratio to the target. Usage: bench_spool_memory.py [PAGES] (default 5000).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "samples"))

from make_large_spool import make

TARGET_MB = 300
CHILD = textwrap.dedent("""
    import resource, sys
    from formats import open_document
    from formats.pdf import to_pdf
    with open_document(sys.argv[1]) as doc:
        opened = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        pdf = to_pdf(doc)
    print(opened, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, len(pdf))
""")


def main(pages: int = 5000) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        spool = make(Path(tmp) / f"statement-{pages}.spv", pages)
        size = spool.stat().st_size
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", CHILD, str(spool)], capture_output=True, text=True, cwd=ROOT, check=True)
        seconds = time.perf_counter() - start
    opened, peak, pdf_size = (int(v) for v in run.stdout.split())
    print(f"{pages} pages, spool {size / 1e6:.1f} MB -> PDF {pdf_size / 1e6:.1f} MB in {seconds:.0f} s")
    print(f"peak RSS after open {opened} MB, after conversion {peak} MB; target {TARGET_MB} MB (ratio {peak / TARGET_MB:.2f})")
    return 0 if peak < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
