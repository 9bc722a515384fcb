"""Tests for dlfoundations.linear: perceptrons, logistic and softmax regression.

Expected values come from hand-worked examples, from the convergence theorem,
from independent loops written here, from numerical gradients, or from
scikit-learn; never from output of the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from dlfoundations import linear, optim
from dlfoundations.kit import data
from dlfoundations.kit.gradcheck import numerical_gradient, rel_error
from dlfoundations.losses import perceptron_loss


def with_bias_column(X: np.ndarray) -> np.ndarray:
    """The bias trick: x -> (x, 1), so that w . x + b = (w, b) . (x, 1)."""
    return np.column_stack([X, np.ones(len(X))])


# ----------------------------------------------------------------------------- perceptron_step


def test_perceptron_step_updates_by_rosenblatts_rule_on_a_hand_worked_example():
    w, b = np.array([1.0, -1.0]), 0.0
    # x = (1, 2), y = +1: score 1 - 2 + 0 = -1, so y z = -1 <= 0: a mistake.
    new_w, new_b, mistake = linear.perceptron_step(w, b, np.array([1.0, 2.0]), 1)
    assert mistake is True
    np.testing.assert_array_equal(new_w, [2.0, 1.0])  # w + y x = (1 + 1, -1 + 2)
    assert new_b == 1.0  # b + y
    # x = (2, 1), y = -1: score 2 - 1 = 1, y z = -1: a mistake; w - x = (-1, -2), b - 1.
    new_w, new_b, mistake = linear.perceptron_step(w, b, np.array([2.0, 1.0]), -1)
    assert mistake is True
    np.testing.assert_array_equal(new_w, [-1.0, -2.0])
    assert new_b == -1.0
    # With lr = 0.5 the step is halved: w + 0.5 * (1, 2) = (1.5, 0), b = 0.5.
    new_w, new_b, _ = linear.perceptron_step(w, b, np.array([1.0, 2.0]), 1, lr=0.5)
    np.testing.assert_array_equal(new_w, [1.5, 0.0])
    assert new_b == 0.5
    np.testing.assert_array_equal(w, [1.0, -1.0])  # the input was not modified


def test_a_correctly_classified_point_causes_no_update():
    w, b = np.array([1.0, -1.0]), 0.5
    new_w, new_b, mistake = linear.perceptron_step(w, b, np.array([2.0, 1.0]), 1)  # z = 1.5, y z > 0
    assert mistake is False
    np.testing.assert_array_equal(new_w, w)
    assert new_b == b


def test_a_score_of_exactly_zero_counts_as_a_mistake():
    new_w, new_b, mistake = linear.perceptron_step(np.zeros(2), 0.0, np.array([3.0, -1.0]), -1)
    assert mistake is True
    np.testing.assert_array_equal(new_w, [-3.0, 1.0])
    assert new_b == -1.0


# ----------------------------------------------------------------------------- convergence theorem


def test_mistake_bound_on_a_hand_worked_example():
    X = np.array([[3.0, 4.0], [0.0, -1.0]])
    y = np.array([1, -1])
    R, gamma, bound = linear.mistake_bound(X, y, np.array([0.0, 2.0]))
    # R = ||(3, 4)|| = 5; margins y (w* . x)/||w*|| = 8/2 = 4 and 2/2 = 1, so gamma = 1.
    assert R == pytest.approx(5.0)
    assert gamma == pytest.approx(1.0)
    assert bound == pytest.approx(25.0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("margin", [0.05, 0.2, 0.5])
@pytest.mark.parametrize("d", [2, 5])
def test_perceptron_converges_within_the_mistake_bound(seed, margin, d):
    X, y, w_star = data.make_separable(100, d=d, margin=margin, seed=seed, return_w_star=True)
    # Our perceptron learns a bias too, so the theorem applies to the augmented
    # examples (x, 1) with the separator (w*, 0): same margin, radius sqrt(R^2 + 1).
    _, gamma, bound = linear.mistake_bound(with_bias_column(X), y, np.append(w_star, 0.0))
    assert gamma >= margin
    result = linear.train_perceptron(X, y, epochs=10_000)
    assert result.converged
    assert result.mistakes_per_epoch[-1] == 0
    assert sum(result.mistakes_per_epoch) <= bound
    np.testing.assert_array_equal(linear.predict_sign(X, result.w, result.b), y)


def test_perceptron_with_shuffling_also_converges_and_is_reproducible():
    X, y = data.make_separable(80, d=3, margin=0.2, seed=7)
    first = linear.train_perceptron(X, y, epochs=1000, shuffle_seed=5)
    second = linear.train_perceptron(X, y, epochs=1000, shuffle_seed=5)
    assert first.converged
    assert first.mistakes_per_epoch == second.mistakes_per_epoch
    np.testing.assert_array_equal(first.w, second.w)


@pytest.mark.parametrize("shuffle_seed", [None, 0])
def test_perceptron_never_settles_on_xor(shuffle_seed):
    X, y01 = data.make_xor(200, noise=0.2, seed=0)
    y = data.to_signed(y01)
    result = linear.train_perceptron(X, y, epochs=50, shuffle_seed=shuffle_seed)
    assert not result.converged
    assert len(result.mistakes_per_epoch) == 50
    assert all(mistakes > 0 for mistakes in result.mistakes_per_epoch)


def test_perceptron_is_sgd_with_batch_size_one_and_unit_step_on_the_perceptron_loss():
    X, y = data.make_separable(60, d=3, margin=0.05, seed=11)
    w, b = np.zeros(3), 0.0
    for x_i, y_i in zip(X, y, strict=True):  # one pass of SGD, m = 1, eta = 1
        _, dscore = perceptron_loss(np.array([x_i @ w + b]), np.array([y_i]))
        w = w - dscore[0] * x_i  # dL/dw = dL/dz * x
        b = b - dscore[0]  # dL/db = dL/dz
    result = linear.train_perceptron(X, y, epochs=1)
    assert result.mistakes_per_epoch[0] > 1  # the pass really made several updates
    np.testing.assert_allclose(result.w, w, rtol=0, atol=1e-12)
    assert result.b == pytest.approx(b, abs=1e-12)


# ----------------------------------------------------------------------------- the full-batch "breakout"


def one_hard_point(n_per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Two tight clusters, positives around (3, 1) and negatives around (-3, -1), plus
    one positive point (-5, 0.5). The x-axis separates everything (margin 0.5 via w* = (0, 1)).
    """
    t = np.linspace(-0.5, 0.5, n_per_class)
    positives = np.column_stack([3.0 + t, np.ones(n_per_class)])
    negatives = np.column_stack([-3.0 + t, -np.ones(n_per_class)])
    X = np.vstack([positives, negatives, [[-5.0, 0.5]]])
    y = np.concatenate([np.ones(n_per_class), -np.ones(n_per_class), [1.0]]).astype(int)
    return X, y


