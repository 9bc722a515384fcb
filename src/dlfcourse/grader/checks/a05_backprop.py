"""Hidden checks of assignment 05-backprop: layers, a two-layer network, its backward pass, a gradient check, training.

Each check draws its inputs from the item's seed, calls the student's functions through the sandbox, and
compares the data they return with the reference (:mod:`dlfoundations.layers`, :mod:`dlfoundations.mlp`,
:mod:`dlfoundations.gradients`) computed here, then tries the item's table of known mistakes. The situations
are a random batch (with some pre-activations exactly 0), a batch of one example, very large scores and two
classes. The sizes d, m (hidden units) and K always differ, so a transposed weight gradient has the wrong
shape and is reported as such.

Forward/backward pairs: the backward function gets the cache the student's own forward returned (it comes
back as data and is passed back in). Error carried forward: while an item is graded, the earlier functions
its code may call (``Item.calls``) answer with the grader's references (``REFERENCES``, the notebook's
signatures); every check compares with the plain reference, and the trainer's accuracy is measured in every
case. The gradient-check report and the training curve keep diagnoses of their own (they are sequences).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dlfoundations import gradients, layers, losses, mlp
from dlfoundations.kit.compare import Case, Finding, describe, values_match
from dlfoundations.kit.data import make_moons, train_test_split
from dlfoundations.kit.gradcheck import numerical_gradient
from dlfcourse.grader.checks import mistakes as m
from dlfcourse.grader.checks import stability as st
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, declare
from dlfcourse.grader.checks.core import Compared, Mistake, Seen, diagnose
from dlfcourse.grader.checks.values import scalar
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
    d, m_ = _sizes(rng, s.num_classes)
    params = {"W1": rng.normal(0.0, 1.0, (d, m_)), "b1": rng.normal(0.0, 1.0, m_),
              "W2": rng.normal(0.0, s.scale / 10.0, (m_, s.num_classes)), "b2": rng.normal(0.0, 1.0, s.num_classes)}
    X = rng.uniform(-2.0, 2.0, (s.batch_size, d))
    if s.large:  # make sure the scores of row 0 spread over thousands (overflow and underflow both happen)
        spread = float(np.ptp(mlp.mlp_forward(params, X)[0][0]))
        if spread < 3000.0:
            factor = 3000.0 / max(spread, 1e-3)
            params["W2"], params["b2"] = params["W2"] * factor, params["b2"] * factor
    return params, X


def _describe(s: Situation, params: Mapping[str, np.ndarray]) -> str:
    d, m_ = params["W1"].shape
    return f"{s.description} (d = {d}, m = {m_}, K = {params['W2'].shape[1]})"


def _network_inputs(Z: np.ndarray, y: np.ndarray) -> tuple:
    """(params, X, y) whose scores are exactly Z: X and W1 hold identities (d = N + 1, m = N + 2), W2 the scores."""
    n, k = Z.shape
    W2 = np.zeros((n + 2, k))
    W2[:n] = Z
    params = {"W1": np.eye(n + 1, n + 2), "b1": np.zeros(n + 2), "W2": W2, "b2": np.zeros(k)}
    return params, np.eye(n, n + 1), y


# ----------------------------------------------------------------------------- forward/backward pairs


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


def _through(student: Student, forward: Compared, backward: Compared, case: Case, expected_out: Any,
             dout: np.ndarray, expected_back: Any, extra: Mapping[str, Any]) -> Finding | None:
    """Forward on ``case`` (its output compared), then backward from ``dout`` with the student's own cache."""
    returned = _cache_message(student.call(forward.function, *case.args, case=case))
    if returned.finding is not None:
        return forward.call_failed(returned.finding, case, student)
    finding = _pair_finding(returned.value, forward.function, "out, cache", case)
    if finding is not None:
        return finding
    out, cache = returned.value
    seen = Seen(case, out, expected_out, forward.returns, student, forward.function, None, extra)
    finding = diagnose(seen, forward.mistakes)
    if finding is not None:
        return finding
    back = Case(case.description + ", back from a random dout with your cache", (dout, cache), case.batch_size)
    return backward.check_case(student, back, expected_back, extra)


# ----------------------------------------------------------------------------- relu


