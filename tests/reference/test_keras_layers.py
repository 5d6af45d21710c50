"""Keras's half of the API against real Keras/TensorFlow on CPU (issue 14).

The oracle is the layers students meet in Keras's worked examples, run by TensorFlow:
``MaxPooling1D/2D``, ``AveragePooling1D/2D``, ``Conv1DTranspose``/``Conv2DTranspose`` (and one
``Conv3DTranspose``), channels-last, with our weights set into them. Each case compares

- the forward values with ``reference``'s ``data_format="NWC"/"NHWC"`` call;
- the gradients ``tf.GradientTape`` gives for a random upstream gradient: with the pooling
  backward functions, and for a transposed convolution with what the reference says they are
  (its input-gradient is the convolution with the same kernel and padding, :func:`reference.conv2d`
  channels-last; its kernel-gradient the one :func:`reference.conv2d_backward` gives that
  convolution; its bias-gradient the sum of the upstream gradient).

The sweep: window/kernel sizes 1-3 (1-4), strides 1-3, "valid" and "same" on sizes where "same"
pads an odd total, every ``output_padding`` Keras allows (and the one TensorFlow refuses), batch 2,
several channels, float32 and float64.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: no C++ info logs

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import reference  # noqa: E402

keras = tf.keras
LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
POOLS = {("max", 1): keras.layers.MaxPooling1D, ("max", 2): keras.layers.MaxPooling2D,
         ("avg", 1): keras.layers.AveragePooling1D, ("avg", 2): keras.layers.AveragePooling2D}
TRANSPOSES = {1: keras.layers.Conv1DTranspose, 2: keras.layers.Conv2DTranspose, 3: keras.layers.Conv3DTranspose}
#: float32: TensorFlow (oneDNN) sums in another order; float64: rounding only.
TOLERANCE = {"float32": 2e-5, "float64": 1e-12}


def odd_same_size(k, s):
    """An input length from 4 on whose "same" padding max((ceil(n/s)-1)s + k - n, 0) is odd, if any."""
    for n in range(4, 10):
        if ((-(-n // s) - 1) * s + k - n) % 2:
            return n
    return 5


def spatial_sizes(nd, k, s):
    """One axis with an odd "same" padding, a second (2-D) one length apart."""
    n = odd_same_size(k, s)
    return (n,) if nd == 1 else (n, n + 1)


def keras_run(layer, x, rng):
    """Forward value, upstream gradient, and the gradients of <layer(x), dout> with respect to x and
    the layer's weights, by tf.GradientTape."""
    xt = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = layer(xt)
    dout = rng.standard_normal(tuple(y.shape)).astype(x.dtype)
    grads = tape.gradient(y, [xt] + list(layer.trainable_weights), output_gradients=tf.constant(dout))
    return y.numpy(), dout, [g.numpy() for g in grads]


def assert_close(ours, theirs, dtype, what):
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, Keras {theirs.shape}"
    assert ours.dtype == np.dtype(dtype), f"{what}: dtype {ours.dtype}, expected {dtype}"
    tol = TOLERANCE[dtype] * max(1.0, float(np.abs(theirs).max(initial=0.0)))
    err = float(np.abs(ours.astype(np.float64) - theirs).max(initial=0.0))
    assert err <= tol, f"{what}: max |ours - Keras| = {err:.3g} > {tol:.3g}"


