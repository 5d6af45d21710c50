"""The lessons' worked examples, literally: the values here are the ones printed in the course
material and in Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016,
arXiv:1603.07285), not values read off our implementation."""
from __future__ import annotations

import numpy as np
import pytest

import reference
from reference import conv_output_size, conv_transpose_output_size, pool_output_size


def test_keras_conv1d_bump_detector():
    """Keras Conv1D on [0,0,0,1,1,0,0,0] with kernel [0,1,0] (valid): [0,0,1,1,0,0]."""
    x = np.array([0, 0, 0, 1, 1, 0, 0, 0], dtype=np.float32).reshape(1, 8, 1)  # (batch, steps, channels)
    w = np.array([0, 1, 0], dtype=np.float32).reshape(3, 1, 1)  # (k, in, out)
    y = reference.conv1d(x, w, data_format="NWC")
    assert y.shape == (1, 6, 1) and y.dtype == np.float32
    np.testing.assert_array_equal(y[0, :, 0], [0, 0, 1, 1, 0, 0])


def test_keras_conv2d_vertical_line_detector():
    """8x8 image with a vertical line in columns 3-4; the 3x3 vertical detector (middle column of
    ones) gives a 6x6 map whose every row is [0,0,3,3,0,0]. Keras layout throughout."""
    image = np.zeros((8, 8), dtype=np.float32)
    image[:, 3:5] = 1.0
    detector = np.array([[0, 1, 0]] * 3, dtype=np.float32)
    x = image.reshape(1, 8, 8, 1)  # (batch, h, w, channels)
    w = detector.reshape(3, 3, 1, 1)  # (kh, kw, in, out)
    y = reference.conv2d(x, w, data_format="NHWC")
    assert y.shape == (1, 6, 6, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], np.tile([0, 0, 3, 3, 0, 0], (6, 1)))
    # the same lesson in the teaching helper: cross-correlation, no flip
    np.testing.assert_array_equal(reference.correlate2d(image, detector), np.tile([0, 0, 3, 3, 0, 0], (6, 1)))


def test_correlation_and_convolution_differ_by_the_flip():
    """The lesson's point: an asymmetric kernel gives different maps under the two operations."""
    image = np.zeros((5, 5))
    image[2, 2] = 1.0
    kernel = np.arange(1.0, 10.0).reshape(3, 3)
    conv, corr = reference.convolve2d(image, kernel, mode="same"), reference.correlate2d(image, kernel, mode="same")
    np.testing.assert_array_equal(conv[1:4, 1:4], kernel)  # the impulse response is the kernel itself
    np.testing.assert_array_equal(corr[1:4, 1:4], kernel[::-1, ::-1])  # correlation shows it flipped
    assert conv.sum() == corr.sum() == 45.0


# Dumoulin & Visin: (figure, relationship, i, k, s, p, o). Sections 2.1-2.4 and 5.1 (dilation d).
DV_CONV = [
    ("2.1", "1: no padding, unit strides, o = i - k + 1", 4, 3, 1, 0, 2),
    ("2.2", "2: zero padding, unit strides, o = i - k + 2p + 1", 5, 4, 1, 2, 6),
    ("2.3", "3: half padding, o = i", 5, 3, 1, 1, 5),
    ("2.4", "4: full padding, o = i + k - 1", 5, 3, 1, 2, 7),
    ("2.5", "5: no padding, strides, o = floor((i - k)/s) + 1", 5, 3, 2, 0, 2),
    ("2.6", "6: padding and strides, o = floor((i + 2p - k)/s) + 1", 5, 3, 2, 1, 3),
    ("2.7", "6: padding and strides, odd case", 6, 3, 2, 1, 3),
]


@pytest.mark.parametrize("fig,rule,i,k,s,p,o", DV_CONV, ids=[c[0] for c in DV_CONV])
def test_dumoulin_visin_convolution_arithmetic(fig, rule, i, k, s, p, o):
    assert conv_output_size(i, k, padding=p, stride=s) == o, rule
    y = reference.conv2d(np.ones((1, 1, i, i)), np.ones((1, 1, k, k)), stride=s, padding=p)
    assert y.shape == (1, 1, o, o), f"figure {fig}"


