"""Metamorphic properties: relations between outputs that hold for any correct convolution, so
they need no oracle at all (delta identity, linearity, shift equivariance, the flip between
convolution and correlation, the transpose as adjoint, and output-size arithmetic)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from reference import conv_output_size, conv_transpose_output_size, pool_output_size, same_padding
from ref_oracles import LAST, conv_cases, rng_arrays

CONV = {1: "conv1d", 2: "conv2d", 3: "conv3d"}


def identity_kernel(channels, k, nd):
    """(C, C, k, ..., k) with a 1 at the centre of each diagonal (c, c) slice: odd k."""
    w = np.zeros((channels, channels) + (k,) * nd)
    for c in range(channels):
        w[(c, c) + (k // 2,) * nd] = 1.0
    return w


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_delta_kernel_is_identity(nd, k, rng):
    x = rng.standard_normal((2, 3) + (6,) * nd)
    w = identity_kernel(3, k, nd)
    np.testing.assert_allclose(getattr(reference, CONV[nd])(x, w, padding="same"), x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(getattr(reference, CONV[nd])(x, w, padding=k // 2), x, rtol=0, atol=1e-12)
    # channels-last, Keras weights (k..., in, out)
    xl = np.moveaxis(x, 1, -1)
    wl = np.transpose(w, tuple(range(2, 2 + nd)) + (1, 0))
    yl = getattr(reference, CONV[nd])(xl, wl, padding="same", data_format=LAST[nd])
    np.testing.assert_allclose(yl, xl, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_delta_kernel_is_identity_for_single_image_helpers(k, rng):
    image = rng.standard_normal((6, 9))
    delta = np.zeros((k, k))
    delta[k // 2, k // 2] = 1.0
    np.testing.assert_array_equal(reference.correlate2d(image, delta, mode="same"), image)
    np.testing.assert_array_equal(reference.convolve2d(image, delta, mode="same"), image)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(2), a=st.floats(-3, 3), c=st.floats(-3, 3))
def test_linear_in_input_and_in_weight(case, a, c):
    x, w, kw = case["x"].astype(np.float64), case["w"].astype(np.float64), case["kwargs"]
    x2, w2 = rng_arrays(case["seed"] + 1, x.shape, w.shape)
    f = lambda x_, w_: reference.conv2d(x_, w_, **kw)
    scale = np.sqrt(np.prod(w.shape)) * 10  # a few units of magnitude per summed term
    np.testing.assert_allclose(f(a * x + c * x2, w), a * f(x, w) + c * f(x2, w), rtol=1e-9, atol=1e-11 * scale)
    np.testing.assert_allclose(f(x, a * w + c * w2), a * f(x, w) + c * f(x, w2), rtol=1e-9, atol=1e-11 * scale)


def test_bias_adds_per_output_channel(rng):
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    np.testing.assert_allclose(reference.conv2d(x, w, b), reference.conv2d(x, w) + b[:, None, None], rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("stride", [1, 2, 3])
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kh=st.integers(1, 4), kw=st.integers(1, 4), dil=st.integers(1, 2))
def test_shift_equivariance(stride, seed, kh, kw, dil):
    """Valid padding: dropping the first `stride` rows (columns) of the input drops the first
    output row (column); the rest of the map is unchanged."""
    x, w = rng_arrays(seed, (1, 2, 12, 11), (3, 2, kh, kw))
    y = reference.conv2d(x, w, stride=stride, dilation=dil)
    down = reference.conv2d(x[:, :, stride:, :], w, stride=stride, dilation=dil)
    right = reference.conv2d(x[:, :, :, stride:], w, stride=stride, dilation=dil)
    np.testing.assert_allclose(down, y[:, :, 1:1 + down.shape[2], :], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(right, y[:, :, :, 1:1 + right.shape[3]], rtol=1e-12, atol=1e-12)


def test_shift_equivariance_of_a_rolled_image(rng):
    """Circularly shifting an image by one pixel shifts the valid map by one pixel, away from the
    wrapped border."""
    x, w = rng.standard_normal((1, 1, 10, 10)), rng.standard_normal((1, 1, 3, 3))
    y = reference.conv2d(x, w)
    y_shift = reference.conv2d(np.roll(x, 1, axis=3), w)
    np.testing.assert_allclose(y_shift[..., 1:], y[..., :-1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["valid", "full", "same"])
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kh=st.integers(1, 5), kw=st.integers(1, 5),
       dh=st.integers(0, 4), dw=st.integers(0, 4))
def test_convolution_is_correlation_with_the_flipped_kernel(mode, seed, kh, kw, dh, dw):
    """Exact for valid and full; for 'same' only when both kernel sizes are odd (with an even size
    the two 'same' crops are one pixel apart; scipy behaves the same way)."""
    if mode == "same" and (kh % 2 == 0 or kw % 2 == 0):
        kh, kw = kh | 1, kw | 1
    image, kernel = rng_arrays(seed, (kh + dh, kw + dw), (kh, kw))
    np.testing.assert_allclose(reference.convolve2d(image, kernel, mode=mode),
                               reference.correlate2d(image, kernel[::-1, ::-1], mode=mode), rtol=1e-12,
                               atol=1e-12)


def test_correlate2d_is_conv2d_of_one_image_and_one_channel(rng):
    image, kernel = rng.standard_normal((7, 9)), rng.standard_normal((3, 4))
    for mode in ["valid", "full"]:
        np.testing.assert_allclose(reference.correlate2d(image, kernel, mode=mode),
                                   reference.conv2d(image[None, None], kernel[None, None], padding=mode)[0, 0],
                                   rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_conv_transpose_is_the_adjoint_of_conv(data):
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)> with the same weight array: the defining
    property of the transposed convolution (Dumoulin & Visin section 4)."""
    groups = data.draw(st.integers(1, 2))
    cin, cout = groups * data.draw(st.integers(1, 3)), groups * data.draw(st.integers(1, 3))
    k = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    p = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    n = tuple(data.draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 10)) for ki, di, pi in zip(k, d, p))
    o = tuple(conv_output_size(ni, ki, pi, si, di) for ni, ki, pi, si, di in zip(n, k, p, s, d))
    a = tuple((ni + 2 * pi - di * (ki - 1) - 1) % si for ni, ki, pi, si, di in zip(n, k, p, s, d))
    x, w, y = rng_arrays(data.draw(st.integers(0, 2**32 - 1)), (2, cin, *n), (cout, cin // groups, *k),
                         (2, cout, *o))
    lhs = np.vdot(reference.conv2d(x, w, stride=s, padding=p, dilation=d, groups=groups), y)
    back = reference.conv_transpose2d(y, w, stride=s, padding=p, output_padding=a, dilation=d, groups=groups)
    assert back.shape == x.shape
    assert np.vdot(x, back) == pytest.approx(lhs, rel=1e-9, abs=1e-9)


# ----------------------------------------------------------------------- arithmetic sweep

@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), d=st.integers(1, 4))
def test_same_padding_gives_ceil_n_over_s(n, k, s, d):
    before, after = same_padding(n, k, stride=s, dilation=d)
    assert 0 <= before <= after <= before + 1, "the odd extra pixel goes after (bottom/right)"
    total = before + after
    assert (n + total - d * (k - 1) - 1) // s + 1 == math.ceil(n / s)
    # TensorFlow's total padding: the least that reaches ceil(n/s)
    assert total == max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 4), d=st.integers(1, 3), seed=st.integers(0, 99))
