"""Hidden checks of assignment 05-backprop: layers, a two-layer network, its backward pass, a gradient check, training.

Each check draws its inputs from the item's seed, calls the student's functions
through the sandbox, and compares the data they return with the reference
(:mod:`dlfoundations.layers`, :mod:`dlfoundations.mlp`,
:mod:`dlfoundations.gradients`) computed here. The situations are a random
batch (with some pre-activations exactly 0), a batch of one example, very large
scores and two classes. The sizes d, m (hidden units) and K always differ, so
a transposed weight gradient has the wrong shape and is reported as such.

Forward/backward pairs: the backward function gets the cache the student's own
forward returned (it comes back as data and is passed back in). Error carried
forward: while an item is graded, the earlier functions its code may call
(``Item.calls``) answer with the grader's references (``REFERENCES``, the
notebook's signatures); every check compares with the plain reference, and the
trainer's accuracy is measured in every case. Item-specific
diagnoses: a missing relu mask, the mask ``z >= 0``, a bias gradient of shape
``(1, K)``, relu on the output layer, first-layer gradients wrong while the
second layer's are right (W2 changed before delta1 was computed), a
regularisation term where there is none, a loss computed from the scores of a
different network (no relu, no bias, relu on the output), the log of an underflowed probability,
a one-sided or badly scaled numerical gradient, and a trainer whose loss grows,
stays flat or diverges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dlfoundations import gradients, layers, losses, mlp
from dlfoundations.kit.compare import Case, Finding, compare_result, describe, values_match
from dlfoundations.kit.data import make_moons, train_test_split
from dlfoundations.kit.gradcheck import numerical_gradient
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, check_against_reference, \
    first_failure
from dlfcourse.grader.inputs import Situation, random_labels, standard_situations
from dlfcourse.grader.student import Returned, Student, grader_function

__all__ = ["ASSIGNMENT", "PARAM_KEYS", "TRAINING_SEEDS", "REQUIRED_ACCURACY"]

PARAM_KEYS = ("W1", "b1", "W2", "b2")
#: Seeds of the hidden two-moons samples (the visible one uses seed 0); the reference reaches 100 % on each.
TRAINING_SEEDS = (2024, 2031, 2047, 2053)
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
    X = rng.uniform(-2.0, 2.0, (s.batch_size, d))
    if s.large:  # make sure the scores of row 0 spread over thousands (overflow and underflow both happen)
        scores = mlp.mlp_forward(params, X)[0]
        spread = float(np.ptp(scores[0]))
        if spread < 3000.0:
            factor = 3000.0 / max(spread, 1e-3)
            params["W2"], params["b2"] = params["W2"] * factor, params["b2"] * factor
    return params, X


def _describe(s: Situation, params: Mapping[str, np.ndarray]) -> str:
    d, m = params["W1"].shape
    return f"{s.description} (d = {d}, m = {m}, K = {params['W2'].shape[1]})"


def _pair_finding(value: Any, name: str, names: str, case: Case) -> Finding | None:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return None
    return Finding("wrong-type", f"{case.opening}, `{name}` should return a pair ({names}), but it returned "
                   f"{describe(value)}.")


def _cache_message(returned: Returned) -> Returned:
    """A forward function's result that cannot cross the boundary: say that the cache must be plain data."""
    if returned.finding is not None and returned.finding.code == "wrong-type" and \
            "cannot use" in returned.finding.message:
        return Returned(finding=Finding("wrong-type", returned.finding.message + " The cache must be plain data "
                                        "(an array, or a tuple or dict of arrays): the grader passes it back to "
                                        "your backward function, and objects cannot cross."))
    return returned


def _forward_call(student: Student, name: str, args: tuple, case: Case, names: str) -> Returned:
    """Call a forward function that returns ``(out, cache)``; a cache that is not data gets a clear message."""
    returned = _cache_message(student.call(name, *args, case=case))
    if returned.finding is not None:
        return returned
    finding = _pair_finding(returned.value, name, names, case)
    return Returned(finding=finding) if finding else returned


class _FirstOf:
    """A view of the student in which ``name`` returns only the first value of its pair (the rest is not graded)."""

    def __init__(self, student: Student, name: str, names: str) -> None:
        self.student, self.name, self.names = student, name, names

    def call(self, name: str, *args: Any, case: Case, **kwargs: Any) -> Returned:
        returned = self.student.call(name, *args, case=case, **kwargs)
        if name != self.name or returned.finding is not None:
            return _cache_message(returned) if name == self.name else returned
        finding = _pair_finding(returned.value, name, self.names, case)
        return Returned(finding=finding) if finding else Returned(returned.value[0], seconds=returned.seconds)


# ----------------------------------------------------------------------------- relu