def test_dumoulin_visin_dilated_convolution():
    """Relationship 15, figure 5.1: i=7, k=3, d=2, s=1, p=0 gives o = 3."""
    assert conv_output_size(7, 3, dilation=2) == 3
    assert reference.conv2d(np.ones((1, 1, 7, 7)), np.ones((1, 1, 3, 3)), dilation=2).shape == (1, 1, 3, 3)


def test_dumoulin_visin_half_and_full_padding_by_name():
    """Relationships 3 and 4 through the string paddings: "same" keeps i, "full" gives i + k - 1."""
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    assert reference.conv2d(x, w, padding="same").shape == (1, 1, 5, 5)
    full = reference.conv2d(x, w, padding="full")
    assert full.shape == (1, 1, 7, 7)
    assert full[0, 0, 0, 0] == 1.0 and full[0, 0, 3, 3] == 9.0  # corner sees one pixel, centre nine


def test_dumoulin_visin_pooling():
    """Relationship 7: o = floor((i - k)/s) + 1, e.g. 5x5 input, 3x3 pool, stride 1 -> 3x3."""
    assert pool_output_size(5, 3, stride=1) == 3
    assert pool_output_size(5, 3, stride=2) == 2
    assert reference.max_pool2d(np.ones((1, 1, 5, 5)), 3, stride=1).shape == (1, 1, 3, 3)


# Transposed convolution (section 4): (figure, relationship, i, k, s, p, a, i') where the
# transpose of conv(i, k, s, p) takes the conv's output size i' back to i (a = output_padding).
DV_TRANSPOSED = [
    ("4.1", "8: o' = i' + (k - 1)", 4, 3, 1, 0, 0, 2),
    ("4.2", "9: o' = i' + (k - 1) - 2p", 5, 4, 1, 2, 0, 6),
    ("4.3", "10: half padding, o' = i'", 5, 3, 1, 1, 0, 5),
    ("4.4", "11: full padding, o' = i' - (k - 1)", 5, 3, 1, 2, 0, 7),
    ("4.5", "12: o' = s(i' - 1) + k", 5, 3, 2, 0, 0, 2),
    ("4.6", "13: o' = s(i' - 1) + k - 2p", 5, 3, 2, 1, 0, 3),
    ("4.7", "14: o' = s(i' - 1) + a + k - 2p", 6, 3, 2, 1, 1, 3),
]


@pytest.mark.parametrize("fig,rule,i,k,s,p,a,i_t", DV_TRANSPOSED, ids=[c[0] for c in DV_TRANSPOSED])
def test_dumoulin_visin_transposed_arithmetic(fig, rule, i, k, s, p, a, i_t):
    assert conv_output_size(i, k, padding=p, stride=s) == i_t, f"the forward conv of figure {fig}"
    assert conv_transpose_output_size(i_t, k, stride=s, padding=p, output_padding=a) == i, rule
    y = reference.conv_transpose2d(np.ones((1, 1, i_t, i_t)), np.ones((1, 1, k, k)), stride=s, padding=p,
                                   output_padding=a)
    assert y.shape == (1, 1, i, i), f"figure {fig}"
    y1 = reference.conv_transpose1d(np.ones((1, 1, i_t)), np.ones((1, 1, k)), stride=s, padding=p,
                                    output_padding=a)
    assert y1.shape == (1, 1, i)


def test_transposed_convolution_of_a_stride_2_conv_places_kernels_s_apart():
    """Figure 4.5's picture in values: each input pixel stamps the kernel at s * position."""
    x = np.array([[[1.0, 10.0]]])
    w = np.array([[[1.0, 2.0, 3.0]]])
    y = reference.conv_transpose1d(x, w, stride=2)
    np.testing.assert_array_equal(y[0, 0], [1, 2, 3 + 10, 20, 30])
