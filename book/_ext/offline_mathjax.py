"""Serve MathJax from the installed ``jupyter_server_mathjax`` package instead of a CDN.

The site must render equations with no internet connection. This extension
copies MathJax 2.7 (Apache-2.0, shipped inside the ``jupyter_server_mathjax``
wheel that requirements.txt pins) into ``_build/html/_static/mathjax`` and points
Sphinx's ``mathjax_path`` at that copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jupyter_server_mathjax
from sphinx.application import Sphinx

MATHJAX_SOURCE = Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_CONFIG = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
    },
    "TeX": {"extensions": ["AMSmath.js", "AMSsymbols.js"], "equationNumbers": {"autoNumber": "AMS"}},
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "messageStyle": "none",
    "showMathMenu": False,
}


def _configure(app: Sphinx, config) -> None:
    config.mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
    config.mathjax2_config = MATHJAX_CONFIG
    config.mathjax3_config = None
    config.myst_update_mathjax = False


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(MATHJAX_SOURCE, target, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _configure, priority=900)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
