"""The class report's plots, as base64-encoded PNG images ready for an ``<img src="data:...">``.

The plots carry no title: the report writes each one's title as the caption of its ``<figure>``, next
to the plot's numbers as a table (:func:`score_bins`), so that a screen reader gets them too.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["score_histogram", "histogram_figure", "score_ticks", "score_bins", "failure_rates", "to_data_uri"]


def to_data_uri(figure: Figure) -> str:
    """Render ``figure`` as a PNG data URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_ticks(max_score: int) -> list[int]:
    """Whole points from 0 to ``max_score`` for the histogram's axis, about ten of them, ``max_score`` the last."""
    step = next(s for s in (1, 2, 5, 10, 20, 50) if max_score / s <= 10)
    ticks = list(range(0, max_score + 1, step))
    if ticks[-1] != max_score:
        ticks = ticks[:-1] + [max_score] if max_score - ticks[-1] <= step / 2 else ticks + [max_score]
    return ticks


def histogram_figure(totals: list[float], max_score: float) -> Figure:
    """The figure of :func:`score_histogram`: its axis runs from 0 to ``max_score``, not beyond."""
    figure = Figure(figsize=(6, 3))
    ax = figure.subplots()
    top = max(max_score, 1e-9)
    if float(max_score).is_integer() and 0 < max_score <= 40:
        edges = [k - 0.5 for k in range(int(max_score) + 2)]
        ax.hist(totals, bins=edges, color="#4c72b0", edgecolor="white")
        ax.set_xlim(-0.5, max_score + 0.5)
        ax.set_xticks(score_ticks(int(max_score)))
    else:
        ax.hist(totals, bins=20, range=(0, top), color="#4c72b0", edgecolor="white")
        ax.set_xlim(0, top)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"total score (out of {max_score:g})")
    ax.set_ylabel("students")
    return figure


def score_bins(totals: list[float], max_score: float) -> list[tuple[str, int]]:
    """The bars of :func:`score_histogram` as (total score, students): one per whole point ("7") with an integer
    maximum of at most 40, else 20 ranges ("7.5–9"); counted as matplotlib counts them (``numpy.histogram``)."""
    if float(max_score).is_integer() and 0 < max_score <= 40:
        counts, _ = np.histogram(totals, bins=[k - 0.5 for k in range(int(max_score) + 2)])
        return [(str(k), int(n)) for k, n in enumerate(counts)]
    counts, edges = np.histogram(totals, bins=20, range=(0, max(max_score, 1e-9)))
    return [(f"{edges[k]:.3g}–{edges[k + 1]:.3g}", int(n)) for k, n in enumerate(counts)]


def score_histogram(totals: list[float], max_score: float) -> str:
    """A histogram of the students' total scores, from 0 to ``max_score``: whole students on its axis.

    With an integer maximum of at most 40 points, there is one bar per point (centred on it).
    """
    return to_data_uri(histogram_figure(totals, max_score))


def failure_rates(rates: dict[str, float]) -> str:
    """A horizontal bar chart: for each graded item, the fraction of students who did not get full marks."""
    figure = Figure(figsize=(6, 0.4 * len(rates) + 1.2))
    ax = figure.subplots()
    items = list(rates)
    ax.barh(items, [100 * rates[i] for i in items], color="#c44e52")
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students without full marks")
    return to_data_uri(figure)
