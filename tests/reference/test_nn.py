"""reference.nn: every layer's backward against central differences in float64, the loss and
the optimiser against torch, and training on scikit-learn's digits: a short run that must
learn (< 30 s) and a `slow` one that must reach >= 95% test accuracy within 120 s."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference import nn


def numerical_grad(f, a, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of a (changed in place)."""
    g = np.zeros_like(a)
    it = np.nditer(a, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = a[i]
        a[i] = old + eps
        up = f()
        a[i] = old - eps
        down = f()
        a[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def check_layer(layer, x, rtol=1e-6, atol=1e-8):
    """Backward of `layer` (input and parameter gradients) against central differences of
    L = sum(forward(x) * R) for a fixed random R."""
    rng = np.random.default_rng(1)
    out = layer.forward(x)
    r = rng.standard_normal(out.shape)
    loss = lambda: float(np.sum(layer.forward(x) * r))
    layer.forward(x)
    dx = layer.backward(r)
    analytic = [("dx", dx)] + [(f"param {i}", g.copy()) for i, (_, g) in enumerate(layer.params())]
    numeric = [("dx", numerical_grad(loss, x))] + [(f"param {i}", numerical_grad(loss, p))
                                                   for i, (p, _) in enumerate(layer.params())]
    for (name, a), (_, n) in zip(analytic, numeric):
        assert a.shape == n.shape, name
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol, err_msg=f"{type(layer).__name__} {name}")


def away_from_kinks(rng, shape):
    """Normal values pushed at least 0.05 from 0 and from each other's ties (continuous draw)."""
    x = rng.standard_normal(shape)
    return x + np.sign(x) * 0.05


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 1), (1, "same"), (2, ((0, 1), (1, 0)))])
def test_conv2d_layer_gradients(stride, padding, rng):
    layer = nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding, rng=0)
    layer.bias[...] = rng.standard_normal(3)
    check_layer(layer, rng.standard_normal((2, 2, 6, 5)))


def test_linear_layer_gradients(rng):
    layer = nn.Linear(7, 4, rng=0)
    check_layer(layer, rng.standard_normal((3, 7)))


def test_relu_layer_gradients(rng):
    check_layer(nn.ReLU(), away_from_kinks(rng, (2, 3, 4, 4)))


@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 1), (2, 1)])
def test_maxpool_layer_gradients(kernel, stride, rng):
    check_layer(nn.MaxPool2d(kernel, stride), rng.standard_normal((2, 2, 6, 6)))


def test_flatten_layer_gradients(rng):
    check_layer(nn.Flatten(), rng.standard_normal((2, 3, 2, 2)))


def test_sequential_gradients_end_to_end(rng):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(2 * 3 * 3, 4, rng=1))
    check_layer(model, rng.standard_normal((2, 1, 6, 6)), rtol=1e-5, atol=1e-7)


def test_softmax_cross_entropy_matches_torch(rng):
    logits = rng.standard_normal((5, 10)) * 4
    labels = rng.integers(0, 10, size=5)
    loss, dlogits = nn.softmax_cross_entropy(logits, labels)
    lt = torch.from_numpy(logits).requires_grad_()
    ref = F.cross_entropy(lt, torch.from_numpy(labels))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-10, atol=1e-14)
    # stable for large logits (no overflow to inf/nan)
    big_loss, big_grad = nn.softmax_cross_entropy(logits * 1e3, labels)
    assert math.isfinite(big_loss) and np.all(np.isfinite(big_grad))


def test_sgd_matches_torch_with_momentum(rng):
    p0, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(4)]
    ours_p, ours_g = p0.copy(), np.zeros((3, 4))
    opt = nn.SGD([(ours_p, ours_g)], lr=0.1, momentum=0.9)
    tp = torch.from_numpy(p0.copy()).requires_grad_()
    topt = torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    for g in grads:
        ours_g[...] = g
        opt.step()
        tp.grad = torch.from_numpy(g.copy())
        topt.step()
    np.testing.assert_allclose(ours_p, tp.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_digits_split_ships_with_scikit_learn():
    x_train, y_train, x_test, y_test = nn.load_digits_split()
    assert x_train.shape[1:] == (1, 8, 8) and x_test.shape[1:] == (1, 8, 8)
    assert len(x_train) + len(x_test) == 1797 and len(y_train) == len(x_train) and len(y_test) == len(x_test)
    assert set(np.unique(y_train)) == set(range(10))
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0


@pytest.mark.timeout(60)
def test_short_training_learns():
    """A hand-built model on a third of an epoch: the loss must fall and accuracy beat chance
    (10%) by a wide margin; then train_digits for one epoch. All within 30 s."""
    start = time.perf_counter()
    x_train, y_train, x_test, y_test = nn.load_digits_split(seed=1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 10, rng=1))
    opt = nn.SGD(model.params(), lr=0.1, momentum=0.9)
    losses = []
    for i in range(0, 480, 16):
        xb, yb = x_train[i:i + 16].astype(np.float64), y_train[i:i + 16]
        loss, d = nn.softmax_cross_entropy(model.forward(xb), yb)
        model.backward(d)
        opt.step()
        losses.append(loss)
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5]), losses
    accuracy = np.mean(model.forward(x_test.astype(np.float64)).argmax(axis=1) == y_test)
    assert accuracy > 0.5, accuracy

    result = nn.train_digits(epochs=1, seed=0)
    assert result["test_accuracy"] > 0.6, result["test_accuracy"]
    assert result["history"] and len(result["history"]) == 1
    assert time.perf_counter() - start < 30


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_training_reaches_95_percent_on_digits_within_two_minutes():
    start = time.perf_counter()
    result = nn.train_digits(seed=0)
    elapsed = time.perf_counter() - start
    assert result["test_accuracy"] >= 0.95, result["test_accuracy"]
    assert elapsed < 120, f"took {elapsed:.0f} s"
    # the returned model is the trained one: it scores the same on the held-out set
    _, _, x_test, y_test = nn.load_digits_split()
    assert np.mean(result["model"].forward(x_test).argmax(axis=1) == y_test) == pytest.approx(result["test_accuracy"])