# Why full-batch gradient descent on the mean perceptron loss disappoints on this set
# (lecture breakout: "Does it work? Nope. With eta = 0.1? Nope."):
#  * From w = 0 every point scores 0, so every point counts as a mistake and the first step is
#    w_1 = (eta/N) sum_i y_i x_i, the difference of the class means: about eta (3, 1), which gets
#    both clusters right and the hard point (-5, 0.5) badly wrong (score about -14.5 eta).
#  * After that only the hard point is misclassified. The MEAN subgradient gives it weight 1/N,
#    so each epoch moves w by just eta x_hard / N and raises its score by eta (||x_hard||^2 + 1)/N:
#    fixing it takes about 0.55 N epochs, growing linearly with the data set. The sequential
#    perceptron adds the whole x_hard in a single update and is done after a few epochs.
#  * A smaller step cannot help: the perceptron loss is positively homogeneous, the mistake test
#    y z <= 0 ignores the scale of (w, b), and started from w = 0 every iterate is exactly eta times
#    the eta = 1 iterate. Same mistakes, epoch by epoch, for any eta.
# Honesty note: on separable data the full-batch rule DOES converge in the end. The convergence
# proof carries over: sum over epochs of (mistakes / N) <= (R / gamma)^2 (tested below). It is the
# 1/N dilution that makes it slow, and on random well-spread data it can even converge in 2 epochs.


def test_full_batch_perceptron_is_stuck_for_many_epochs_where_the_sequential_one_converges():
    X, y = one_hard_point(200)  # N = 401
    sequential = linear.train_perceptron(X, y, epochs=100)
    assert sequential.converged
    assert len(sequential.mistakes_per_epoch) <= 10
    for lr in (1.0, 0.1):
        batch = linear.full_batch_perceptron(X, y, epochs=150, lr=lr)
        assert not batch.converged
        assert batch.mistakes_per_epoch[0] == len(y)  # at w = 0 every score is 0
        assert batch.mistakes_per_epoch[1:] == [1] * 149  # the hard point stays wrong for 149 epochs
        assert linear.predict_sign(X[-1:], batch.w, batch.b)[0] == -1


