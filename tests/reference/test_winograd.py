"""The Winograd F(4x4, 3x3) and F(2x2, 3x3) paths of reference.conv2d (reference/winograd.py) against torch.

Every case drawn here is one the dispatcher sends down the Winograd path (3x3, stride 1,
dilation 1, groups 1, c_I * c_O >= winograd.MIN_CHANNEL_PRODUCT); a spy on winograd.forward
proves it, so the comparisons are not vacuous. Oracle: torch in float64 (ref_oracles), with the
suite's usual float32/float64 tolerances scaled by conv(|x|, |w|).
"""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
from reference import validation, winograd
from ref_oracles import assert_matches, assert_same_nonfinite, resolve_padding, rng_arrays, torch_conv, torch_pad_arg


def tile_magnitude(magnitude, m=None, axes=(-2, -1)):
    """The Winograd path's error scale: each output's ``sum |terms|`` replaced by the largest in its m x m tile.

    The transforms mix the whole tile before the products, so an output's rounding error is bounded by
    the tile's terms, not its own: an output near a zero border beside large ones (a one-sided padding)
    may differ from the exact sum by more than 1e-4 of its own terms, never of its tile's (float32: about
    1e-5 of them measured for F(4x4, 3x3)). Tiles start at output (0, 0).
    """
    m = winograd.TILE if m is None else m
    a = np.moveaxis(np.asarray(magnitude), axes, (-2, -1))
    h, w = a.shape[-2:]
    th, tw = -(-h // m), -(-w // m)
    padded = np.zeros(a.shape[:-2] + (th * m, tw * m))
    padded[..., :h, :w] = a
    peak = padded.reshape(a.shape[:-2] + (th, m, tw, m)).max(axis=(-3, -1))
    spread = np.repeat(np.repeat(peak, m, axis=-2), m, axis=-1)[..., :h, :w]
    return np.moveaxis(spread, (-2, -1), axes)


def _clear_plans():
    validation._PLANS.clear()  # plans cache the dispatch decision per signature


@pytest.fixture
def calls(monkeypatch):
    """Count the calls of winograd.forward (the real function still runs), with the dispatch thresholds
    lowered to 32x32 channels and any output size, so small, fast cases (odd sizes, 1x1 outputs) exercise
    the Winograd code itself. test_dispatcher_* check the default thresholds."""
    seen = []
    real = winograd.forward

    def spy(xp, x, w, pads):
        seen.append((tuple(x.shape), tuple(w.shape), pads))
        return real(xp, x, w, pads)

    monkeypatch.setattr(winograd, "forward", spy)
    monkeypatch.setattr(winograd, "DISPATCH", True)
    monkeypatch.setattr(winograd, "MIN_CHANNEL_PRODUCT", 32 * 32)
    monkeypatch.setattr(winograd, "MIN_OUTPUT", 1)
    monkeypatch.setattr(winograd, "MAX_TILE_WASTE", float("inf"))
    _clear_plans()
    yield seen
    _clear_plans()


@pytest.fixture
def default_calls(monkeypatch):
    """Count the calls of winograd.forward at the default dispatch thresholds (dispatch switched on)."""
    seen = []
    real = winograd.forward
    monkeypatch.setattr(winograd, "DISPATCH", True)
    monkeypatch.setattr(winograd, "forward", lambda xp, x, w, pads: seen.append(x.shape) or real(xp, x, w, pads))
    _clear_plans()
    yield seen
    _clear_plans()


@st.composite
def winograd_cases(draw, max_size=11):
    """3x3 stride-1 convolutions wide enough for the Winograd path: odd and even output sizes."""
    c = draw(st.integers(32, 40))
    o = draw(st.integers(-(-winograd.MIN_CHANNEL_PRODUCT // c), 40))
    padding = draw(st.sampled_from([0, 1, "same", ((0, 2), (1, 0))]))
    low = 1 if padding in (1, "same") else 3
    h, w = draw(st.integers(low, max_size)), draw(st.integers(low, max_size))
    n = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    layout = draw(st.sampled_from(["NCHW", "NHWC"]))
    seed = draw(st.integers(0, 2**31 - 1))
    x, wt, b = rng_arrays(seed, (n, c, h, w), (o, c, 3, 3), (o,), dtype=dtype)
    if layout == "NHWC":
        x, wt = np.moveaxis(x, 1, -1).copy(), np.transpose(wt, (2, 3, 1, 0)).copy()
    return {"x": x, "w": wt, "b": b, "kwargs": {"padding": padding, "data_format": layout}, "dtype": dtype,
            "seed": seed}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=winograd_cases())
def test_winograd_forward_matches_torch(calls, case):
    x, w, b, kw, dtype = case["x"], case["w"], case["b"], case["kwargs"], case["dtype"]
    calls.clear()
    ours = reference.conv2d(x, w, b, **kw)
    assert len(calls) == 1, f"dispatcher did not take the Winograd path for {x.shape}, {w.shape}, {kw}"
    axes = (1, 2) if kw["data_format"] == "NHWC" else (2, 3)
    assert_matches(ours, torch_conv(x, w, b, **kw), tile_magnitude(torch_conv(x, w, b, absolute=True, **kw), axes=axes), dtype,
                   f"winograd conv2d({x.shape}, {w.shape}, {kw})")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=winograd_cases(), dtype=st.sampled_from([np.float32, np.float64]))
def test_winograd_input_gradient_matches_autograd(calls, case, dtype):
    """dx of conv2d_backward is a 3x3 stride-1 convolution of dout: it takes the Winograd path too."""
    kw = {"padding": case["kwargs"]["padding"]}
    x, w = case["x"], case["w"]
    if case["kwargs"]["data_format"] == "NHWC":
        x, w = np.moveaxis(x, -1, 1).copy(), np.transpose(w, (3, 2, 0, 1)).copy()
    x, w = x.astype(dtype), w.astype(dtype)
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    pairs = resolve_padding(kw["padding"], x.shape[2:], (3, 3), 1, 1)
    out = F.conv2d(F.pad(xt, torch_pad_arg(pairs)), torch.from_numpy(w.astype(np.float64)))
    (dout,) = rng_arrays(case["seed"] + 1, tuple(out.shape), dtype=dtype)
    out.backward(torch.from_numpy(dout.astype(np.float64)))
    calls.clear()
    dx, _, _ = reference.conv2d_backward(dout, x, w, **kw)
    assert calls, f"dx of {x.shape}, {w.shape}, {kw} did not take the Winograd path"
    # |dx| is bounded by the same input gradient of |w| and |dout|.
    xa = torch.zeros_like(xt).requires_grad_()
    F.conv2d(F.pad(xa, torch_pad_arg(pairs)), torch.from_numpy(np.abs(w).astype(np.float64))).backward(
        torch.from_numpy(np.abs(dout).astype(np.float64)))
    magnitude = xa.grad
    assert_matches(dx, xt.grad.numpy(), tile_magnitude(magnitude.numpy()), dtype, f"winograd dx ({x.shape}, {w.shape}, {kw})")


def _block_bytes(m, c, o, tw, rows):
    """BLOCK_BYTES that makes a block of exactly ``rows`` tile rows (of ``tw`` tiles) in float32."""
    t = m + 2
    return t * t * (2 * c + o) * tw * rows * 4


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("ho,wo", [(8, 8), (7, 9), (1, 1), (2, 3), (13, 5)])
@pytest.mark.parametrize("blocking", ["two images", "one tile row", "two tile rows"])
def test_winograd_blocks_join_exactly(calls, monkeypatch, m, ho, wo, blocking):
    """A batch of 5 cut into blocks of two images (a shorter last block), or each image cut into bands of
    one or two tile rows (a shorter last band), matches torch as the one-block result does (not bit for
    bit: BLAS may block a narrower matmul differently), for both tile sizes."""
    monkeypatch.setattr(winograd, "TILE", m)
    x, w, b = rng_arrays(5 + m, (5, 32, ho, wo), (33, 32, 3, 3), (33,), dtype=np.float32)
    whole = reference.conv2d(x, w, b, padding=1)
    th, tw = -(-ho // m), -(-wo // m)
    if blocking == "two images":
        monkeypatch.setattr(winograd, "BLOCK_BYTES", _block_bytes(m, 32, 33, tw, 2 * th))
    else:
        monkeypatch.setattr(winograd, "BLOCK_BYTES", _block_bytes(m, 32, 33, tw, 1 if blocking == "one tile row" else 2))
    blocked = reference.conv2d(x, w, b, padding=1)
    assert len(calls) == 2
    exact, magnitude = torch_conv(x, w, b, padding=1), tile_magnitude(torch_conv(x, w, b, padding=1, absolute=True), m)
    assert_matches(whole, exact, magnitude, np.float32, f"one-block F({m}x{m}, 3x3)")
    assert_matches(blocked, exact, magnitude, np.float32, f"{blocking} F({m}x{m}, 3x3)")


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,padding", [((2, 32, 9, 11), 1), ((1, 40, 6, 6), 0), ((3, 36, 10, 7), ((2, 0), (0, 3)))])
def test_each_tile_size_matches_torch(calls, monkeypatch, m, dtype, xs, padding):
    """F(2x2, 3x3) and F(4x4, 3x3) (winograd.TILE) on odd sizes and one-sided paddings, both dtypes; the
    transform matrices are the published ones (Lavin & Gray), so a wrong entry shows here."""
    monkeypatch.setattr(winograd, "TILE", m)
    x, w, b = rng_arrays(m, xs, (34, xs[1], 3, 3), (34,), dtype=dtype)
    ours = reference.conv2d(x, w, b, padding=padding)
    assert len(calls) == 1
    assert_matches(ours, torch_conv(x, w, b, padding=padding),
                   tile_magnitude(torch_conv(x, w, b, padding=padding, absolute=True), m), dtype, f"F({m}x{m}, 3x3) conv2d({xs}, padding={padding})")


def test_transform_matrices_are_exact_on_one_tile():
    """The identity behind the path, per tile size, in float64 with no BLAS blocking in the way:
    ``A^T [(G g G^T) ⊙ (B^T d B)] A`` is the m x m valid cross-correlation of a (m+2)x(m+2) tile d with g."""
    rng = np.random.default_rng(3)
    for m, (bt, g, at) in winograd.MATRICES.items():
        bt, g, at = (np.array(a, dtype=np.float64) for a in (bt, g, at))
        d, k = rng.standard_normal((m + 2, m + 2)), rng.standard_normal((3, 3))
        ours = at @ ((g @ k @ g.T) * (bt @ d @ bt.T)) @ at.T
        direct = np.array([[np.sum(d[i:i + 3, j:j + 3] * k) for j in range(m)] for i in range(m)])
        np.testing.assert_allclose(ours, direct, rtol=1e-12, atol=1e-12)


def test_dispatcher_keeps_im2col_outside_the_winograd_shapes(default_calls):
    """Stride 2, dilation 2, groups 2, a 5x5 or 3x1 kernel, too few channels, a small output or one the
    4x4 tile grid fits badly (14x14 on 16x16): not Winograd; 64x64 channels and an 8x8 output: Winograd."""
    x = rng_arrays(3, (2, 64, 10, 10))[0]
    w3 = rng_arrays(4, (64, 64, 3, 3))[0]
    reference.conv2d(x, w3, stride=2, padding=1)
    reference.conv2d(x, w3, dilation=2, padding=2)
    reference.conv2d(x, rng_arrays(5, (64, 32, 3, 3))[0], groups=2, padding=1)
    reference.conv2d(x, rng_arrays(6, (64, 64, 5, 5))[0], padding=2)
    reference.conv2d(x, rng_arrays(7, (64, 64, 3, 1))[0], padding=1)
    reference.conv2d(x[:, :32], rng_arrays(8, (64, 32, 3, 3))[0], padding=1)  # 32 * 64 channel pairs
    reference.conv2d(x[:, :, :7, :7], w3, padding=1)  # 7x7 output
    reference.conv2d(np.zeros((1, 64, 14, 14)), w3, padding=1)  # 14x14 output: 1.31x its area in tiles
    reference.conv2d(np.zeros((1, 64, 15, 15)), w3, padding=1)  # 15x15 output: 1.14x, Winograd
    assert len(default_calls) == 1
    default_calls.clear()
    reference.conv3d(x[:, :, None], w3[:, :, None])
    assert default_calls == []
    reference.conv2d(x, w3)  # 8x8 output
    assert len(default_calls) == 1


@pytest.mark.parametrize("shape", [(8, 64, 56, 56, 64), (16, 128, 28, 28, 128)])
def test_dispatcher_picks_winograd_for_the_benchmark_shapes(default_calls, shape):
    """With the dispatch switched on, the large 3x3 shapes of the benchmark, forward and the input
    gradient, meet the default thresholds and take the Winograd path."""
    n, c, h, w, o = shape
    plan_x, plan_w = np.zeros((n, c, h, w), np.float32), np.zeros((o, c, 3, 3), np.float32)
    reference.conv2d(plan_x[:1], plan_w, padding=1)
    assert len(default_calls) == 1
    dout = np.zeros((1, o, h, w), np.float32)
    reference.conv2d_backward(dout, plan_x[:1], plan_w, padding=1)
    assert len(default_calls) == 2


@pytest.mark.parametrize("shape", [(2, 64, 56, 56, 64), (2, 128, 28, 28, 128)])
def test_winograd_is_dispatched_as_shipped(monkeypatch, shape):
    """As shipped (winograd.DISPATCH on, F(4x4, 3x3)), the benchmark's 3x3 shapes reach winograd.forward,
    forward and the input gradient, and agree with torch in float64."""
    seen = []
    real = winograd.forward
    monkeypatch.setattr(winograd, "forward", lambda xp, x, w, pads: seen.append(x.shape) or real(xp, x, w, pads))
    _clear_plans()
    n, c, h, w, o = shape
    x, wt = rng_arrays(12, (n, c, h, w), (o, c, 3, 3), dtype=np.float32)
    ours = reference.conv2d(x, wt, padding=1)
    reference.conv2d_backward(np.ones_like(ours), x, wt, padding=1)
    _clear_plans()
    assert winograd.DISPATCH and winograd.TILE == 4
    assert len(seen) >= 2  # once each for y and dx (once per BLAS thread's share of a split batch)
    exact, magnitude = torch_conv(x, wt, None, padding=1), torch_conv(x, wt, None, padding=1, absolute=True)
    assert_matches(ours, exact, tile_magnitude(magnitude), np.float32, f"shipped Winograd conv2d{shape}")


def test_non_finite_inputs_take_the_direct_path(calls):
    """One inf in a tile would spread as inf - inf = nan through the transforms; a non-finite input or
    weight goes to im2col instead, and the result has torch's inf/nan pattern."""
    x, w = rng_arrays(9, (2, 32, 9, 9), (32, 32, 3, 3))
    x[0, 3, 4, 4] = np.inf
    x[1, 0, 0, 0] = np.nan
    ours = reference.conv2d(x, w, padding=1)
    with torch.no_grad():
        exact = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
    assert_same_nonfinite(ours, exact)
    x2, w2 = rng_arrays(10, (1, 32, 6, 6), (32, 32, 3, 3))
    w2[1, 2, 0, 0] = -np.inf
    with torch.no_grad():
        exact2 = F.conv2d(torch.from_numpy(x2), torch.from_numpy(w2)).numpy()
    assert_same_nonfinite(reference.conv2d(x2, w2), exact2)
    assert calls == []


def test_overflow_inside_a_transform_is_recomputed_directly(calls):
    """float32 rows of +3e38 and -3e38 two apart overflow in B^T d B (d0 - d2 = 6e38) although the
    direct sum, one tap weighted 1e-3, stays finite: the dispatcher sees the inf and recomputes by im2col."""
    x = np.zeros((1, 32, 4, 4), dtype=np.float32)
    x[0, :, 0, :], x[0, :, 2, :] = 3e38, -3e38
    w = np.zeros((32, 32, 3, 3), dtype=np.float32)
    w[:, :, 0, 0] = 1e-3
    ours = reference.conv2d(x, w)
    assert len(calls) == 1
    with torch.no_grad():
        exact = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double()).numpy()
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, exact, rtol=1e-4)


def test_winograd_extra_memory_is_bounded_by_its_chunk(calls):
    """A batch whose gathered tiles and products (D, V, M, Y) would take 200 MiB unblocked stays
    within a few blocks' worth (and far under the 256 MiB bound) beyond its output."""
    x, w = rng_arrays(11, (32, 64, 56, 56), (64, 64, 3, 3), dtype=np.float32)
    tracemalloc.start()
    try:
        y = reference.conv2d(x, w, padding=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert calls, "the batch did not take the Winograd path"  # once, or once per BLAS thread's share
    extra = (peak - y.nbytes) / 2**20
    assert extra < 8 * winograd.BLOCK_BYTES / 2**20, f"{extra:.1f} MiB beyond the output"