def _relu_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for s in standard_situations(rng):
        z = rng.uniform(-s.scale, s.scale, (s.batch_size, s.num_classes + 3))
        z.flat[rng.choice(z.size, size=max(1, z.size // 6), replace=False)] = 0.0  # relu'(0) is taken to be 0
        cases.append(Case(f"{s.description} (z of shape {z.shape}, some entries exactly 0)", (z,), s.batch_size))
    cases.append(Case("on a 3-D array z of shape (2, 3, 4)", (rng.uniform(-3.0, 3.0, (2, 3, 4)),)))
    return cases + [Case("on a float32 array z of shape (5, 4)", (rng.uniform(-3.0, 3.0, (5, 4)).astype(np.float32),))]


def _relu_backward_is(key: str, wrong: Callable[[np.ndarray, np.ndarray], np.ndarray], message: str) -> Mistake:
    return m.variant(key, "wrong-value", message, lambda s: wrong(s.extra["z"], s.extra["dout"]), "dz")


RELU_FORWARD = Compared("relu_forward", lambda z: np.maximum(z, 0.0), lambda rng: [], ("out",))
RELU_BACKWARD = Compared("relu_backward", lambda *_: None, lambda rng: [], ("dz",), (
    _relu_backward_is("mask-at-zero", lambda z, dout: dout * (z >= 0), "`dz` is wrong where z is exactly 0: your mask "
                      "lets the gradient through there. The derivative of relu at 0 is taken to be 0: use `z > 0`, "
                      "not `z >= 0`."),
    _relu_backward_is("no-mask", lambda z, dout: dout, "`dz` equals `dout`: the relu mask is missing. The gradient "
                      "passes only where the unit was active: dz = dout * (z > 0)."),
    _relu_backward_is("mask-alone", lambda z, dout: (z > 0).astype(float), "`dz` is the mask [z > 0] itself: "
                      "multiply it by the upstream gradient, dz = dout * (z > 0)."),
    _relu_backward_is("times-the-output", lambda z, dout: dout * np.maximum(z, 0), "`dz` is dout * relu(z): you "
                      "multiplied by the layer's output instead of its derivative. Use the mask: dz = dout * (z > 0)."),
    _relu_backward_is("inverted-mask", lambda z, dout: dout * (z < 0), "`dz` lets the gradient through where z < 0 "
                      "and blocks it where z > 0: the mask is inverted. Use dz = dout * (z > 0)."),
))


def check_relu(student: Student, rng: np.random.Generator) -> Result:
    """``relu_forward(z) -> (out, cache)`` and ``relu_backward(dout, cache) -> dz`` (with the student's own cache)."""
    for case in _relu_cases(rng):
        z = case.args[0]
        dout = rng.normal(0.0, 1.0, z.shape).astype(z.dtype)
        expected = dout.astype(np.float64) * (z > 0)
        extra = {"z": z.astype(np.float64), "dout": dout.astype(np.float64)}
        finding = _through(student, RELU_FORWARD, RELU_BACKWARD, case, np.maximum(z, 0.0), dout, expected, extra)
        if finding is not None:
            return finding
    return Pass("`relu_forward`, `relu_backward`: all hidden checks passed.")


# ----------------------------------------------------------------------------- affine


def _a_gradient_sign(s: Seen) -> Any:
    for name, formula in (("dX", "dout @ W.T"), ("dW", "X.T @ dout"), ("db", "dout.sum(axis=0)")):
        mine, right = s.array(name), np.asarray(s.right(name))
        if mine is not None and mine.shape == right.shape and np.any(right) and values_match(mine, -right):
            return {"name": name, "formula": formula}
    return None


def _weights_right(s: Seen) -> bool:
    dX, dW = s.array("dX"), s.array("dW")
    return dX is not None and dW is not None and values_match(dX, s.right("dX")) and values_match(dW, s.right("dW"))


def _db_shape_of_dout(s: Seen) -> Any:
    db = s.array("db")
    return {"shape": db.shape, "k": s.right("db").shape[0]} if _weights_right(s) and db is not None and \
        db.shape == s.extra["dout"].shape and db.shape != s.right("db").shape else None


AFFINE_FORWARD = Compared("affine_forward", layers.affine_forward, lambda rng: [], ("out",), (
    m.variant("no-bias", "wrong-value", "`out` is X W without the bias: add b to every row, out = X @ W + b "
              "(broadcasting does it).", lambda s: s.extra["X"] @ s.extra["W"]),
))
AFFINE_BACKWARD = Compared("affine_backward", lambda *_: None, lambda rng: [], ("dX", "dW", "db"), (
    m.probe("gradient-sign", "sign-flipped", lambda name, formula: (
        f"`{name}` has the opposite sign: by the chain rule {name} = {formula}, with no minus (the minus of a descent "
        "step belongs to the optimiser, not to the backward pass)."), _a_gradient_sign),
    m.keepdims_shape("db-keepdims", lambda shape, k: (
        f"`db` has the right values but shape {shape} instead of ({k},), the shape of b: a sum with keepdims=True "
        "(or over an np.matrix, always 2-D) keeps the summed axis. Sum over the batch into shape (K,), "
        "`dout.sum(axis=0)` on a plain array (or reshape the result to (K,))."), "db", when=_weights_right),
    m.variant("db-mean", "extra-mean", "`db` is the mean of dout over the batch, not its sum: the 1/N of the loss is "
              "already inside dout, so db = dout.sum(axis=0).", lambda s: s.extra["dout"].mean(axis=0), "db",
              when=_weights_right),
    m.probe("db-not-summed", "wrong-shape", lambda shape, k: (
        f"`db` has shape {shape}, the shape of dout: sum it over the batch (axis 0) to get the shape of b, ({k},)."),
        _db_shape_of_dout),
    m.variant("dW-over-N", "extra-mean", "`dW` is Xᵀ dout divided by N: the 1/N of the loss is already inside dout, "
              "so dW = X.T @ dout with no extra division.",
              lambda s: s.extra["X"].T @ s.extra["dout"] / len(s.extra["X"]), "dW"),
))


def check_affine(student: Student, rng: np.random.Generator) -> Result:
    """``affine_forward(X, W, b) -> (out, cache)`` and ``affine_backward(dout, cache) -> (dX, dW, db)``."""
    for s in standard_situations(rng):
        params, X = _network(rng, Situation(s.description, s.batch_size, s.num_classes, 3.0))
        W, b = params["W1"], params["b1"]
        case = Case(f"{s.description} (X of shape {X.shape}, W of shape {W.shape})", (X, W, b), s.batch_size)
        out, cache = layers.affine_forward(X, W, b)
        dout = rng.normal(0.0, s.scale, (s.batch_size, W.shape[1]))
        finding = _through(student, AFFINE_FORWARD, AFFINE_BACKWARD, case, out, dout,
                           tuple(layers.affine_backward(dout, cache)), {"X": X, "W": W, "dout": dout})
        if finding is not None:
            return finding
    return Pass("`affine_forward`, `affine_backward`: all hidden checks passed.")


# ----------------------------------------------------------------------------- the forward pass


def _scores_without(params: Mapping[str, np.ndarray], X: np.ndarray, relu: bool = True, out_relu: bool = False,
                    b1: bool = True, b2: bool = True) -> np.ndarray:
    A = X @ params["W1"] + (params["b1"] if b1 else 0.0)
    H = np.maximum(A, 0.0) if relu else A
    Z = H @ params["W2"] + (params["b2"] if b2 else 0.0)
    return np.maximum(Z, 0.0) if out_relu else Z


#: Forward passes of a different network (switches of ``_scores_without``) and what each one lacks.
_NETWORKS = (
    (dict(out_relu=True), "you applied relu to the output layer too: the scores Z = H W2 + b2 have no "
                          "activation (they may be negative)."),
    (dict(relu=False), "there is no relu between the layers: H = relu(A) with A = X W1 + b1, then Z = H W2 + b2."),
    (dict(b1=False), "b1 is missing: the hidden pre-activations are A = X W1 + b1."),
    (dict(b2=False), "b2 is missing: the scores are Z = H W2 + b2."),
)


def _forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for s in standard_situations(rng):
        params, X = _network(rng, s)
        cases.append(Case(_describe(s, params), (params, X), s.batch_size))
    return cases


def _other_scores(s: Seen) -> Any:
    scores = s.array("scores")
    params, X = s.args
    if scores is None or scores.shape != np.shape(s.expected):
        return None
    return next(({"why": why} for switches, why in _NETWORKS if values_match(scores, _scores_without(params, X,
                                                                                                   **switches))), None)


FORWARD = Compared("two_layer_forward", lambda params, X: mlp.mlp_forward(params, X)[0], _forward_cases, ("scores",), (
    m.probe("different-network", "wrong-value", lambda why: f"the scores match a different network: {why}",
            _other_scores),
))


def check_forward(student: Student, rng: np.random.Generator) -> Result:
    """``two_layer_forward(params, X) -> (scores, cache)``: the scores against ``mlp.mlp_forward``."""
    return FORWARD(_FirstOf(student, "two_layer_forward", "scores, cache"), rng)


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


def _grads(s: Seen) -> dict[str, np.ndarray] | None:
    """The student's gradients as float arrays by name, or None if they are not a dict of arrays."""
    grads = s.mine("grads")
    if not isinstance(grads, Mapping):
        return None
    arrays = {key: as_float(grads.get(key)) for key in PARAM_KEYS}
    present = {key: value for key, value in arrays.items() if value is not None}
    return present if len(present) == len(arrays) else None


def _loss_right(s: Seen) -> bool:
    loss = scalar(s.mine("loss"))
    return loss is not None and bool(np.isclose(loss, s.right("loss"), rtol=1e-6, atol=1e-9))


def _second_layer_right(s: Seen) -> bool:
    grads = _grads(s)
    return grads is not None and _loss_right(s) and all(values_match(grads[k], s.right("grads")[k])
                                                        for k in ("W2", "b2")) and \
        grads["W1"].shape == s.args[0]["W1"].shape and grads["b1"].shape == s.args[0]["b1"].shape and \
        not values_match(grads["W1"], s.right("grads")["W1"])


def _first_layer_with(s: Seen, head: str, W2: np.ndarray, mask: bool = True) -> bool:
    """The first-layer gradients are those of delta1 = (delta2 W2ᵀ) [* (A > 0)] with this W2."""
    params, X, y = s.args
    delta2 = _head(head, mlp.mlp_forward(params, X)[0], y)[1]
    A = X @ params["W1"] + params["b1"]
    delta1 = (delta2 @ W2.T) * ((A > 0) if mask else 1.0)
    grads = _grads(s)
    if grads is None:
        return False
    return values_match(grads["W1"], X.T @ delta1) and values_match(grads["b1"], delta1.sum(axis=0))


def _updated_first(head: str) -> Callable[[Seen], Any]:
    """W2 - c dW2 (a gradient step) used for delta1: the c that fits, if one does."""
    def test(s: Seen) -> Any:
        grads = _grads(s)
        if grads is None or not _second_layer_right(s):
            return None
        params, X, y = s.args
        dW2, W2 = s.right("grads")["W2"], params["W2"]
        delta2 = _head(head, mlp.mlp_forward(params, X)[0], y)[1]
        mask = (X @ params["W1"] + params["b1"]) > 0
        base, direction = X.T @ ((delta2 @ W2.T) * mask), X.T @ ((delta2 @ dW2.T) * mask)
        energy = float(np.vdot(direction, direction))
        c = float(np.vdot(base - grads["W1"], direction)) / energy if energy > 0 else 0.0
        return {"c": c} if c > 0 and _first_layer_with(s, head, W2 - c * dW2) else None
    return test


def _other_network(head: str) -> Callable[[Seen], Any]:
    """The loss is the one of a different network's scores (relu on the output, no relu, no b1, no b2)."""
    def test(s: Seen) -> Any:
        params, X, y = s.args
        loss = scalar(s.mine("loss"))
        if loss is None or _loss_right(s):
            return None
        for switches, why in _NETWORKS:
            other = _head(head, _scores_without(params, X, **switches), y)[0]
            if np.isclose(loss, other, rtol=1e-9, atol=1e-12) and not np.isclose(other, s.right("loss"), rtol=1e-6,
                                                                                 atol=1e-9):
                return {"why": why}
        return None
    return test


def _with_weights_scaled(args: tuple, c: float) -> tuple:
    params = args[0]
    return ({**params, "W1": c * params["W1"], "W2": c * params["W2"]}, *args[1:])


def _loss_mistakes(head: str, delta: str, where: str) -> tuple[Mistake, ...]:
    """The known mistakes of a loss with its gradients through the two-layer network."""
    return (
        m.sign_flipped("every-gradient-sign", "grads", f"the loss is right but every gradient has the opposite sign: "
                       f"delta2 = dL/dZ is {delta}, not its negative (the gradient points uphill; the training loop "
                       "subtracts it).", when=_loss_right),
        m.probe("different-network", "wrong-value", lambda why: (
            f"the loss is the one of a different network's scores: {why}{where}"), _other_network(head)),
        m.regularisation_added("regularisation-added", lambda lam, excess, where: (
            f"the loss is too large by {excess:.4g} = ({lam:.3g}/2)(‖W1‖² + ‖W2‖²): there is an L2 regularisation "
            f"term in {where}, but this item has none. Remove the penalty (and its gradient): the loss is the data "
            "loss only."), lambda s: [s.args[0]["W1"], s.args[0]["W2"]], (("grads", "W1"), ("grads", "W2")),
            scale=_with_weights_scaled),
        m.probe("no-mask-in-delta1", "wrong-value", "grads['W2'] and grads['b2'] are right but grads['W1'] and "
                "grads['b1'] are not: they are what you get without the relu mask. Going back through the relu, "
                "delta1 = (delta2 W2ᵀ) * (A > 0): multiply by the mask of the pre-activations A.",
                lambda s: _second_layer_right(s) and _first_layer_with(s, head, s.args[0]["W2"], mask=False)),
        m.probe("W2-overwritten", "wrong-value", "grads['W2'] and grads['b2'] are right but grads['W1'] and "
                "grads['b1'] were computed with dW2 in place of W2: W2 was overwritten by its gradient "
                "before delta1 was computed. delta1 = (delta2 W2ᵀ) * (A > 0) needs the W2 of the forward pass: "
                "compute every gradient first, and never assign to params in the backward pass.",
                lambda s: _second_layer_right(s) and _first_layer_with(s, head, s.right("grads")["W2"])),
        m.probe("W2-updated-first", "wrong-value", lambda c: (
            f"grads['W2'] and grads['b2'] are right but grads['W1'] and grads['b1'] were computed with W2 - {c:.3g} "
            "dW2 instead of W2: W2 was updated (a gradient step) before delta1 was computed. The backward pass only "
            "reads the parameters: compute delta1 = (delta2 W2ᵀ) * (A > 0) with the W2 of the forward pass, and "
            "leave the update to the training loop."), _updated_first(head)),
        m.probe("first-layer-wrong", "wrong-value", "the loss, grads['W2'] and grads['b2'] are right but grads['W1'] "
                "or grads['b1'] is not: the mistake is between the two layers. Check delta1 = (delta2 W2ᵀ) * (A > 0) "
                "(the W2 of the forward pass, the mask of A), then dW1 = Xᵀ delta1 and db1 = the sum of delta1 over "
                "the batch.", _second_layer_right),
        m.keepdims_shape("bias-keepdims", lambda entry, shape, k: (
            f"grads['{entry}'] has the right values but shape {shape} instead of ({k},), the shape of {entry}: a sum "
            "with keepdims=True (or over an np.matrix, always 2-D) keeps the summed axis. Sum over the batch into "
            "shape (K,), `delta.sum(axis=0)` on a plain array, or reshape it to (K,)."), "grads", ("b2", "b1")),
    )


def _loss_cases(head: str) -> Callable[[np.random.Generator], list[Case]]:
    def cases(rng: np.random.Generator) -> list[Case]:
        out = []
        for s in standard_situations(rng):
            params, X = _network(rng, s)
            if head == "mse":
                y = rng.normal(0.0, s.scale, (s.batch_size, s.num_classes))
            else:
                y = random_labels(rng, s.batch_size, s.num_classes)
                if s.large:  # row 0's label is its lowest score, thousands below the maximum: p underflows to 0
                    y[0] = int(np.argmin(mlp.mlp_forward(params, X)[0][0]))
            out.append(Case(_describe(s, params), (params, X, y), s.batch_size))
        return out
    return cases


_NETWORK = st.Family(_network_inputs, "loss", ("grads",))
_LOG_SOFTMAX = "log p = (Z - max) - log(sum(exp(Z - max))) row by row"

MSE = Compared("two_layer_mse", _reference_loss("mse"), _loss_cases("mse"), ("loss", "grads"), _loss_mistakes(
    "mse", "(Z - Y) / N", " If `two_layer_mse` takes its scores from your `two_layer_forward`, the mistake is there "
    "(see its item): in this item your own `two_layer_forward` runs, because its cache goes to your own "
    "`two_layer_backward`."), batch=(1, 2))

CROSS_ENTROPY = Compared("two_layer_cross_entropy", _reference_loss("cross_entropy"), _loss_cases("cross_entropy"),
                         ("loss", "grads"), (
    st.no_max_subtraction(_NETWORK, lambda bad: (
        f"there is NaN or inf in {bad}: np.exp overflows on scores above 709 (here they are in the thousands, and the "
        "grader's rows around +1,000 overflow too). Subtract each row's own maximum, Z - Z.max(axis=1, "
        "keepdims=True), before np.exp; it changes neither the softmax nor the loss.")),
    st.whole_array_maximum(_NETWORK, lambda bad: (
        f"there is NaN in {bad}: you subtract a maximum, but the maximum of the whole array, so a row whose scores all "
        "lie far below it underflows to 0/0. Subtract each row's own maximum, Z - Z.max(axis=1, keepdims=True), not "
        "the maximum of the whole array.")),
    st.log_of_underflowed_probability(_NETWORK, lambda loss: (
        f"your loss is {loss} but your gradients are finite: the softmax is computed stably (you subtract each row's "
        "maximum), but then a probability that rounds to exactly 0 goes into np.log (here a label's score lies "
        f"thousands below its row's maximum). Take the log of the softmax analytically: {_LOG_SOFTMAX}, and never "
        "np.log of a probability.")),
    st.division_by_underflowed_probability(_NETWORK, lambda bad: (
        f"there is NaN or inf in {bad} where a label's probability rounds to exactly 0 (you do subtract each row's "
        "maximum): the backward pass divides by that probability (dL/dp = -1/p). Start the backward pass from "
        "delta2 = (P - onehot(y)) / N, which has no division.")),
    m.raised("math-domain-error", "math domain error", "math.log(0) raises this: a label's probability rounded to "
             f"exactly 0 (its score lies thousands below its row's maximum). Take the log of the softmax "
             f"analytically, {_LOG_SOFTMAX}."),
    *_loss_mistakes("cross_entropy", "(P - onehot(y)) / N", ""),
), batch=(1, 2))


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
        number = as_float(got[key])
        if number is None or number.size != 1:
            return Finding("wrong-type", f"{case.opening}, the relative error of {key} should be one number, but "
                           f"it is {describe(got[key])}.")
        reported[key] = float(number.reshape(()))
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


def _loss_at(loss: Callable[..., Any], params: Mapping[str, np.ndarray], name: str) -> Callable[[np.ndarray], float]:
    """The loss as a function of the parameter ``name`` alone, the others as in ``params``."""
    return lambda v: loss({**params, name: v})[0]


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
        numeric = numerical_gradient(_loss_at(loss, params, name), np.array(value, dtype=np.float64))
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


def _predict_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for s in standard_situations(rng):
        if not s.large:
            params, X = _network(rng, s)
            cases.append(Case(_describe(s, params), (params, X), s.batch_size))
    return cases


def _scores_of(s: Seen) -> np.ndarray:
    return mlp.mlp_forward(*s.args)[0]


def _returns_scores(s: Seen) -> Any:
    labels = s.array("the labels")
    return {"shape": _scores_of(s).shape} if labels is not None and labels.shape == _scores_of(s).shape else None


PREDICT = Compared("two_layer_predict", mlp.mlp_predict, _predict_cases, ("the labels",), (
    m.probe("returns-scores", "wrong-shape", lambda shape: (
        f"`two_layer_predict` returned the scores {shape}: return the labels, the index of the largest score of each "
        "row, np.argmax(scores, axis=1)."), _returns_scores),
    m.variant("argmax-axis-0", "wrong-shape", "your labels are the argmax over axis 0 (one per class): take the "
              "argmax of each row, np.argmax(scores, axis=1).", lambda s: np.argmax(_scores_of(s), axis=0)),
))


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
    dout = np.asarray(dout)
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)  # affine_backward's formulas, without its input checks


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


REFERENCES: dict[str, Callable[..., Any]] = {
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
    Item("relu-test", ("relu_forward", "relu_backward"), check_relu, mistakes=RELU_BACKWARD.mistakes),
    Item("affine-test", ("affine_forward", "affine_backward"), check_affine,
         mistakes=AFFINE_FORWARD.mistakes + AFFINE_BACKWARD.mistakes),
    Item("forward-test", ("two_layer_forward",), check_forward, calls=LAYERS, mistakes=FORWARD.mistakes),
    Item("mse-test", ("two_layer_mse", "two_layer_backward"), MSE, calls=LAYERS, mistakes=MSE.mistakes),
    declare("cross-entropy-test", CROSS_ENTROPY, calls=LAYERS + ("two_layer_forward", "two_layer_backward")),
    Item("gradient-check-test", ("network_gradient_errors",), check_gradient_errors),
    declare("train-test", PREDICT, then=_accuracy, also=("train_two_layer",),
            calls=LAYERS + ("two_layer_forward", "two_layer_backward", "two_layer_mse", "two_layer_cross_entropy")),
), references=REFERENCES)