def test_same_string_equals_same_padding_pairs(n, k, s, d, seed):
    x, w = rng_arrays(seed, (1, 2, n, n + 1), (3, 2, k, k))
    y = reference.conv2d(x, w, stride=s, dilation=d, padding="same")
    assert y.shape[2:] == (math.ceil(n / s), math.ceil((n + 1) / s))
    pairs = (same_padding(n, k, s, d), same_padding(n + 1, k, s, d))
    np.testing.assert_allclose(reference.conv2d(x, w, stride=s, dilation=d, padding=pairs), y, rtol=1e-12, atol=1e-12)


@settings(max_examples=120, deadline=None)
@given(case=conv_cases(2, max_extra=8))
def test_conv_output_size_agrees_with_conv2d(case):
    x, w, kw = case["x"], case["w"], case["kwargs"]
    y = reference.conv2d(x, w, **kw)
    last = kw.get("data_format") == "NHWC"
    spatial_in = x.shape[1:3] if last else x.shape[-2:]
    kernel = w.shape[:2] if last else w.shape[2:]
    spatial_out = y.shape[1:3] if last else y.shape[-2:]
    pad = kw["padding"]
    for ax in range(2):
        pick = lambda v: v if isinstance(v, int) else v[ax]
        s, d = pick(kw["stride"]), pick(kw["dilation"])
        if pad == "same":
            p = same_padding(spatial_in[ax], kernel[ax], stride=s, dilation=d)
            expected = math.ceil(spatial_in[ax] / s)
            assert (spatial_in[ax] + sum(p) - d * (kernel[ax] - 1) - 1) // s + 1 == expected
        elif pad == "full":
            expected = conv_output_size(spatial_in[ax], kernel[ax], padding=d * (kernel[ax] - 1), stride=s, dilation=d)
        elif pad == "valid":
            expected = conv_output_size(spatial_in[ax], kernel[ax], padding=0, stride=s, dilation=d)
        elif isinstance(pick(pad), int):
            expected = conv_output_size(spatial_in[ax], kernel[ax], padding=pick(pad), stride=s, dilation=d)
        else:  # an asymmetric pair: the arithmetic over the total
            total = sum(pick(pad))
            expected = (spatial_in[ax] + total - d * (kernel[ax] - 1) - 1) // s + 1
        assert spatial_out[ax] == expected, (ax, kw)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 5), s=st.integers(1, 4), op=st.integers(0, 3),
       d=st.integers(1, 3), p=st.integers(0, 3))
