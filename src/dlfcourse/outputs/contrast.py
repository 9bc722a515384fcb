"""Colours a reader can tell from their background: WCAG 2.1's contrast ratio, and text colours darkened to reach it.

:func:`contrast_ratio` is WCAG's ``(L1 + 0.05) / (L2 + 0.05)`` of two colours' relative luminances;
normal text needs 4.5:1 (success criterion 1.4.3, level AA). :func:`readable` darkens a colour, keeping its
hue, just enough to reach that ratio on a background; :func:`readable_css` does so for every ``color`` of a
style sheet (the syntax highlighting of code on the feedback pages).
"""

from __future__ import annotations

import colorsys
import re

__all__ = ["AA", "parse_colour", "relative_luminance", "contrast_ratio", "readable", "readable_css"]

#: WCAG 2.1 AA, normal text.
AA = 4.5


def parse_colour(colour: str) -> tuple[float, float, float]:
    """``#rgb`` or ``#rrggbb`` as three floats in 0..1; ValueError otherwise."""
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", digits):
        raise ValueError(f"not a colour in #rgb or #rrggbb: {colour!r}")
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance of an sRGB colour: 0 for black, 1 for white."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in parse_colour(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(255 * min(1.0, max(0.0, c))):02x}" for c in rgb)


def readable(colour: str, background: str = "#ffffff", ratio: float = AA) -> str:
    """``colour`` if it reaches ``ratio`` on ``background``, else the same hue darkened just enough (``#rrggbb``)."""
    if contrast_ratio(colour, background) >= ratio:
        return colour
    hue, lightness, saturation = colorsys.rgb_to_hls(*parse_colour(colour))
    for step in range(1, 101):
        darker = _hex(colorsys.hls_to_rgb(hue, lightness * (1 - step / 100), saturation))
        if contrast_ratio(darker, background) >= ratio + 0.05:  # a margin over rounding in browsers
            return darker
    return "#000000"


_COLOUR = re.compile(r"(?<![-\w])(color\s*:\s*)(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)")


def readable_css(css: str, backgrounds: tuple[str, ...] = ("#ffffff",), ratio: float = AA) -> str:
    """``css`` with every ``color: #...`` darkened where needed to reach ``ratio`` on each of ``backgrounds``."""
    def fix(match: re.Match[str]) -> str:
        colour = match.group(2)
        for background in backgrounds:
            colour = readable(colour, background, ratio)
        return match.group(1) + colour
    return _COLOUR.sub(fix, css)