def test_full_batch_perceptron_learning_rate_only_rescales_the_iterates():
    X, y = one_hard_point(50)
    big = linear.full_batch_perceptron(X, y, epochs=30, lr=1.0)
    small = linear.full_batch_perceptron(X, y, epochs=30, lr=0.1)
    assert big.mistakes_per_epoch == small.mistakes_per_epoch
    np.testing.assert_allclose(small.w, 0.1 * big.w, rtol=1e-12)
    assert small.b == pytest.approx(0.1 * big.b, rel=1e-12)


def test_full_batch_perceptron_needs_epochs_proportional_to_n_but_does_converge():
    epochs_needed = {}
    for n_per_class in (50, 200):
        X, y = one_hard_point(n_per_class)
        result = linear.full_batch_perceptron(X, y, epochs=5000, lr=1.0)
        assert result.converged
        epochs_needed[n_per_class] = len(result.mistakes_per_epoch)
        # The batch version of the convergence theorem: sum_t mistakes_t / N <= (R / gamma)^2.
        _, _, bound = linear.mistake_bound(with_bias_column(X), y, np.array([0.0, 1.0, 0.0]))
        assert sum(result.mistakes_per_epoch) / len(y) <= bound
    # From the analysis above: about 0.55 N epochs, so 4 times the data takes about 4 times as long.
    assert epochs_needed[50] > 0.4 * 101
    assert epochs_needed[200] > 3 * epochs_needed[50]


@pytest.mark.parametrize("lr", [1.0, 0.1])
def test_full_batch_perceptron_never_settles_on_xor(lr):
    X, y01 = data.make_xor(200, noise=0.2, seed=0)
    result = linear.full_batch_perceptron(X, data.to_signed(y01), epochs=50, lr=lr)
    assert not result.converged
    assert all(mistakes > 0 for mistakes in result.mistakes_per_epoch)


def test_full_batch_perceptron_step_is_the_mean_subgradient_worked_by_hand():
    X = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0]])
    y = np.array([1, 1, -1])
    # Epoch 1 from w = 0: all three are mistakes; w = (1/3)(x1 + x2 - x3) = (2/3, 1), b = (1/3)(1 + 1 - 1).
    result = linear.full_batch_perceptron(X, y, epochs=1, lr=1.0)
    np.testing.assert_allclose(result.w, [2.0 / 3.0, 1.0])
    assert result.b == pytest.approx(1.0 / 3.0)
    assert result.mistakes_per_epoch == [3]
    # Epoch 2: scores 1, 7/3, -4/3: no mistake left, so it stops there.
    result = linear.full_batch_perceptron(X, y, epochs=10, lr=1.0)
    assert result.converged
    assert result.mistakes_per_epoch == [3, 0]


# ----------------------------------------------------------------------------- multiclass perceptron


