"""The command's logging set-up, done when the first record is logged (a cold start's road to its first page logs nothing).

``configure(verbose)`` sets the root logger up at once (what every command but the cold
``spoolview FILE`` does); ``later(verbose)`` leaves it until ``logger(name)`` is first asked
for a logger, or ``now()`` is called (the viewer, once its first page is on screen, before
its plugins and libraries log with ``logging.getLogger``). Importing and setting up
``logging`` (with traceback, threading, string, its compiled patterns) was 5% of the
instructions of a cold start until its first page; the records keep the format and level
they always had.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: this module is on the cold start's road
if TYPE_CHECKING:
    import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_pending: list[bool] = []  # the verbosity of a set-up left for later (``later``), until done


def configure(verbose: bool) -> None:
    """Log to stderr: INFO and above with ``verbose``, else WARNING and above."""
    import logging

    _pending.clear()
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=FORMAT)


def later(verbose: bool) -> None:
    """Set logging up as ``configure(verbose)`` would, but only when it is first used."""
    _pending[:] = [verbose]


def now() -> None:
    """Do the set-up left for later, if any (later calls do nothing)."""
    if _pending:
        configure(_pending[0])


def logger(name: str) -> logging.Logger:
    """The logger ``name``, the set-up left for later done first."""
    import logging

    now()
    return logging.getLogger(name)
