"""reference.naive (plain loops, the students' reading copy) against the vectorised path,
on small drawn cases (loops are slow), plus a few fixed cases against torch so the two
cannot agree on the same mistake."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from reference import naive
from ref_oracles import conv_cases, conv_transpose_cases, pool_cases, rng_arrays, torch_conv

EXPLICIT = ("int", "tuple", "pairs")


def as_float64(case):
    return (case["x"].astype(np.float64), case["w"].astype(np.float64),
            None if case["b"] is None else case["b"].astype(np.float64))


def strip_layout(kwargs):
    return {k: v for k, v in kwargs.items() if k != "data_format"}


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_naive_conv_matches_vectorised(nd, data):
    case = data.draw(conv_cases(nd, layouts=("first",), max_k=3, max_extra=4, allow_unbatched=False,
                                paddings=EXPLICIT))
    x, w, b = as_float64(case)
    kw = strip_layout(case["kwargs"])
    name = f"conv{nd}d"
    np.testing.assert_allclose(getattr(naive, name)(x, w, b, **kw), getattr(reference, name)(x, w, b, **kw),
                               rtol=1e-10, atol=1e-10, err_msg=f"{name} {x.shape} {w.shape} {kw}")


@settings(max_examples=15, deadline=None)
@given(conv_cases(3, layouts=("first",), max_k=2, max_extra=2, allow_unbatched=False, paddings=EXPLICIT))
def test_naive_conv3d_matches_vectorised(case):
    x, w, b = as_float64(case)
    kw = strip_layout(case["kwargs"])
    np.testing.assert_allclose(naive.conv3d(x, w, b, **kw), reference.conv3d(x, w, b, **kw),
                               rtol=1e-10, atol=1e-10, err_msg=f"{x.shape} {w.shape} {kw}")


@settings(max_examples=30, deadline=None)
@given(conv_transpose_cases(2))
def test_naive_conv_transpose2d_matches_vectorised(case):
    x, w, b = as_float64(case)
    kw = case["kwargs"]
    np.testing.assert_allclose(naive.conv_transpose2d(x, w, b, **kw), reference.conv_transpose2d(x, w, b, **kw),
                               rtol=1e-10, atol=1e-10, err_msg=f"{x.shape} {w.shape} {kw}")


@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=30, deadline=None)
@given(case=pool_cases(2, max_n=7))
def test_naive_pool2d_matches_vectorised(kind, case):
    x = case["x"].astype(np.float64)
    kw = dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
              ceil_mode=case["ceil_mode"])
    name = f"{kind}_pool2d"
    np.testing.assert_allclose(getattr(naive, name)(x, **kw), getattr(reference, name)(x, **kw),
                               rtol=1e-12, atol=1e-12, err_msg=f"{name} {x.shape} {kw}")


@pytest.mark.parametrize("name", ["correlate2d", "convolve2d"])
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@settings(max_examples=20, deadline=None)
@given(kh=st.integers(1, 4), kw=st.integers(1, 4), dh=st.integers(0, 4), dw=st.integers(0, 4),
       seed=st.integers(0, 2**32 - 1))
def test_naive_single_image_matches_vectorised(name, mode, kh, kw, dh, dw, seed):
    image, kernel = rng_arrays(seed, (kh + dh, kw + dw), (kh, kw))
    np.testing.assert_allclose(getattr(naive, name)(image, kernel, mode=mode),
                               getattr(reference, name)(image, kernel, mode=mode), rtol=1e-12, atol=1e-12)


def test_naive_relu_matches_vectorised(rng):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(naive.relu(x), reference.relu(x))


def test_naive_conv2d_matches_torch_on_a_full_featured_case():
    """stride, dilation, groups, bias and asymmetric padding at once, against torch directly."""
    x, w, b = rng_arrays(11, (2, 4, 7, 8), (6, 2, 3, 2), (6,))
    kw = dict(stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2)
    np.testing.assert_allclose(naive.conv2d(x, w, b, **kw), torch_conv(x, w, b, **kw), rtol=1e-10, atol=1e-12)


def test_naive_conv_transpose2d_and_pools_match_torch():
    x, w, b = rng_arrays(12, (1, 4, 3, 4), (4, 3, 3, 2), (6,))
    kw = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 1), groups=2)
    exact = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
    np.testing.assert_allclose(naive.conv_transpose2d(x, w, b, **kw), exact, rtol=1e-10, atol=1e-12)
    (img,) = rng_arrays(13, (1, 2, 7, 6))
    for name in ["max_pool2d", "avg_pool2d"]:
        exact = getattr(F, name)(torch.from_numpy(img), 3, 2, 1, ceil_mode=True).numpy()
        np.testing.assert_allclose(getattr(naive, name)(img, 3, stride=2, padding=1, ceil_mode=True), exact,
                                   rtol=1e-12, atol=1e-12)