def test_multiclass_perceptron_update_on_a_hand_worked_example():
    X = np.array([[1.0, 2.0]])
    # W = 0: all scores tie at 0, so the true class 2 is not the unique winner; the best wrong
    # class (lowest index on ties) is 0. Update: w_2 += x, w_0 -= x, b_2 += 1, b_0 -= 1.
    result = linear.train_multiclass_perceptron(X, np.array([2]), num_classes=3, epochs=1)
    np.testing.assert_array_equal(result.W, [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0]])
    np.testing.assert_array_equal(result.b, [-1.0, 0.0, 1.0])
    assert result.mistakes_per_epoch == [1]
    # Epoch 2: scores (-6, 0, 6), class 2 wins: no mistake, converged.
    result = linear.train_multiclass_perceptron(X, np.array([2]), num_classes=3, epochs=5)
    assert result.converged
    assert result.mistakes_per_epoch == [1, 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiclass_perceptron_separates_well_separated_blobs(seed):
    X, y = data.make_blobs(300, centers=4, std=0.5, seed=seed)
    result = linear.train_multiclass_perceptron(X, y, num_classes=4, epochs=100, shuffle_seed=seed)
    assert result.converged
    assert result.W.shape == (2, 4) and result.b.shape == (4,)
    np.testing.assert_array_equal(linear.predict_class(X, result.W, result.b), y)


# ----------------------------------------------------------------------------- logistic regression


def unpenalised_sklearn(X: np.ndarray, y: np.ndarray, C: float = np.inf) -> LogisticRegression:
    # scikit-learn >= 1.8 spells "no penalty" as C = inf (penalty=None is deprecated).
    return LogisticRegression(C=C, tol=1e-10, max_iter=10_000, solver="lbfgs").fit(X, y)


def overlapping_blobs() -> tuple[np.ndarray, np.ndarray]:
    X, y = data.make_blobs(300, centers=np.array([[0.0, 0.0], [1.5, 1.0]]), std=1.0, seed=1)
    mean, std = data.fit_standardiser(X)
    return data.standardise(X, mean, std), data.to_signed(y)


def breast_cancer_subset() -> tuple[np.ndarray, np.ndarray]:
    X, y = data.load_breast_cancer()
    X = X[:, [0, 1, 4]]  # mean radius, mean texture, mean smoothness: not separable
    mean, std = data.fit_standardiser(X)
    return data.standardise(X, mean, std), data.to_signed(y)


@pytest.mark.parametrize(
    "dataset, optimiser, epochs",
    [
        (overlapping_blobs, None, 500),  # plain gradient descent, eta = 1
        (breast_cancer_subset, optim.Momentum(lr=1.0, beta=0.9), 1000),
    ],
)
def test_logistic_regression_matches_scikit_learn(dataset, optimiser, epochs):
    X, y = dataset()
    reference = unpenalised_sklearn(X, y)
    fit = linear.fit_logistic_regression(X, y, optimiser=optimiser, epochs=epochs)
    np.testing.assert_allclose(fit.W, reference.coef_[0], atol=1e-4)
    assert fit.b == pytest.approx(reference.intercept_[0], abs=1e-4)
    assert len(fit.loss_history) == epochs


def test_logistic_regression_with_l2_matches_scikit_learn():
    # scikit-learn minimises C sum_i loss_i + ||w||^2 / 2, i.e. mean loss + ||w||^2 / (2 C N).
    X, y = breast_cancer_subset()
    C = 0.01
    reference = unpenalised_sklearn(X, y, C=C)
    fit = linear.fit_logistic_regression(X, y, optimiser=optim.Momentum(lr=1.0, beta=0.9), epochs=1000,
                                         l2=1.0 / (C * len(y)))
    np.testing.assert_allclose(fit.W, reference.coef_[0], atol=1e-4)
    assert fit.b == pytest.approx(reference.intercept_[0], abs=1e-4)


def test_logistic_regression_loss_history_starts_at_log_2_and_ends_at_a_stationary_point():
    X, y = overlapping_blobs()
    fit = linear.fit_logistic_regression(X, y, epochs=500)
    assert fit.loss_history[0] == pytest.approx(np.log(2.0))  # every score is 0 at w = 0
    assert np.all(np.diff(fit.loss_history) <= 1e-15)  # gradient descent with a safe step never goes up

    def mean_loss(theta: np.ndarray) -> float:  # independent of the library: theta = (w, b)
        return float(np.mean(np.logaddexp(0.0, -y * (X @ theta[:2] + theta[2]))))

    gradient = numerical_gradient(mean_loss, np.append(fit.W, fit.b))
    assert np.max(np.abs(gradient)) < 1e-6
    assert fit.loss_history[-1] == pytest.approx(mean_loss(np.append(fit.W, fit.b)), abs=1e-9)


def test_logistic_regression_gradient_steps_match_numerical_gradients():
    X, y = breast_cancer_subset()
    l2, lr = 0.3, 0.5

    def objective(theta: np.ndarray) -> float:  # mean logistic loss + (l2/2)||w||^2, theta = (w, b)
        w, b = theta[:-1], theta[-1]
        return float(np.mean(np.logaddexp(0.0, -y * (X @ w + b))) + 0.5 * l2 * w @ w)

    theta = np.zeros(X.shape[1] + 1)
    for _ in range(2):  # two gradient-descent steps by hand
        theta = theta - lr * numerical_gradient(objective, theta)
    fit = linear.fit_logistic_regression(X, y, optimiser=optim.SGD(lr=lr), epochs=2, l2=l2)
    assert rel_error(np.append(fit.W, fit.b), theta) < 1e-7


# ----------------------------------------------------------------------------- softmax regression


def test_softmax_regression_reaches_95_percent_on_digits():
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    mean, std = data.fit_standardiser(X_train)
    X_train, X_test = data.standardise(X_train, mean, std), data.standardise(X_test, mean, std)
    fit = linear.fit_softmax_regression(X_train, y_train, num_classes=10, optimiser=optim.SGD(lr=0.5),
                                        epochs=20, batch_size=32, seed=0)
    assert fit.W.shape == (64, 10) and fit.b.shape == (10,)
    accuracy = np.mean(linear.predict_class(X_test, fit.W, fit.b) == y_test)
    assert accuracy >= 0.95
    assert fit.loss_history[-1] < fit.loss_history[0]


def test_softmax_regression_matches_scikit_learn_probabilities():
    X, y = data.make_blobs(150, centers=3, std=2.0, seed=3)  # overlapping: a finite minimiser exists
    mean, std = data.fit_standardiser(X)
    X = data.standardise(X, mean, std)
    reference = unpenalised_sklearn(X, y).predict_proba(X)
    fit = linear.fit_softmax_regression(X, y, num_classes=3, optimiser=optim.Momentum(lr=1.0, beta=0.9),
                                        epochs=1000)
    scores = X @ fit.W + fit.b
    # W is only identified up to adding the same vector to every column, so compare probabilities.
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities, reference, atol=1e-3)