def _relu_cases(rng: np.random.Generator) -> list[tuple[Case, np.ndarray]]:
    cases = []
    for s in standard_situations(rng):
        z = rng.uniform(-s.scale, s.scale, (s.batch_size, s.num_classes + 3))
        z.flat[rng.choice(z.size, size=max(1, z.size // 6), replace=False)] = 0.0  # relu'(0) is taken to be 0
        cases.append((Case(f"{s.description} (z of shape {z.shape}, some entries exactly 0)", (z,), s.batch_size), z))
    z = rng.uniform(-3.0, 3.0, (2, 3, 4))
    cases.append((Case("on a 3-D array z of shape (2, 3, 4)", (z,)), z))
    z = rng.uniform(-3.0, 3.0, (5, 4)).astype(np.float32)
    cases.append((Case("on a float32 array z of shape (5, 4)", (z,)), z))
    return cases


def _explain_relu_backward(z: np.ndarray, dout: np.ndarray) -> Callable[[Any, Any, Case], Finding | None]:
    def explain(got: Any, expected: Any, case: Case) -> Finding | None:
        dz = as_float(got)
        if dz is None or dz.shape != z.shape:
            return None
        if values_match(dz, dout * (z >= 0)):
            return Finding("wrong-value", f"{case.opening}, `dz` is wrong where z is exactly 0: your mask lets the "
                           "gradient through there. The derivative of relu at 0 is taken to be 0: use `z > 0`, "
                           "not `z >= 0`.")
        if values_match(dz, dout):
            return Finding("wrong-value", f"{case.opening}, `dz` equals `dout`: the relu mask is missing. The "
                           "gradient passes only where the unit was active: dz = dout * (z > 0).")
        if values_match(dz, (z > 0).astype(float)):
            return Finding("wrong-value", f"{case.opening}, `dz` is the mask [z > 0] itself: multiply it by the "
                           "upstream gradient, dz = dout * (z > 0).")
        if values_match(dz, dout * np.maximum(z, 0)):
            return Finding("wrong-value", f"{case.opening}, `dz` is dout * relu(z): you multiplied by the layer's "
                           "output instead of its derivative. Use the mask: dz = dout * (z > 0).")
        if values_match(dz, dout * (z < 0)):
            return Finding("wrong-value", f"{case.opening}, `dz` lets the gradient through where z < 0 and blocks "
                           "it where z > 0: the mask is inverted. Use dz = dout * (z > 0).")
        return None
    return explain


def check_relu(student: Student, rng: np.random.Generator) -> Result:
    """``relu_forward(z) -> (out, cache)`` and ``relu_backward(dout, cache) -> dz`` (with the student's own cache)."""
    for case, z in _relu_cases(rng):
        returned = _forward_call(student, "relu_forward", (z,), case, "out, cache")
        if returned.finding is not None:
            return returned.finding
        out, cache = returned.value
        finding = compare_result(out, np.maximum(z, 0.0), ("out",), case)
        if finding is not None:
            return finding
        dout = rng.normal(0.0, 1.0, z.shape).astype(z.dtype)
        expected = dout.astype(np.float64) * (z > 0)
        back = Case(case.description + ", back from a random dout with your cache", (dout, cache), case.batch_size)
        result = check_against_reference(student, "relu_backward", lambda *_: expected, [back], ("dz",),
                                         explain=_explain_relu_backward(z.astype(np.float64), dout.astype(np.float64)))
        if isinstance(result, Finding):
            return result
    return Pass("`relu_forward`, `relu_backward`: all hidden checks passed.")


# ----------------------------------------------------------------------------- affine


def _explain_affine_backward(X: np.ndarray, W: np.ndarray, dout: np.ndarray) -> Callable[[Any, Any, Case], Finding | None]:
    def explain(got: Any, expected: Any, case: Case) -> Finding | None:
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return None
        dX, dW, db = (as_float(v) for v in got)
        for name, value, formula, index in (("dX", dX, "dout @ W.T", 0), ("dW", dW, "X.T @ dout", 1),
                                            ("db", db, "dout.sum(axis=0)", 2)):
            if value is not None and value.shape == expected[index].shape and \
                    values_match(value, -expected[index]) and np.any(expected[index]):
                return Finding("sign-flipped", f"{case.opening}, `{name}` has the opposite sign: by the chain rule "
                               f"{name} = {formula}, with no minus (the minus of a descent step belongs to the "
                               "optimiser, not to the backward pass).")
        if dX is not None and values_match(dX, expected[0]) and dW is not None and values_match(dW, expected[1]) \
                and db is not None:
            k = expected[2].shape[0]
            if db.shape in ((1, k), (k, 1)) and values_match(db.reshape(k), expected[2]):
                return Finding("wrong-shape", f"{case.opening}, `db` has the right values but shape {db.shape} "
                               f"instead of ({k},), the shape of b: sum over the batch without keepdims, "
                               "`dout.sum(axis=0)` (or reshape the result to (K,)).")
            if db.shape == (k,) and values_match(db, dout.mean(axis=0)):
                return Finding("extra-mean", f"{case.opening}, `db` is the mean of dout over the batch, not its sum: "
                               "the 1/N of the loss is already inside dout, so db = dout.sum(axis=0).")
            if db.shape == dout.shape:
                return Finding("wrong-shape", f"{case.opening}, `db` has shape {db.shape}, the shape of dout: sum "
                               "it over the batch (axis 0) to get the shape of b, ({k},).")
        if dW is not None and dW.shape == expected[1].shape and values_match(dW, X.T @ dout / len(X)):
            return Finding("extra-mean", f"{case.opening}, `dW` is Xᵀ dout divided by N: the 1/N of the loss is "
                           "already inside dout, so dW = X.T @ dout with no extra division.")
        return None
    return explain


def check_affine(student: Student, rng: np.random.Generator) -> Result:
    """``affine_forward(X, W, b) -> (out, cache)`` and ``affine_backward(dout, cache) -> (dX, dW, db)``."""
    for s in standard_situations(rng):
        params, X = _network(rng, Situation(s.description, s.batch_size, s.num_classes, 3.0))
        W, b = params["W1"], params["b1"]
        case = Case(f"{s.description} (X of shape {X.shape}, W of shape {W.shape})", (X, W, b), s.batch_size)
        returned = _forward_call(student, "affine_forward", (X, W, b), case, "out, cache")
        if returned.finding is not None:
            return returned.finding
        out, cache = returned.value
        reference_out, reference_cache = layers.affine_forward(X, W, b)
        finding = compare_result(out, reference_out, ("out",), case)
        if finding is not None:
            got = as_float(out)
            if got is not None and got.shape == reference_out.shape and values_match(got, X @ W):
                return Finding("wrong-value", f"{case.opening}, `out` is X W without the bias: add b to every row, "
                               "out = X @ W + b (broadcasting does it).")
            return finding
        dout = rng.normal(0.0, s.scale, (s.batch_size, W.shape[1]))
        expected = tuple(layers.affine_backward(dout, reference_cache))
        back = Case(case.description + ", back from a random dout with your cache", (dout, cache), s.batch_size)
        result = check_against_reference(student, "affine_backward", lambda *_: expected, [back],
                                         ("dX", "dW", "db"), explain=_explain_affine_backward(X, W, dout))
        if isinstance(result, Finding):
            return result
    return Pass("`affine_forward`, `affine_backward`: all hidden checks passed.")


# ----------------------------------------------------------------------------- the forward pass


def _scores_without(params: Mapping[str, np.ndarray], X: np.ndarray, relu: bool = True, out_relu: bool = False,
                    b1: bool = True, b2: bool = True) -> np.ndarray:
    A = X @ params["W1"] + (params["b1"] if b1 else 0.0)
    H = np.maximum(A, 0.0) if relu else A
    Z = H @ params["W2"] + (params["b2"] if b2 else 0.0)
    return np.maximum(Z, 0.0) if out_relu else Z


#: Forward passes of a different network (switches of ``_scores_without``) and what each one lacks.
_FORWARD_MISTAKES = (
    (dict(out_relu=True), "you applied relu to the output layer too: the scores Z = H W2 + b2 have no "
                          "activation (they may be negative)."),
    (dict(relu=False), "there is no relu between the layers: H = relu(A) with A = X W1 + b1, then Z = H W2 + b2."),
    (dict(b1=False), "b1 is missing: the hidden pre-activations are A = X W1 + b1."),
    (dict(b2=False), "b2 is missing: the scores are Z = H W2 + b2."),
)


def _explain_forward(got: Any, expected: Any, case: Case) -> Finding | None:
    scores = as_float(got)
    params, X = case.args
    if scores is None or scores.shape != np.shape(expected):
        return None
    for switches, why in _FORWARD_MISTAKES:
        if values_match(scores, _scores_without(params, X, **switches)):
            return Finding("wrong-value", f"{case.opening}, the scores match a different network: {why}")
    return None


def check_forward(student: Student, rng: np.random.Generator) -> Result:
    """``two_layer_forward(params, X) -> (scores, cache)``: the scores against ``mlp.mlp_forward``."""
    cases = []
    for s in standard_situations(rng):
        params, X = _network(rng, s)
        cases.append(Case(_describe(s, params), (params, X), s.batch_size))
    return check_against_reference(
        _FirstOf(student, "two_layer_forward", "scores, cache"), "two_layer_forward",
        lambda params, X: mlp.mlp_forward(params, X)[0], cases, ("scores",), explain=_explain_forward)


# ----------------------------------------------------------------------------- backward: MSE and cross-entropy heads


def _ordered(grads: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Second layer first: a mistake in delta1 is reported after the second layer has been found right."""
    return {key: grads[key] for key in ("W2", "b2", "W1", "b1")}


def _reference_loss(head: str) -> Callable[..., tuple[float, dict[str, np.ndarray]]]:
    def reference(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
        loss, grads = mlp.mlp_loss(params, X, y, loss=head)
        return loss, _ordered(grads)
    return reference


def _head(head: str, scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    return losses.mse_loss(scores, y) if head == "mse" else losses.cross_entropy(scores, y)


def _explain_loss(student: Student, head: str) -> Callable[[Any, Any, Case], Finding | None]:
    """Item-specific diagnoses of ``(loss, grads)``, from the student's own returned values."""
    def explain(got: Any, expected: Any, case: Case) -> Finding | None:
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return None
        params, X, y = case.args
        loss, grads = as_float(got[0]), got[1]
        if not isinstance(grads, Mapping) or loss is None or loss.size != 1:
            return None
        grads = {key: as_float(grads.get(key)) for key in PARAM_KEYS}
        if any(grads[key] is None for key in PARAM_KEYS):
            return None
        loss_right = bool(np.isclose(float(loss), expected[0], rtol=1e-6, atol=1e-9))
        second_right = all(values_match(grads[k], expected[1][k]) for k in ("W2", "b2"))
        if loss_right and all(values_match(grads[k], -expected[1][k]) for k in PARAM_KEYS):
            delta = "(Z - Y) / N" if head == "mse" else "(P - onehot(y)) / N"
            return Finding("sign-flipped", f"{case.opening}, the loss is right but every gradient has the opposite "
                           f"sign: delta2 = dL/dZ is {delta}, not its negative (the gradient points uphill; the "
                           "training loop subtracts it).")
        return (_unstable(loss, grads, expected, case, head)
                or (_other_network(loss, expected, case, head) if not loss_right else None)
                or _regularised(student, head, loss, grads, expected, case)
                or (_first_layer(params, X, y, grads, expected, case, head) if loss_right and second_right else None)
                or _bias_shape(grads, expected, case))
    return explain


def _unstable(loss: np.ndarray, grads: dict, expected: Any, case: Case, head: str) -> Finding | None:
    if head != "cross_entropy" or np.isfinite(loss).all() or not np.isfinite(expected[0]):
        return None
    if all(np.all(np.isfinite(grads[key])) for key in PARAM_KEYS):
        return Finding("not-finite", f"{case.opening}, your loss is {float(loss)} but your gradients are finite: the "
                       "softmax is computed stably, but then a probability that rounds to exactly 0 goes into "
                       "np.log (here a label's score lies thousands below its row's maximum). Take the log of "
                       "the softmax analytically: log p = (Z - max) - log(sum(exp(Z - max))) row by row, and "
                       "never np.log of a probability.")
    return Finding("not-finite", f"{case.opening}, your loss and gradients contain NaN or inf: the scores here "
                   "are in the thousands and np.exp overflows. Subtract each row's own maximum, "
                   "Z - Z.max(axis=1, keepdims=True) (not the maximum of the whole array), before np.exp; "
                   "it changes neither the softmax nor the loss.")


def _other_network(loss: np.ndarray, expected: Any, case: Case, head: str) -> Finding | None:
    """The loss is the one of a different network's scores (relu on the output, no relu, no b1, no b2)."""
    params, X, y = case.args
    for switches, why in _FORWARD_MISTAKES:
        other = _head(head, _scores_without(params, X, **switches), y)[0]
        if np.isclose(float(loss.reshape(())), other, rtol=1e-9, atol=1e-12) and \
                not np.isclose(other, float(expected[0]), rtol=1e-6, atol=1e-9):
            where = (" If `two_layer_mse` takes its scores from your `two_layer_forward`, the mistake is there (see "
                     "its item): in this item your own `two_layer_forward` runs, because its cache goes to your "
                     "own `two_layer_backward`.") if head == "mse" else ""
            return Finding("wrong-value", f"{case.opening}, the loss is the one of a different network's scores: "
                           f"{why}{where}")
    return None


def _regularised(student: Student, head: str, loss: np.ndarray, grads: dict, expected: Any,
                 case: Case) -> Finding | None:
    """The loss exceeds the correct one by c (|W1|² + |W2|²): an L2 penalty where the item has none."""
    params = case.args[0]
    squares = float(np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    excess = float(loss) - float(expected[0])
    if not np.isfinite(excess) or excess <= 1e-9 * max(1.0, abs(float(expected[0]))):
        return None
    c = excess / squares
    penalised = all(values_match(grads[k], expected[1][k] + 2.0 * c * params[k]) for k in ("W1", "W2"))
    if not penalised:  # the penalty in the loss only: confirm with the weights doubled
        doubled = {**params, "W1": 2.0 * params["W1"], "W2": 2.0 * params["W2"]}
        returned = student.call(_function_name(head), doubled, *case.args[1:], case=case)
        value = returned.value if returned.finding is None else None
        if not (isinstance(value, (tuple, list)) and len(value) == 2 and as_float(value[0]) is not None):
            return None
        reference = mlp.mlp_loss(doubled, case.args[1], case.args[2], loss=head)[0]
        if not np.isclose(float(as_float(value[0])) - reference, 4.0 * excess, rtol=1e-6, atol=1e-12):
            return None
    where = "the loss and the weight gradients" if penalised else "the loss (and not in the gradients)"
    return Finding("wrong-value", f"{case.opening}, the loss is too large by exactly {c:.3g} (‖W1‖² + ‖W2‖²): "
                   f"there is an L2 regularisation term in {where}, but this item has none. Remove the penalty "
                   "(and its gradient): the loss is the data loss only.")


def _function_name(head: str) -> str:
    return "two_layer_mse" if head == "mse" else "two_layer_cross_entropy"


def _first_layer(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray, grads: dict, expected: Any,
                 case: Case, head: str) -> Finding | None:
    """Loss and second layer right, first layer wrong: name what delta1 was computed with."""
    scores, caches = mlp.mlp_forward(params, X)
    _, delta2 = _head(head, scores, y)
    A = X @ params["W1"] + params["b1"]
    mask = A > 0
    dW2 = expected[1]["W2"]
    if grads["W1"].shape != params["W1"].shape or grads["b1"].shape != params["b1"].shape or \
            values_match(grads["W1"], expected[1]["W1"]):
        return None  # only b1 is wrong: the generic comparison names it

    def matches(delta1: np.ndarray) -> bool:
        return values_match(grads["W1"], X.T @ delta1) and values_match(grads["b1"], delta1.sum(axis=0))

    if matches(delta2 @ params["W2"].T):
        return Finding("wrong-value", f"{case.opening}, grads['W2'] and grads['b2'] are right but grads['W1'] and "
                       "grads['b1'] are not: they are what you get without the relu mask. Going back through the "
                       "relu, delta1 = (delta2 W2ᵀ) * (A > 0): multiply by the mask of the pre-activations A.")
    if matches((delta2 @ dW2.T) * mask):
        return Finding("wrong-value", f"{case.opening}, grads['W2'] and grads['b2'] are right but grads['W1'] and "
                       "grads['b1'] were computed with dW2 in place of W2: W2 was overwritten by its gradient "
                       "before delta1 was computed. delta1 = (delta2 W2ᵀ) * (A > 0) needs the W2 of the forward "
                       "pass: compute every gradient first, and never assign to params in the backward pass.")
    base = X.T @ ((delta2 @ params["W2"].T) * mask)
    direction = X.T @ ((delta2 @ dW2.T) * mask)
    energy = float(np.vdot(direction, direction))
    if energy > 0:
        c = float(np.vdot(base - grads["W1"], direction)) / energy
        if c > 0 and matches((delta2 @ (params["W2"] - c * dW2).T) * mask):
            return Finding("wrong-value", f"{case.opening}, grads['W2'] and grads['b2'] are right but grads['W1'] "
                           f"and grads['b1'] were computed with W2 - {c:.3g} dW2 instead of W2: W2 was updated "
                           "(a gradient step) before delta1 was computed. The backward pass only reads the "
                           "parameters: compute delta1 = (delta2 W2ᵀ) * (A > 0) with the W2 of the forward pass, "
                           "and leave the update to the training loop.")
    return Finding("wrong-value", f"{case.opening}, the loss, grads['W2'] and grads['b2'] are right but "
                   "grads['W1'] or grads['b1'] is not: the mistake is between the two layers. Check "
                   "delta1 = (delta2 W2ᵀ) * (A > 0) (the W2 of the forward pass, the mask of A), then "
                   "dW1 = Xᵀ delta1 and db1 = the sum of delta1 over the batch.")


def _bias_shape(grads: dict, expected: Any, case: Case) -> Finding | None:
    for key in ("b2", "b1"):
        k = expected[1][key].shape[0]
        if grads[key].shape in ((1, k), (k, 1)) and values_match(grads[key].reshape(k), expected[1][key]):
            return Finding("wrong-shape", f"{case.opening}, grads['{key}'] has the right values but shape "
                           f"{grads[key].shape} instead of ({k},), the shape of {key}: sum over the batch without "
                           "keepdims (`delta.sum(axis=0)`), or reshape it to (K,).")
    return None


def _loss_cases(rng: np.random.Generator, head: str) -> list[Case]:
    cases = []
    for s in standard_situations(rng):
        params, X = _network(rng, s)
        if head == "mse":
            y = rng.normal(0.0, s.scale, (s.batch_size, s.num_classes))
        else:
            y = random_labels(rng, s.batch_size, s.num_classes)
            if s.large:  # row 0's label is its lowest score, thousands below the maximum: p underflows to 0
                y[0] = int(np.argmin(mlp.mlp_forward(params, X)[0][0]))
        cases.append(Case(_describe(s, params), (params, X, y), s.batch_size))
    return cases


def _check_loss(student: Student, rng: np.random.Generator, head: str) -> Result:
    name = _function_name(head)
    return check_against_reference(student, name, _reference_loss(head), _loss_cases(rng, head), ("loss", "grads"),
                                   explain=_explain_loss(student, head))


def check_mse(student: Student, rng: np.random.Generator) -> Result:
    """``two_layer_mse(params, X, Y) -> (loss, grads)`` against ``mlp.mlp_loss(..., loss="mse")``; the student's
    ``two_layer_backward`` is graded through it (same cell)."""
    return _check_loss(student, rng, "mse")


def check_cross_entropy(student: Student, rng: np.random.Generator) -> Result:
    """``two_layer_cross_entropy(params, X, y) -> (loss, grads)`` against ``mlp.mlp_loss``."""
    return _check_loss(student, rng, "cross_entropy")


# ----------------------------------------------------------------------------- the gradient check

#: A smooth test function of a params dict, with curvature in every entry (so a one-sided difference shows) and
#: a coupling of all entries (so a check that leaves params perturbed shows):
#: L = Σ_k Σ (C_k tanh(p_k) + ½ D_k p_k²) + ½ (Σ_k Σ F_k p_k)²;
#: its gradient is C_k (1 - tanh²(p_k)) + D_k p_k + (Σ_j Σ F_j p_j) F_k, plus E_k (0 when right).
_TEST_LOSS = ("lambda p: (lambda s: (float(sum(np.sum(C[k] * np.tanh(p[k]) + 0.5 * D[k] * p[k] ** 2) "
              "for k in sorted(p)) + 0.5 * s ** 2), "
              "{k: C[k] * (1.0 - np.tanh(p[k]) ** 2) + D[k] * p[k] + s * F[k] + E[k] for k in p}))"
              "(sum(float(np.sum(F[k] * p[k])) for k in sorted(p)))")


def _test_loss(env: dict[str, Any]) -> Callable[[Mapping[str, np.ndarray]], tuple[float, dict]]:
    """The same test function on the trusted side (the grader's own source, evaluated here)."""
    return eval(_TEST_LOSS, {"np": np, **env})  # noqa: S307 - the grader's own source


def _left_perturbed(loss: Callable[..., Any], params: Mapping[str, np.ndarray], h: float) -> dict:
    """Relative errors of a check that perturbs params in place and never restores the entries."""
    _, analytic = loss(params)
    work = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    errors = {}
    for name, x in work.items():
        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            x[index] += h
            f_plus = loss(work)[0]
            x[index] -= 2 * h
            numeric[index] = (f_plus - loss(work)[0]) / (2 * h)
        a = np.asarray(analytic[name], dtype=np.float64)
        errors[name] = float(np.max(np.abs(a - numeric)) / max(1e-8, float(np.max(np.abs(a) + np.abs(numeric)))))
    return errors


def _numerical(loss: Callable[..., Any], params: Mapping[str, np.ndarray], one_sided: bool, h: float) -> dict:
    """Relative errors like the reference, with a one-sided or a badly scaled difference (for diagnoses)."""
    _, analytic = loss(params)
    errors = {}
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[index] += h
            minus[index] -= h
            f_plus = loss({**params, name: plus})[0]
            if one_sided:
                numeric[index] = (f_plus - loss(params)[0]) / h
            else:
                numeric[index] = (f_plus - loss({**params, name: minus})[0]) / h  # missing the 2 of 2h
        a, b = np.asarray(analytic[name], dtype=np.float64), numeric
        errors[name] = float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))
    return errors


def check_gradient_errors(student: Student, rng: np.random.Generator) -> Result:
    """``network_gradient_errors(loss_fn, params)``: below 1e-7 for a right gradient; for a gradient wrong in
    known entries, the relative errors of ``dlfoundations.gradients.check_gradients`` (computed here)."""
    d, m, k = 3, 4, 2
    params = {"W1": rng.normal(0.0, 1.0, (d, m)), "b1": rng.normal(0.0, 1.0, m),
              "W2": rng.normal(0.0, 1.0, (m, k)), "b2": rng.normal(0.0, 1.0, k)}
    C = {key: rng.uniform(0.5, 2.0, value.shape) for key, value in params.items()}
    D = {key: rng.uniform(0.5, 1.5, value.shape) for key, value in params.items()}
    F = {key: rng.uniform(0.3, 0.8, value.shape) for key, value in params.items()}  # one sign: drift adds up
    right = {key: np.zeros_like(value) for key, value in params.items()}
    wrong_key = str(rng.choice(["W1", "W2"]))
    entry = tuple(int(rng.integers(0, n)) for n in params[wrong_key].shape)
    wrong = {**right, wrong_key: right[wrong_key].copy()}
    wrong[wrong_key][entry] = 0.5
    true_b2 = np.asarray(_test_loss({"C": C, "D": D, "F": F, "E": right})(params)[1]["b2"])
    wrong["b2"] = -0.9 * true_b2  # the gradient of b2 is 10 % of the true one
    runs = (
        (f"on a test function with a correct gradient (params W1 {params['W1'].shape}, b1, W2 {params['W2'].shape}, "
         "b2)", right, True),
        (f"on a test function whose gradient is wrong in entry {entry} of {wrong_key} and in every entry of b2 "
         "(W1, W2 otherwise right, b1 right)", wrong, False),
    )
    for description, E, is_right in runs:
        env = {"C": C, "D": D, "F": F, "E": E}
        case = Case(description, (grader_function(_TEST_LOSS, **env), params))
        returned = student.call("network_gradient_errors", *case.args, case=case)
        if returned.finding is not None:
            return returned.finding
        loss = _test_loss(env)
        expected = gradients.check_gradients(loss, params)
        finding = _compare_errors(returned.value, expected, case, is_right, loss, params)
        if finding is not None:
            return finding
    return Pass("`network_gradient_errors`: all hidden checks passed.")


def _compare_errors(got: Any, expected: dict[str, float], case: Case, is_right: bool,
                    loss: Callable[..., Any], params: Mapping[str, np.ndarray]) -> Finding | None:
    name = "`network_gradient_errors`"
    if not isinstance(got, Mapping) or set(got) != set(expected):
        keys = sorted(got) if isinstance(got, Mapping) else None
        return Finding("wrong-type", f"{case.opening}, {name} should return a dict with one relative error per "
                       f"parameter (keys {sorted(expected)}), but it returned "
                       f"{'a dict with keys ' + str(keys) if keys is not None else describe(got)}.")
    reported = {}
    for key in expected:
        value = as_float(got[key])
        if value is None or value.size != 1:
            return Finding("wrong-type", f"{case.opening}, the relative error of {key} should be one number, but "
                           f"it is {describe(got[key])}.")
        reported[key] = float(value.reshape(()))
    for key, value in expected.items():
        close = np.isclose(reported[key], value, rtol=1e-3, atol=1e-7) if not is_right else reported[key] < 1e-7
        if close:
            continue
        why = _why_errors(reported, loss, params)
        if is_right:
            return Finding("wrong-value", f"{case.opening}, {name} reports a relative error of {reported[key]:.2e} "
                           f"for {key}, but the gradient is correct: a correct gradient gives less than 1e-7 (about "
                           f"{value:.0e}). {why}")
        return Finding("wrong-value", f"{case.opening}, {name} reports a relative error of {reported[key]:.3g} for "
                       f"{key}; the course's check gives {value:.3g}. {why}")
    return None


def _why_errors(reported: dict[str, float], loss: Callable[..., Any], params: Mapping[str, np.ndarray]) -> str:
    """Name the numerical-gradient mistake whose errors match the student's."""
    def agrees(errors: dict[str, float]) -> bool:
        return all(np.isclose(reported[k], errors[k], rtol=5e-2, atol=1e-9) for k in errors)

    if agrees(_left_perturbed(loss, params, 1e-5)):
        return ("Your errors are those of a check that changes params in place and does not put each entry back "
                "(after x[i] += h and x[i] -= 2h the entry stays at x[i] - h, so every later loss is taken at the "
                "wrong point): restore x[i] after both evaluations, or perturb a copy, {**params, name: copy}.")
    if agrees(_numerical(loss, params, one_sided=True, h=1e-5)):
        return ("Your errors are those of a one-sided difference (f(x + h) - f(x)) / h, whose error grows with h: "
                "use the centred difference (f(x + h) - f(x - h)) / (2h).")
    if agrees(_numerical(loss, params, one_sided=False, h=1e-5)):
        return ("Your errors are those of a numerical gradient twice too large: the centred difference divides by "
                "2h, (f(x + h) - f(x - h)) / (2h).")
    _, analytic = loss(params)
    norms = {}
    for name, value in params.items():
        numeric = numerical_gradient(lambda v, name=name: loss({**params, name: v})[0],
                                     np.array(value, dtype=np.float64))
        a = np.asarray(analytic[name], dtype=np.float64)
        norms[name] = float(np.linalg.norm(a - numeric) / max(1e-300, float(np.linalg.norm(a) +
                                                                          np.linalg.norm(numeric))))
    if agrees(norms):
        return ("Your errors are ratios of norms, |a - b| / (|a| + |b|); the course's rel_error uses the largest "
                "entries, max|a - b| / max(1e-8, max(|a| + |b|)) (`rel_error` of dlfoundations.kit.gradcheck).")
    return ("Compute, for every parameter, the centred-difference gradient of loss_fn's loss with the other "
            "parameters unchanged (never modify the arrays of params), then "
            "rel_error = max|a - b| / max(1e-8, max(|a| + |b|)) against grads[name] from loss_fn(params).")


# ----------------------------------------------------------------------------- prediction and training


def _explain_predict(got: Any, expected: Any, case: Case) -> Finding | None:
    labels = as_float(got)
    params, X = case.args
    scores = mlp.mlp_forward(params, X)[0]
    if labels is not None and labels.shape == scores.shape:
        return Finding("wrong-shape", f"{case.opening}, `two_layer_predict` returned the scores {labels.shape}: "
                       "return the labels, the index of the largest score of each row, np.argmax(scores, axis=1).")
    if labels is not None and labels.shape == (scores.shape[1],) and values_match(labels, np.argmax(scores, axis=0)):
        return Finding("wrong-shape", f"{case.opening}, your labels are the argmax over axis 0 (one per class): take "
                       "the argmax of each row, np.argmax(scores, axis=1).")
    return None


def _accuracy(student: Student, rng: np.random.Generator) -> Result:
    seed = int(rng.choice(TRAINING_SEEDS))
    X, y = make_moons(400, noise=0.15, seed=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, seed=seed)
    case = Case(f"on a new two-moons training set ({len(X_train)} points) with your default arguments",
                (X_train, y_train))
    returned = student.call("train_two_layer", X_train, y_train, case=case)
    if returned.finding is not None:
        return returned.finding
    got = returned.value
    trained = got[0] if isinstance(got, (tuple, list)) and len(got) == 2 else None
    if not isinstance(trained, Mapping) or not set(PARAM_KEYS) <= set(trained):
        return Finding("wrong-type", f"{case.opening}, `train_two_layer` should return (params, losses) with params "
                       f"a dict with keys {list(PARAM_KEYS)}, but it returned {describe(got)}.")
    try:
        labels = mlp.mlp_predict({key: trained[key] for key in PARAM_KEYS}, X_test)
    except (TypeError, ValueError) as error:
        return Finding("wrong-type", f"{case.opening}, the params returned by `train_two_layer` are not a "
                       f"two-layer network for 2 inputs: {error}.")
    accuracy = float(np.mean(labels == y_test))
    if accuracy >= REQUIRED_ACCURACY:
        return Pass(f"Trained {case.description}: the grader measured a test accuracy of {accuracy:.1%} (at least "
                    f"{REQUIRED_ACCURACY:.0%} required).")
    return Finding("did-not-learn", f"Trained {case.description}, your network classifies {accuracy:.1%} of the "
                   f"grader's test points correctly; at least {REQUIRED_ACCURACY:.0%} is required. "
                   f"{_why_not_learned(got[1])}")


def _why_not_learned(history: Any) -> str:
    """What the student's own loss history says (grows, flat, NaN)."""
    losses_ = as_float(history)
    why = ""
    if losses_ is not None and losses_.ndim == 1 and losses_.size >= 2:
        first, last = float(losses_[0]), float(losses_[-1])
        if not np.all(np.isfinite(losses_)):
            why = ("Your loss history contains NaN or inf: training diverged (a step too large for the gradient "
                   "it is given: is the gradient a mean over the batch?). ")
        elif last > first * 1.01:
            why = (f"Your loss grew from {first:.3g} to {last:.3g}: the update goes uphill. Use "
                   "param - lr * grad (minus). ")
        elif np.allclose(losses_, first, rtol=1e-9, atol=1e-12):
            why = (f"Your loss stayed at {first:.3g} at every step: the params are never changed. Assign the new "
                   "arrays, params = {name: params[name] - lr * grads[name] for name in params}. ")
        else:
            why = f"Your loss went from {first:.3g} to {last:.3g}. "
    if why and not why.startswith("Your loss went"):
        return why.strip()
    return why + ("The trainer should start from the He initialisation, run full-batch gradient descent with "
                  "lr = 0.5 for 500 steps, and update every parameter at each step.")


def check_training(student: Student, rng: np.random.Generator) -> Result:
    """``two_layer_predict`` against ``mlp.mlp_predict``; then ``train_two_layer`` (its defaults) on a hidden
    two-moons sample, the accuracy of the returned params measured here on test points the student never sees."""
    cases = []
    for s in standard_situations(rng):
        if s.large:
            continue
        params, X = _network(rng, s)
        cases.append(Case(_describe(s, params), (params, X), s.batch_size))
    predict = check_against_reference(student, "two_layer_predict", mlp.mlp_predict, cases, ("the labels",),
                                      explain=_explain_predict)
    if isinstance(predict, Finding):
        return predict
    return first_failure([predict, _accuracy(student, rng)])


# ----------------------------------------------------------------------------- references of the earlier functions

# What an item's code gets when it calls an earlier function by name (error carried forward, served by the grader):
# the notebook's signatures and return structures, the caches in the notebook's own format (an affine layer keeps
# (X, W), relu keeps z, the network keeps (affine 1's, relu's, affine 2's)). A cache goes only to the grader's own
# backward functions: each forward is served only in items where its backward is served too (or is not used).


def _relu_forward(z: Any) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(z)
    return np.maximum(z, 0.0), z


def _relu_backward(dout: Any, cache: Any) -> np.ndarray:
    return np.asarray(dout) * (np.asarray(cache) > 0)


def _affine_forward(X: Any, W: Any, b: Any) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    X, W = np.asarray(X), np.asarray(W)
    return X @ W + np.asarray(b), (X, W)


def _affine_backward(dout: Any, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, W = (np.asarray(part) for part in cache)
    dX, dW, db = layers.affine_grads(np.asarray(dout), X, W)
    return dX, dW, db


def _two_layer_forward(params: Mapping[str, Any], X: Any) -> tuple[np.ndarray, tuple]:
    A, affine1 = _affine_forward(X, params["W1"], params["b1"])
    H, relu = _relu_forward(A)
    Z, affine2 = _affine_forward(H, params["W2"], params["b2"])
    return Z, (affine1, relu, affine2)


def _two_layer_backward(delta2: Any, cache: Any) -> dict[str, np.ndarray]:
    affine1, relu, affine2 = cache
    dH, dW2, db2 = _affine_backward(delta2, affine2)
    _, dW1, db1 = _affine_backward(_relu_backward(dH, relu), affine1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _two_layer_mse(params: Mapping[str, Any], X: Any, Y: Any) -> tuple[float, dict[str, np.ndarray]]:
    return mlp.mlp_loss(params, X, Y, loss="mse")


def _two_layer_cross_entropy(params: Mapping[str, Any], X: Any, y: Any) -> tuple[float, dict[str, np.ndarray]]:
    return mlp.mlp_loss(params, X, y, loss="cross_entropy")


REFERENCES = {
    "relu_forward": _relu_forward,
    "relu_backward": _relu_backward,
    "affine_forward": _affine_forward,
    "affine_backward": _affine_backward,
    "two_layer_forward": _two_layer_forward,
    "two_layer_backward": _two_layer_backward,
    "two_layer_mse": _two_layer_mse,
    "two_layer_cross_entropy": _two_layer_cross_entropy,
}
LAYERS = ("relu_forward", "relu_backward", "affine_forward", "affine_backward")

# two_layer_forward is not served to mse-test: its cache goes to the student's own two_layer_backward (graded there),
# which reads the cache format of the student's own forward, not the grader's. network_gradient_errors is never
# served: its loss_fn argument is a function, which cannot be sent to the grader.
ASSIGNMENT = Assignment("05-backprop", (
    Item("relu-test", ("relu_forward", "relu_backward"), check_relu),
    Item("affine-test", ("affine_forward", "affine_backward"), check_affine),
    Item("forward-test", ("two_layer_forward",), check_forward, calls=LAYERS),
    Item("mse-test", ("two_layer_mse", "two_layer_backward"), check_mse, calls=LAYERS),
    Item("cross-entropy-test", ("two_layer_cross_entropy",), check_cross_entropy,
         calls=LAYERS + ("two_layer_forward", "two_layer_backward")),
    Item("gradient-check-test", ("network_gradient_errors",), check_gradient_errors),
    Item("train-test", ("train_two_layer", "two_layer_predict"), check_training,
         calls=LAYERS + ("two_layer_forward", "two_layer_backward", "two_layer_mse", "two_layer_cross_entropy")),
), references=REFERENCES)
