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
from ref_oracles import (
    conv_cases, conv_transpose_cases, keras_pool_cases, keras_transpose_cases, pool_cases, rng_arrays, torch_conv,
)

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


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("rules", ["torch", "keras"])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_naive_conv_transpose_matches_vectorised(nd, rules, data):
    """torch's crops channels-first, and Keras's "valid"/"same"/output_padding channels-last."""
    case = data.draw(conv_transpose_cases(nd) if rules == "torch" else keras_transpose_cases(nd))
    x, w, b = as_float64(case)
    kw = case["kwargs"]
    name = f"conv_transpose{nd}d"
    np.testing.assert_allclose(getattr(naive, name)(x, w, b, **kw), getattr(reference, name)(x, w, b, **kw),
                               rtol=1e-10, atol=1e-10, err_msg=f"{x.shape} {w.shape} {kw}")


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_naive_pool_matches_vectorised(nd, kind, data):
    """torch's rules channels-first, and TensorFlow's "valid"/"same" in either layout."""
    if data.draw(st.booleans()):
        case = data.draw(pool_cases(nd, max_n=7))
        kw = dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
                  ceil_mode=case["ceil_mode"])
    else:
        case = data.draw(keras_pool_cases(nd))
        kw = case["kwargs"]
    x = case["x"].astype(np.float64)
    name = f"{kind}_pool{nd}d"
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


X, W = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
#: Bad calls, one per rule: naive checks its arguments itself, so here its checks are held to the
#: vectorised function's, message for message.
BAD_CALLS = [
    ("conv2d", (np.ones((1, 3, 5, 5)), np.ones((2, 4, 3, 3))), {}),
    ("conv2d", (np.ones((1, 4, 5, 5)), np.ones((2, 2, 3, 3))), {"groups": 3}),
    ("conv2d", (np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3))), {"groups": 2}),
    ("conv2d", (X, W), {"groups": 0}),
    ("conv2d", (np.ones((1, 1, 2, 5)), W), {}),
    ("conv2d", (X, W), {"stride": 0}),
    ("conv2d", (X, W), {"stride": (1, 2, 3)}),
    ("conv2d", (X, W), {"dilation": 1.5}),
    ("conv2d", (X, W), {"dilation": True}),
    ("conv2d", (X, W), {"padding": ((1, -1), (0, 0))}),
    ("conv2d", (X, W), {"padding": ((1, 2, 3), (0, 0))}),
    ("conv2d", (X, W), {"padding": (1, 2, 3)}),
    ("conv2d", (X, W), {"padding": "bogus"}),
    ("conv2d", (X, W, np.ones(2)), {}),
    ("conv2d", (np.ones((5, 5)), W), {}),
    ("conv2d", (X, np.ones((1, 3, 3))), {}),
    ("conv2d", (X, "weights"), {}),
    ("conv2d", (X, None), {}),
    ("conv2d", (X.astype(complex), W), {}),
    ("conv2d", (np.ones((1, 1, 0, 5)), W), {}),
    ("conv2d", (X, np.ones((1, 1, 0, 3))), {}),
    ("conv1d", (np.ones((1, 1, 5)), np.ones((1, 1, 3))), {"padding": [3, -1]}),
    ("conv1d", (np.ones((1, 1, 2)), np.ones((1, 1, 3))), {"dilation": 2, "padding": (1, 0)}),
    ("conv3d", (np.ones((1, 1, 4, 4, 2)), np.ones((1, 1, 3, 3, 3))), {"padding": "valid"}),
    ("conv_transpose2d", (np.ones((1, 3, 4, 4)), np.ones((4, 2, 3, 3))), {}),
    ("conv_transpose2d", (np.ones((1, 4, 4, 4)), np.ones((4, 2, 3, 3))), {"groups": 3}),
    ("conv_transpose2d", (X, W), {"padding": "same"}),
    ("conv_transpose2d", (X, W), {"padding": "bogus"}),
    ("conv_transpose2d", (X, W), {"stride": 2, "output_padding": 2}),
    ("conv_transpose2d", (X, W), {"output_padding": -1}),
    ("conv_transpose2d", (np.ones((1, 1, 1, 1)), np.ones((1, 1, 2, 2))), {"padding": 1}),
    ("conv_transpose2d", (X, W, np.ones(3)), {}),
    ("max_pool2d", (X, 2), {"padding": 2}),
    ("max_pool2d", (X, (2, 0)), {}),
    ("max_pool2d", (np.ones((1, 1, 2, 5)), 3), {}),
    ("avg_pool2d", (np.ones((1, 1, 2, 5)), 5), {"stride": 2, "ceil_mode": True}),
    ("avg_pool2d", (np.ones((5, 5)), 2), {}),
    ("avg_pool2d", ([["a"]], 2), {}),
    ("max_pool2d", (X, 2), {"data_format": "NWC"}),
    ("max_pool1d", (np.ones((1, 5, 1)), 2), {"data_format": "NHWC"}),
    ("avg_pool2d", (X, 2), {"padding": "full"}),
    ("avg_pool1d", (np.ones((1, 1, 5)), 2), {"padding": "same", "ceil_mode": True}),
    ("max_pool1d", (np.ones((1, 5, 1)), 6), {"padding": "valid", "data_format": "NWC"}),
    ("max_pool2d", (np.ones((1, 5, 0, 1)), 2), {"padding": "same", "data_format": "NHWC"}),
    ("avg_pool2d", (np.ones((5, 5, 1, 1, 1)), 2), {"data_format": "NHWC"}),
    ("conv_transpose2d", (X, W), {"data_format": "bogus"}),
    ("conv_transpose1d", (np.ones((1, 5, 2)), np.ones((3, 1, 3))), {"data_format": "NWC"}),
    ("conv_transpose2d", (np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1))), {"data_format": "NHWC", "padding": "full"}),
    ("conv_transpose2d", (np.ones((1, 5, 5, 1)), np.ones((2, 2, 1, 1))),
     {"data_format": "NHWC", "padding": "same", "output_padding": 0}),
    ("conv_transpose2d", (np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1))),
     {"data_format": "NHWC", "padding": "valid", "stride": 2, "output_padding": (1, 2)}),
    ("conv_transpose1d", (np.ones((1, 5, 1)), np.ones((3, 1, 1))), {"data_format": "NWC", "output_padding": -1}),
    ("conv_transpose1d", (np.ones((1, 5, 1)), np.ones((3, 1, 1, 1))), {"data_format": "NWC"}),
    ("conv_transpose2d", (np.ones((1, 5, 5, 2)), np.ones((3, 3, 1, 3))), {"data_format": "NHWC", "groups": 2}),
    ("conv_transpose2d", (np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), np.ones(2)), {"data_format": "NHWC"}),
    ("correlate2d", (np.ones((3, 3)), np.ones((2, 2))), {"mode": "bogus"}),
    ("relu", ({1: 2},), {}),
]


@pytest.mark.parametrize("name, args, kwargs", BAD_CALLS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD_CALLS)])
def test_naive_refuses_what_the_vectorised_function_refuses_with_its_message(name, args, kwargs):
    with pytest.raises((ValueError, TypeError)) as fast:
        getattr(reference, name)(*args, **kwargs)
    with pytest.raises(fast.type) as loop:
        getattr(naive, name)(*args, **kwargs)
    assert str(loop.value) == str(fast.value)
