"""Differential tests: `reference` against torch.nn.functional (float64, CPU) on drawn cases.

Forward: conv1d/2d/3d in both layouts (channels-last compared after moving axes to torch's
layout and weights (k..., in/groups, out) -> (out, in/groups, k...)), every padding form
(asymmetric pairs, "same", "full" applied with F.pad), strides, dilations, groups, unbatched
input, float32 and float64; conv_transpose1d/2d; pools; relu.
Backward: conv2d_backward, max/avg_pool2d_backward and relu_backward against autograd; the pools
with TensorFlow's "valid"/"same" (either layout) and their backward against the spec's rule built
from torch ops (test_keras_layers.py holds them against Keras itself).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from ref_oracles import (
    TORCH_AVG, TORCH_CONV_T, TORCH_MAX, assert_matches, assert_same_nonfinite, conv_cases, conv_transpose_cases,
    keras_pool_cases, per_axis, pool_cases, resolve_padding, rng_arrays, tf_pool_graph, torch_conv, torch_pad_arg,
)

CONV = {1: "conv1d", 2: "conv2d", 3: "conv3d"}


def check_conv(nd, case):
    x, w, b, kw, dtype = case["x"], case["w"], case["b"], case["kwargs"], case["dtype"]
    ours = getattr(reference, CONV[nd])(x, w, b, **kw)
    exact = torch_conv(x, w, b, **kw)
    magnitude = torch_conv(x, w, b, absolute=True, **kw)
    assert_matches(ours, exact, magnitude, dtype, f"{CONV[nd]}({x.shape}, {w.shape}, {kw})")


@settings(max_examples=200, deadline=None)
@given(conv_cases(1))
def test_conv1d_matches_torch(case):
    check_conv(1, case)


@settings(max_examples=400, deadline=None)
@given(conv_cases(2))
def test_conv2d_matches_torch(case):
    check_conv(2, case)


@settings(max_examples=120, deadline=None)
@given(conv_cases(3, max_k=3, max_extra=3))
def test_conv3d_matches_torch(case):
    check_conv(3, case)


@pytest.mark.parametrize("nd", [2, 3])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_wide_conv_matches_torch(nd, data):
    """Tens of channels per group and kernels to 5: the shapes of real layers, where an
    implementation switches to the gathering schemes that pay off only there."""
    case = data.draw(conv_cases(nd, channels=(16, 48), max_groups=2, max_k=5 if nd == 2 else 3,
                                max_extra=12 if nd == 2 else 4, strides=(1, 1, 1, 2), min_size=12 if nd == 2 else 4))
    check_conv(nd, case)


@settings(max_examples=20, deadline=None)
@given(conv_transpose_cases(2, channels=(12, 40), max_size=9))
def test_wide_conv_transpose2d_matches_torch(case):
    check_conv_transpose(2, case)


LAYERS = [  # (x shape, w shape, kwargs): layers of a small real CNN
    ((2, 32, 16, 16), (32, 32, 3, 3), dict(stride=1, padding=1, dilation=1, groups=1)),
    ((2, 64, 14, 14), (48, 32, 5, 5), dict(stride=1, padding="same", dilation=2, groups=2)),
    ((3, 48, 20, 18), (40, 48, 3, 5), dict(stride=1, padding=((2, 0), (1, 3)), dilation=1, groups=1)),
    ((2, 64, 15, 15), (64, 64, 3, 3), dict(stride=2, padding=1, dilation=1, groups=1)),
    ((1, 64, 12, 12), (64, 1, 3, 3), dict(stride=1, padding=1, dilation=1, groups=64)),  # depthwise
]


@pytest.mark.parametrize("xs,ws,kw", LAYERS, ids=["k3", "grouped-dilated-same-k5", "asymmetric-k3x5", "stride2",
                                                  "depthwise"])
def test_realistic_layers_forward_and_backward_match_torch(xs, ws, kw):
    x, w, b = rng_arrays(31, xs, ws, (ws[0],))
    ours = reference.conv2d(x, w, b, **kw)
    assert_matches(ours, torch_conv(x, w, b, **kw), torch_conv(x, w, b, absolute=True, **kw), np.float64, "forward")
    ours32 = reference.conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), **kw)
    assert_matches(ours32, torch_conv(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), **kw),
                   torch_conv(x, w, b, absolute=True, **kw), np.float32, "forward float32")
    xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    bt = torch.from_numpy(b).requires_grad_()
    pairs = resolve_padding(kw["padding"], xs[2:], ws[2:], kw["stride"], kw["dilation"])
    out = F.conv2d(F.pad(xt, torch_pad_arg(pairs)), wt, bt, stride=kw["stride"], dilation=kw["dilation"],
                   groups=kw["groups"])
    (dout,) = rng_arrays(32, tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    for name, got, exact in zip(("dx", "dw", "db"), reference.conv2d_backward(dout, x, w, **kw),
                                (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(got, exact.numpy(), rtol=1e-9, atol=1e-9, err_msg=name)


def test_conv2d_batch_larger_than_one_chunk_matches_torch():
    """A batch whose patch matrix (64 ch x 9 taps x 56x56 positions, 7 MiB an image in float32)
    exceeds 256 MiB, so a bounded implementation must split it: the pieces must join exactly."""
    x, w, b = rng_arrays(21, (40, 64, 56, 56), (8, 64, 3, 3), (8,), dtype=np.float32)
    ours = reference.conv2d(x, w, b, padding=1)
    with torch.no_grad():
        exact = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(), torch.from_numpy(b).double(),
                         padding=1).numpy()
    assert ours.dtype == np.float32 and ours.shape == exact.shape
    np.testing.assert_allclose(ours, exact, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding", ["same", "valid", "full", 1, ((0, 2), (1, 0))])
def test_conv2d_same_rule_on_a_realistic_shape(padding):
    """A fixed, moderately sized case in both layouts, even kernel and stride 2 (TF "same" pads 0/1)."""
    x, w, b = rng_arrays(7, (2, 3, 13, 12), (8, 3, 4, 3), (8,))
    ours = reference.conv2d(x, w, b, stride=2, padding=padding)
    assert_matches(ours, torch_conv(x, w, b, stride=2, padding=padding),
                   torch_conv(x, w, b, stride=2, padding=padding, absolute=True), np.float64, "NCHW")
    xl, wl = np.moveaxis(x, 1, -1).copy(), np.transpose(w, (2, 3, 1, 0)).copy()
    ours_l = reference.conv2d(xl, wl, b, stride=2, padding=padding, data_format="NHWC")
    np.testing.assert_allclose(ours_l, np.moveaxis(ours, 1, -1), rtol=1e-12, atol=1e-12)


def test_same_padding_puts_the_odd_pixel_bottom_right():
    """TensorFlow's rule, seen on the values: a 2x2 kernel picking its top-left tap returns x itself
    (padding 0 before, 1 after); torch-style centred-left padding would shift the image."""
    x = np.arange(1.0, 26.0).reshape(1, 1, 5, 5)
    w = np.zeros((1, 1, 2, 2))
    w[0, 0, 0, 0] = 1.0
    np.testing.assert_array_equal(reference.conv2d(x, w, padding="same"), x)


@settings(max_examples=150, deadline=None)
@given(conv_transpose_cases(1))
def test_conv_transpose1d_matches_torch(case):
    check_conv_transpose(1, case)


@settings(max_examples=250, deadline=None)
@given(conv_transpose_cases(2))
def test_conv_transpose2d_matches_torch(case):
    check_conv_transpose(2, case)


def check_conv_transpose(nd, case):
    x, w, b, kw, dtype = case["x"], case["w"], case["b"], case["kwargs"], case["dtype"]
    ours = getattr(reference, f"conv_transpose{nd}d")(x, w, b, **kw)
    tb = None if b is None else torch.from_numpy(b.astype(np.float64))
    exact = TORCH_CONV_T[nd](torch.from_numpy(x.astype(np.float64)), torch.from_numpy(w.astype(np.float64)),
                             tb, **kw).numpy()
    mag = TORCH_CONV_T[nd](torch.from_numpy(np.abs(x.astype(np.float64))),
                           torch.from_numpy(np.abs(w.astype(np.float64))),
                           None if b is None else tb.abs(), **kw).numpy()
    assert_matches(ours, exact, mag, dtype, f"conv_transpose{nd}d({x.shape}, {w.shape}, {kw})")
    # The same call in Keras's layouts: input (n, *spatial, c_I), kernel (*k, c_O/groups, c_I).
    x_last = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    w_last = np.ascontiguousarray(np.transpose(w, tuple(range(2, nd + 2)) + (1, 0)))
    ours = getattr(reference, f"conv_transpose{nd}d")(x_last, w_last, b, **kw, data_format=("NWC", "NHWC")[nd - 1])
    assert_matches(np.moveaxis(ours, -1, 1), exact, mag, dtype, f"conv_transpose{nd}d channels-last {kw}")


def check_pool(kind, nd, case):
    x, dtype = case["x"], case["dtype"]
    kw = dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
              ceil_mode=case["ceil_mode"])
    ours = getattr(reference, f"{kind}_pool{nd}d")(x, **kw)
    oracle = (TORCH_MAX if kind == "max" else TORCH_AVG)[nd]
    exact = oracle(torch.from_numpy(x.astype(np.float64)), **kw).numpy()
    mag = oracle(torch.from_numpy(np.abs(x.astype(np.float64))), **kw).numpy() if kind == "avg" else np.abs(exact)
    assert_matches(ours, exact, mag, dtype, f"{kind}_pool{nd}d({x.shape}, {kw})")


@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=150, deadline=None)
@given(case=pool_cases(1))
def test_pool1d_matches_torch(kind, case):
    check_pool(kind, 1, case)


@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=200, deadline=None)
@given(case=pool_cases(2))
def test_pool2d_matches_torch(kind, case):
    check_pool(kind, 2, case)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_ceil_mode_drops_the_window_that_starts_in_the_padding(kind):
    """n=5, k=2, s=2, p=1, ceil: ceil((5+2-2)/2)+1 = 4 windows would start at 5 (in the padding),
    so torch keeps 3; our output must agree in shape and values."""
    x = np.arange(10.0).reshape(1, 2, 5)
    ours = getattr(reference, f"{kind}_pool1d")(x, 2, stride=2, padding=1, ceil_mode=True)
    exact = (F.max_pool1d if kind == "max" else F.avg_pool1d)(torch.from_numpy(x), 2, 2, 1, ceil_mode=True)
    assert exact.shape[-1] == 3
    assert_matches(ours, exact.numpy(), np.abs(exact.numpy()), np.float64, kind)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_matches_torch(dtype, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    x[0, 0, 0, :3] = [0.0, -0.0, np.inf]
    ours = reference.relu(x)
    assert ours.dtype == dtype and ours.shape == x.shape
    np.testing.assert_array_equal(ours, torch.relu(torch.from_numpy(x)).numpy())


# ------------------------------------------------------------------------------- gradients

@settings(max_examples=250, deadline=None)
@given(conv_cases(2, layouts=("first",), allow_unbatched=False))
def test_conv2d_backward_matches_autograd(case):
    check_conv2d_backward(case)


def check_conv2d_backward(case):
    x, w, b, kw = case["x"].astype(np.float64), case["w"].astype(np.float64), case["b"], case["kwargs"]
    kw = {k: v for k, v in kw.items() if k != "data_format"}
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    bt = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    pairs = resolve_padding(kw["padding"], x.shape[2:], w.shape[2:], kw["stride"], kw["dilation"])
    out = F.conv2d(F.pad(xt, torch_pad_arg(pairs)), wt, bt, stride=kw["stride"],
                   dilation=kw["dilation"], groups=kw["groups"])
    (dout,) = rng_arrays(case["seed"] + 1, tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    dx, dw, db = reference.conv2d_backward(dout, x, w, **kw)
    scale = np.abs(dout).sum() * max(1.0, np.abs(x).max(), np.abs(w).max())
    for name, ours, exact in [("dx", dx, xt.grad), ("dw", dw, wt.grad), ("db", db, bt.grad)]:
        exact = exact.numpy()
        assert ours.shape == exact.shape, f"{name}: shape {ours.shape}, autograd {exact.shape} ({kw})"
        assert ours.dtype == np.float64, f"{name}: dtype {ours.dtype}"
        np.testing.assert_allclose(ours, exact, rtol=1e-10, atol=1e-12 * scale, err_msg=f"{name} {kw}")


@settings(max_examples=25, deadline=None)
@given(conv_cases(2, layouts=("first",), allow_unbatched=False, channels=(16, 48), max_groups=2, max_k=5,
                  max_extra=12, strides=(1, 1, 1, 2), min_size=12))
def test_wide_conv2d_backward_matches_autograd(case):
    check_conv2d_backward(case)


@settings(max_examples=60, deadline=None)
@given(conv_cases(2, layouts=("first",), allow_unbatched=False, paddings=("int",)))
def test_conv2d_backward_float32_keeps_dtype(case):
    x, w, kw = case["x"].astype(np.float32), case["w"].astype(np.float32), case["kwargs"]
    kw = {k: v for k, v in kw.items() if k != "data_format"}
    out = reference.conv2d(x, w, **kw)
    dx, dw, db = reference.conv2d_backward(np.ones_like(out), x, w, **kw)
    assert (dx.dtype, dw.dtype, db.dtype) == (np.float32,) * 3
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (w.shape[0],)


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_tensorflow_padding_pools_and_backward_match_autograd(kind, nd, data):
    """"valid"/"same" in either layout against the spec's rule built from torch ops (explicit padding,
    -inf for max, an average over the real cells), forward and autograd's gradient."""
    case = data.draw(keras_pool_cases(nd))
    x, kw = case["x"].astype(np.float64), case["kwargs"]
    x_cf = np.moveaxis(x, -1, 1) if case["last"] else x
    kernel = per_axis(kw["kernel_size"], nd)
    stride = kernel if kw["stride"] is None else per_axis(kw["stride"], nd)
    xt = torch.from_numpy(np.ascontiguousarray(x_cf)).requires_grad_()
    out = tf_pool_graph(kind, xt, kernel, stride, kw["padding"], nd)
    dout = data.draw(st.integers(0, 2**32 - 1).map(lambda seed: rng_arrays(seed, tuple(out.shape))[0]))
    out.backward(torch.from_numpy(dout))
    expected, expected_dx, dout = out.detach().numpy(), xt.grad.numpy(), dout
    if case["last"]:
        expected, expected_dx, dout = (np.moveaxis(a, 1, -1) for a in (expected, expected_dx, dout))
    y = getattr(reference, f"{kind}_pool{nd}d")(x, **kw)
    dx = getattr(reference, f"{kind}_pool{nd}d_backward")(dout, x, **kw)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12, err_msg=f"{kind} {kw}")
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-12, atol=1e-12, err_msg=f"{kind} backward {kw}")


