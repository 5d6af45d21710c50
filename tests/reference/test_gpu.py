"""The differential cases again with CuPy arrays on an NVIDIA GPU: results stay on the device
(cupy.ndarray in, cupy.ndarray out) and agree with torch CPU / scipy. Marked `gpu`; on a
machine without CUDA or without CuPy every test is skipped, with the reason shown by -ra."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from ref_oracles import (
    assert_matches, conv_cases, conv_transpose_cases, keras_pool_cases, keras_transpose_cases, pool_cases, rng_arrays,
    torch_conv,
)


def _cuda_reason():
    try:
        import cupy
    except Exception as exc:  # ImportError, or a CuPy built for another CUDA
        return f"no CUDA device / cupy not installed ({type(exc).__name__}: {exc})"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no CUDA device / cupy not installed (cupy sees 0 devices)"
    except Exception as exc:
        return f"no CUDA device / cupy not installed ({type(exc).__name__}: {exc})"
    return None


REASON = _cuda_reason()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


def on_gpu(*arrays):
    import cupy

    return [None if a is None else cupy.asarray(a) for a in arrays]


def back(a):
    import cupy

    assert isinstance(a, cupy.ndarray), f"result left the GPU: {type(a).__module__}.{type(a).__name__}"
    return cupy.asnumpy(a)


def test_array_namespace_is_cupy():
    import cupy

    from reference.backend import array_namespace

    assert array_namespace(cupy.ones(3)) is cupy
    assert array_namespace(None, cupy.ones(3)) is cupy


@pytest.mark.parametrize("nd", [1, 2, 3])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_conv_on_gpu_matches_torch(nd, data):
    case = data.draw(conv_cases(nd, max_k=3, max_extra=4))
    x, w, b = on_gpu(case["x"], case["w"], case["b"])
    ours = back(getattr(reference, f"conv{nd}d")(x, w, b, **case["kwargs"]))
    kw = case["kwargs"]
    assert_matches(ours, torch_conv(case["x"], case["w"], case["b"], **kw),
                   torch_conv(case["x"], case["w"], case["b"], absolute=True, **kw), case["dtype"], f"gpu conv{nd}d")


@settings(max_examples=40, deadline=None)
@given(conv_transpose_cases(2))
def test_conv_transpose2d_on_gpu_matches_torch(case):
    x, w, b = on_gpu(case["x"], case["w"], case["b"])
    ours = back(reference.conv_transpose2d(x, w, b, **case["kwargs"]))
    t = lambda a: None if a is None else torch.from_numpy(a.astype(np.float64))
    exact = F.conv_transpose2d(t(case["x"]), t(case["w"]), t(case["b"]), **case["kwargs"]).numpy()
    np.testing.assert_allclose(ours, exact, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=30, deadline=None)
@given(case=pool_cases(2))
def test_pool2d_on_gpu_matches_torch(kind, case):
    kw = dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
              ceil_mode=case["ceil_mode"])
    (x,) = on_gpu(case["x"])
    ours = back(getattr(reference, f"{kind}_pool2d")(x, **kw))
    exact = getattr(F, f"{kind}_pool2d")(torch.from_numpy(case["x"].astype(np.float64)), **kw).numpy()
    np.testing.assert_allclose(ours, exact, rtol=1e-5, atol=1e-6)


def test_backward_on_gpu_matches_autograd():
    x, w, dout_seed = *rng_arrays(5, (2, 4, 9, 8), (6, 2, 3, 3)), 6
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    bt = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    out = F.conv2d(xt, wt, bt, **kw)
    (dout,) = rng_arrays(dout_seed, tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    dx, dw, db = reference.conv2d_backward(*on_gpu(dout, x, w), **kw)
    for ours, exact in [(dx, xt.grad), (dw, wt.grad), (db, bt.grad)]:
        np.testing.assert_allclose(back(ours), exact.numpy(), rtol=1e-10, atol=1e-10)
    xp_ = torch.from_numpy(x).requires_grad_()
    pooled = F.max_pool2d(xp_, 2)
    pooled.backward(torch.ones_like(pooled))
    got = reference.max_pool2d_backward(*on_gpu(np.ones(tuple(pooled.shape)), x), 2)
    np.testing.assert_array_equal(back(got), xp_.grad.numpy())
    got = reference.relu_backward(*on_gpu(x, x))
    np.testing.assert_array_equal(back(got), np.where(x > 0, x, 0.0))


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_keras_options_on_gpu_match_the_cpu(nd, data):
    """Channels-last "valid"/"same" pools (and backward) and Keras's transposed convolution: the CuPy
    path gives the NumPy path's answer (test_keras_layers.py holds that one against Keras)."""
    case = data.draw(keras_pool_cases(nd))
    x, kw = case["x"], case["kwargs"]
    for kind in ("max", "avg"):
        y = getattr(reference, f"{kind}_pool{nd}d")(x, **kw)
        np.testing.assert_allclose(back(getattr(reference, f"{kind}_pool{nd}d")(*on_gpu(x), **kw)), y, rtol=1e-6)
        (dout,) = rng_arrays(case["seed"] + 1, y.shape, dtype=y.dtype)
        dx = getattr(reference, f"{kind}_pool{nd}d_backward")(dout, x, **kw)
        got = getattr(reference, f"{kind}_pool{nd}d_backward")(*on_gpu(dout, x), **kw)
        np.testing.assert_allclose(back(got), dx, rtol=1e-5, atol=1e-6)
    case = data.draw(keras_transpose_cases(nd))
    x, w, b, kw = case["x"], case["w"], case["b"], case["kwargs"]
    y = getattr(reference, f"conv_transpose{nd}d")(x, w, b, **kw)
    got = getattr(reference, f"conv_transpose{nd}d")(*on_gpu(x, w, b), **kw)
    np.testing.assert_allclose(back(got), y, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["correlate2d", "convolve2d"])
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_single_image_helpers_on_gpu_match_scipy(name, mode):
    import scipy.signal

    image, kernel = rng_arrays(9, (9, 7), (4, 3))
    ours = back(getattr(reference, name)(*on_gpu(image, kernel), mode=mode))
    np.testing.assert_allclose(ours, getattr(scipy.signal, name)(image, kernel, mode=mode), rtol=1e-10, atol=1e-12)


def test_float32_stays_float32_on_gpu():
    x, w = rng_arrays(1, (1, 3, 8, 8), (4, 3, 3, 3), dtype=np.float32)
    y = reference.conv2d(*on_gpu(x, w), padding="same")
    assert y.dtype == np.float32
    np.testing.assert_allclose(back(y), torch_conv(x, w, padding="same"), rtol=1e-4, atol=1e-5)