def test_conv_transpose_output_size_agrees_with_conv_transpose2d(n, k, s, op, d, p):
    expected = (n - 1) * s - 2 * p + d * (k - 1) + op + 1  # torch's documented formula
    if op >= max(s, d) or expected < 1:
        return
    assert conv_transpose_output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d) == expected
    y = reference.conv_transpose2d(np.ones((1, 1, n, 2)), np.ones((1, 1, k, 1)), stride=(s, 1), padding=(p, 0),
                                   output_padding=(op, 0), dilation=(d, 1))
    assert y.shape[2] == expected


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 5), s=st.one_of(st.none(), st.integers(1, 4)),
       ceil_mode=st.booleans(), data=st.data())
def test_pool_output_size_agrees_with_pools(n, k, s, ceil_mode, data):
    p = data.draw(st.integers(0, k // 2))
    if n + 2 * p < k:
        return
    size = pool_output_size(n, k, stride=s, padding=p, ceil_mode=ceil_mode)
    x = np.ones((1, 1, n, 3))
    for pool in (reference.max_pool2d, reference.avg_pool2d):
        y = pool(x, (k, 1), stride=None if s is None else (s, 1), padding=(p, 0), ceil_mode=ceil_mode)
        assert y.shape[2] == size
    # torch's rule, written out: ceil or floor of (n + 2p - k)/s, then drop a last window that starts in the padding
    step = k if s is None else s
    out = (-(-(n + 2 * p - k) // step) if ceil_mode else (n + 2 * p - k) // step) + 1
    if ceil_mode and (out - 1) * step >= n + p:
        out -= 1
    assert size == out