@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=150, deadline=None)
@given(case=pool_cases(2))
def test_pool2d_backward_matches_autograd(kind, case):
    x = case["x"].astype(np.float64)  # continuous values: no ties, so the max is unique
    kw = dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"])
    xt = torch.from_numpy(x).requires_grad_()
    out = (F.max_pool2d if kind == "max" else F.avg_pool2d)(xt, **kw)
    (dout,) = rng_arrays(case["seed"] + 1, tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    dx = getattr(reference, f"{kind}_pool2d_backward")(dout, x, **kw)
    assert dx.shape == x.shape and dx.dtype == np.float64
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{kind} {kw}")


@pytest.mark.parametrize("kernel,stride,padding",
                         [(2, None, 0), (3, 1, 1), (2, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 0))])
def test_max_pool2d_backward_ties_follow_torch(kernel, stride, padding, rng):
    """Integer-valued input: most windows hold ties. torch (CPU) sends each window's gradient to
    its first maximum in row-major order; autograd is the contract, so ties must match it too."""
    x = rng.integers(0, 3, size=(2, 2, 7, 6)).astype(np.float64)
    xt = torch.from_numpy(x).requires_grad_()
    out = F.max_pool2d(xt, kernel, stride, padding)
    dout = rng.standard_normal(tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    dx = reference.max_pool2d_backward(dout, x, kernel, stride=stride, padding=padding)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool2d_backward_with_ties_conserves_gradient():
    """With ties the routing is a convention, but each window's gradient must land on one of its
    maxima, whole: the total is conserved and only maximal positions receive any."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1:3, 1:3] = 1.0
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = reference.max_pool2d_backward(dout, x, 2)
    assert dx.sum() == pytest.approx(10.0)
    assert np.all(dx[x == 0] == 0)


def test_relu_backward_matches_autograd(rng):
    x = rng.standard_normal((2, 3, 5, 5))
    x[0, 0, 0, :2] = 0.0  # torch's derivative at exactly 0 is 0
    dout = rng.standard_normal(x.shape)
    xt = torch.from_numpy(x).requires_grad_()
    torch.relu(xt).backward(torch.from_numpy(dout))
    dx = reference.relu_backward(dout, x)
    assert dx.dtype == np.float64
    np.testing.assert_array_equal(dx, xt.grad.numpy())


# ---------------------------------------------------------------- NaN and inf, like torch

@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("padding", [0, 1, "same"])
def test_conv2d_nonfinite_propagates_like_torch(value, padding, rng):
    """A non-finite pixel reaches exactly the outputs whose window covers it (inf * 0 weight is
    NaN in torch too); a fast algorithm (Winograd, FFT) that smears it further fails here."""
    x = rng.standard_normal((1, 2, 7, 6))
    x[0, 1, 3, 2] = value
    w = rng.standard_normal((3, 2, 3, 3))
    w[1, 1, 1, 1] = 0.0
    assert_same_nonfinite(reference.conv2d(x, w, padding=padding), torch_conv(x, w, padding=padding))


@pytest.mark.parametrize("fn", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_pool_nonfinite_propagates_like_torch(fn, value, rng):
    x = rng.standard_normal((1, 1, 6, 6))
    x[0, 0, 2, 3] = value
    ours = getattr(reference, fn)(x, 2, stride=1, padding=1)
    exact = getattr(F, fn)(torch.from_numpy(x), 2, stride=1, padding=1).numpy()
    assert_same_nonfinite(ours, exact)


def test_relu_nan_propagates_like_torch():
    x = np.array([np.nan, -1.0, 2.0, -np.inf, np.inf])
    assert_same_nonfinite(reference.relu(x), torch.relu(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_conv_transpose_inverts_conv_shape(nd, data):
    """Dumoulin & Visin: the transpose of conv(i, k, s, p) maps its output back to size i once
    output_padding a = (i + 2p - d(k-1) - 1) mod s; torch's conv_transpose agrees, and so must we."""
    i = data.draw(st.integers(1, 9))
    k, s, d = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    p = data.draw(st.integers(0, 2))
    span = i + 2 * p - d * (k - 1) - 1
    if span < 0:
        return
    o, a = span // s + 1, span % s
    x, w = rng_arrays(0, (1, 2) + (o,) * nd, (2, 3) + (k,) * nd)
    y = getattr(reference, f"conv_transpose{nd}d")(x, w, stride=s, padding=p, output_padding=a, dilation=d)
    assert y.shape == (1, 3) + (i,) * nd
