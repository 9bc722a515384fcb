"""Headless Chromium for the page tests (the site, feedback pages, the report): one launch, one wait for MathJax.

The flags are those this machine's closed network needs (no background connections); the `browser`
fixture in conftest.py launches it once per test module through Playwright.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# MathJax 3: startup.promise resolves once the first typeset pass of the page is over.
WAIT_FOR_MATHJAX = """() => new Promise(resolve => {
  const started = performance.now();
  const wait = () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(() => resolve('done'), () => resolve('failed'));
    } else if (performance.now() - started > 30000) {
      resolve('no-mathjax');
    } else {
      setTimeout(wait, 20);
    }
  };
  wait();
})"""


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's Browser); skips without Playwright, fails without Chromium."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make sysdeps` (installs Debian's chromium)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()