def test_softmax_regression_steps_match_numerical_gradients_and_start_at_log_k():
    X, y = data.make_blobs(40, centers=3, std=1.5, seed=4)
    K, l2, lr = 3, 0.2, 0.5
    d = X.shape[1]

    def objective(theta: np.ndarray) -> float:  # mean cross-entropy + (l2/2)||W||^2, theta = (W, b)
        W, b = theta[: d * K].reshape(d, K), theta[d * K:]
        Z = X @ W + b
        log_norm = np.log(np.sum(np.exp(Z - Z.max(axis=1, keepdims=True)), axis=1)) + Z.max(axis=1)
        return float(np.mean(log_norm - Z[np.arange(len(y)), y]) + 0.5 * l2 * np.sum(W * W))

    theta = np.zeros(d * K + K)
    for _ in range(2):
        theta = theta - lr * numerical_gradient(objective, theta)
    fit = linear.fit_softmax_regression(X, y, num_classes=K, optimiser=optim.SGD(lr=lr), epochs=2, l2=l2)
    assert rel_error(np.concatenate([fit.W.ravel(), fit.b]), theta) < 1e-7
    assert fit.loss_history[0] == pytest.approx(np.log(K))  # uniform probabilities at W = 0


def test_softmax_regression_minibatches_cover_the_data_and_are_seeded():
    X, y = data.make_blobs(50, centers=3, std=1.0, seed=0)
    first = linear.fit_softmax_regression(X, y, 3, epochs=3, batch_size=16, seed=1)
    second = linear.fit_softmax_regression(X, y, 3, epochs=3, batch_size=16, seed=1)
    np.testing.assert_array_equal(first.W, second.W)
    assert len(first.loss_history) == 3


# ----------------------------------------------------------------------------- prediction


def test_predict_sign_on_a_hand_worked_example():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    labels = linear.predict_sign(X, np.array([1.0, -1.0]), 0.0)  # scores 1, -1, -1, 0
    np.testing.assert_array_equal(labels, [1, -1, -1, 1])  # a score of 0 is labelled +1


def test_predict_class_on_a_hand_worked_example():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    W = np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 1.0]])
    b = np.array([0.0, 0.0, 0.5])
    # scores: (2, 0, 1.5), (0, 3, 1.5), (0, 0, 0.5)
    np.testing.assert_array_equal(linear.predict_class(X, W, b), [0, 1, 2])
    np.testing.assert_array_equal(linear.predict_class(X[2:], W, np.zeros(3)), [0])  # ties: lowest index


# ----------------------------------------------------------------------------- bad input


