# The two README commands: `make demo` and `make test`. Both create/update .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint typecheck bench accuracy browser clean

# Tests run in parallel (pytest-xdist); a file's tests stay on one worker, so a module's
# fixtures (a crawl of the sample web) run once per file, not once per test. The whole suite
# mostly waits (loopback servers, latency, crawler start-up): one worker more than the cores
# keeps both busy (2 cores: 3 workers 2:17, 2 workers 3:22, 4 workers 2:16, same day).
# test-fast is all CPU: one worker per core (2 cores: 19 s, 3 workers 23 s).
# PYTEST_WORKERS=N overrides both; 0: one process.
CORES := $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)))' 2>/dev/null || echo 2)
PYTEST_PARALLEL = -n $(or $(PYTEST_WORKERS),$(1)) --dist loadfile

# Re-install only when the package definition changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/provdir demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(call PYTEST_PARALLEL,$(shell echo $$(($(CORES) + 1))))

# Unit, component and in-process build tests: no subprocess crawl, no CLI subprocess.
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(call PYTEST_PARALLEL,$(CORES)) -q -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/extraction_speed.py
	$(BIN)/python benchmarks/crawl_speed.py

accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

# Headless Chromium: renders client-side provider sites during crawls (provdir/crawl/render.py) and
# checks the dataset report in the tests (skipped when absent). Best effort, Debian's package.
browser:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium is installed: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else echo "Install Chromium for the browser test: sudo apt-get install -y chromium (Debian/Ubuntu)," \
		"or put a chromium binary on PATH (or set PROVDIR_CHROMIUM=/path/to/chromium)."; fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
