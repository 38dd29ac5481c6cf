# spoolview — two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check deps bench bench-startup bench-peers soak venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# editable_mode=compat: the project folder as a plain path in a .pth. The default mode installs an
	# import finder that every interpreter of the venv runs at start (~30 ms, more than python's own
	# start), which a user's installed copy does not have: it slowed every process and skewed the
	# benchmarks' `python -c pass` baseline.
	$(BIN)/python -m pip install -q -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

venv: $(STAMP)

## deps: the Debian packages the tests need (installs them as root, else prints the command)
deps:
	PYTHON=$(PYTHON) bash tools/system-deps.sh test

## run: install if needed, then run the main job on the embedded sample quote (the viewer window;
##      without a display, `view-demo` converts that quote to a protected PDF instead)
run:
	PYTHON=$(PYTHON) bash tools/system-deps.sh run
	$(MAKE) $(STAMP)
	$(BIN)/spoolview view-demo

## check: static checks, zero findings: ruff (lint + import order) and mypy (types)
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## test: Debian packages, static checks, then the suite on every core (pytest-xdist: each worker has
##       its own Xvfb through pytest-xvfb and its own temporary and runtime folders, tests/conftest.py).
##       `make test PYTEST_WORKERS=3` sets the number of workers; PYTEST_WORKERS=0, one process.
PYTEST_WORKERS ?= auto
test: deps $(STAMP)
	$(MAKE) check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

## bench: benchmarks print figures and ratios against raw baselines
bench: $(STAMP)
	for f in tests/bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

## bench-startup: issue 16's start-up figures only: send/convert (with instruction counts when valgrind
## is installed: ratios a busy machine does not disturb), cold and warm start, mail icon to dialog
bench-startup: $(STAMP)
	$(BIN)/python tests/bench/bench_cli.py --instructions
	$(BIN)/python tests/bench/bench_launch.py cold warm mail

## bench-peers: the launch, memory and command-line benchmarks with the programs people use
## instead (evince, mupdf, mutool, swaks; the relay listener against Postfix). Installs the
## Debian packages it needs when missing (this target only; never `make test`).
bench-peers: $(STAMP)
	PYTHON=$(PYTHON) bash tools/system-deps.sh peers
	$(BIN)/python tests/bench/bench_launch.py --peers
	$(BIN)/python tests/bench/bench_cli.py --peers
	if [ -f tests/bench/bench_listener.py ]; then $(BIN)/python tests/bench/bench_listener.py --peers; fi

## soak: long fault-injection runs of the relay (not part of `make test`)
soak: $(STAMP)
	$(BIN)/python tests/bench/soak_relay.py

clean:
	rm -rf $(VENV) build *.egg-info
