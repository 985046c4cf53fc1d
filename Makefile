# One command each, from a fresh clone with Python 3.11+:  make demo  |  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench screenshots clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m compileall -q tui widgets services sandbox  # an editable install is not precompiled
	touch $(STAMP)

demo: $(STAMP)  ## the console on the simulated deployment
	$(BIN)/ttes-console demo

test: $(STAMP)  ## the whole test suite (the end-to-end tier runs where Debian's peers are installed)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy services widgets tui

bench: $(STAMP)  ## benchmarks: figures next to same-run baselines
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

screenshots: $(STAMP)  ## regenerate screenshots/*.svg
	$(BIN)/python -m screenshots

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
