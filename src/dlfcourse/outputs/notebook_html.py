"""A student's notebook as HTML in which nothing they wrote can run: nbconvert's exporter, made inert.

nbconvert's ``HTMLExporter`` prints markdown and ``text/html`` outputs as written unless its
``sanitize_html`` is on, and even then nbgrader's feedback template renders markdown cells (written
answers included) by itself, unsanitised; nbconvert's own cleaner, where it applies, keeps no
paragraphs, headings or images. So:

* :class:`InertHTMLExporter` cleans, with :func:`dlfcourse.outputs.sanitize.clean_html`, every piece of
  HTML the templates take from the notebook: rendered markdown (cells, written answers, ``text/markdown``
  outputs, graders' comments; attachments become ``data:`` images), raw cells and ``text/html``
  outputs; with ``sanitize_html`` on, ``application/javascript`` outputs and widgets are left
  out, and SVG outputs are always shown as ``<img>`` (an image runs no script).
* :class:`InertNotebook`, the last preprocessor, takes out what templates print unescaped or unquoted:
  an image's width and height (numbers only), output file names, ``isolated`` HTML outputs (an iframe),
  and the notebook's name (the page's title and heading: an LMS gave the file its name).

Plain text (streams, errors and their tracebacks, ``text/plain``, LaTeX) and highlighted code are escaped
by nbconvert and pygments themselves.

The page is also one everyone can read (WCAG 2.1 AA, checked with axe-core by
``tests/course/outputs/test_accessible.py``):

* :class:`ReadableNotebook` darkens the colours of the highlighted code just enough to reach a 4.5:1
  contrast on the code's background (:func:`dlfcourse.outputs.contrast.readable_css`), and adds
  :data:`READABLE_CSS`: links in text are underlined, the heading anchors (¶) show when their heading is
  pointed at or they have the keyboard's focus (as in Jupyter), the "(Top)" links on the cells' blue
  headings are white, and long lines of code and output wrap instead of scrolling out of a keyboard's reach;
* :func:`readable_page` gives the written page its language and makes the title bar above the notebook
  its first heading, ``<h1>`` (nbgrader's template writes an ``<h4>`` there), in the same size.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from dlfcourse.outputs.contrast import readable_css
from dlfcourse.outputs.sanitize import LANGUAGE, clean_html

__all__ = ["InertHTMLExporter", "InertNotebook", "ReadableNotebook", "READABLE_CSS", "readable_page"]


class InertHTMLExporter(HTMLExporter):
    """``HTMLExporter`` that cleans every piece of notebook HTML it renders (see the module docstring)."""

    sanitize_html = Bool(True, help="Always on: leave out scripts and widgets, clean HTML outputs.")
    skip_svg_encoding = Bool(False, help="Always off: SVG outputs are shown as images, never inline.")

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        """nbconvert's markdown rendering (math, attachments, anchors), then cleaned."""
        return clean_html(super().markdown2html(context, source))

    def default_filters(self) -> Any:
        """nbconvert's filters, with its ``clean_html`` replaced by ours (the templates apply it to cells)."""
        yield from super().default_filters()
        yield ("clean_html", clean_html)


_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def _size(value: Any) -> int | None:
    """An image's width or height as a whole number of pixels, or None if it is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and 0 < number < 100_000 else None


def _keep_sizes(metadata: dict) -> None:
    """Width and height as whole numbers (nbconvert prints them unquoted), or not at all."""
    for key in ("width", "height"):
        if key in metadata:
            size = _size(metadata[key])
            if size is None:
                del metadata[key]
            else:
                metadata[key] = size
    if not isinstance(metadata.get("unconfined", False), bool):
        del metadata["unconfined"]


def _inert_output(output: Any) -> None:
    """Keep only numeric image sizes in an output's metadata; drop file names and isolated HTML."""
    output.pop("svg_filename", None)
    metadata = output.get("metadata")
    if not isinstance(metadata, dict):
        return
    metadata.pop("filenames", None)
    _keep_sizes(metadata)  # the output-wide form, read when an image type has none
    for mime in _IMAGE_TYPES:
        if isinstance(metadata.get(mime), dict):
            _keep_sizes(metadata[mime])
    if isinstance(metadata.get("text/html"), dict):
        metadata["text/html"].pop("isolated", None)


class InertNotebook(Preprocessor):
    """Run last: take out of the notebook and its resources what templates print unescaped (module docstring)."""

    enabled = Bool(True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                _inert_output(output)
        grading = resources.get("nbgrader") if isinstance(resources, dict) else None
        if isinstance(grading, dict) and "notebook" in grading:
            shown = dict(grading)  # a copy: earlier preprocessors' dict is left as it was
            shown["notebook"] = html.escape(str(grading["notebook"]))  # the page is written under unique_key
            resources["nbgrader"] = shown
        return nb, resources


# --- a page everyone can read ----------------------------------------------------------------------------

#: Backgrounds highlighted code is shown on: bootstrap's ``pre``, pygments' own, nbgrader's answer cells.
CODE_BACKGROUNDS = ("#f5f5f5", "#f8f8f8", "#ffffff")

#: What the page's style adds (nbgrader's template and bootstrap 3 set the rest); ids and ``body`` in the
#: selectors outrank the template's own rules, which come later in the head.
READABLE_CSS = """
#notebook .rendered_html a { text-decoration: underline; }
#notebook a.anchor-link { opacity: 0; text-decoration: none; }
#notebook h1:hover > a.anchor-link, #notebook h2:hover > a.anchor-link, #notebook h3:hover > a.anchor-link,
#notebook h4:hover > a.anchor-link, #notebook h5:hover > a.anchor-link, #notebook h6:hover > a.anchor-link,
#notebook a.anchor-link:focus { opacity: 1; text-decoration: underline; }
body div.nbgrader_cell .panel-heading a { color: #fff; text-decoration: underline; }
#notebook pre { white-space: pre-wrap; word-break: normal; overflow-wrap: anywhere; }
body h1.dlf-title { font-size: 18px; font-weight: 500; line-height: 1.1; margin: 10px 0; }
"""


class ReadableNotebook(Preprocessor):
    """Run after nbconvert's ``CSSHTMLHeaderPreprocessor``: readable code colours, and :data:`READABLE_CSS`."""

    enabled = Bool(True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        inlining = resources.setdefault("inlining", {})
        inlining["css"] = [readable_css(css, CODE_BACKGROUNDS) for css in inlining.get("css", [])] + [READABLE_CSS]
        return nb, resources


_HTML_TAG = re.compile(r"<html(?![^>]*\blang=)(?=[\s>])", re.IGNORECASE)  # one without a lang
_TITLE = re.compile(r"<h4>(.*?)</h4>", re.DOTALL)


def readable_page(text: str) -> str:
    """A written feedback page with its language declared and its title bar as its first heading (``<h1>``).

    The title bar is the template's first ``<h4>``, before any cell of the notebook.
    """
    text = _HTML_TAG.sub(f'<html lang="{LANGUAGE}"', text, count=1)
    return _TITLE.sub(lambda m: f'<h1 class="dlf-title">{m.group(1)}</h1>', text, count=1)
