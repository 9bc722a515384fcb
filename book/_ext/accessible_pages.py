"""Repair the accessibility defects that the theme and its helpers put into every page.

axe-core (the WCAG 2.1 A/AA checker run by ``tests/book/test_site_browser.py``) finds these in the
HTML that sphinx-book-theme 1.3, pydata-sphinx-theme 0.17, myst-nb 1.4 and docutils write;
none of them comes from the chapters themselves:

* ``summary-name``: every expandable entry of the left-hand table of contents is a
  ``<details>`` whose ``<summary>`` holds only a chevron icon, so a screen reader announces
  an unnamed control. We give each one a visually hidden name, "Pages under <title>".
* ``label-content-name-mismatch``: myst-nb's "Show code cell source" toggles carry
  ``aria-label="Toggle hidden content"``, a name that does not contain the words shown.
  We drop the label, so the visible words are the name. (The theme's search and
  colour-mode buttons have the same defect; ``_templates/`` overrides those two components.)
* ``aria-required-children`` and ``aria-deprecated-role``: docutils writes the bibliography
  as ``role="list"`` whose entries have the deprecated ``role="doc-biblioentry"``. The entries
  become ``role="listitem"``.

Every repair is a plain text substitution on HTML that Sphinx itself generated, made while
the page is rendered (``html-page-context``), so no JavaScript is needed in the browser and
nothing inside the installed packages is edited. Each pattern is checked: if a theme upgrade
changes the markup, the build warns (and, with ``-W``, fails) instead of silently shipping
the defect again.
"""

from __future__ import annotations

import html
import re
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# pydata-sphinx-theme's toctree: a link, then <details> with a chevron-only <summary>.
_TOC_SUMMARY = re.compile(
    r'(<a class="[^"]*\breference\b[^"]*" href="[^"]*">(?P<title>(?:(?!</a>).)*)</a>'
    r'<details(?: open="open")?>)<summary>(?=<span class="toctree-toggle")',
    re.S,
)
_BARE_SUMMARY = "<summary><span class=\"toctree-toggle\""
_HIDE_TOGGLE_LABEL = '<summary aria-label="Toggle hidden content">'
_BIBLIOENTRY = 'role="doc-biblioentry"'


def _name_toc_summaries(toctree_html: str) -> str:
    """Give every chevron-only ``<summary>`` of the table of contents a hidden, readable name."""

    def named(match: re.Match) -> str:
        title = html.unescape(re.sub(r"<[^>]+>", "", match["title"])).strip()
        label = html.escape(f"Pages under {title}", quote=False)
        return f'{match[1]}<summary><span class="visually-hidden">{label}</span>'

    repaired = _TOC_SUMMARY.sub(named, toctree_html)
    if _BARE_SUMMARY in repaired:
        logger.warning("accessible_pages: a table-of-contents <summary> was left without a name "
                       "(has the theme's markup changed?)", type="accessible_pages")
    return repaired


def _repair_body(body: str) -> str:
    body = body.replace(_HIDE_TOGGLE_LABEL, "<summary>")
    return body.replace(_BIBLIOENTRY, 'role="listitem"')


def _on_page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                     doctree: Any) -> None:
    if "body" in context:
        context["body"] = _repair_body(context["body"])
    generate = context.get("generate_toctree_html")
    if callable(generate) and not getattr(generate, "_names_summaries", False):
        def generate_named(*args: Any, **kwargs: Any) -> Any:
            result = generate(*args, **kwargs)
            kind = kwargs.get("kind", args[0] if args else None)
            return _name_toc_summaries(str(result)) if kind == "sidebar" else result

        generate_named._names_summaries = True  # type: ignore[attr-defined]
        context["generate_toctree_html"] = generate_named


def setup(app: Sphinx) -> dict:
    # After pydata-sphinx-theme has put generate_toctree_html into the context (priority 500).
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
