"""Figures for the book: decision regions, training curves and optimiser trajectories.

Every function draws on the matplotlib ``Axes`` it is given (or on a new
figure) and returns it, so a chapter can place several plots side by side
and adjust them afterwards. Colours come from the Okabe-Ito palette, which
stays distinguishable for colour-blind readers; markers and line styles
differ as well, so the plots also read in greyscale.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import as_float_array, require_count, require_positive, require_same_length

__all__ = [
    "PALETTE",
    "plot_decision_boundary",
    "plot_history",
    "plot_trajectories",
    "animate_trajectories",
    "animation_html",
]

# Okabe & Ito's colour-blind-safe palette (blue, orange, green, pink, sky blue, vermillion, yellow, black).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
SURFACE_GRID_POINTS = 150  # per axis, for the contour lines of f


def _axes(ax: Axes | None) -> Axes:
    """The given axes, or the axes of a new figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    return ax


def _style(index: int) -> tuple[str, str]:
    """Colour and marker number ``index`` (they repeat after 8)."""
    return PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]


def _check_limits(limits: Any, name: str) -> tuple[float, float]:
    """Return ``(low, high)`` after checking ``limits`` is two finite numbers with low < high."""
    pair = as_float_array(limits, name, ndim=1)
    if pair.shape != (2,) or not pair[0] < pair[1]:
        raise ValueError(f"{name} must be a pair (low, high) with low < high, got {limits!r}")
    return float(pair[0]), float(pair[1])


