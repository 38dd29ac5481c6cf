"""The relay's log lines: one line each whatever the text, repeated errors rate-limited (issue 12.7, 12.11)."""

from __future__ import annotations

import errno
import logging

from viewer.relay.logtext import RepeatFilter, SafeFormatter, escape


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _logger(tmp_path, flt: logging.Filter) -> tuple[logging.Logger, logging.Handler]:
    handler = logging.FileHandler(tmp_path / "relay.log", encoding="utf-8")
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(flt)
    logger = logging.getLogger(f"viewer.relay.test.{tmp_path.name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger, handler


def test_emfile_repeated_by_every_scan_is_rate_limited(tmp_path):
    clock = Clock()
    logger, handler = _logger(tmp_path, RepeatFilter(burst=5, window=60.0, clock=clock))
    error = OSError(errno.EMFILE, "Too many open files")
    for n in range(1000):
        clock.now = n * 0.01  # a scan every 10 ms for 10 s
        logger.error("pickup scan failed: %s", error)
        logger.info("picked up %r as %s", f"m{n}.eml", n)  # ordinary lines are never dropped
    clock.now = 61.0
    logger.error("pickup scan failed: %s", error)
    handler.close()
    lines = (tmp_path / "relay.log").read_text().splitlines()
    errors = [line for line in lines if line.startswith("ERROR")]
    assert len(errors) == 6
    assert errors[-1].endswith("(995 more like this in the last 60 s not logged)")
    assert sum(line.startswith("INFO") for line in lines) == 1000


def test_control_characters_never_start_a_line(tmp_path):
    logger, handler = _logger(tmp_path, RepeatFilter())
    logger.warning("refused %s", "evil\r\nERROR viewer.relay: forged\x0c\u2028x")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("with a traceback %s", "a\nb")
    handler.close()
    text = (tmp_path / "relay.log").read_text()
    first, second = text.splitlines()[:2]
    name = tmp_path.name
    assert first == f"WARNING viewer.relay.test.{name}: " + r"refused evil\x0d\x0aERROR viewer.relay: forged\x0c\u2028x"
    assert second.endswith(r"with a traceback a\x0ab")
    assert "Traceback (most recent call last):" in text  # the traceback keeps its own lines
    assert escape("plain text") == "plain text"