X4 = np.array([[1.0, 2.0], [2.0, 1.0], [-1.0, -2.0], [-2.0, -1.0]])
Y4 = np.array([1, 1, -1, -1])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: linear.train_perceptron(X4, np.array([1, 1, 0, 0]), 5), r"y must contain only -1 and 1"),
        (lambda: linear.full_batch_perceptron(X4, np.array([1, 2, -1, -1]), 5), r"y must contain only -1 and 1"),
        (lambda: linear.fit_logistic_regression(X4, np.array([1, 1, 0, 0])), r"y must contain only -1 and 1"),
        (lambda: linear.train_perceptron(X4, Y4[:3], 5), r"X has 4 rows but y has 3"),
        (lambda: linear.fit_softmax_regression(X4, np.array([0, 1, 2]), 3), r"X has 4 rows but y has 3"),
        (lambda: linear.train_perceptron(X4, Y4, 0), r"epochs must be an integer >= 1"),
        (lambda: linear.full_batch_perceptron(X4, Y4, -3), r"epochs must be an integer >= 1"),
        (lambda: linear.fit_logistic_regression(X4, Y4, epochs=2.5), r"epochs must be an integer >= 1"),
        (lambda: linear.train_multiclass_perceptron(X4, np.array([0, 1, 2, 3]), 3, 5), r"y must be in 0\.\.2"),
        (lambda: linear.fit_softmax_regression(X4, np.array([0, 1, 2, 5]), 4), r"y must be in 0\.\.3"),
        (lambda: linear.fit_softmax_regression(X4, np.array([0, 0, 0, 0]), 1), r"num_classes must be an integer >= 2"),
        (lambda: linear.train_perceptron(X4, Y4, 5, lr=0.0), r"lr must be a finite number > 0"),
        (lambda: linear.fit_logistic_regression(X4, Y4, l2=-1.0), r"l2 must be a finite number >= 0"),
        (lambda: linear.train_perceptron(np.array([[np.nan, 1.0]]), [1], 5), r"X contains NaN"),
        (lambda: linear.train_perceptron(X4[:, 0], Y4, 5), r"X must be 2-D"),
        (lambda: linear.perceptron_step(np.zeros(2), 0.0, np.ones(3), 1), r"x has shape \(3,\) but w has shape \(2,\)"),
        (lambda: linear.perceptron_step(np.zeros(2), 0.0, np.ones(2), 0), r"y must contain only -1 and 1"),
        (lambda: linear.mistake_bound(X4, Y4, np.array([1.0, -1.0])), r"w_star does not separate the data"),
        (lambda: linear.mistake_bound(X4, Y4, np.zeros(2)), r"w_star is the zero vector"),
        (lambda: linear.mistake_bound(X4, Y4, np.ones(3)), r"w_star has 3 entries but X has 2 columns"),
        (lambda: linear.predict_sign(X4, np.ones(3), 0.0), r"w has 3 entries but X has 2 columns"),
        (lambda: linear.predict_class(X4, np.ones((2, 3)), np.zeros(2)), r"b has 2 entries but W has 3 columns"),
        (lambda: linear.predict_class(X4, np.ones((3, 3)), np.zeros(3)), r"W has 3 rows but X has 2 columns"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_multiclass_perceptron_step_on_a_hand_worked_example():
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    b = np.zeros(3)
    x = np.array([2.0, 1.0])  # scores (2, 1, 0): class 0 wins
    W1, b1, mistake = linear.multiclass_perceptron_step(W, b, x, 1)
    assert mistake
    np.testing.assert_array_equal(W1, [[-1.0, 2.0, 0.0], [-1.0, 2.0, 0.0]])
    np.testing.assert_array_equal(b1, [-1.0, 1.0, 0.0])
    assert W[0, 0] == 1.0, "the input must not be modified"
    W2, b2, mistake = linear.multiclass_perceptron_step(W, b, x, 0)
    assert not mistake and W2 is not None and np.array_equal(W2, W)
    with pytest.raises(ValueError, match="must be in 0..2"):
        linear.multiclass_perceptron_step(W, b, x, 3)
    with pytest.raises(ValueError, match="do not fit"):
        linear.multiclass_perceptron_step(W, b, np.ones(3), 0)


def test_the_package_exports_exactly_what_its_model_modules_export():
    import dlfoundations.linear as package
    from dlfoundations.linear import _common, logistic, perceptron

    exported = [*perceptron.__all__, *logistic.__all__, *_common.__all__]
    assert sorted(package.__all__) == sorted(exported)
    assert all(getattr(package, name) is getattr(module, name)
               for module in (perceptron, logistic, _common) for name in module.__all__)