# -- pooling ------------------------------------------------------------------------------------------
POOL_CASES = [(nd, kind, k, s, padding) for nd in (1, 2) for kind in ("max", "avg") for k in (1, 2, 3)
              for s in (1, 2, 3) for padding in ("valid", "same")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("nd, kind, k, s, padding", POOL_CASES)
def test_pool_and_its_gradient_match_keras(nd, kind, k, s, padding, dtype, rng):
    x = rng.standard_normal((2,) + spatial_sizes(nd, k, s) + (3,)).astype(dtype)
    layer = POOLS[kind, nd](pool_size=k, strides=s, padding=padding, dtype=dtype)
    y_keras, dout, (dx_keras,) = keras_run(layer, x, rng)
    kw = dict(kernel_size=k, stride=s, padding=padding, data_format=LAST[nd])
    what = f"{kind}_pool{nd}d({x.shape}, {kw})"
    assert_close(getattr(reference, f"{kind}_pool{nd}d")(x, **kw), y_keras, dtype, what)
    assert_close(getattr(reference, f"{kind}_pool{nd}d_backward")(dout, x, **kw), dx_keras, dtype, what + " backward")


@pytest.mark.parametrize("nd", [1, 2])
def test_max_pool_gradient_goes_to_the_first_of_tied_maxima_as_in_keras(nd, rng):
    """Ties everywhere (values 0-2): TensorFlow, like torch, gives each window's gradient to its first
    maximum in window order."""
    x = rng.integers(0, 3, (2,) + (6,) * nd + (2,)).astype("float64")
    for k, s, padding in [(2, 2, "valid"), (3, 2, "same"), (2, 1, "same")]:
        _, dout, (dx_keras,) = keras_run(POOLS["max", nd](k, strides=s, padding=padding, dtype="float64"), x, rng)
        dx = getattr(reference, f"max_pool{nd}d_backward")(dout, x, k, s, padding, data_format=LAST[nd])
        np.testing.assert_allclose(dx, dx_keras, rtol=0, atol=1e-12, err_msg=f"k={k} s={s} {padding}")


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_a_valid_window_larger_than_the_input_is_refused_where_keras_gives_nothing(kind):
    """Keras's "valid" with a window longer than the input returns an empty map (or fails inside
    oneDNN); the spec refuses it, as it refuses any output under 1."""
    x = np.ones((1, 2, 3, 1))
    try:
        empty = POOLS[kind, 2](pool_size=3, padding="valid", dtype="float64")(x).shape
    except tf.errors.OpError:
        empty = None
    assert empty is None or 0 in tuple(empty)
    with pytest.raises(ValueError, match="window of size 3 does not fit"):
        getattr(reference, f"{kind}_pool2d")(x, 3, padding="valid", data_format="NHWC")


# -- transposed convolution ---------------------------------------------------------------------------
TRANSPOSE_CASES = [(nd, k, s, padding, op, 1, dtype) for nd in (1, 2) for k in (1, 2, 3, 4) for s in (1, 2, 3)
                   for padding in ("valid", "same") for op in (None, 0, 1, 2) if op is None or op < s
                   for dtype in ("float32", "float64")]
# Keras allows dilation with stride 1 only, and TensorFlow's CPU kernels only in float32 (oneDNN).
TRANSPOSE_CASES += [(nd, k, 1, padding, op, 2, "float32") for nd in (1, 2) for k in (2, 3)
                    for padding in ("valid", "same") for op in (None, 0)]


def transpose_kernel_grad(x, dout, w, nd, stride, padding, dilation):
    """d<conv_transpose(x, w), dout>/dw = d<x, conv(dout, w)>/dw: conv2d_backward's weight gradient of
    the convolution from the output back to the input (1-D as 2-D with a unit height), in Keras's layout."""
    first = lambda a: np.moveaxis(a, -1, 1)  # noqa: E731 - channels-last -> channels-first
    x_cf, dout_cf = first(x), first(dout)
    w_cf = np.transpose(w, (nd + 1, nd) + tuple(range(nd)))  # (c_I, c_O, *k): conv's (out, in, *k)
    if nd == 1:
        x_cf, dout_cf, w_cf = x_cf[:, :, None], dout_cf[:, :, None], w_cf[:, :, None]
        stride, dilation = (1, stride), (1, dilation)
    _, dw, _ = reference.conv2d_backward(x_cf, dout_cf, w_cf, stride=stride, padding=padding, dilation=dilation)
    if nd == 1:
        dw = dw[:, :, 0]
    return np.transpose(dw, tuple(range(2, nd + 2)) + (1, 0))


@pytest.mark.parametrize("nd, k, s, padding, op, d, dtype", TRANSPOSE_CASES)
def test_conv_transpose_and_its_gradients_match_keras(nd, k, s, padding, op, d, dtype, rng):
    x = rng.standard_normal((2,) + spatial_sizes(nd, k, s)[::-1] + (3,)).astype(dtype)
    w = rng.standard_normal((k,) * nd + (2, 3)).astype(dtype)  # Keras's (*kernel, filters, c_I)
    b = rng.standard_normal(2).astype(dtype)
    layer = TRANSPOSES[nd](filters=2, kernel_size=k, strides=s, padding=padding, output_padding=op,
                           dilation_rate=d, dtype=dtype)
    layer.build(x.shape)
    layer.set_weights([w, b])
    kw = dict(stride=s, padding=padding, output_padding=op, dilation=d, data_format=LAST[nd])
    what = f"conv_transpose{nd}d({x.shape}, {w.shape}, {kw})"
    if padding == "same" and op == 0 and d * (k - 1) % 2:
        # An even kernel: Keras's length (n-1)s is no "same" convolution's input for n; TensorFlow fails.
        with pytest.raises((tf.errors.OpError, ValueError)):
            layer(x)
        with pytest.raises(ValueError, match="output_padding"):
            getattr(reference, f"conv_transpose{nd}d")(x, w, b, **kw)
        return
    y_keras, dout, (dx_keras, dw_keras, db_keras) = keras_run(layer, x, rng)
    assert_close(getattr(reference, f"conv_transpose{nd}d")(x, w, b, **kw), y_keras, dtype, what)
    dx = getattr(reference, f"conv{nd}d")(dout, w, stride=s, padding=padding, dilation=d, data_format=LAST[nd])
    assert_close(dx, dx_keras, dtype, what + " dx")
    assert_close(transpose_kernel_grad(x, dout, w, nd, s, padding, d), dw_keras, dtype, what + " dw")
    assert_close(dout.sum(axis=tuple(range(nd + 1))), db_keras, dtype, what + " db")


def test_conv_transpose3d_matches_keras(rng):
    x = rng.standard_normal((2, 3, 4, 5, 2))
    w = rng.standard_normal((3, 2, 3, 4, 2))
    for padding, op in [("same", None), ("valid", 1), ("same", (1, 1, 0))]:
        layer = TRANSPOSES[3](filters=4, kernel_size=(3, 2, 3), strides=2, padding=padding, output_padding=op,
                              use_bias=False, dtype="float64")
        layer.build(x.shape)
        layer.set_weights([w])
        ours = reference.conv_transpose3d(x, w, stride=2, padding=padding, output_padding=op, data_format="NDHWC")
        assert_close(ours, layer(x).numpy(), "float64", f"conv_transpose3d {padding} {op}")


# -- the public size formulas ---------------------------------------------------------------------------
def test_pool_output_size_is_keras_pooling_length():
    for n in range(1, 10):
        for k in (1, 2, 3, 4):
            for s in (None, 1, 2, 3):
                for padding in ("valid", "same"):
                    layer = keras.layers.MaxPooling1D(k, strides=s, padding=padding)
                    try:
                        (_, length, _) = layer.compute_output_shape((1, n, 1))
                    except ValueError:  # "Computed output size would be zero or negative"
                        with pytest.raises(ValueError, match="larger than the input"):
                            reference.pool_output_size(n, k, s, padding)
                    else:
                        assert reference.pool_output_size(n, k, s, padding) == length, (n, k, s, padding)


def test_conv_transpose_output_size_is_keras_deconv_length():
    for n in range(1, 7):
        for k in (1, 2, 3, 4):
            for s, d in [(1, 1), (2, 1), (3, 1), (1, 2), (1, 3)]:
                for padding in ("valid", "same"):
                    for op in [None] + list(range(s)):
                        layer = keras.layers.Conv1DTranspose(1, k, strides=s, padding=padding, output_padding=op,
                                                             dilation_rate=d)
                        (_, length, _) = layer.compute_output_shape((1, n, 1))
                        if padding == "same" and op == 0 and d * (k - 1) % 2:  # TensorFlow fails to run it
                            with pytest.raises(ValueError, match="output_padding"):
                                reference.conv_transpose_output_size(n, k, s, padding, op, d)
                            continue
                        assert reference.conv_transpose_output_size(n, k, s, padding, op, d) == length, \
                            (n, k, s, padding, op, d)


# -- the lessons' examples ----------------------------------------------------------------------------
def test_the_docstring_examples_are_what_keras_computes():
    """The Keras examples in the new docstrings (doctests), run through Keras itself."""
    x3 = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    x4 = np.arange(1.0, 17.0).reshape(1, 4, 4, 1)
    x5 = np.arange(1.0, 6.0).reshape(1, 5, 1)
    cases = [
        (keras.layers.MaxPooling2D(2, strides=1, padding="same"), x3,
         reference.max_pool2d(x3, 2, 1, padding="same", data_format="NHWC")),
        (keras.layers.MaxPooling2D(2, padding="same"), x4,
         reference.max_pool2d(x4, 2, padding="same", data_format="NHWC")),
        (keras.layers.AveragePooling2D(2, strides=1, padding="same"), x3,
         reference.avg_pool2d(x3, 2, 1, padding="same", data_format="NHWC")),
        (keras.layers.MaxPooling1D(2, strides=1), x5, reference.max_pool1d(x5, 2, 1, data_format="NWC")),
        (keras.layers.MaxPooling1D(2, strides=1, padding="same"), x5,
         reference.max_pool1d(x5, 2, 1, padding="same", data_format="NWC")),
        (keras.layers.AveragePooling1D(2, strides=1, padding="same"), x5,
         reference.avg_pool1d(x5, 2, 1, padding="same", data_format="NWC")),
    ]
    for layer, x, ours in cases:
        np.testing.assert_allclose(ours, layer(x.astype("float32")).numpy(), rtol=1e-6, err_msg=layer.name)
    transposed = [
        (keras.layers.Conv1DTranspose(1, 3, strides=2, padding="same", use_bias=False), np.ones((3, 1, 1)),
         np.array([1.0, 2, 3]).reshape(1, 3, 1), dict(stride=2, padding="same"), reference.conv_transpose1d, "NWC"),
        (keras.layers.Conv2DTranspose(1, 2, strides=2, use_bias=False), np.ones((2, 2, 1, 1)),
         np.array([[1.0, 2], [3, 4]]).reshape(1, 2, 2, 1), dict(stride=2, padding="valid"),
         reference.conv_transpose2d, "NHWC"),
    ]
    for layer, w, x, kw, fn, fmt in transposed:
        layer.build(x.shape)
        layer.set_weights([w.astype("float32")])
        np.testing.assert_allclose(fn(x, w, data_format=fmt, **kw), layer(x.astype("float32")).numpy(), rtol=1e-6)
