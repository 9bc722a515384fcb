"""Tests for dlfoundations.kit.plotting: check the artists on the returned Axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet, QuadContourSet

from dlfoundations.kit import plotting
from dlfoundations.training import History


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bowl(p: np.ndarray) -> float:
    return float(p[0] ** 2 + 4.0 * p[1] ** 2)


def scatter_collections(ax) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def legend_labels(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


# ----------------------------------------------------------------------------- decision boundary


def diagonal_rule(points: np.ndarray) -> np.ndarray:
    """+1 above the line x1 + x2 = 0, -1 below."""
    return np.where(points[:, 0] + points[:, 1] > 0, 1, -1)


def test_decision_boundary_regions_match_the_classifier_on_the_grid():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2.0, 2.0, size=(60, 2))
    y = diagonal_rule(X)
    ax = plotting.plot_decision_boundary(diagonal_rule, X, y, resolution=100)
    contours = [c for c in ax.collections if isinstance(c, QuadContourSet)]
    assert len(contours) == 1 and contours[0].filled
    regions = contours[0]
    np.testing.assert_allclose(regions.levels, [-0.5, 0.5, 1.5])  # two classes: bands 0 and 1
    bands = regions.get_paths()  # bands[k] is the area filled for class index k (sorted labels -1, +1)
    probes = rng.uniform(-2.0, 2.0, size=(400, 2))
    probes = probes[np.abs(probes.sum(axis=1)) > 0.2]  # stay off the boundary, where the grid blurs it
    for point, label in zip(probes, diagonal_rule(probes), strict=True):
        index = 0 if label == -1 else 1
        assert bands[index].contains_point(point)
        assert not bands[1 - index].contains_point(point)


def test_decision_boundary_with_three_classes_and_scatter_by_label():
    centres = np.array([[0.0, 3.0], [-3.0, -2.0], [3.0, -2.0]])

    def nearest_centre(points: np.ndarray) -> np.ndarray:
        return np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)

    rng = np.random.default_rng(1)
    X = np.vstack([c + 0.5 * rng.normal(size=(10, 2)) for c in centres])
    y = np.repeat([0, 1, 2], 10)
    fig, given = plt.subplots()
    ax = plotting.plot_decision_boundary(nearest_centre, X, y, ax=given, resolution=80, padding=1.0)
    assert ax is given
    regions = next(c for c in ax.collections if isinstance(c, QuadContourSet))
    np.testing.assert_allclose(regions.levels, [-0.5, 0.5, 1.5, 2.5])
    for k, centre in enumerate(centres):
        assert regions.get_paths()[k].contains_point(centre)
    scatters = scatter_collections(ax)
    assert len(scatters) == 3
    for k, scatter in enumerate(scatters):
        np.testing.assert_allclose(scatter.get_offsets(), X[y == k])
    assert legend_labels(ax) == ["class 0", "class 1", "class 2"]
    assert ax.get_xlim() == pytest.approx((X[:, 0].min() - 1.0, X[:, 0].max() + 1.0))
    assert ax.get_xlabel() and ax.get_ylabel()


def test_decision_boundary_bad_inputs():
    X, y = np.zeros((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"X must have 2 columns"):
        plotting.plot_decision_boundary(lambda p: np.zeros(len(p)), X, y)
    with pytest.raises(ValueError, match=r"X has 4 rows but y has 3"):
        plotting.plot_decision_boundary(lambda p: np.zeros(len(p)), X[:, :2], y[:3])
    with pytest.raises(ValueError, match=r"predict_fn must return one label per point"):
        plotting.plot_decision_boundary(lambda p: np.zeros((len(p), 2)), X[:, :2], y, resolution=10)
    with pytest.raises(ValueError, match=r"resolution must be an integer >= 2"):
        plotting.plot_decision_boundary(lambda p: np.zeros(len(p)), X[:, :2], y, resolution=1)


# ----------------------------------------------------------------------------- history


def test_plot_history_draws_one_labelled_line_per_non_empty_list():
    history = History(train_loss=[1.0, 0.6, 0.4, 0.3], val_loss=[1.1, 0.8, 0.7, 0.7])
    ax = plotting.plot_history(history)
    lines = ax.get_lines()
    assert len(lines) == 2
    for line, values in zip(lines, (history.train_loss, history.val_loss), strict=True):
        assert len(line.get_xdata()) == len(history.train_loss)
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_allclose(line.get_ydata(), values)
    assert legend_labels(ax) == ["training", "validation"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_plot_history_accuracy_skips_empty_validation():
    history = History(train_loss=[0.5, 0.4, 0.3], train_accuracy=[0.7, 0.8, 0.9])
    ax = plotting.plot_history(history, metric="accuracy")
    assert len(ax.get_lines()) == 1
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.7, 0.8, 0.9])
    assert legend_labels(ax) == ["training"]
    assert ax.get_ylabel() == "accuracy"


def test_plot_history_bad_inputs():
    with pytest.raises(ValueError, match=r"metric must be 'loss' or 'accuracy'"):
        plotting.plot_history(History(train_loss=[1.0]), metric="error")
    with pytest.raises(ValueError, match=r"history has no accuracy values to plot"):
        plotting.plot_history(History(train_loss=[1.0]), metric="accuracy")
    with pytest.raises(ValueError, match=r"history has no attribute 'train_loss'"):
        plotting.plot_history({"train_loss": [1.0]})


# ----------------------------------------------------------------------------- trajectories


PATHS = {
    "sgd": np.array([[-2.0, 1.0], [-1.5, 0.2], [-1.0, 0.5], [-0.5, 0.1], [0.0, 0.0]]),
    "adam": np.array([[1.5, 1.5], [1.0, 1.0], [0.2, 0.3]]),
}


def test_plot_trajectories_draws_one_line_per_path_over_contours():
    ax = plotting.plot_trajectories(bowl, PATHS, xlim=(-3, 3), ylim=(-2, 2), levels=12)
    lines = ax.get_lines()
    assert len(lines) == len(PATHS)
    for line, (name, path) in zip(lines, PATHS.items(), strict=True):
        assert line.get_label() == name
        np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), path[:, 1])
        assert line.get_marker() not in (None, "None", "")
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1 and not contours[0].filled
    assert len(contours[0].levels) == 12
    np.testing.assert_allclose(np.diff(contours[0].levels), np.diff(contours[0].levels)[0])  # evenly spaced
    # Each contour line lies where f equals its level (catches a transposed grid of values).
    checked = 0
    for level, path in zip(contours[0].levels, contours[0].get_paths(), strict=True):
        if len(path.vertices):
            values = np.array([bowl(vertex) for vertex in path.vertices])
            np.testing.assert_allclose(values, level, rtol=0.02, atol=0.02)
            checked += 1
    assert checked >= 8
    starts, ends = scatter_collections(ax)
    np.testing.assert_allclose(starts.get_offsets(), [path[0] for path in PATHS.values()])
    np.testing.assert_allclose(ends.get_offsets(), [path[-1] for path in PATHS.values()])
    assert legend_labels(ax) == ["sgd", "adam", "start", "end"]
    assert ax.get_xlim() == (-3.0, 3.0) and ax.get_ylim() == (-2.0, 2.0)


def test_plot_trajectories_log_levels_are_geometric():
    ax = plotting.plot_trajectories(bowl, PATHS, xlim=(-3, 3), ylim=(-2, 2), levels=10, log_levels=True)
    levels = next(c for c in ax.collections if isinstance(c, ContourSet)).levels
    assert len(levels) == 10 and levels[0] > 0
    ratios = levels[1:] / levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0])
    assert levels[-1] == pytest.approx(bowl(np.array([-3.0, -2.0])))  # the largest value in the box: a corner


@pytest.mark.parametrize(
    "paths, message",
    [
        ({"sgd": np.zeros((5, 3))}, r"paths\['sgd'\] must have shape \(T, 2\), got \(5, 3\)"),
        ({"sgd": np.zeros(5)}, r"paths\['sgd'\] must be 2-D"),
        ({}, r"paths must be a non-empty dict"),
    ],
)
def test_plot_trajectories_rejects_bad_paths(paths, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_trajectories(bowl, paths, xlim=(-1, 1), ylim=(-1, 1))
    with pytest.raises(ValueError, match=message):
        plotting.animate_trajectories(bowl, paths, xlim=(-1, 1), ylim=(-1, 1))


def test_plot_trajectories_rejects_a_reversed_box_and_log_levels_of_a_negative_function():
    with pytest.raises(ValueError, match=r"xlim must be a pair \(low, high\) with low < high"):
        plotting.plot_trajectories(bowl, PATHS, xlim=(1, -1), ylim=(-1, 1))
    with pytest.raises(ValueError, match=r"log_levels=True needs f > 0"):
        plotting.plot_trajectories(lambda p: -1.0 - bowl(p), PATHS, xlim=(-1, 1), ylim=(-1, 1), log_levels=True)


def test_animate_trajectories_grows_the_lines_frame_by_frame():
    animation = plotting.animate_trajectories(bowl, PATHS, xlim=(-3, 3), ylim=(-2, 2), interval=40)
    lines = plt.gcf().axes[0].get_lines()  # the animation draws on a new (current) figure
    assert [line.get_label() for line in lines] == list(PATHS)
    longest = max(len(path) for path in PATHS.values())
    assert list(animation.new_frame_seq()) == list(range(longest))
    animation._func(1)  # matplotlib keeps the frame function as _func: frame 1 shows 2 points per path
    for line, path in zip(lines, PATHS.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), path[:2, 0])
    html = animation.to_jshtml()  # draws every frame, ending on the last one
    assert "<script" in html
    for line, path in zip(lines, PATHS.values(), strict=True):  # at the last frame every path is complete
        np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), path[:, 1])


def test_animation_html_works_offline_and_closes_its_figure():
    paths = {"a": np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 1.5]])}
    animation = plotting.animate_trajectories(lambda p: float(p @ p), paths, xlim=(-1, 3), ylim=(-1, 3))
    figure_count = len(plt.get_fignums())
    html = plotting.animation_html(animation)
    assert "<script" in html and "maxcdn" not in html and "font-awesome" not in html
    assert len(plt.get_fignums()) == figure_count - 1
    with pytest.raises(ValueError, match="FuncAnimation"):
        plotting.animation_html("not an animation")
