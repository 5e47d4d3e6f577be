# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever the pinned dependencies change. The sandboxes are a distribution of their own
# (./sandboxes); given in the same command, they satisfy the dev extra's `tokbridge-sandboxes`.
$(STAMP): pyproject.toml sandboxes/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ./sandboxes -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Install, migrate, create the demo merchant and serve on http://127.0.0.1:8000 (SQLite under ./var).
demo: install
	$(BIN)/tokbridge init
	$(BIN)/tokbridge demo --port 8000

## Install the dev dependencies and run the whole suite (SQLite, then PostgreSQL + Redis, and the browser).
test: install
	bash scripts/ensure-chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
