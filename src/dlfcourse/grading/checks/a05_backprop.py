"""Hidden tests of assignment 05-backprop: layers, a two-layer network, its backward pass and its training.

One ``check_<item>`` per graded item. Every check draws fresh random inputs
(random sizes, a batch of one example, very large scores, two classes),
computes the answer with the reference (:mod:`dlfoundations.layers`,
:mod:`dlfoundations.mlp`) and compares, with a diagnosis on mismatch. The
sizes d, m (hidden units) and K always differ, so a transposed weight
gradient shows up as a transposed shape.

Besides the generic diagnoses, these checks catch two mistakes of their own:
a backward pass that writes into ``params`` (mutates-input), and first-layer
gradients that are wrong while the second layer's are right (the usual
symptom of updating or replacing W2 before computing delta1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from dlfoundations import layers, mlp
from dlfoundations import gradients
from dlfoundations.kit.data import make_moons, train_test_split
from dlfoundations.grading import guard
from dlfoundations.grading.check import Case, compare_result
from dlfoundations.grading.compare import assert_matches
from dlfoundations.grading.failure import GradingFailure
from dlfoundations.grading.inputs import Situation, fresh_rng, random_labels, standard_situations

__all__ = ["check_relu", "check_affine", "check_forward", "check_mse", "check_cross_entropy",
           "check_gradient_errors", "check_training"]

PARAM_KEYS = ("W1", "b1", "W2", "b2")
TRAINING_SEED = 2024  # the hidden training set (the visible one uses seed 0)
REQUIRED_ACCURACY = 0.95


# ----------------------------------------------------------------------------- inputs


def _sizes(rng: np.random.Generator, k: int) -> tuple[int, int]:
    """Input size d in 3..6 and hidden size m in 7..10, both different from K (and from each other)."""
    d = int(rng.choice([v for v in range(3, 7) if v != k]))
    return d, int(rng.integers(7, 11))


def _network(rng: np.random.Generator, s: Situation) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Random params (W1 (d, m), b1, W2 (m, K), b2) and X (N, d); scores reach about ``s.scale``."""
    d, m = _sizes(rng, s.num_classes)
    params = {
        "W1": rng.normal(0.0, 1.0, (d, m)),
        "b1": rng.normal(0.0, 1.0, m),
        "W2": rng.normal(0.0, s.scale / 10.0, (m, s.num_classes)),
        "b2": rng.normal(0.0, 1.0, s.num_classes),
    }
    return params, rng.uniform(-2.0, 2.0, (s.batch_size, d))


def _situations() -> Iterator[tuple[np.random.Generator, Situation]]:
    rng = fresh_rng()
    for situation in standard_situations(rng, multiclass=True):
        yield rng, situation


# ----------------------------------------------------------------------------- guarded calls


def _call(fn: Callable, *args: Any, what: str) -> Any:
    """``guard.call_student``, plus a check that no dict argument (params) was modified."""
    dicts = [(index, guard.snapshot(arg)) for index, arg in enumerate(args) if isinstance(arg, Mapping)]
    result = guard.call_student(fn, *args, what=what)
    for index, before in dicts:
        if not guard.unchanged(before, args[index]):
            raise GradingFailure("mutates-input", f"{what} modified the params dict it was given (an entry was "
                                 "changed or replaced): build new arrays instead. In particular, never update W "
                                 "during the backward pass: compute every gradient first.")
    return result


