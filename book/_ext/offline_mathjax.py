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

No raw TeX on screen. MathJax typesets a chapter within about a second of loading,
and until then the browser would paint the TeX source (``\\(\\sigma(z)\\)``). On every
page with math, a small script in the page head, which runs before anything is
painted, hides the formulas (``visibility: hidden``, so the text around them does not
move) and shows them again as soon as MathJax's first typeset pass ends, or after
``REVEAL_AFTER_MS`` if MathJax never arrives. Both the hiding and the reveal are done
by that script: a browser without JavaScript shows the TeX source, which is then the
best it can do.
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


REVEAL_AFTER_MS = 8000
PENDING_CLASS = "dlf-math-pending"
# Runs in <head>, before the body is parsed: hide, then reveal when the first typeset pass is
# over (MathJax 3 calls startup.pageReady once, after the page has loaded, and typesets).
HIDE_UNTIL_TYPESET = """(function () {
  var root = document.documentElement, pending = "%(pending)s";
  root.classList.add(pending);
  var style = document.createElement("style");
  style.textContent = "html." + pending + " .math { visibility: hidden; }";
  document.head.appendChild(style);
  var reveal = function () { root.classList.remove(pending); };
  var config = window.MathJax = window.MathJax || {};
  config.startup = config.startup || {};
  config.startup.pageReady = function () {
    return MathJax.startup.defaultPageReady().then(reveal, function (error) { reveal(); throw error; });
  };
  setTimeout(reveal, %(reveal_after)d);
})();""" % {"pending": PENDING_CLASS, "reveal_after": REVEAL_AFTER_MS}


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


def _hide_until_typeset(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Add the hiding script to the pages that load MathJax, after Sphinx's MathJax settings."""
    if app.builder.format != "html" or getattr(app.builder, "math_renderer_name", None) != "mathjax":
        return
    if app.env.get_domain("math").has_equations(pagename):
        app.builder.add_js_file(None, body=HIDE_UNTIL_TYPESET, priority=510)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _configure, priority=900)
    app.connect("html-page-context", _hide_until_typeset, priority=600)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
