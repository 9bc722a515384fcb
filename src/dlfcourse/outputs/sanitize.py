"""What a student wrote is inert wherever it is shown: one HTML cleaner, and the policy every page declares.

:func:`clean_html` keeps the HTML that markdown, math and plots need (paragraphs, headings, lists, tables,
code, emphasis, links, images) and nothing that runs: it is bleach's allow-list cleaner (the library
nbconvert's own ``sanitize_html`` uses), with a wider list of tags than nbconvert's, so that a student's
markdown keeps its layout. A tag not on the list is shown as text (a ``<script>`` a student wrote is
visible, and does nothing); an attribute not on the list is dropped (every ``on...`` handler, ``srcdoc``,
``style`` properties beyond colours and fonts); URLs are http(s), mailto, relative or a fragment, and
``data:`` only for an image's source, and only for image types.

:func:`policy_meta` is the ``<meta http-equiv="Content-Security-Policy">`` a page puts first in its head:
no script runs but the page's own (files next to it, ``'self'``, and inline scripts named by their
SHA-256 hash), no plugin, frame, form target or ``<base>``; styles may be inline (MathJax writes its own),
images come from the page's folder or ``data:`` URLs. Whatever a cleaner missed still cannot run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from html import escape

import bleach
from bleach.css_sanitizer import CSSSanitizer

__all__ = ["TAGS", "STYLES", "LANGUAGE", "clean_html", "script_hash", "content_security_policy", "policy_meta"]

#: The language every page declares on its ``<html>`` (the course is taught in English).
LANGUAGE = "en"

#: The tags a student's markdown (as nbconvert renders it) or HTML output may keep.
TAGS = frozenset({
    "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center",
    "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "input", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
    "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
    "tt", "u", "ul", "var", "wbr",
})

_EVERYWHERE = frozenset({"class", "title", "lang", "dir", "style", "align", "valign"})
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "font": frozenset({"color", "face", "size"}),
    "table": frozenset({"width"}),
    "td": frozenset({"colspan", "rowspan", "width"}),
    "th": frozenset({"colspan", "rowspan", "width", "scope"}),
    "col": frozenset({"span", "width"}),
    "colgroup": frozenset({"span", "width"}),
    "ol": frozenset({"start", "reversed"}),
    "input": frozenset({"type", "checked", "disabled"}),  # markdown task lists: a disabled checkbox
    "details": frozenset({"open"}),
    **{f"h{level}": frozenset({"id"}) for level in range(1, 7)},  # nbconvert's heading anchors
}

#: CSS properties a ``style`` attribute may keep: colours, fonts, alignment (nothing that moves a box).
STYLES = frozenset({
    "color", "background-color", "font-weight", "font-style", "font-size", "font-family", "font-variant",
    "text-align", "text-decoration", "text-indent", "vertical-align", "white-space", "letter-spacing",
    "line-height", "border-collapse", "border-color",
})

_PROTOCOLS = frozenset({"http", "https", "mailto", "data"})  # data: narrowed to images by _allowed_attribute
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml)[;,]")
_IGNORED_IN_URLS = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")  # what browsers (and bleach) skip in a URL


def _url(value: str) -> str:
    """A URL as a browser reads its scheme: without the characters it skips, in lower case."""
    return _IGNORED_IN_URLS.sub("", value).lower()


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """Whether ``tag`` may keep attribute ``name`` with ``value`` (bleach still checks URL schemes after)."""
    if name not in _EVERYWHERE and name not in _ATTRIBUTES.get(tag, ()):
        return False
    if name in ("href", "src") and _url(value).startswith("data:"):
        return tag == "img" and bool(_IMAGE_DATA.match(_url(value)))
    if tag == "input" and name == "type":
        return value.strip().lower() == "checkbox"
    if name in ("width", "height", "colspan", "rowspan", "span", "start"):
        return value.strip().rstrip("%").isdigit()
    return True


@lru_cache(maxsize=1)
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(tags=TAGS, attributes=_allowed_attribute, protocols=_PROTOCOLS, strip=False,
                          strip_comments=True, css_sanitizer=CSSSanitizer(allowed_css_properties=STYLES))


def clean_html(markup: str | bytes) -> str:
    """``markup`` (HTML a student controls) with every tag, attribute and URL not on the allow-lists made inert."""
    text = markup.decode("utf-8", errors="replace") if isinstance(markup, bytes) else str(markup)
    return _cleaner().clean(text)


def script_hash(script: str) -> str:
    """The CSP source that lets exactly this inline script run: ``'sha256-...'`` of its text."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(own_scripts: bool = False, inline_scripts: Iterable[str] = ()) -> str:
    """The policy of a page: its own script files (``own_scripts``) and the given inline scripts run, nothing else."""
    hashes = [script_hash(script) for script in inline_scripts]
    scripts = (["'self'"] if own_scripts else []) + hashes or ["'none'"]
    directives = {
        "default-src": ["'none'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def policy_meta(own_scripts: bool = False, inline_scripts: Iterable[str] = ()) -> str:
    """The ``<meta>`` tag declaring :func:`content_security_policy`: put it first in the page's head."""
    policy = content_security_policy(own_scripts, inline_scripts)  # quotes are ', never "
    return f'<meta http-equiv="Content-Security-Policy" content="{escape(policy, quote=False)}">'