def _pair(result: Any, names: str, what: str, case: Case) -> tuple[Any, Any]:
    """Check ``result`` is a pair (e.g. ``(out, cache)``) and return it."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise GradingFailure("wrong-type", f"{case.opening}, {what} should "
                             f"return a pair ({names}), but it returned a {type(result).__name__}.")
    return result[0], result[1]


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise GradingFailure("wrong-type", f"{what} should be a number, but it is a {type(value).__name__}.") from None


# ----------------------------------------------------------------------------- items


def check_relu(relu_forward: Callable, relu_backward: Callable) -> None:
    """relu_forward(z) -> (out, cache) and relu_backward(dout, cache) -> dz against ``dlfoundations.layers``."""
    for rng, s in _situations():
        z = rng.uniform(-s.scale, s.scale, (s.batch_size, s.num_classes + 3))
        dout = rng.normal(0.0, 1.0, z.shape)
        case = Case(s.description + f" (z of shape {z.shape})", (z,))
        out, cache = _pair(_call(relu_forward, z, what="`relu_forward`"), "out, cache", "`relu_forward`", case)
        compare_result(out, layers.relu_forward(z)[0], ("out",), case)
        dz = _call(relu_backward, dout, cache, what="`relu_backward`")
        compare_result(dz, layers.relu_backward(dout, z), ("dz",), case)
    print("relu_forward, relu_backward: all hidden checks passed.")


def check_affine(affine_forward: Callable, affine_backward: Callable) -> None:
    """affine_forward(X, W, b) -> (out, cache) and affine_backward(dout, cache) -> (dX, dW, db)."""
    for rng, s in _situations():
        params, X = _network(rng, s)
        W, b = params["W1"], params["b1"]
        dout = rng.normal(0.0, s.scale, (s.batch_size, W.shape[1]))
        case = Case(s.description + f" (X {X.shape}, W {W.shape})", (X, W, b), batch_size=s.batch_size)
        out, cache = _pair(_call(affine_forward, X, W, b, what="`affine_forward`"), "out, cache",
                           "`affine_forward`", case)
        reference_out, reference_cache = layers.affine_forward(X, W, b)
        compare_result(out, reference_out, ("out",), case)
        grads = _call(affine_backward, dout, cache, what="`affine_backward`")
        compare_result(grads, tuple(layers.affine_backward(dout, reference_cache)), ("dX", "dW", "db"), case)
    print("affine_forward, affine_backward: all hidden checks passed.")


def check_forward(two_layer_forward: Callable) -> None:
    """two_layer_forward(params, X) -> (scores, cache): the scores against ``mlp.mlp_forward``."""
    for rng, s in _situations():
        params, X = _network(rng, s)
        case = Case(s.description + f" (d = {X.shape[1]}, m = {params['W1'].shape[1]})", (params, X))
        result = _call(two_layer_forward, params, X, what="`two_layer_forward`")
        scores, _ = _pair(result, "scores, cache", "`two_layer_forward`", case)
        compare_result(scores, mlp.mlp_forward(params, X)[0], ("scores",), case)
    print("two_layer_forward: all hidden checks passed.")


def _compare_loss_and_grads(got: Any, expected: tuple[float, dict], what: str, case: Case) -> None:
    """Loss, then the second layer's gradients, then the first layer's (with a hint if only those differ)."""
    loss, grads = _pair(got, "loss, grads", what, case)
    compare_result(loss, expected[0], ("the loss",), case)
    if not isinstance(grads, Mapping) or not all(key in grads for key in PARAM_KEYS):
        raise GradingFailure("wrong-type", f"{case.opening}, the gradients "
                             f"should be a dict with keys {list(PARAM_KEYS)}, but got {type(grads).__name__} "
                             f"{sorted(grads) if isinstance(grads, Mapping) else ''}.")
    for key in ("W2", "b2"):
        compare_result(grads[key], expected[1][key], (f"grads['{key}']",), case)
    for key in ("W1", "b1"):
        try:
            compare_result(grads[key], expected[1][key], (f"grads['{key}']",), case)
        except GradingFailure as failure:
            if failure.code != "wrong-value":
                raise
            raise GradingFailure("wrong-value", failure.message + " The second layer's gradients are right, so "
                                 "check delta1 = (delta2 W2^T) * relu'(A): it needs the W2 of the forward pass "
                                 "(not an updated one) and the mask of the pre-activations A.") from None


def _check_loss(student_fn: Callable, head: str, what: str) -> None:
    for rng, s in _situations():
        params, X = _network(rng, s)
        if head == "mse":
            y = rng.normal(0.0, s.scale, (s.batch_size, s.num_classes))
        else:
            y = random_labels(rng, s.batch_size, s.num_classes)
        case = Case(s.description + f" (d = {X.shape[1]}, m = {params['W1'].shape[1]}, K = {s.num_classes})",
                    (params, X, y), batch_size=s.batch_size)
        expected = mlp.mlp_loss(params, X, y, loss=head)
        _compare_loss_and_grads(_call(student_fn, params, X, y, what=f"`{what}`"), expected, f"`{what}`", case)
    print(f"{what}: all hidden checks passed.")


def check_mse(two_layer_mse: Callable) -> None:
    """two_layer_mse(params, X, Y) -> (loss, grads) against ``mlp.mlp_loss(..., loss="mse")``."""
    _check_loss(two_layer_mse, "mse", "two_layer_mse")


def check_cross_entropy(two_layer_cross_entropy: Callable) -> None:
    """two_layer_cross_entropy(params, X, y) -> (loss, grads) against ``mlp.mlp_loss(..., loss="cross_entropy")``."""
    _check_loss(two_layer_cross_entropy, "cross_entropy", "two_layer_cross_entropy")


def check_gradient_errors(network_gradient_errors: Callable) -> None:
    """network_gradient_errors(loss_fn, params) -> {name: rel error}: small for a right gradient, like
    ``gradients.check_gradients`` for a wrong one."""
    rng = fresh_rng()
    params, X = _network(rng, Situation("", 5, 3, 3.0))
    y = random_labels(rng, 5, 3)

    def right(p: Mapping[str, np.ndarray]) -> tuple[float, dict]:
        return mlp.mlp_loss(p, X, y)

    def wrong(p: Mapping[str, np.ndarray]) -> tuple[float, dict]:
        loss, grads = mlp.mlp_loss(p, X, y)
        return loss, {**grads, "W1": 2.0 * grads["W1"], "b2": np.zeros_like(grads["b2"])}

    what = "`network_gradient_errors`"
    for name, loss_fn in (("a correct gradient", right), ("a wrong gradient (dW1 doubled, db2 zero)", wrong)):
        errors = _call(network_gradient_errors, loss_fn, params, what=what)
        expected = gradients.check_gradients(loss_fn, params)
        if not isinstance(errors, Mapping) or set(errors) != set(expected):
            raise GradingFailure("wrong-type", f"On {name}, {what} should return a dict with one relative error per "
                                 f"parameter (keys {sorted(expected)}), but it returned {type(errors).__name__}.")
        for key, value in expected.items():
            reported = _number(errors[key], f"the relative error of {key} reported by {what}")
            if loss_fn is right and not reported < 1e-7:  # also catches NaN
                raise GradingFailure("wrong-value", f"On {name}, {what} reports a relative error of {reported:.2e} "
                                     f"for {key}; a correct gradient gives less than 1e-7 (about {value:.0e}). "
                                     "Use centred differences with h = 1e-5 and the course's rel_error.")
            assert_matches(reported, np.float64(value), f"the relative error of {key}", f"on {name}",
                           rtol=1e-3, atol=1e-7)
    print("network_gradient_errors: all hidden checks passed.")


def check_training(train_two_layer: Callable, two_layer_predict: Callable) -> None:
    """two_layer_predict against ``mlp.mlp_predict``; then train_two_layer (its defaults) on a hidden
    two-moons split, and the grader's own accuracy of the returned params on the test part."""
    rng = fresh_rng()
    for s in standard_situations(rng, multiclass=True):
        params, X = _network(rng, s)
        case = Case(s.description, (params, X))
        labels = _call(two_layer_predict, params, X, what="`two_layer_predict`")
        compare_result(labels, mlp.mlp_predict(params, X), ("the predicted labels",), case)
    X, y = make_moons(400, noise=0.15, seed=TRAINING_SEED)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, seed=TRAINING_SEED)
    case = Case("on a new two-moons training set", (X_train, y_train))
    trained, losses = _pair(_call(train_two_layer, X_train, y_train, what="`train_two_layer`"),
                            "params, losses", "`train_two_layer`", case)
    if not isinstance(trained, Mapping) or not all(key in trained for key in PARAM_KEYS):
        raise GradingFailure("wrong-type", "`train_two_layer` should return (params, losses) with params a dict "
                             f"with keys {list(PARAM_KEYS)}.")
    accuracy = float(np.mean(mlp.mlp_predict({k: trained[k] for k in PARAM_KEYS}, X_test) == y_test))
    if not accuracy >= REQUIRED_ACCURACY:
        raise GradingFailure("did-not-learn", f"Trained {case.description} with your defaults, the network "
                             f"classifies {accuracy:.1%} of the test points correctly; at least "
                             f"{REQUIRED_ACCURACY:.0%} is required.")
    print(f"two_layer_predict, train_two_layer: all hidden checks passed (test accuracy {accuracy:.1%}).")

