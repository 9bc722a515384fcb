# Deep Learning Foundations: one command builds the site, one runs every test.
# Both create .venv from the pinned requirements.txt and install the package.

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
export PYTHONHASHSEED := 0

.PHONY: help setup sysdeps book book-clean lint typecheck test test-fast bench demo release student-pack clean

help:
	@echo "make setup       create .venv (python3 -m venv: on Debian/Ubuntu apt install python3-venv) and install"
	@echo "                 the pinned requirements, the library and the instructor package into it"
	@echo "make sysdeps     install the Debian packages the tests need (bubblewrap, Chromium; root or sudo)"
	@echo "make book        install everything and build the website into _build/html"
	@echo "make book-clean  remove _build, so that the next make book executes every chapter again"
	@echo "make lint        ruff (pycodestyle, pyflakes, bugbear) over every Python file of the repository"
	@echo "make typecheck   mypy: the library strict, the instructor package with mypy's defaults"
	@echo "make test        install everything (system packages included), lint, type-check and run all tests"
	@echo "                 (about 8 minutes on 2 cores)"
	@echo "make test-fast   the tests without the slow ones (notebooks, site build) and without the browser"
	@echo "make demo        grade a demo class of 30 synthetic students end to end"
	@echo "make bench       run the benchmarks (prints ratios, asserts nothing)"
	@echo "make release     regenerate exercises/ from solutions/ with nbgrader"
	@echo "make student-pack  what students receive: exercises, the library's wheel and a guide, in"
	@echo "                 _build/student-pack/ (a folder and a zip; no solutions, no instructor package)"
	@echo "make clean       remove _build, .venv and the test caches"

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

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

# Lint and types first: a finding stops the run before the ten minutes of tests.
test: setup sysdeps lint typecheck
	$(BIN)/python -m pytest

# No slow marks (notebook execution, the site build), no browser, no nbval run of solutions/ (tests/ only).
test-fast: setup sysdeps
	$(BIN)/python -m pytest tests -m "not slow and not browser"

bench: setup
	$(BIN)/python bench/bench_mlp.py
	$(BIN)/python bench/bench_grading.py

demo: setup sysdeps
	$(BIN)/dlf-course demo

release: setup
	$(BIN)/dlf-course release

# What students receive (DESIGN.md "What each audience receives"): built, never committed.
student-pack: setup
	$(BIN)/python scripts/build_student_pack.py

clean:
	rm -rf _build $(VENV) .pytest_cache
