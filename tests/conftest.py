"""Shared fixtures: the repository paths, one build of the website per test session, and axe-core."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHAPTERS = sorted(p.stem for p in (REPO / "book").glob("0[1-9]-*.md"))
# Kernels started by nbclient, nbval and nbgrader find "python" (and nbgrader finds alembic)
# through PATH: put this environment's bin first, however pytest was started.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
# Notebook kernels must use their inline backend to produce figures (headless pytest falls back to Agg).
os.environ.pop("MPLBACKEND", None)

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir()) if (REPO / "solutions").exists() else []


@pytest.fixture(scope="session")
def site():
    """Build the book once, as `make book` does, and return (html folder, build log).

    The build uses the execution cache in _build/.jupyter_cache: on a fresh
    clone (as in CI) every chapter executes; locally, unchanged pages are reused.
    """
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(REPO), "--builder", "html", "-W", "-n", "--keep-going"],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book build failed:\n{log[-6000:]}"
    return REPO / "_build" / "html", log


@pytest.fixture(scope="session")
def axe_script() -> str:
    """The text of the current axe-core 4.x (``npm pack axe-core@4``, cached in _build/axe-core): see tests/axe.py."""
    from axe import axe_source

    return axe_source()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the page tests of one module (see tests/browser.py)."""
    from browser import chromium

    with chromium() as launched:
        yield launched
