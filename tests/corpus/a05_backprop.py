"""Corpus of assignment 05-backprop: relu and affine layers, the two-layer network, its gradients and training.

Written for this course in the style of CS231n-like student code (no third-party
code copied). Every function takes the arguments the notebook specifies.
"""

from __future__ import annotations

import math

import numpy as np

from dlfoundations.kit.gradcheck import numerical_gradient, rel_error

from . import Submission, correct, wrong

A = "05-backprop"


# ----------------------------------------------------------------------------- good pieces the entries build on


def relu_forward(z):
    return np.maximum(z, 0.0), z


def relu_backward(dout, cache):
    return dout * (cache > 0)


def affine_forward(X, W, b):
    return X @ W + b, (X, W)


def affine_backward(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def two_layer_forward(params, X):
    A1, c1 = affine_forward(X, params["W1"], params["b1"])
    H, c2 = relu_forward(A1)
    Z, c3 = affine_forward(H, params["W2"], params["b2"])
    return Z, (c1, c2, c3)


def two_layer_backward(delta2, cache):
    c1, c2, c3 = cache
    dH, dW2, db2 = affine_backward(delta2, c3)
    dA = relu_backward(dH, c2)
    _, dW1, db1 = affine_backward(dA, c1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), two_layer_backward((Z - Y) / N, cache)


def _softmax_delta(Z, y):
    N = Z.shape[0]
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    delta = np.exp(log_p)
    delta[np.arange(N), y] -= 1.0
    return -np.mean(log_p[np.arange(N), y]), delta / N


def two_layer_cross_entropy(params, X, y):
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = _softmax_delta(Z, y)
    return loss, two_layer_backward(delta2, cache)


def two_layer_predict(params, X):
    return np.argmax(two_layer_forward(params, X)[0], axis=1)


def _init(X, y, hidden_size, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    d, K = X.shape[1], int(y.max()) + 1
    return {"W1": rng.normal(0.0, np.sqrt(2.0 / d), (d, hidden_size)).astype(dtype),
            "b1": np.zeros(hidden_size, dtype=dtype),
            "W2": rng.normal(0.0, np.sqrt(2.0 / hidden_size), (hidden_size, K)).astype(dtype),
            "b2": np.zeros(K, dtype=dtype)}


def train_two_layer(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    params, losses = _init(X, y, hidden_size, seed), []
    for _ in range(steps):
        loss, grads = two_layer_cross_entropy(params, X, y)
        losses.append(loss)
        params = {k: params[k] - lr * grads[k] for k in params}
    return params, losses


# The good functions under names of their own: an entry that wraps one calls it by this name (a notebook has one
# function per name, so a wrapper named like the good function would call itself).
_good_two_layer_mse = two_layer_mse
_good_train_two_layer = train_two_layer

LAYERS = {"relu_forward": relu_forward, "relu_backward": relu_backward, "affine_forward": affine_forward,
          "affine_backward": affine_backward}
NET = {**LAYERS, "two_layer_forward": two_layer_forward, "two_layer_backward": two_layer_backward}


# ----------------------------------------------------------------------------- relu


def relu_forward_loops(z):
    out = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        out[index] = z[index] if z[index] > 0 else 0.0
    return out, z.copy()


def relu_backward_loops(dout, cache):
    dz = np.zeros_like(dout)
    for index in np.ndindex(dout.shape):
        if cache[index] > 0:
            dz[index] = dout[index]
    return dz


def relu_forward_where(z):
    out = np.where(z > 0, z, 0.0)
    return out, out  # the output's mask is the same as z's


def relu_backward_copy(dout, cache):
    dz = dout.copy()
    dz[cache <= 0] = 0
    return dz


def relu_forward_copy(z):
    out = z.copy()
    out[out < 0] = 0
    return out, {"z": z}


def relu_backward_dict(dout, cache):
    return dout * (cache["z"] > 0)


def relu_backward_no_mask(dout, cache):
    return dout


def relu_backward_ge(dout, cache):
    return dout * (cache >= 0)


def relu_forward_inplace(z):
    z[z < 0] = 0
    return z, z


def relu_backward_inplace(dout, cache):
    dout[cache <= 0] = 0
    return dout


def relu_backward_times_out(dout, cache):
    return dout * np.maximum(cache, 0)  # "the derivative of max(0, z)"


def relu_forward_closure(z):
    mask = z > 0
    return z * mask, (lambda upstream: upstream * mask)


def relu_forward_npmax(z):
    return np.max(z, 0), z


# ----------------------------------------------------------------------------- affine


def affine_forward_loops(X, W, b):
    N, K = X.shape[0], W.shape[1]
    out = np.zeros((N, K))
    for i in range(N):
        for k in range(K):
            out[i, k] = np.dot(X[i], W[:, k]) + b[k]
    return out, (X, W)


def affine_backward_loops(dout, cache):
    X, W = cache
    dX, dW, db = np.zeros_like(X), np.zeros_like(W), np.zeros(W.shape[1])
    for i in range(X.shape[0]):
        dX[i] = W @ dout[i]
        dW += np.outer(X[i], dout[i])
        db += dout[i]
    return dX, dW, db


def affine_forward_dict(X, W, b):
    return X.dot(W) + b, {"X": X, "W": W}


def affine_backward_keepdims_reshaped(dout, cache):
    db = np.sum(dout, axis=0, keepdims=True).reshape(-1)
    return dout.dot(cache["W"].T), cache["X"].T.dot(dout), db


def affine_backward_keepdims(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, np.sum(dout, axis=0, keepdims=True)


def affine_backward_transposed_dW(dout, cache):
    X, W = cache
    return dout @ W.T, dout.T @ X, dout.sum(axis=0)


def affine_forward_with_b(X, W, b):
    return X @ W + b, (X, W, b)


def affine_backward_no_db(dout, cache):
    X, W, b = cache
    return dout @ W.T, X.T @ dout, np.zeros_like(b)


def affine_backward_mean_db(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.mean(axis=0)


def affine_backward_dW_over_N(dout, cache):
    X, W = cache
    N = X.shape[0]
    return dout @ W.T, X.T @ dout / N, dout.sum(axis=0)


def affine_forward_no_bias(X, W, b):
    return X @ W, (X, W)


def affine_backward_dX_sign(dout, cache):
    X, W = cache
    return -dout @ W.T, X.T @ dout, dout.sum(axis=0)


# ----------------------------------------------------------------------------- forward


def forward_inline(params, X):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    return scores, {"X": X, "hidden": hidden, "W2": W2}


def forward_relu_on_output(params, X):
    H = np.maximum(X @ params["W1"] + params["b1"], 0)
    Z = np.maximum(H @ params["W2"] + params["b2"], 0)
    return Z, (X, H)


def forward_no_relu(params, X):
    H = X @ params["W1"] + params["b1"]
    return H @ params["W2"] + params["b2"], (X, H)


def forward_no_b2(params, X):
    H = np.maximum(X @ params["W1"] + params["b1"], 0)
    return H @ params["W2"], (X, H)


class Cache:
    """What the layers kept (a student's own little class)."""

    def __init__(self, X, H):
        self.X, self.H = X, H


def forward_object_cache(params, X):
    H = np.maximum(X @ params["W1"] + params["b1"], 0)
    return H @ params["W2"] + params["b2"], Cache(X, H)


def forward_with_own_layers(params, X):
    # its notebook's affine_forward has no bias (a wrong earlier function, given as a helper): the grader serves
    # the reference in its place while two_layer_forward is graded, so the forward passes on its own merit
    A1, c1 = affine_forward(X, params["W1"], params["b1"])
    H, c2 = relu_forward(A1)
    Z, c3 = affine_forward(H, params["W2"], params["b2"])
    return Z, (c1, c2, c3)


# ----------------------------------------------------------------------------- MSE head and backward


def mse_inline(params, X, Y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    a = X @ W1 + b1
    h = np.maximum(a, 0)
    z = h @ W2 + b2
    loss = 0.5 * np.sum((z - Y) ** 2) / N
    dz = (z - Y) / N
    dW2 = h.T @ dz
    db2 = np.sum(dz, axis=0, keepdims=True).reshape(-1)
    dh = dz @ W2.T
    da = dh * (a > 0)
    return loss, {"W1": X.T @ da, "b1": da.sum(0), "W2": dW2, "b2": db2}


def mse_loops(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N, K = Z.shape
    loss, delta2 = 0.0, np.zeros_like(Z)
    for i in range(N):
        for k in range(K):
            loss += (Z[i, k] - Y[i, k]) ** 2 / (2 * N)
            delta2[i, k] = (Z[i, k] - Y[i, k]) / N
    return loss, two_layer_backward(delta2, cache)


def _mse_parts(params, X, Y):
    A1 = X @ params["W1"] + params["b1"]
    H = np.maximum(A1, 0)
    Z = H @ params["W2"] + params["b2"]
    return A1, H, Z


def _grads(params, X, A1, H, dZ, dH=None):
    dH = dZ @ params["W2"].T if dH is None else dH
    dA = dH * (A1 > 0)
    return {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": H.T @ dZ, "b2": dZ.sum(axis=0)}


def mse_sum(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    return 0.5 * np.sum((Z - Y) ** 2), _grads(params, X, A1, H, Z - Y)


def mse_grad_not_mean(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    return 0.5 * np.sum((Z - Y) ** 2) / N, _grads(params, X, A1, H, Z - Y)


def mse_no_half(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / N, _grads(params, X, A1, H, 2 * (Z - Y) / N)


def mse_regularised(params, X, Y, reg=1e-3):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    loss = 0.5 * np.sum((Z - Y) ** 2) / N + 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    grads = _grads(params, X, A1, H, (Z - Y) / N)
    grads["W1"] = grads["W1"] + reg * params["W1"]
    grads["W2"] = grads["W2"] + reg * params["W2"]
    return loss, grads


def mse_no_mask(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    dZ = (Z - Y) / N
    dA = dZ @ params["W2"].T
    return 0.5 * np.sum((Z - Y) ** 2) / N, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": H.T @ dZ, "b2": dZ.sum(0)}


def mse_updates_W2_first(params, X, Y, lr=0.1):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    dZ = (Z - Y) / N
    dW2 = H.T @ dZ
    W2 = params["W2"] - lr * dW2  # "take the step while we have the gradient"
    dA = (dZ @ W2.T) * (A1 > 0)
    return 0.5 * np.sum((Z - Y) ** 2) / N, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": dW2, "b2": dZ.sum(0)}


def mse_updates_params_in_place(params, X, Y, lr=0.1):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    dZ = (Z - Y) / N
    dW2 = H.T @ dZ
    params["W2"] -= lr * dW2
    dA = (dZ @ params["W2"].T) * (A1 > 0)
    return 0.5 * np.sum((Z - Y) ** 2) / N, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": dW2, "b2": dZ.sum(0)}


def mse_W2_overwritten(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    W2 = params["W2"]
    dZ = (Z - Y) / N
    W2 = H.T @ dZ  # meant dW2
    dA = (dZ @ W2.T) * (A1 > 0)
    return 0.5 * np.sum((Z - Y) ** 2) / N, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": W2, "b2": dZ.sum(0)}


def mse_db2_keepdims(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    grads = _grads(params, X, A1, H, (Z - Y) / N)
    grads["b2"] = ((Z - Y) / N).sum(axis=0, keepdims=True)
    return 0.5 * np.sum((Z - Y) ** 2) / N, grads


def mse_dW1_transposed(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    grads = _grads(params, X, A1, H, (Z - Y) / N)
    dA = (((Z - Y) / N) @ params["W2"].T) * (A1 > 0)
    grads["W1"] = dA.T @ X
    return 0.5 * np.sum((Z - Y) ** 2) / N, grads


def mse_no_db1(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    grads = _grads(params, X, A1, H, (Z - Y) / N)
    grads["b1"] = np.zeros_like(params["b1"])
    return 0.5 * np.sum((Z - Y) ** 2) / N, grads


def mse_sign(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    return 0.5 * np.sum((Z - Y) ** 2) / N, _grads(params, X, A1, H, (Y - Z) / N)


def backward_no_mask(delta2, cache):
    c1, c2, c3 = cache
    dH, dW2, db2 = affine_backward(delta2, c3)
    _, dW1, db1 = affine_backward(dH, c1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mse_with_backward_no_mask(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), backward_no_mask((Z - Y) / N, cache)


def backward_dict_cache(delta2, cache):
    X, H, W2 = cache["X"], cache["hidden"], cache["W2"]  # the cache of forward_inline
    dA = (delta2 @ W2.T) * (H > 0)
    return {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": H.T @ delta2, "b2": delta2.sum(axis=0)}


def mse_notebook_style(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), two_layer_backward((Z - Y) / N, cache)


def mse_with_forward_no_b2(params, X, Y):
    # its notebook's two_layer_forward has no b2: mse-test runs the student's own forward (its cache goes to the
    # student's own backward), so the loss is wrong, and the message points at two_layer_forward
    Z, (Xc, H) = two_layer_forward(params, X)
    N = X.shape[0]
    dZ = (Z - Y) / N
    dA = (dZ @ params["W2"].T) * (H > 0)
    return np.sum((Z - Y) ** 2) / (2 * N), {"W1": Xc.T @ dA, "b1": dA.sum(0), "W2": H.T @ dZ, "b2": dZ.sum(0)}


# ----------------------------------------------------------------------------- cross-entropy head


def ce_row_loop(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N = Z.shape[0]
    loss, delta2 = 0.0, np.zeros_like(Z)
    for i in range(N):
        row = Z[i] - np.max(Z[i])
        log_sum = np.log(np.sum(np.exp(row)))
        loss -= (row[y[i]] - log_sum) / N
        delta2[i] = np.exp(row - log_sum)
        delta2[i, y[i]] -= 1
    return loss, two_layer_backward(delta2 / N, cache)


def ce_onehot(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N, K = Z.shape
    Y = np.eye(K)[y]
    m = Z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    P = np.exp(Z - lse)
    return float(np.mean(np.sum(Y * (lse - Z), axis=1))), two_layer_backward((P - Y) / N, cache)


def ce_with_backward_no_mask(params, X, y):
    # its notebook's two_layer_backward has no relu mask (given as a helper): the grader serves the reference
    # forward and backward while two_layer_cross_entropy is graded, so the wrong backward is never used
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = _softmax_delta(Z, y)
    return loss, two_layer_backward(delta2, cache)


def ce_no_max(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N = Z.shape[0]
    e = np.exp(Z)
    P = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    P[np.arange(N), y] -= 1
    return loss, two_layer_backward(P / N, cache)


def ce_log_of_p(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N = Z.shape[0]
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    dZ = P.copy()
    dZ[np.arange(N), y] -= 1
    return loss, two_layer_backward(dZ / N, cache)


def ce_global_max(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N = Z.shape[0]
    e = np.exp(Z - np.max(Z))
    P = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    P[np.arange(N), y] -= 1
    return loss, two_layer_backward(P / N, cache)


def ce_sum(params, X, y):
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = _softmax_delta(Z, y)
    N = Z.shape[0]
    return loss * N, two_layer_backward(delta2 * N, cache)


def ce_grad_not_mean(params, X, y):
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = _softmax_delta(Z, y)
    return loss, two_layer_backward(delta2 * Z.shape[0], cache)


def ce_sign(params, X, y):
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = _softmax_delta(Z, y)
    return loss, two_layer_backward(-delta2, cache)


def ce_regularised(params, X, y, reg=5e-3):
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = _softmax_delta(Z, y)
    grads = two_layer_backward(delta2, cache)
    loss += reg * (np.sum(params["W1"] * params["W1"]) + np.sum(params["W2"] * params["W2"]))
    grads["W1"] += 2 * reg * params["W1"]
    grads["W2"] += 2 * reg * params["W2"]
    return loss, grads


# ----------------------------------------------------------------------------- gradient check


def errors_with_kit(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for name in params:
        numeric = numerical_gradient(lambda v, name=name: loss_fn({**params, name: v})[0],
                                     np.array(params[name], dtype=np.float64), h)
        errors[name] = rel_error(grads[name], numeric)
    return errors


def errors_own_loops_small_h(loss_fn, params, h=1e-6):
    _, grads = loss_fn(params)
    errors = {}
    for name, value in params.items():
        numeric = np.zeros_like(value, dtype=float)
        for index in np.ndindex(value.shape):
            up, down = value.astype(float), value.astype(float)
            up[index] += h
            down[index] -= h
            numeric[index] = (loss_fn({**params, name: up})[0] - loss_fn({**params, name: down})[0]) / (2 * h)
        diff = np.max(np.abs(grads[name] - numeric))
        errors[name] = diff / max(1e-8, np.max(np.abs(grads[name]) + np.abs(numeric)))
    return errors


def errors_perturb_copy_in_place(loss_fn, params, h=1e-5):
    work = {k: v.copy() for k, v in params.items()}
    _, grads = loss_fn(work)
    errors = {}
    for name in work:
        x = work[name]
        numeric = np.zeros_like(x)
        it = np.nditer(x, flags=["multi_index"])
        while not it.finished:
            i = it.multi_index
            old = x[i]
            x[i] = old + h
            fp = loss_fn(work)[0]
            x[i] = old - h
            fm = loss_fn(work)[0]
            x[i] = old
            numeric[i] = (fp - fm) / (2 * h)
            it.iternext()
        errors[name] = rel_error(grads[name], numeric)
    return errors


def errors_one_sided(loss_fn, params, h=1e-5):
    loss0, grads = loss_fn(params)
    errors = {}
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            bumped = value.copy()
            bumped[index] += h
            numeric[index] = (loss_fn({**params, name: bumped})[0] - loss0) / h
        errors[name] = rel_error(grads[name], numeric)
    return errors


def errors_divide_by_h(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[index] += h
            down[index] -= h
            numeric[index] = (loss_fn({**params, name: up})[0] - loss_fn({**params, name: down})[0]) / h
        errors[name] = rel_error(grads[name], numeric)
    return errors


def errors_in_place_not_restored(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for name in params:
        x = params[name]
        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            x[index] += h
            fp = loss_fn(params)[0]
            x[index] -= 2 * h
            fm = loss_fn(params)[0]
            numeric[index] = (fp - fm) / (2 * h)  # forgot to put x[index] back
        errors[name] = rel_error(grads[name], numeric)
    return errors


def errors_norm_ratio(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for name in params:
        numeric = numerical_gradient(lambda v, name=name: loss_fn({**params, name: v})[0],
                                     np.array(params[name], dtype=np.float64), h)
        errors[name] = np.linalg.norm(grads[name] - numeric) / (np.linalg.norm(grads[name]) + np.linalg.norm(numeric))
    return errors


def errors_weights_only(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for name in ("W1", "W2"):
        numeric = numerical_gradient(lambda v, name=name: loss_fn({**params, name: v})[0],
                                     np.array(params[name], dtype=np.float64), h)
        errors[name] = rel_error(grads[name], numeric)
    return errors


# ----------------------------------------------------------------------------- training


def train_float32(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    X32 = X.astype(np.float32)
    params, losses = _init(X, y, hidden_size, seed, np.float32), []
    for _ in range(steps):
        loss, grads = two_layer_cross_entropy(params, X32, y)
        losses.append(float(loss))
        for k in params:
            params[k] = (params[k] - np.float32(lr) * grads[k]).astype(np.float32)
    return params, losses


def train_ascent(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    params, losses = _init(X, y, hidden_size, seed), []
    for _ in range(steps):
        loss, grads = two_layer_cross_entropy(params, X, y)
        losses.append(loss)
        params = {k: params[k] + lr * grads[k] for k in params}
    return params, losses


def train_never_updates(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    params, losses = _init(X, y, hidden_size, seed), []
    for _ in range(steps):
        loss, grads = two_layer_cross_entropy(params, X, y)
        losses.append(loss)
        new_params = {k: params[k] - lr * grads[k] for k in params}
    return params, losses


def train_with_summed_ce(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    # its notebook's two_layer_cross_entropy sums (given as a helper): the grader serves the reference in its place
    # while the trainer is graded, so the trainer learns on its own merit
    params, losses = _init(X, y, hidden_size, seed), []
    for _ in range(steps):
        loss, grads = two_layer_cross_entropy(params, X, y)
        losses.append(loss)
        params = {k: params[k] - lr * grads[k] for k in params}
    return params, losses


def ce_dW1_transposed(params, X, y):
    loss, grads = two_layer_cross_entropy(params, X, y)
    return loss, {**grads, "W1": grads["W1"].T}


def train_with_transposed_ce(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    # its notebook's two_layer_cross_entropy returns dW1 transposed (it would crash the update): the grader's
    # stands in for it while the trainer is graded
    params, losses = _init(X, y, hidden_size, seed), []
    for _ in range(steps):
        loss, grads = two_layer_cross_entropy(params, X, y)
        losses.append(loss)
        params = {k: params[k] - lr * grads[k] for k in params}
    return params, losses


def train_centres_X_in_place(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    X -= X.mean(axis=0)
    return _good_train_two_layer(X, y, hidden_size, lr, steps, seed)


def train_params_only(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    return _good_train_two_layer(X, y, hidden_size, lr, steps, seed)[0]


def predict_scores(params, X):
    return two_layer_forward(params, X)[0]


def predict_axis0(params, X):
    return np.argmax(two_layer_forward(params, X)[0], axis=0)


def predict_probabilities(params, X):
    Z = two_layer_forward(params, X)[0]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    return np.argmax(P / P.sum(axis=1, keepdims=True), axis=1)


def mse_loss_only(params, X, Y):
    return _good_two_layer_mse(params, X, Y)[0]


def errors_as_list(loss_fn, params, h=1e-5):
    errors = errors_with_kit(loss_fn, params, h)
    return [errors[name] for name in params]


TRAIN = {"train_two_layer": train_two_layer}
PREDICT = {"two_layer_predict": two_layer_predict}

ENTRIES = [
    # relu
    correct(A, "relu_forward", "loops over every entry", relu_forward_loops,
            helpers={"relu_backward": relu_backward_loops}),
    correct(A, "relu_forward", "np.where, the output as cache", relu_forward_where,
            helpers={"relu_backward": relu_backward_copy}),
    correct(A, "relu_forward", "in place on its own copy, a dict cache", relu_forward_copy,
            helpers={"relu_backward": relu_backward_dict}),
    wrong(A, "relu_backward", "no relu mask", relu_backward_no_mask, "wrong-value", "mask", "dz = dout * (z > 0)",
          helpers={"relu_forward": relu_forward}, mistake="no-mask"),
    wrong(A, "relu_backward", "mask z >= 0", relu_backward_ge, "wrong-value", "exactly 0", "z > 0",
          helpers={"relu_forward": relu_forward}, mistake="mask-at-zero"),
    wrong(A, "relu_forward", "zeroes z in place", relu_forward_inplace, "mutates-input", "`z`", "in place",
          helpers={"relu_backward": relu_backward}),
    wrong(A, "relu_backward", "zeroes dout in place", relu_backward_inplace, "mutates-input", "`dout`",
          helpers={"relu_forward": relu_forward}),
    wrong(A, "relu_backward", "multiplies by the output", relu_backward_times_out, "wrong-value", "derivative",
          helpers={"relu_forward": relu_forward}, mistake="times-the-output"),
    wrong(A, "relu_forward", "a function as the cache", relu_forward_closure, "wrong-type", "cache", "plain data",
          helpers={"relu_backward": relu_backward}),
    wrong(A, "relu_forward", "np.max instead of np.maximum", relu_forward_npmax, "wrong-shape", "`out`", "shape",
          helpers={"relu_backward": relu_backward}),
    # affine
    correct(A, "affine_forward", "loops", affine_forward_loops, helpers={"affine_backward": affine_backward_loops}),
    correct(A, "affine_backward", "db with keepdims then reshaped, a dict cache", affine_backward_keepdims_reshaped,
            helpers={"affine_forward": affine_forward_dict}),
    wrong(A, "affine_backward", "db of shape (1, K)", affine_backward_keepdims, "wrong-shape", "`db`", "(1,",
          "keepdims", helpers={"affine_forward": affine_forward}, mistake="db-keepdims"),
    wrong(A, "affine_backward", "dW transposed", affine_backward_transposed_dW, "transposed", "`dW`", "transposed",
          helpers={"affine_forward": affine_forward}),
    wrong(A, "affine_backward", "no bias gradient", affine_backward_no_db, "missing-bias-grad", "`db`", "zeros",
          helpers={"affine_forward": affine_forward_with_b}),
    wrong(A, "affine_backward", "db as a mean", affine_backward_mean_db, "extra-mean", "`db`", "sum",
          helpers={"affine_forward": affine_forward}, mistake="db-mean"),
    wrong(A, "affine_backward", "dW divided by N", affine_backward_dW_over_N, "extra-mean", "`dW`", "divided by N",
          helpers={"affine_forward": affine_forward}, mistake="dW-over-N"),
    wrong(A, "affine_forward", "no bias", affine_forward_no_bias, "wrong-value", "`out`", "without the bias",
          helpers={"affine_backward": affine_backward}, mistake="no-bias"),
    wrong(A, "affine_backward", "dX with the wrong sign", affine_backward_dX_sign, "sign-flipped", "`dX`",
          "opposite sign", "dout @ W.T", helpers={"affine_forward": affine_forward}, mistake="gradient-sign"),
    # forward
    correct(A, "two_layer_forward", "inline numpy, a dict cache", forward_inline),
    correct(A, "two_layer_forward", "its own affine_forward has no bias (the grader's stands in for it)",
            forward_with_own_layers, helpers={"affine_forward": affine_forward_no_bias, "relu_forward": relu_forward}),
    wrong(A, "two_layer_forward", "relu on the output", forward_relu_on_output, "wrong-value", "output layer",
          mistake="different-network"),
    wrong(A, "two_layer_forward", "no relu", forward_no_relu, "wrong-value", "no relu", mistake="different-network"),
    wrong(A, "two_layer_forward", "no b2", forward_no_b2, "wrong-value", "b2 is missing", mistake="different-network"),
    wrong(A, "two_layer_forward", "an object as the cache", forward_object_cache, "wrong-type", "Cache",
          "plain data"),
    # MSE
    correct(A, "two_layer_mse", "inline, CS231n style, db keepdims reshaped", mse_inline),
    correct(A, "two_layer_mse", "loops over the entries of the head", mse_loops, helpers=NET),
    correct(A, "two_layer_mse", "the notebook's structure on its own forward and backward with a dict cache",
            mse_notebook_style,
            helpers={"two_layer_forward": forward_inline, "two_layer_backward": backward_dict_cache}),
    wrong(A, "two_layer_mse", "on its own forward without b2 (not served here: its cache goes to the backward)",
          mse_with_forward_no_b2, "wrong-value", "different network", "b2 is missing", "your `two_layer_forward`",
          helpers={"two_layer_forward": forward_no_b2}, mistake="different-network"),
    wrong(A, "two_layer_mse", "sum instead of mean", mse_sum, "forgot-mean", "`loss`", "divide by N"),
    wrong(A, "two_layer_mse", "mean in the loss, sum in the gradient", mse_grad_not_mean, "forgot-mean",
          "grads['W2']", "divide by N"),
    wrong(A, "two_layer_mse", "no 1/2 in the loss", mse_no_half, "factor", "`loss`", "twice"),
    wrong(A, "two_layer_mse", "an L2 term where there is none", mse_regularised, "wrong-value", "regularisation",
          "has none", mistake="regularisation-added"),
    wrong(A, "two_layer_mse", "no relu mask in the backward pass", mse_no_mask, "wrong-value", "grads['W2']",
          "relu mask", mistake="no-mask-in-delta1"),
    wrong(A, "two_layer_mse", "no relu mask in its own two_layer_backward", mse_with_backward_no_mask,
          "wrong-value", "relu mask", helpers={**NET, "two_layer_backward": backward_no_mask},
          mistake="no-mask-in-delta1"),
    wrong(A, "two_layer_mse", "W2 updated before delta1", mse_updates_W2_first, "wrong-value", "updated",
          "before delta1", mistake="W2-updated-first"),
    wrong(A, "two_layer_mse", "W2 updated in params", mse_updates_params_in_place, "mutates-input", "`params`"),
    wrong(A, "two_layer_mse", "W2 overwritten by dW2", mse_W2_overwritten, "wrong-value", "overwritten", "dW2",
          mistake="W2-overwritten"),
    wrong(A, "two_layer_mse", "db2 of shape (1, K)", mse_db2_keepdims, "wrong-shape", "grads['b2']", "(1,",
          mistake="bias-keepdims"),
    wrong(A, "two_layer_mse", "dW1 transposed", mse_dW1_transposed, "transposed", "grads['W1']", "transposed"),
    wrong(A, "two_layer_mse", "no db1", mse_no_db1, "missing-bias-grad", "grads['b1']", "zeros"),
    wrong(A, "two_layer_mse", "delta2 with the wrong sign", mse_sign, "sign-flipped", "every gradient",
          "opposite sign", "(Z - Y) / N", mistake="every-gradient-sign"),
    wrong(A, "two_layer_mse", "returns the loss only", mse_loss_only, "wrong-type", "2 values", "(loss, grads)",
          helpers=NET),
    # cross-entropy
    correct(A, "two_layer_cross_entropy", "a loop over the rows", ce_row_loop, helpers=NET),
    correct(A, "two_layer_cross_entropy", "one-hot matrix and logsumexp", ce_onehot, helpers=NET),
    correct(A, "two_layer_cross_entropy", "its own backward has no mask (the grader's stands in for it)",
            ce_with_backward_no_mask, helpers={**NET, "two_layer_backward": backward_no_mask}),
    correct(A, "two_layer_cross_entropy", "on its own forward and backward with a dict cache (both served)",
            two_layer_cross_entropy, helpers={"two_layer_forward": forward_inline,
                                              "two_layer_backward": backward_dict_cache}),
    wrong(A, "two_layer_cross_entropy", "no max subtraction", ce_no_max, "not-finite", "each row's own maximum",
          helpers=NET, mistake="no-max-subtraction"),
    wrong(A, "two_layer_cross_entropy", "log of an underflowed probability", ce_log_of_p, "not-finite",
          "gradients are finite", "np.log", "analytically", helpers=NET, mistake="log-of-underflowed-probability"),
    wrong(A, "two_layer_cross_entropy", "max of the whole array", ce_global_max, "not-finite",
          "not the maximum of the whole array", helpers=NET, mistake="whole-array-maximum"),
    wrong(A, "two_layer_cross_entropy", "sum instead of mean", ce_sum, "forgot-mean", "`loss`", "divide by N",
          helpers=NET),
    wrong(A, "two_layer_cross_entropy", "gradient not divided by N", ce_grad_not_mean, "forgot-mean",
          "grads['W2']", "divide by N", helpers=NET),
    wrong(A, "two_layer_cross_entropy", "P - onehot with the wrong sign", ce_sign, "sign-flipped",
          "every gradient", "(P - onehot(y)) / N", helpers=NET, mistake="every-gradient-sign"),
    wrong(A, "two_layer_cross_entropy", "an L2 term where there is none", ce_regularised, "wrong-value",
          "regularisation", "remove the penalty", helpers=NET, mistake="regularisation-added"),
    # gradient check
    correct(A, "network_gradient_errors", "the kit's numerical_gradient and rel_error", errors_with_kit),
    correct(A, "network_gradient_errors", "own loops, h = 1e-6", errors_own_loops_small_h),
    correct(A, "network_gradient_errors", "perturbs its own copy in place and restores it",
            errors_perturb_copy_in_place),
    wrong(A, "network_gradient_errors", "one-sided difference", errors_one_sided, "wrong-value", "correct gradient",
          "one-sided", "(2h)"),
    wrong(A, "network_gradient_errors", "divides by h", errors_divide_by_h, "wrong-value", "twice too large", "2h"),
    wrong(A, "network_gradient_errors", "perturbs params in place, never restored", errors_in_place_not_restored,
          "mutates-input", "`params`"),
    wrong(A, "network_gradient_errors", "norm ratio instead of rel_error", errors_norm_ratio, "wrong-value",
          "course's check", "ratios of norms", "max|a - b|"),
    wrong(A, "network_gradient_errors", "weights only", errors_weights_only, "wrong-type", "one relative error per "
          "parameter", "keys"),
    wrong(A, "network_gradient_errors", "a list of errors", errors_as_list, "wrong-type", "a dict",
          "a list of 4 values"),
    # training
    correct(A, "train_two_layer", "the notebook's recipe", train_two_layer, helpers=PREDICT, expensive=True),
    correct(A, "train_two_layer", "in float32", train_float32, helpers=PREDICT, expensive=True),
    correct(A, "two_layer_predict", "argmax of the softmax probabilities", predict_probabilities, helpers=TRAIN,
            expensive=True),
    wrong(A, "train_two_layer", "gradient ascent", train_ascent, "did-not-learn", "grew", "param - lr * grad",
          helpers=PREDICT, expensive=True),
    wrong(A, "train_two_layer", "never assigns the new params", train_never_updates, "did-not-learn", "stayed",
          "never changed", helpers=PREDICT, expensive=True),
    correct(A, "train_two_layer", "its own cross-entropy sums (the grader's stands in for it)",
            train_with_summed_ce, helpers={**PREDICT, "two_layer_cross_entropy": ce_sum}, expensive=True),
    correct(A, "train_two_layer", "its own cross-entropy returns dW1 transposed (the grader's stands in for it)",
            train_with_transposed_ce, helpers={**PREDICT, "two_layer_cross_entropy": ce_dW1_transposed},
            expensive=True),
    wrong(A, "train_two_layer", "returns only the params", train_params_only, "wrong-type", "(params, losses)",
          helpers=PREDICT, expensive=True),
    wrong(A, "train_two_layer", "centres X in place", train_centres_X_in_place, "mutates-input", "`X`",
          helpers=PREDICT, expensive=True),
    wrong(A, "two_layer_predict", "returns the scores", predict_scores, "wrong-shape", "scores", "axis=1",
          helpers=TRAIN, mistake="returns-scores"),
    wrong(A, "two_layer_predict", "argmax over axis 0", predict_axis0, "wrong-shape", "axis 0", "axis=1",
          helpers=TRAIN, mistake="argmax-axis-0"),
]


# ----------------------------------------------------------------------------- more mistakes, one per known mistake


def relu_backward_inverted(dout, cache):
    return np.where(cache < 0, dout, 0.0)  # the mask the wrong way round


def relu_backward_mask_only(dout, cache):
    return (cache > 0).astype(float)  # the derivative of relu, not yet times dout


def affine_backward_db_not_summed(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout  # db still has one row per example


def mse_mask_is_activation(params, X, Y):
    A1, H, Z = _mse_parts(params, X, Y)
    N = X.shape[0]
    dZ = (Z - Y) / N
    dA = (dZ @ params["W2"].T) * H  # relu's derivative written as relu itself
    return 0.5 * np.sum((Z - Y) ** 2) / N, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": H.T @ dZ, "b2": dZ.sum(0)}


def _ce_parts(params, X, y):
    """Forward inline and the softmax delta (what a student writes when not reusing the layers)."""
    A1 = X.dot(params["W1"]) + params["b1"]
    H = np.maximum(0, A1)
    Z = H.dot(params["W2"]) + params["b2"]
    loss, delta2 = _softmax_delta(Z, y)
    return A1, H, loss, delta2


def ce_no_mask_inline(params, X, y):
    A1, H, loss, dZ = _ce_parts(params, X, y)
    dA = dZ.dot(params["W2"].T)  # forgot the relu
    return loss, {"W1": X.T.dot(dA), "b1": dA.sum(0), "W2": H.T.dot(dZ), "b2": dZ.sum(0)}


def ce_W2_overwritten(params, X, y):
    A1, H, loss, dZ = _ce_parts(params, X, y)
    W2 = H.T.dot(dZ)  # meant dW2
    dA = dZ.dot(W2.T) * (A1 > 0)
    return loss, {"W1": X.T.dot(dA), "b1": dA.sum(0), "W2": W2, "b2": dZ.sum(0)}


def ce_W2_updated_first(params, X, y, learning_rate=0.5):
    A1, H, loss, dZ = _ce_parts(params, X, y)
    dW2 = H.T.dot(dZ)
    W2 = params["W2"] - learning_rate * dW2
    dA = dZ.dot(W2.T) * (A1 > 0)
    return loss, {"W1": X.T.dot(dA), "b1": dA.sum(0), "W2": dW2, "b2": dZ.sum(0)}


def ce_mask_is_activation(params, X, y):
    A1, H, loss, dZ = _ce_parts(params, X, y)
    dA = dZ.dot(params["W2"].T) * H
    return loss, {"W1": X.T.dot(dA), "b1": dA.sum(0), "W2": H.T.dot(dZ), "b2": dZ.sum(0)}


def ce_db_keepdims(params, X, y):
    A1, H, loss, dZ = _ce_parts(params, X, y)
    dA = dZ.dot(params["W2"].T) * (A1 > 0)
    return loss, {"W1": X.T.dot(dA), "b1": np.sum(dA, axis=0, keepdims=True), "W2": H.T.dot(dZ),
                  "b2": np.sum(dZ, axis=0, keepdims=True)}


def ce_no_b2(params, X, y):
    A1 = X.dot(params["W1"]) + params["b1"]
    H = np.maximum(0, A1)
    Z = H.dot(params["W2"])  # b2 forgotten
    loss, dZ = _softmax_delta(Z, y)
    dA = dZ.dot(params["W2"].T) * (A1 > 0)
    return loss, {"W1": X.T.dot(dA), "b1": dA.sum(0), "W2": H.T.dot(dZ), "b2": dZ.sum(0)}


def ce_through_jacobian(params, X, y):
    A1 = X @ params["W1"] + params["b1"]
    H = np.maximum(0, A1)
    Z = H @ params["W2"] + params["b2"]
    N, K = Z.shape
    S = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    Y = np.eye(K)[y]
    loss = -np.mean(np.log(np.sum(P * Y, axis=1)))
    dP = -Y / P / N
    dZ = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    dA = (dZ @ params["W2"].T) * (A1 > 0)
    return loss, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": H.T @ dZ, "b2": dZ.sum(0)}


def ce_math_log(params, X, y):
    A1 = X @ params["W1"] + params["b1"]
    H = np.maximum(0, A1)
    Z = H @ params["W2"] + params["b2"]
    N = Z.shape[0]
    loss, dZ = 0.0, np.zeros_like(Z)
    for i in range(N):
        row = Z[i] - Z[i].max()
        p = np.exp(row) / np.exp(row).sum()
        loss -= math.log(p[y[i]]) / N
        dZ[i] = p
        dZ[i, y[i]] -= 1
    dZ /= N
    dA = (dZ @ params["W2"].T) * (A1 > 0)
    return loss, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": H.T @ dZ, "b2": dZ.sum(0)}


def affine_backward_dW_zeros(dout, cache):
    X, W = cache
    dW = np.zeros_like(W)
    # dW = X.T @ dout   (to do)
    return dout @ W.T, dW, dout.sum(axis=0)


ENTRIES += [
    wrong(A, "relu_backward", "the mask inverted", relu_backward_inverted, "wrong-value", "inverted",
          helpers={"relu_forward": relu_forward}, mistake="inverted-mask"),
    wrong(A, "relu_backward", "the mask alone", relu_backward_mask_only, "wrong-value", "mask [z > 0] itself",
          helpers={"relu_forward": relu_forward}, mistake="mask-alone"),
    wrong(A, "affine_backward", "db not summed over the batch", affine_backward_db_not_summed, "wrong-shape",
          "`db`", "the shape of dout", helpers={"affine_forward": affine_forward}, mistake="db-not-summed"),
    wrong(A, "affine_backward", "dW left as np.zeros (to do)", affine_backward_dW_zeros, "wrong-value", "`dW`",
          "all zeros", helpers={"affine_forward": affine_forward}),
    wrong(A, "two_layer_mse", "relu's derivative written as relu", mse_mask_is_activation, "wrong-value",
          "between the two layers", mistake="first-layer-wrong"),
    wrong(A, "two_layer_cross_entropy", "no relu mask (inline, CS231n style)", ce_no_mask_inline, "wrong-value",
          "relu mask", helpers=NET, mistake="no-mask-in-delta1"),
    wrong(A, "two_layer_cross_entropy", "W2 overwritten by dW2", ce_W2_overwritten, "wrong-value", "overwritten",
          helpers=NET, mistake="W2-overwritten"),
    wrong(A, "two_layer_cross_entropy", "W2 updated before delta1", ce_W2_updated_first, "wrong-value", "updated",
          "before delta1", helpers=NET, mistake="W2-updated-first"),
    wrong(A, "two_layer_cross_entropy", "relu's derivative written as relu", ce_mask_is_activation, "wrong-value",
          "between the two layers", helpers=NET, mistake="first-layer-wrong"),
    wrong(A, "two_layer_cross_entropy", "biases' gradients with keepdims", ce_db_keepdims, "wrong-shape",
          "grads['b2']", "(1,", helpers=NET, mistake="bias-keepdims"),
    wrong(A, "two_layer_cross_entropy", "no b2 in its scores", ce_no_b2, "wrong-value", "different network",
          "b2 is missing", helpers=NET, mistake="different-network"),
    wrong(A, "two_layer_cross_entropy", "backward through the Jacobian, dividing by p", ce_through_jacobian,
          "not-finite", "divides by that probability", "(P - onehot(y)) / N", helpers=NET,
          mistake="division-by-underflowed-probability"),
    wrong(A, "two_layer_cross_entropy", "math.log in a loop", ce_math_log, "raised-error", "math domain error",
          "analytically", helpers=NET, mistake="math-domain-error"),
]


def ce_onehot_log_of_p(params, X, y):
    A1 = X @ params["W1"] + params["b1"]
    H = np.maximum(0, A1)
    Z = H @ params["W2"] + params["b2"]
    N, K = Z.shape
    Y = np.eye(K)[y]
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(P)) / N
    dZ = (P - Y) / N
    dA = (dZ @ params["W2"].T) * (A1 > 0)
    return loss, {"W1": X.T @ dA, "b1": dA.sum(0), "W2": H.T @ dZ, "b2": dZ.sum(0)}


ENTRIES += [
    wrong(A, "two_layer_cross_entropy", "one-hot times np.log(P), max subtracted", ce_onehot_log_of_p, "not-finite",
          "gradients are finite", "np.log", "analytically", helpers=NET, mistake="log-of-underflowed-probability"),
]


# ----------------------------------------------------------------------------- whole notebooks, graded end to end
#
# Synthetic students for 05-backprop: the correct solution, the typical backprop mistakes, and misbehaviour.
#
# A mistake in an early function costs its own item only: while a later item is
# graded, the earlier functions its code calls answer with the grader's
# references (error carried forward), so ``expected`` lists one item per mistake.

ALL_ITEMS = ("relu-test", "affine-test", "forward-test", "mse-test", "cross-entropy-test",
             "gradient-check-test", "train-test")

_TRANSPOSED_AFFINE = '''
def affine_forward(X, W, b):
    return X @ W + b, (X, W)


def affine_backward(dout, cache):
    X, W = cache
    return dout @ W.T, dout.T @ X, dout.sum(axis=0)  # dW the wrong way round
'''

_NO_BIAS_BACKWARD = '''
def two_layer_backward(delta2, cache):
    (X, W1), A, (H, W2) = cache
    dW2 = H.T @ delta2
    delta1 = (delta2 @ W2.T) * (A > 0)
    dW1 = X.T @ delta1
    return {"W1": dW1, "b1": np.zeros(W1.shape[1]), "W2": dW2, "b2": np.zeros(W2.shape[1])}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), two_layer_backward((Z - Y) / N, cache)
'''

_NO_MEAN_MSE = '''
def two_layer_backward(delta2, cache):
    affine1_cache, relu_cache, affine2_cache = cache
    dH, dW2, db2 = affine_backward(delta2, affine2_cache)
    delta1 = relu_backward(dH, relu_cache)
    _, dW1, db1 = affine_backward(delta1, affine1_cache)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    diff = Z - Y
    return np.sum(diff ** 2) / 2, two_layer_backward(diff, cache)  # no 1/N anywhere
'''

_OVERWRITES_W2 = '''
def two_layer_backward(delta2, cache):
    affine1_cache, relu_cache, (H, W2) = cache
    _, dW2, db2 = affine_backward(delta2, (H, W2))
    W2 = W2 - 0.5 * dW2  # take the gradient step right away...
    delta1 = relu_backward(delta2 @ W2.T, relu_cache)  # ...so delta1 uses the wrong W2
    _, dW1, db1 = affine_backward(delta1, affine1_cache)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), two_layer_backward((Z - Y) / N, cache)
'''

_NAIVE_SOFTMAX = '''
def two_layer_cross_entropy(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)  # no max subtraction
    rows = np.arange(N)
    delta2 = P.copy()
    delta2[rows, y] -= 1.0
    return -np.mean(np.log(P[rows, y])), two_layer_backward(delta2 / N, cache)
'''

_REFERENCE_LOSS = '''
from dlfoundations.losses import cross_entropy


def two_layer_cross_entropy(params, X, y):
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = cross_entropy(Z, y)
    return loss, two_layer_backward(delta2, cache)
'''

_CRASHING_CHECK = '''
raise RuntimeError("I will write the gradient check later")


def network_gradient_errors(loss_fn, params, h=1e-5):
    return {}
'''

SUBMISSIONS = [
    Submission("correct"),
    Submission("transposed", answers={"affine-answer": _TRANSPOSED_AFFINE},
               expected={'affine-test': 0.0}, diagnoses={'affine-test': 'transposed'}),
    Submission("missing_bias", answers={"mse-answer": _NO_BIAS_BACKWARD},
               expected={'mse-test': 0.0},
               diagnoses={'mse-test': 'missing-bias-grad'}),
    Submission("forgot_mean", answers={"mse-answer": _NO_MEAN_MSE},
               expected={'mse-test': 0.0}, diagnoses={'mse-test': 'forgot-mean'}),
    Submission("overwrites_w2", answers={"mse-answer": _OVERWRITES_W2},
               expected={'mse-test': 0.0},
               diagnoses={'mse-test': 'wrong-value'}),
    Submission("no_max_subtraction", answers={"cross-entropy-answer": _NAIVE_SOFTMAX},
               expected={'cross-entropy-test': 0.0}, diagnoses={'cross-entropy-test': 'not-finite'}),
    Submission("uses_reference", answers={"cross-entropy-answer": _REFERENCE_LOSS},
               expected={'cross-entropy-test': 0.0}, diagnoses={'cross-entropy-test': 'missing'}),
    Submission("crash", answers={"gradient-check-answer": _CRASHING_CHECK}, expected={'gradient-check-test': 0.0},
               diagnoses={'gradient-check-test': 'missing'}),
    Submission("edited_test", edit_tests=("mse-test",)),
    Submission("blank", blank=True, expected=dict.fromkeys(ALL_ITEMS, 0.0),
               diagnoses=dict.fromkeys(ALL_ITEMS, "not-implemented")),
]
