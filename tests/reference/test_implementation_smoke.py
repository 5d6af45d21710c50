"""Implementation-level checks of `reference` that the spec-level suites do not reach: both
patch-gathering schemes and both transposed-convolution paths agree with each other and with
torch, the memory chunking gives the same answer as one chunk, and the per-signature plan
cache never lets a bad argument through."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import reference
from reference import conv_core, validation
from reference.convolution import _ConvPlan


@pytest.fixture
def fresh_plans(monkeypatch):
    """An empty plan cache for the test (plans hold sizes derived from module constants)."""
    monkeypatch.setattr(validation, "_PLANS", {})


def _torch_conv2d_grads(x, w, stride, padding, dilation, groups, dout):
    xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    out = F.conv2d(xt, wt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


@pytest.mark.parametrize("groups,dilation", [(1, 1), (2, 2), (4, (1, 2))])
def test_row_taps_scheme_matches_torch_forward_and_backward(groups, dilation, rng):
    """Wide channels and stride 1 select the row-taps scheme; forward, dx and dw against torch."""
    x = rng.standard_normal((3, 32 * groups, 13, 17))
    w = rng.standard_normal((32, 32, 3, 3))
    plan = _ConvPlan("conv2d", 2, x, w, None, 1, 1, dilation, groups, "NCHW")
    assert plan.geometry.row_taps is not None, "this shape should take the row-taps scheme"
    y = reference.conv2d(x, w, padding=1, dilation=dilation, groups=groups)
    dout = rng.standard_normal(y.shape)
    exact, dx_t, dw_t = _torch_conv2d_grads(x, w, 1, 1, dilation, groups, dout)
    np.testing.assert_allclose(y, exact, rtol=1e-10, atol=1e-10)
    dx, dw, db = reference.conv2d_backward(dout, x, w, padding=1, dilation=dilation, groups=groups)
    np.testing.assert_allclose(dx, dx_t, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dw, dw_t, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_row_taps_scheme_in_3d(rng):
    x, w = rng.standard_normal((2, 32, 5, 6, 7)), rng.standard_normal((8, 32, 3, 2, 3))
    plan = _ConvPlan("conv3d", 3, x, w, None, 1, ((1, 0), (0, 1), (2, 1)), 1, 1, "NCDHW")
    assert plan.geometry.row_taps is not None
    y = reference.conv3d(x, w, padding=((1, 0), (0, 1), (2, 1)))
    exact = F.conv3d(F.pad(torch.from_numpy(x), (2, 1, 0, 1, 1, 0)), torch.from_numpy(w)).numpy()
    np.testing.assert_allclose(y, exact, rtol=1e-10, atol=1e-10)


def test_chunked_batches_give_the_same_answer(rng, monkeypatch, fresh_plans):
    """With a one-byte budget every image is its own chunk; results must not change."""
    x, w = rng.standard_normal((5, 6, 9, 8)), rng.standard_normal((4, 3, 3, 2))
    wt = rng.standard_normal((6, 2, 3, 2))
    kw = dict(stride=(2, 1), padding=((1, 0), (2, 1)), groups=2)
    y = reference.conv2d(x, w, **kw)
    dout = rng.standard_normal(y.shape)
    grads = reference.conv2d_backward(dout, x, w, **kw)
    yt = reference.conv_transpose2d(x, wt, stride=2, padding=1, groups=2)
    monkeypatch.setattr(conv_core, "CHUNK_BYTES", 1)
    monkeypatch.setattr(conv_core, "GEMM_CHUNK_BYTES", 1)
    monkeypatch.setattr(conv_core, "_CACHE_BYTES", 1)
    monkeypatch.setattr(validation, "_PLANS", {})
    np.testing.assert_allclose(reference.conv2d(x, w, **kw), y, rtol=1e-12, atol=1e-12)
    for a, b in zip(reference.conv2d_backward(dout, x, w, **kw), grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(reference.conv_transpose2d(x, wt, stride=2, padding=1, groups=2), yt, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("stride,padding,output_padding,dilation", [
    (1, 0, 0, 1), (1, 1, 0, 2), (1, 2, 1, 2), (2, 1, 1, 1), (3, 0, 2, 1),
])
def test_conv_transpose_both_paths_match_torch(stride, padding, output_padding, dilation, rng):
    """Stride 1 may run as a flipped-kernel forward convolution, other strides as col2im."""
    for cin, cout in [(2, 3), (64, 48)]:
        x, w = rng.standard_normal((2, cin, 6, 5)), rng.standard_normal((cin, cout, 3, 3))
        kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
        exact = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), **kw).numpy()
        np.testing.assert_allclose(reference.conv_transpose2d(x, w, **kw), exact, rtol=1e-10, atol=1e-10)


def test_conv_transpose3d_matches_torch(rng):
    x, w, b = rng.standard_normal((2, 4, 3, 4, 2)), rng.standard_normal((4, 3, 2, 3, 2)), rng.standard_normal(6)
    kw = dict(stride=(2, 1, 3), padding=(1, 0, 0), output_padding=(1, 0, 2), groups=2)
    exact = F.conv_transpose3d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
    np.testing.assert_allclose(reference.conv_transpose3d(x, w, b, **kw), exact, rtol=1e-10, atol=1e-10)


def test_cached_plan_does_not_accept_a_float_or_bool_after_an_int():
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    reference.conv2d(x, w, stride=2)
    with pytest.raises(TypeError, match="stride"):
        reference.conv2d(x, w, stride=2.0)
    reference.conv2d(x, w, stride=1)
    with pytest.raises(TypeError, match="stride"):
        reference.conv2d(x, w, stride=True)
    reference.max_pool2d(x, 2)
    with pytest.raises(TypeError, match="kernel_size"):
        reference.max_pool2d(x, 2.0)


def test_channels_last_unbatched_and_half_precision(rng):
    x, w = rng.standard_normal((7, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    batched = reference.conv2d(x[None], w, padding="same", data_format="NHWC")
    np.testing.assert_allclose(reference.conv2d(x, w, padding="same", data_format="NHWC"), batched[0], rtol=1e-12)
    half = reference.conv2d(x[None].astype(np.float16), w.astype(np.float16), data_format="channels_last")
    assert half.dtype == np.float32


def test_bias_follows_the_input_dtype():
    x, w = np.ones((1, 2, 4, 4), np.float32), np.ones((3, 2, 3, 3), np.float32)
    assert reference.conv2d(x, w, [1, 2, 3]).dtype == np.float32


def test_max_pool_gradient_follows_torch_with_infinities_in_padding():
    """All of a window's real values are -inf: torch sends the gradient to its first real
    position, never into the padding."""
    x = np.full((1, 1, 3, 3), -np.inf)
    xt = torch.from_numpy(x).requires_grad_()
    F.max_pool2d(xt, 2, stride=2, padding=1).backward(torch.ones((1, 1, 2, 2), dtype=torch.float64))
    np.testing.assert_array_equal(reference.max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, 2, 1),
                                  xt.grad.numpy())


def test_naive_and_vectorised_raise_the_same_errors():
    from reference import naive

    x, w = np.ones((1, 3, 5, 5)), np.ones((2, 4, 3, 3))
    messages = []
    for f in (reference.conv2d, naive.conv2d):
        with pytest.raises(ValueError) as info:
            f(x, w)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
