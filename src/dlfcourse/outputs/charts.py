"""The class report's plots, as base64-encoded PNG images ready for an ``<img src="data:...">``."""

from __future__ import annotations

import base64
import io

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["score_histogram", "failure_rates", "to_data_uri"]


def to_data_uri(figure: Figure) -> str:
    """Render ``figure`` as a PNG data URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(totals: list[float], max_score: float) -> str:
    """A histogram of the students' total scores, from 0 to ``max_score``: whole students on its axis.

    With an integer maximum of at most 40 points, there is one bar per point (centred on it).
    """
    figure = Figure(figsize=(6, 3))
    ax = figure.subplots()
    top = max(max_score, 1e-9)
    if float(max_score).is_integer() and 0 < max_score <= 40:
        edges = [k - 0.5 for k in range(int(max_score) + 2)]
        ax.hist(totals, bins=edges, color="#4c72b0", edgecolor="white")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.hist(totals, bins=20, range=(0, top), color="#4c72b0", edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"total score (out of {max_score:g})")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    return to_data_uri(figure)


def failure_rates(rates: dict[str, float]) -> str:
    """A horizontal bar chart: for each graded item, the fraction of students who did not get full marks."""
    figure = Figure(figsize=(6, 0.4 * len(rates) + 1.2))
    ax = figure.subplots()
    items = list(rates)
    ax.barh(items, [100 * rates[i] for i in items], color="#c44e52")
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students without full marks")
    ax.set_title("Failure rate per item")
    return to_data_uri(figure)
