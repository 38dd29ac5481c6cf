"""The command's logging set-up: at once, or left for the first record (the cold start's road), same format."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING %s: %s"


def _run(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter (logging's root logger is the process's own)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_left_for_later_logging_is_not_even_imported_until_the_first_record():
    done = _run(
        "import sys\n"
        "from viewer import logsetup\n"
        "logsetup.later(False)\n"
        "print('logging' in sys.modules)\n"
        "log = logsetup.logger('viewer.somewhere')\n"
        "log.warning('the settings file is damaged')\n"
        "log.info('not shown without -v')\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"
    assert re.fullmatch(LINE % ("viewer.somewhere", "the settings file is damaged") + "\n", done.stderr), done.stderr


def test_now_sets_it_up_for_the_other_modules_loggers_and_verbose_shows_info():
    done = _run(
        "import logging\n"
        "from viewer import logsetup\n"
        "logsetup.later(True)\n"
        "logsetup.now()\n"
        "logsetup.now()  # once only\n"
        "logging.getLogger('a.plugin').info('installed')\n"
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(LINE.replace("WARNING", "INFO") % ("a.plugin", "installed") + "\n", done.stderr), done.stderr


def test_configured_at_once_and_nothing_left_for_later():
    done = _run(
        "import logging\n"
        "from viewer import logsetup\n"
        "logsetup.later(True)\n"
        "logsetup.configure(False)  # the command's own choice wins over what was left\n"
        "logsetup.now()\n"
        "logging.getLogger('x').info('hidden')\n"
        "logging.getLogger('x').warning('shown')\n"
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(LINE % ("x", "shown") + "\n", done.stderr), done.stderr
