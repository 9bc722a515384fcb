# Deep Learning Foundations: one command builds the site, one runs every test.
# Both create .venv from the pinned requirements.txt and install the package.

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
export PYTHONHASHSEED := 0

.PHONY: help setup sysdeps book book-clean test test-fast bench demo release clean

help:
	@echo "make book     install everything and build the website into _build/html"
	@echo "make test     install everything (system packages included) and run all tests"
	@echo "make demo     grade a demo class of 30 synthetic students end to end"
	@echo "make bench    run the benchmarks (prints ratios, asserts nothing)"
	@echo "make release  regenerate exercises/ from solutions/ with nbgrader"

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml src/dlfcourse/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . -e src/dlfcourse
	touch $@

# Debian packages the tests need: Chromium for the browser test, bubblewrap for the grading sandbox.
sysdeps:
	@bash scripts/install-system-deps.sh

book: setup
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "Site built: open _build/html/index.html"

book-clean:
	rm -rf _build

test: setup sysdeps
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/bench_mlp.py
	$(BIN)/python bench/bench_grading.py

demo: setup sysdeps
	$(BIN)/dlf-course demo

release: setup
	$(BIN)/dlf-course release

clean:
	rm -rf _build $(VENV) .pytest_cache
