"""Serve MathJax 3 from an installed Python package instead of a CDN.

The site must render equations with no internet connection, and quickly. This
extension copies the browser build of MathJax 3.2 (Apache-2.0, the ``es5/``
folder shipped inside the ``django-static-mathjax`` wheel that requirements.txt
pins; the package imports as ``mathjax``) into ``_build/html/_static/mathjax``
and points Sphinx's ``mathjax_path`` at its TeX-to-CommonHTML component.
MathJax 3 typesets a chapter several times faster than MathJax 2.7 did.

Only the files the pages can load are copied: the component, the TeX extensions
it may autoload, the CommonHTML output with its woff fonts, and the accessibility
helpers of the context menu. The speech-rule engine and the SVG builds are left out.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import mathjax
from sphinx.application import Sphinx

MATHJAX_SOURCE = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
COMPONENT = "tex-chtml.js"
COPIED = (COMPONENT, "input", "output", "a11y", "ui", "adaptors", "latest.js", "core.js", "loader.js", "startup.js")
MATHJAX_CONFIG = {
    "tex": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
        "tags": "ams",
    },
    "options": {
        # Sphinx and myst-nb put every formula inside an element of class "math"; look nowhere else.
        "ignoreHtmlClass": "tex2jax_ignore|mathjax_ignore|document",
        "processHtmlClass": "tex2jax_process|mathjax_process|math|output_area",
    },
}


def _configure(app: Sphinx, config) -> None:
    config.mathjax_path = f"mathjax/{COMPONENT}"
    config.mathjax2_config = None
    config.mathjax3_config = MATHJAX_CONFIG  # the fonts are found next to the component's own URL
    config.myst_update_mathjax = False


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if (target / COMPONENT).exists():
        return
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = MATHJAX_SOURCE / name
        if source.is_dir():
            shutil.copytree(source, target / name, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, target / name)
    shutil.copy2(MATHJAX_SOURCE.parent / "LICENSE", target / "LICENSE")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _configure, priority=900)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
