"""A tiny CNN framework on top of the reference functions, enough to train on digits.

Every layer has ``forward(x)``, ``backward(dout)`` (returning the gradient
with respect to its input and storing its parameters' gradients) and
``params()``, a list of ``(array, gradient)`` pairs that :class:`SGD`
updates in place. Layers keep the forward input they need for backward.

Example: a small CNN on scikit-learn's 8x8 digits (shipped with the package,
nothing is downloaded)::

    result = train_digits(epochs=10)
    result["test_accuracy"]          # about 0.97
"""

import math
import time

import numpy as np

from .activation import relu, relu_backward
from .convolution import conv2d
from .gradients import conv2d_backward, max_pool2d_backward
from .int_checks import int_tuple, positive_int
from .pooling import max_pool2d

__all__ = [
    "Conv2d",
    "ReLU",
    "MaxPool2d",
    "Flatten",
    "Linear",
    "Sequential",
    "softmax_cross_entropy",
    "SGD",
    "load_digits_split",
    "train_digits",
]


def _dtype(dtype, fn):
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{fn}: dtype must be a floating dtype, got {dt}")
    return dt


class Conv2d:
    """2-D convolution layer (channels-first), as ``torch.nn.Conv2d`` without dilation/groups.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int), default 1
    padding : int, tuple, pairs or "valid"/"same"/"full", default 0
        Anything :func:`reference.conv2d` accepts.
    rng : int, numpy.random.Generator or None
        Seeds the He-normal initialisation ``N(0, 2 / (c_I h_K w_K))``; the bias starts at 0.
    dtype : floating dtype, default float64

    Attributes
    ----------
    weight : array, shape (c_O, c_I, h_K, w_K)
    bias : array, shape (c_O,)
    grad_weight, grad_bias : arrays of the same shapes, filled by :meth:`backward`.

    Examples
    --------
    >>> layer = Conv2d(1, 8, 3, padding=1, rng=0)
    >>> layer.forward(np.zeros((2, 1, 8, 8))).shape
    (2, 8, 8, 8)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, *, rng=None, dtype=np.float64):
        fn = "Conv2d"
        c_in = positive_int(in_channels, "in_channels", fn)
        c_out = positive_int(out_channels, "out_channels", fn)
        kh, kw = int_tuple(kernel_size, 2, "kernel_size", fn)
        dt = _dtype(dtype, fn)
        rng = np.random.default_rng(rng)
        self.stride, self.padding = stride, padding
        self.weight = (rng.standard_normal((c_out, c_in, kh, kw)) * math.sqrt(2.0 / (c_in * kh * kw))).astype(dt)
        self.bias = np.zeros(c_out, dtype=dt)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)
        self._x = None

    def forward(self, x):
        """``(n, c_I, h_I, w_I)`` -> ``(n, c_O, h_O, w_O)``."""
        self._x = x
        return conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)

    def backward(self, dout):
        """Store dL/dweight and dL/dbias; return dL/dx, shape of the forward input."""
        dx, dw, db = conv2d_backward(dout, self._x, self.weight, stride=self.stride, padding=self.padding)
        self.grad_weight[...] = dw
        self.grad_bias[...] = db
        return dx

    def params(self):
        return [(self.weight, self.grad_weight), (self.bias, self.grad_bias)]

    __call__ = forward


class ReLU:
    """Rectified linear unit layer (no parameters)."""

    def __init__(self):
        self._x = None

    def forward(self, x):
        self._x = x
        return relu(x)

    def backward(self, dout):
        return relu_backward(dout, self._x)

    def params(self):
        return []

    __call__ = forward


class MaxPool2d:
    """2-D max pooling layer (no parameters), as ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int, (int, int) or None, default None (the kernel size)
    """

    def __init__(self, kernel_size, stride=None):
        self.kernel_size, self.stride = kernel_size, stride
        self._x = None

    def forward(self, x):
        self._x = x
        return max_pool2d(x, self.kernel_size, self.stride)

    def backward(self, dout):
        return max_pool2d_backward(dout, self._x, self.kernel_size, self.stride)

    def params(self):
        return []

    __call__ = forward


class Flatten:
    """Flatten all axes but the batch axis: ``(n, ...)`` -> ``(n, prod(...))``."""

    def __init__(self):
        self._shape = None

    def forward(self, x):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self._shape)

    def params(self):
        return []

    __call__ = forward


class Linear:
    """Fully connected layer ``y = x W^T + b``, weight ``(out_features, in_features)`` as in torch.

    Parameters
    ----------
    in_features, out_features : int
    rng : int, numpy.random.Generator or None
        Seeds the He-normal initialisation ``N(0, 2 / in_features)``; the bias starts at 0.
    dtype : floating dtype, default float64

    Examples
    --------
    >>> Linear(128, 10, rng=0).forward(np.zeros((4, 128))).shape
    (4, 10)
    """

    def __init__(self, in_features, out_features, *, rng=None, dtype=np.float64):
        fn = "Linear"
        n_in = positive_int(in_features, "in_features", fn)
        n_out = positive_int(out_features, "out_features", fn)
        dt = _dtype(dtype, fn)
        rng = np.random.default_rng(rng)
        self.weight = (rng.standard_normal((n_out, n_in)) * math.sqrt(2.0 / n_in)).astype(dt)
        self.bias = np.zeros(n_out, dtype=dt)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)
        self._x = None

    def forward(self, x):
        """``(n, in_features)`` -> ``(n, out_features)``."""
        if x.ndim != 2 or x.shape[1] != self.weight.shape[1]:
            raise ValueError(f"Linear: input must have shape (n, {self.weight.shape[1]}), got shape {tuple(x.shape)}")
        self._x = x
        return x @ self.weight.T + self.bias

    def backward(self, dout):
        self.grad_weight[...] = dout.T @ self._x
        self.grad_bias[...] = dout.sum(axis=0)
        return dout @ self.weight

    def params(self):
        return [(self.weight, self.grad_weight), (self.bias, self.grad_bias)]

    __call__ = forward


class Sequential:
    """Layers applied in order; backward runs them in reverse.

    Examples
    --------
    >>> model = Sequential(Conv2d(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2d(2), Flatten(), Linear(128, 10, rng=1))
    >>> model.forward(np.zeros((5, 1, 8, 8))).shape
    (5, 10)
    """

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def params(self):
        return [pair for layer in self.layers for pair in layer.params()]

    __call__ = forward


def softmax_cross_entropy(logits, labels):
    """Mean softmax cross-entropy loss and its gradient with respect to the logits.

    .. math:: L = -\\frac{1}{n} \\sum_i \\log \\operatorname{softmax}(z_i)_{y_i},
       \\qquad \\frac{\\partial L}{\\partial z} = \\frac{\\operatorname{softmax}(z) - \\operatorname{onehot}(y)}{n}

    Parameters
    ----------
    logits : array, shape (n, n_classes)
    labels : int array, shape (n,), values in ``[0, n_classes)``

    Returns
    -------
    loss : float
    dlogits : array, shape (n, n_classes)

    Examples
    --------
    >>> loss, d = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 4), d.shape
    (1.3863, (2, 4))
    """
    fn = "softmax_cross_entropy"
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"{fn}: logits must be 2-D (n, n_classes), got shape {logits.shape}")
    if labels.shape != (logits.shape[0],) or labels.dtype.kind not in "iu":
        raise ValueError(f"{fn}: labels must be integers of shape ({logits.shape[0]},), got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"{fn}: labels must lie in [0, {logits.shape[1]}), got range [{labels.min()}, {labels.max()}]")
    n = logits.shape[0]
    # Subtracting the row maximum keeps exp from overflowing without changing the softmax.
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_probs[np.arange(n), labels].mean())
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), labels] -= 1
    return loss, dlogits / n


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum, as ``torch.optim.SGD``.

    ``v = momentum * v + grad; param -= lr * v`` for every ``(param, grad)`` pair, in place.

    Parameters
    ----------
    params : list of (array, array)
        From ``model.params()``.
    lr : float
        Learning rate (> 0).
    momentum : float, default 0.0
    """

    def __init__(self, params, lr, momentum=0.0):
        if not lr > 0:
            raise ValueError(f"SGD: lr must be positive, got {lr!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.params = list(params)
        self.lr, self.momentum = lr, momentum
        self._velocity = [np.zeros_like(p) for p, _ in self.params]

    def step(self):
        for (p, g), v in zip(self.params, self._velocity):
            v *= self.momentum
            v += g
            p -= self.lr * v

    def zero_grad(self):
        for _, g in self.params:
            g[...] = 0


def load_digits_split(test_fraction=0.25, seed=0):
    """scikit-learn's 8x8 handwritten digits, shuffled and split into train and test sets.

    The data ship inside scikit-learn (nothing is downloaded).

    Parameters
    ----------
    test_fraction : float, default 0.25
        Share of the 1797 images held out, in (0, 1).
    seed : int, default 0
        Seeds the shuffle.

    Returns
    -------
    x_train : float32 array, shape (n_train, 1, 8, 8), values in [0, 1]
    y_train : int64 array, shape (n_train,)
    x_test : float32 array, shape (n_test, 1, 8, 8)
    y_test : int64 array, shape (n_test,)
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"load_digits_split: test_fraction must be in (0, 1), got {test_fraction!r}")
    from sklearn.datasets import load_digits  # imported here: reference itself must not need scikit-learn

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def _accuracy(model, x, y, batch_size=512):
    correct = 0
    for i in range(0, len(y), batch_size):
        correct += int((model.forward(x[i : i + batch_size]).argmax(axis=1) == y[i : i + batch_size]).sum())
    return correct / max(1, len(y))


def train_digits(epochs=10, seed=0, batch_size=32, lr=0.1, momentum=0.9, test_fraction=0.25):
    """Train a small CNN on the 8x8 digits with minibatch SGD; reaches >= 95% test accuracy in seconds.

    Model: ``Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten ->
    Linear(128, 10)``, float32, He initialisation seeded by ``seed``.

    Parameters
    ----------
    epochs : int, default 10
    seed : int, default 0
        Seeds the split, the initialisation and the minibatch order.
    batch_size : int, default 32
    lr : float, default 0.1
    momentum : float, default 0.9
    test_fraction : float, default 0.25

    Returns
    -------
    dict
        ``model`` (the trained :class:`Sequential`), ``test_accuracy``
        (float in [0, 1]) and ``history``: one dict per epoch with ``epoch``,
        ``loss`` (mean training loss), ``train_accuracy``, ``test_accuracy``
        and ``seconds`` (elapsed since the start).
    """
    epochs = positive_int(epochs, "epochs", "train_digits")
    batch_size = positive_int(batch_size, "batch_size", "train_digits")
    x_train, y_train, x_test, y_test = load_digits_split(test_fraction, seed)
    rng = np.random.default_rng(seed)
    model = Sequential(
        Conv2d(1, 8, 3, padding=1, rng=rng, dtype=np.float32),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(8 * 4 * 4, 10, rng=rng, dtype=np.float32),
    )
    optimizer = SGD(model.params(), lr=lr, momentum=momentum)
    history = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        # Cosine decay: large steps early, small ones at the end so the last epoch settles.
        optimizer.lr = lr * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
        order = rng.permutation(len(y_train))
        losses = []
        for i in range(0, len(order), batch_size):
            batch = order[i : i + batch_size]
            loss, dlogits = softmax_cross_entropy(model.forward(x_train[batch]), y_train[batch])
            model.backward(dlogits)
            optimizer.step()
            losses.append(loss)
        history.append(
            {
                "epoch": epoch,
                "loss": float(np.mean(losses)),
                "train_accuracy": _accuracy(model, x_train, y_train),
                "test_accuracy": _accuracy(model, x_test, y_test),
                "seconds": time.perf_counter() - start,
            }
        )
    return {"model": model, "test_accuracy": history[-1]["test_accuracy"], "history": history}
