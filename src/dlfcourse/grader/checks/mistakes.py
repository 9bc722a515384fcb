"""The shared library of known mistakes, parameterised, for every assignment's table.

Two ways to recognise a mistake on a :class:`~dlfcourse.grader.checks.core.Seen`:

* :func:`variant` — the student's value equals a wrong variant of the reference on the same case (the
  reference on other inputs, a formula with a term missing), on some or all of the returned values, while
  the reference's own value differs from it;
* :func:`probe` — a test of the student's value (or of a second call of the student's function).

The named constructors below are the mistakes students make everywhere: a scale (the sign, N, 1/N, 2),
a step's change scaled, a bias left out of an update, a regularisation term where there is none, an array
of shape (1, K) or (d, 1), a value that is a whole training run too late, a math domain error. The
softmax-family probes live in :mod:`~dlfcourse.grader.checks.stability`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlfoundations.kit.compare import values_match
from dlfcourse.grader.checks.core import Facts, Mistake, Seen
from dlfcourse.grader.checks.values import as_float, pick, same_data, scalar

__all__ = ["variant", "probe", "scaled", "sign_flipped", "step_scaled", "bias_not_updated", "stays_zero",
           "regularisation_added", "penalty", "keepdims_shape", "column_shape", "only_first_entries", "raised"]

Outputs = str | Sequence[str] | None
Message = str | Callable[..., str]


def variant(key: str, code: str, message: Message, wrong: Callable[[Seen], Any], outputs: Outputs = None,
            when: Callable[[Seen], bool] | None = None, rtol: float = 1e-6, atol: float = 1e-9,
            equal_nan: bool = False, facts: Callable[[Seen], dict] | None = None) -> Mistake:
    """The student's ``outputs`` equal ``wrong(seen)`` (a value of the same structure), which the reference's do
    not; ``when`` restricts the cases, ``facts`` gives the message its numbers."""
    def test(seen: Seen) -> Facts:
        if when is not None and not when(seen):
            return None
        mine = seen.mine(outputs)
        if mine is None:
            return None
        value = wrong(seen)
        if not same_data(mine, value, rtol, atol, equal_nan) or same_data(value, seen.right(outputs), rtol, atol):
            return None
        return facts(seen) if facts is not None else True
    return Mistake(key, code, message, test)


def probe(key: str, code: str, message: Message, test: Callable[[Seen], Facts]) -> Mistake:
    """A mistake recognised by ``test`` (None or False: not this one; True or the message's facts: this one)."""
    return Mistake(key, code, message, test)


def raised(key: str, words: str, hint: str) -> Mistake:
    """A call that raised with ``words`` in its message (``math domain error``): the message gets ``hint``."""
    return Mistake(key, "raised-error", lambda text: f"{text} {hint}",
                   lambda seen: {"text": seen.raised} if seen.raised and words in seen.raised else None, on="raised")


# ----------------------------------------------------------------------------- scales


def scaled(key: str, code: str, output: str, factor: Callable[[Seen], float], message: Message,
           when: Callable[[Seen], bool] | None = None) -> Mistake:
    """``output`` is ``factor(seen)`` times the correct value (the sign: -1; a missing mean: N)."""
    return variant(key, code, message, lambda s: _times(s.right(output), factor(s)), output, when)


def sign_flipped(key: str, outputs: str | Sequence[str], message: Message,
                 when: Callable[[Seen], bool] | None = None) -> Mistake:
    """``outputs`` (one or several) have the opposite sign, and are not all zero."""
    names = (outputs,) if isinstance(outputs, str) else tuple(outputs)

    def wrong(seen: Seen) -> Any:
        values = tuple(_times(seen.right(name), -1.0) for name in names)
        return values[0] if isinstance(outputs, str) else values
    return variant(key, "sign-flipped", message, wrong, outputs, when)


def _times(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {k: _times(v, factor) for k, v in value.items()}
    return np.asarray(value, dtype=np.float64) * factor


def step_scaled(key: str, code: str, factor: Callable[[Seen], float], message: Message, output: str = "new_w",
                start: Callable[[Seen], np.ndarray] = lambda s: s.args[2],
                when: Callable[[Seen], bool] | None = None, facts: Callable[[Seen], dict] | None = None) -> Mistake:
    """A step whose change ``new - start`` is ``factor(seen)`` times the correct change (the sign, N, 1/lr)."""
    def wrong(seen: Seen) -> np.ndarray:
        w = np.asarray(start(seen), dtype=np.float64)
        return w + factor(seen) * (np.asarray(seen.right(output), dtype=np.float64) - w)
    return variant(key, code, message, wrong, output, when, rtol=1e-5, atol=1e-10, facts=facts)


# ----------------------------------------------------------------------------- parameters left as they were


def bias_not_updated(key: str, message: Message, weights: str, bias: str,
                     start: Callable[[Seen], Any], code: str = "missing-bias-grad") -> Mistake:
    """The weights are updated correctly but the bias is still ``start(seen)``."""
    def test(seen: Seen) -> Facts:
        w, b, before = seen.array(weights), seen.array(bias), as_float(start(seen))
        right_w, right_b = as_float(seen.right(weights)), as_float(seen.right(bias))
        if right_w is None or right_b is None or before is None:
            return None
        return (w is not None and b is not None and w.shape == right_w.shape and b.size == before.size
                and values_match(w, right_w) and np.allclose(b.ravel(), before.ravel(), rtol=0, atol=1e-12)
                and not np.allclose(right_b.ravel(), before.ravel(), rtol=0, atol=1e-12))
    return probe(key, code, message, test)


def stays_zero(key: str, code: str, output: str, message: Message) -> Mistake:
    """``output`` is still all zeros (never trained, never filled) where the correct one is not."""
    def test(seen: Seen) -> Facts:
        mine, right = seen.array(output), as_float(seen.right(output))
        return mine is not None and right is not None and not np.any(mine) and bool(np.any(np.abs(right) > 1e-9))
    return probe(key, code, message, test)


def only_first_entries(key: str, message: Message, output: str = "new_w",
                       start: Callable[[Seen], np.ndarray] = lambda s: s.args[2]) -> Mistake:
    """Only the first entries of ``output`` changed (and correctly), the others kept their start value: an
    update written out entry by entry for one or two features (``theta[0]``, ``theta[1]``)."""
    def test(seen: Seen) -> Facts:
        mine, right = seen.array(output), as_float(seen.right(output))
        w = as_float(start(seen))
        if mine is None or right is None or w is None or mine.shape != right.shape or mine.ndim != 1 or mine.size < 2:
            return None
        moved = ~np.isclose(mine, w, rtol=0, atol=1e-15)
        count = int(np.argmin(moved)) if not moved.all() else mine.size
        if count == mine.size or moved[count:].any() or not values_match(mine[:count], right[:count]) or \
                np.allclose(right[count:], w[count:], rtol=0, atol=1e-15):
            return None
        moved_entries = "w[0]" if count == 1 else "w[0] and w[1]" if count == 2 else f"w[0] to w[{count - 1}]"
        return {"count": count, "size": mine.size, "moved": moved_entries}
    return probe(key, "wrong-value", message, test)


# ----------------------------------------------------------------------------- regularisation


def regularisation_added(key: str, message: Message, weights: Callable[[Seen], Sequence[np.ndarray]],
                         grads: Sequence[str | tuple[str, str]], loss: str = "loss",
                         scale: Callable[[tuple, float], tuple] | None = None) -> Mistake:
    """A penalty c‖W‖² in the loss (with its gradient 2c W, or not) where the item has none.

    ``weights(seen)`` are the penalised arrays and ``grads`` their gradients: returned names, or
    ``(name, key)`` for an entry of a returned dict. A penalty in the loss alone is confirmed with a second
    call, the weights scaled by 2 (``scale(args, 2.0)`` builds its arguments): the excess must grow 4 times.
    The facts: ``lam`` (the λ of (λ/2)‖W‖²), ``excess`` (how much larger the loss is), ``where``.
    """
    def test(seen: Seen) -> Facts:
        arrays = [np.asarray(w, dtype=np.float64) for w in weights(seen)]
        squares = sum(float(np.vdot(w, w)) for w in arrays)
        mine_loss, right_loss = scalar(seen.mine(loss)), scalar(seen.right(loss))
        differences = [_minus(_grad(seen.mine, g), _grad(seen.right, g), w)
                       for g, w in zip(grads, arrays, strict=False)]
        extras = [e for e in differences if e is not None]
        if mine_loss is None or right_loss is None or squares == 0.0 or len(extras) < len(differences) or \
                not all(np.all(np.isfinite(e)) for e in extras):
            return None
        excess = mine_loss - right_loss
        if not np.isfinite(excess):
            return None
        lam = sum(float(np.vdot(e, w)) for e, w in zip(extras, arrays, strict=False)) / squares
        in_grads = abs(lam) > 1e-12 and all(values_match(e, lam * w, rtol=1e-5, atol=1e-10)
                                             for e, w in zip(extras, arrays, strict=False))
        if in_grads and any(np.isclose(excess, c * lam * squares, rtol=1e-5, atol=1e-10) for c in (0.5, 1.0, 0.25)):
            return {"lam": lam, "excess": excess, "where": "the loss and the gradients"}
        if in_grads and abs(excess) <= 1e-10:
            return {"lam": lam, "excess": excess, "where": "the gradients only"}
        grads_right = all(np.allclose(e, 0.0, atol=1e-9) for e in extras)
        if grads_right and excess > 1e-9 * max(1.0, abs(right_loss)) and scale is not None and \
                _grows_fourfold(seen, scale, loss, excess):
            return {"lam": 2.0 * excess / squares, "excess": excess, "where": "the loss only"}
        return None
    return probe(key, "wrong-value", message, test)


def penalty(lam: float, excess: float, where: str, weight: str = "w", grad: str = "dw") -> str:
    """The numbers of a penalty (λ/2)‖w‖² found by :func:`regularisation_added`, in words."""
    if where == "the loss and the gradients":
        return (f"`{grad}` is the correct gradient plus {lam:.4g} {weight} and the loss is larger by {excess:.4g} = "
                f"({lam:.4g}/2) ||{weight}||²")
    if where == "the gradients only":
        return (f"`{grad}` is the correct gradient plus {lam:.4g} {weight}, the gradient of a penalty "
                f"({lam:.4g}/2) ||{weight}||² that your loss leaves out")
    return f"the loss is larger by {excess:.4g} = ({lam:.4g}/2) ||{weight}||², a penalty your gradients leave out"


def _grad(value_of: Callable[[str], Any], name: str | tuple[str, str]) -> Any:
    if isinstance(name, tuple):
        container = value_of(name[0])
        return container.get(name[1]) if isinstance(container, dict) else None
    return value_of(name)


def _minus(mine: Any, right: Any, like: np.ndarray) -> np.ndarray | None:
    a, b = as_float(mine), as_float(right)
    return a - b if a is not None and b is not None and a.shape == b.shape == like.shape else None


def _grows_fourfold(seen: Seen, scale: Callable[[tuple, float], tuple], loss: str, excess: float) -> bool:
    """With the penalised weights doubled, the student's loss exceeds the reference's by 4 times as much."""
    if seen.reference is None:
        return False
    args = scale(seen.args, 2.0)
    mine = scalar(pick(seen.again(*args), seen.returns, loss))
    right = scalar(pick(seen.reference(*args), seen.returns, loss))
    if mine is None or right is None:
        return False
    return bool(np.isclose(mine - right, 4.0 * excess, rtol=1e-6, atol=1e-12))


# ----------------------------------------------------------------------------- shapes


def keepdims_shape(key: str, message: Message, output: str, entries: Sequence[str] = (),
                   when: Callable[[Seen], bool] | None = None) -> Mistake:
    """``output`` (or one of its dict ``entries``) has the right values but shape (1, K) or (K, 1) instead of (K,).
    The facts: ``name`` (what has it), ``entry``, ``shape`` (the student's), ``k``."""
    def test(seen: Seen) -> Facts:
        if when is not None and not when(seen):
            return None
        for entry in entries or (None,):
            facts = one(seen, entry)
            if facts:
                return facts
        return None

    def one(seen: Seen, entry: str | None) -> Facts:
        mine, right = seen.mine(output), seen.right(output)
        if entry is not None:
            mine = mine.get(entry) if isinstance(mine, dict) else None
            right = right[entry]
        mine, right = as_float(mine), as_float(right)
        if mine is None or right is None or right.ndim != 1:
            return None
        k = right.shape[0]
        if mine.shape in ((1, k), (k, 1)) and values_match(mine.reshape(k), right):
            return {"name": f"{output}['{entry}']" if entry else output, "entry": entry, "shape": mine.shape, "k": k}
        return None
    return probe(key, "wrong-shape", message, test)


def column_shape(key: str, message: Message, output: str) -> Mistake:
    """``output`` is a column (d, 1) where the vector (d,) belongs (θ in columns, Coursera style). The facts:
    ``shape`` (the student's), ``d``."""
    def test(seen: Seen) -> Facts:
        mine, right = seen.array(output), as_float(seen.right(output))
        if mine is None or right is None or right.ndim != 1 or mine.shape != (right.shape[0], 1):
            return None
        return {"shape": mine.shape, "d": right.shape[0]}
    return probe(key, "wrong-shape", message, test)


# ----------------------------------------------------------------------------- optimisers' states


def fresh_state(key: str, message: Message, step: Callable[..., tuple], initial: Callable[[np.ndarray], dict],
                when: Callable[[Seen], bool] = lambda s: s.extra.get("step", 0) > 0) -> Mistake:
    """An optimiser's update (``seen.got``, for the arguments ``(w, g, state, lr, *hyper)``) is what ``step`` (the
    reference step) gives from the ``initial`` state: the state the step was given is ignored, not carried."""
    def wrong(seen: Seen) -> np.ndarray:
        w, g, _, *rest = seen.args
        return np.asarray(step(w, g, initial(w), *rest)[0], dtype=np.float64) - w
    return variant(key, "wrong-value", message, wrong, when=when, rtol=1e-6, atol=1e-14)


def bias_correction_without_t(key: str, message: Message, t_increased: Callable[[Seen], bool]) -> Mistake:
    """Adam's bias correction with 1 - beta instead of 1 - beta ** t (for m, for v, or for both) although the step
    does increase t: the update (``seen.got``) of the arguments ``(w, g, state, lr, beta1, beta2, eps)`` with the
    reference state before the step in ``seen.extra["state"]``. The facts: ``which`` (what is divided by what)."""
    def test(seen: Seen) -> Facts:
        if not t_increased(seen):
            return None
        _, g, _, lr, beta1, beta2, eps = seen.args
        state = seen.extra["state"]
        t = state["t"] + 1
        m = beta1 * state["m"] + (1.0 - beta1) * g
        v = beta2 * state["v"] + (1.0 - beta2) * g ** 2
        for which, tm, tv in (("m is divided by 1 - beta1 and v by 1 - beta2", 1, 1),
                              ("m is divided by 1 - beta1", 1, t), ("v is divided by 1 - beta2", t, 1)):
            update = -lr * (m / (1.0 - beta1 ** tm)) / (np.sqrt(v / (1.0 - beta2 ** tv)) + eps)
            if same_data(seen.got, update, 1e-6, 1e-14) and not same_data(update, seen.expected, 1e-6, 1e-14):
                return {"which": which}
        return None
    return probe(key, "wrong-value", message, test)
