"""correlate2d / convolve2d against scipy.signal (boundary="fill", fillvalue=0), every mode,
odd and even kernel sizes, non-square images and kernels."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from ref_oracles import rng_arrays

FUNCS = ["correlate2d", "convolve2d"]
MODES = ["valid", "same", "full"]


def scipy_oracle(name, image, kernel, mode):
    return getattr(scipy.signal, name)(image.astype(np.float64), kernel.astype(np.float64),
                                       mode=mode, boundary="fill", fillvalue=0)


@st.composite
def image_kernel(draw, larger_kernel=False):
    kh, kw = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    if larger_kernel:
        ih, iw = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    else:  # kernel fits: every mode is defined
        ih, iw = draw(st.integers(kh, kh + 7)), draw(st.integers(kw, kw + 7))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    image, kernel = rng_arrays(draw(st.integers(0, 2**32 - 1)), (ih, iw), (kh, kw), dtype=dtype)
    return image, kernel


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=100, deadline=None)
@given(pair=image_kernel())
def test_matches_scipy(name, mode, pair):
    image, kernel = pair
    ours = getattr(reference, name)(image, kernel, mode=mode)
    exact = scipy_oracle(name, image, kernel, mode)
    assert ours.shape == exact.shape, f"{name} {mode}: shape {ours.shape}, scipy {exact.shape}"
    assert ours.dtype == image.dtype
    mag = scipy_oracle(name, np.abs(image), np.abs(kernel), mode)
    tol = (1e-4 * mag + 1e-5) if image.dtype == np.float32 else (1e-10 * mag + 1e-12)
    assert np.all(np.abs(ours - exact) <= tol), f"{name} {mode} {image.shape} {kernel.shape}"


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("kshape", [(2, 2), (4, 2), (2, 3), (3, 3), (1, 4), (5, 1)])
@pytest.mark.parametrize("mode", MODES)
def test_even_and_odd_kernels_exactly(name, kshape, mode):
    """Integer-valued inputs make every sum exact, so the alignment of 'same' for even kernels
    (where the conventions differ by one pixel) is checked exactly, not within a tolerance."""
    image = np.arange(35.0).reshape(5, 7) % 11 - 4
    kernel = np.arange(1.0, 1.0 + np.prod(kshape)).reshape(kshape)
    np.testing.assert_array_equal(getattr(reference, name)(image, kernel, mode=mode),
                                  scipy_oracle(name, image, kernel, mode))


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("mode", ["same", "full"])
@settings(max_examples=40, deadline=None)
@given(pair=image_kernel(larger_kernel=True))
def test_kernel_larger_than_image_same_and_full(name, mode, pair):
    """'same' and 'full' are defined whatever the sizes; scipy's answer is the contract."""
    image, kernel = pair
    ours = getattr(reference, name)(image, kernel, mode=mode)
    np.testing.assert_allclose(ours, scipy_oracle(name, image, kernel, mode), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", FUNCS)
def test_kernel_larger_than_image_valid(name):
    """'valid' with a kernel larger than the image: a clear ValueError naming the sizes, or (if the
    implementation follows scipy's swap) scipy's value. Never a wrong array or another exception."""
    image, kernel = rng_arrays(3, (3, 4), (5, 6))
    try:
        ours = getattr(reference, name)(image, kernel, mode="valid")
    except ValueError as err:
        assert "kernel" in str(err).lower() or "larger" in str(err).lower(), str(err)
    else:
        np.testing.assert_allclose(ours, scipy_oracle(name, image, kernel, "valid"), rtol=1e-10)


@pytest.mark.parametrize("name", FUNCS)
def test_integer_and_bool_images_promote_to_float64(name):
    image = (np.arange(20).reshape(4, 5) % 3).astype(np.int32)
    kernel = np.array([[1, 0], [0, -1]], dtype=np.int64)
    ours = getattr(reference, name)(image, kernel, mode="full")
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(ours, scipy_oracle(name, image, kernel, "full"))
    ours_b = getattr(reference, name)(image > 0, kernel > 0, mode="same")
    assert ours_b.dtype == np.float64
    np.testing.assert_array_equal(ours_b, scipy_oracle(name, (image > 0) * 1.0, (kernel > 0) * 1.0, "same"))