# ----------------------------------------------------------------------------- decision regions


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], ArrayLike],
    X: ArrayLike,
    y: ArrayLike,
    ax: Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
) -> Axes:
    """Colour the plane by the class ``predict_fn`` assigns, and scatter the data on top.

    ``X`` is ``(N, 2)``, ``y`` ``(N,)`` holds the labels (any integers, e.g. {0, 1}
    or {-1, +1}), and ``predict_fn(points (M, 2)) -> labels (M,)`` is the
    classifier. The regions are a filled contour over a ``resolution x resolution``
    grid covering the data plus ``padding`` on every side, one band per class
    (class number k of the sorted labels fills the band between levels k - 1/2
    and k + 1/2). Returns the axes.
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns to be drawn in the plane, got shape {X.shape}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D vector of labels, got shape {y.shape}")
    require_same_length(X, "X", y, "y")
    resolution = require_count(resolution, "resolution", minimum=2)
    padding = require_positive(padding, "padding", allow_zero=True)

    low, high = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    predicted = np.asarray(predict_fn(np.column_stack([xx.ravel(), yy.ravel()])))
    if predicted.shape != (xx.size,):
        raise ValueError(
            f"predict_fn must return one label per point, shape ({xx.size},); got shape {predicted.shape}"
        )
    classes = np.unique(np.concatenate([np.unique(y), np.unique(predicted)]))
    region = np.searchsorted(classes, predicted).reshape(xx.shape)  # class index 0..K-1 at each grid point
    colours = [_style(k)[0] for k in range(len(classes))]

    ax = _axes(ax)
    ax.contourf(xx, yy, region, levels=np.arange(len(classes) + 1) - 0.5, colors=colours, alpha=0.25)
    for k, label in enumerate(classes):
        rows = y == label
        if rows.any():
            colour, marker = _style(k)
            ax.scatter(X[rows, 0], X[rows, 1], color=colour, marker=marker, edgecolors="black",
                       linewidths=0.5, s=28, label=f"class {label}")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", framealpha=0.9)
    return ax


# ----------------------------------------------------------------------------- training curves


def plot_history(history: Any, ax: Axes | None = None, metric: str = "loss") -> Axes:
    """Plot ``metric`` ("loss" or "accuracy") per epoch for the training and validation sets.

    ``history`` has lists ``train_loss``, ``val_loss``, ``train_accuracy`` and
    ``val_accuracy`` (a :class:`dlfoundations.training.History`), one value per
    epoch; empty lists are skipped. Epochs are numbered from 1. Returns the axes.
    """
    if metric not in ("loss", "accuracy"):
        raise ValueError(f"metric must be 'loss' or 'accuracy', got {metric!r}")
    curves = {"training": f"train_{metric}", "validation": f"val_{metric}"}
    for attribute in curves.values():
        if not hasattr(history, attribute):
            raise ValueError(f"history has no attribute {attribute!r}; pass a training.History")
    ax = _axes(ax)
    drawn = 0
    for index, (name, attribute) in enumerate(curves.items()):
        values = np.asarray(getattr(history, attribute), dtype=np.float64)
        if values.size == 0:
            continue
        colour, marker = _style(index)
        epochs = np.arange(1, values.size + 1)
        ax.plot(epochs, values, color=colour, marker=marker, markersize=4,
                linestyle="-" if index == 0 else "--", label=name)
        drawn += 1
    if drawn == 0:
        raise ValueError(f"history has no {metric} values to plot (train_{metric} and val_{metric} are empty)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return ax


# ----------------------------------------------------------------------------- optimiser trajectories


def _check_paths(paths: Any) -> dict[str, np.ndarray]:
    """Return ``{name: path (T, 2)}`` after checking every path."""
    if not isinstance(paths, Mapping) or not paths:
        raise ValueError("paths must be a non-empty dict {optimiser name: array (T, 2)}")
    checked = {}
    for name, path in paths.items():
        array = as_float_array(path, f"paths[{name!r}]", ndim=2)
        if array.shape[1] != 2:
            raise ValueError(f"paths[{name!r}] must have shape (T, 2), got {array.shape}")
        checked[str(name)] = array
    return checked


def _draw_surface(
    ax: Axes, f: Callable[[np.ndarray], float], xlim: Any, ylim: Any, levels: int, log_levels: bool
) -> None:
    """Grey contour lines of ``f`` over the box ``xlim x ylim``; sets the limits and axis labels."""
    (x_low, x_high), (y_low, y_high) = _check_limits(xlim, "xlim"), _check_limits(ylim, "ylim")
    levels = require_count(levels, "levels", minimum=2)
    xs = np.linspace(x_low, x_high, SURFACE_GRID_POINTS)
    ys = np.linspace(y_low, y_high, SURFACE_GRID_POINTS)
    values = np.array([[f(np.array([x, y])) for x in xs] for y in ys])  # values[i, j] = f(xs[j], ys[i])
    if log_levels:
        positive = values[values > 0]
        if positive.size == 0:
            raise ValueError("log_levels=True needs f > 0 somewhere in the box; f is <= 0 everywhere")
        contour_levels = np.geomspace(positive.min(), positive.max(), levels)
    else:
        contour_levels = np.linspace(values.min(), values.max(), levels)
    ax.contour(xs, ys, values, levels=contour_levels, colors="0.55", linewidths=0.7)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")


def _mark_starts(ax: Axes, paths: dict[str, np.ndarray]) -> None:
    """A white circle at the first point of every path (one legend entry)."""
    starts = np.array([path[0] for path in paths.values()])
    ax.scatter(starts[:, 0], starts[:, 1], marker="o", s=70, facecolors="white", edgecolors="black",
               zorder=3, label="start")


def _mark_ends(ax: Axes, paths: dict[str, np.ndarray]) -> None:
    """A black star at the last point of every path (one legend entry)."""
    ends = np.array([path[-1] for path in paths.values()])
    ax.scatter(ends[:, 0], ends[:, 1], marker="*", s=140, color="black", edgecolors="white",
               zorder=4, label="end")


def plot_trajectories(
    f: Callable[[np.ndarray], float],
    paths: Mapping[str, ArrayLike],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    ax: Axes | None = None,
    levels: int = 30,
    log_levels: bool = False,
) -> Axes:
    """Contour lines of ``f(p (2,)) -> float`` over the box, with one line per optimiser path.

    ``paths`` maps a name to the visited points ``(T, 2)`` (for example from
    :func:`dlfoundations.optim.run_trajectory`). Each path is one line with
    markers, in its own colour; starts are white circles, ends black stars.
    ``levels`` contour lines are spaced evenly, or evenly on a log scale with
    ``log_levels=True`` (better for steep functions such as Rosenbrock's). Returns the axes.
    """
    checked = _check_paths(paths)
    ax = _axes(ax)
    _draw_surface(ax, f, xlim, ylim, levels, log_levels)
    for index, (name, path) in enumerate(checked.items()):
        colour, marker = _style(index)
        ax.plot(path[:, 0], path[:, 1], color=colour, marker=marker, markersize=3, linewidth=1.5, label=name)
    _mark_starts(ax, checked)
    _mark_ends(ax, checked)
    ax.legend(loc="best", framealpha=0.9)
    return ax


def animate_trajectories(
    f: Callable[[np.ndarray], float],
    paths: Mapping[str, ArrayLike],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    interval: int = 50,
    levels: int = 30,
    log_levels: bool = False,
) -> FuncAnimation:
    """Animate :func:`plot_trajectories`: frame t shows the first t + 1 points of every path.

    There are ``max_T`` frames (the longest path); shorter paths stop growing
    when they run out. ``interval`` is the delay between frames in milliseconds.
    Starts are marked as in the still plot. In a notebook, show it with ``HTML(animation.to_jshtml())`` and then call
    ``plt.close()`` so the figure is not shown a second time as a still image.
    """
    checked = _check_paths(paths)
    interval = int(require_positive(interval, "interval"))
    fig, ax = plt.subplots(figsize=(6, 4.5))
    _draw_surface(ax, f, xlim, ylim, levels, log_levels)
    lines: list[Line2D] = []
    for index, name in enumerate(checked):
        colour, marker = _style(index)
        (line,) = ax.plot([], [], color=colour, marker=marker, markersize=3, linewidth=1.5, label=name)
        lines.append(line)
    _mark_starts(ax, checked)
    ax.legend(loc="best", framealpha=0.9)

    def draw_frame(frame: int) -> list[Line2D]:
        for line, path in zip(lines, checked.values(), strict=True):
            shown = path[: frame + 1]
            line.set_data(shown[:, 0], shown[:, 1])
        return lines

    frames = max(path.shape[0] for path in checked.values())
    return FuncAnimation(fig, draw_frame, frames=frames, interval=interval, blit=False)


# matplotlib's player links Font Awesome from a CDN for its button icons.
_CDN_STYLESHEET = re.compile(r'<link\s+rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*"\s*/?>')


def animation_html(animation: FuncAnimation) -> str:
    """The animation as a self-contained HTML player (``to_jshtml``) that works offline.

    The player's link to Font Awesome on a CDN is removed (the book's theme
    ships Font Awesome itself), and the animation's figure is closed so that
    a notebook shows the player only, not a still copy of the figure.
    """
    if not isinstance(animation, FuncAnimation):
        raise ValueError(f"animation must be a matplotlib FuncAnimation, got {type(animation).__name__}")
    html = animation.to_jshtml()
    plt.close(animation._fig)  # type: ignore[attr-defined]  # matplotlib keeps the figure in a private attribute
    return _CDN_STYLESHEET.sub("", html)
