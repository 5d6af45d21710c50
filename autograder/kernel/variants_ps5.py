"""The per-student numbers of ps5 "Beyond the plain convolution".

Everything here is a question, never an answer: the grader computes the answers from
these numbers (``autograder/judging/checks/ps5.py``). Arrays are small integers, so
the maps can be worked out with pencil and paper.

Keys of the variant (shapes in brackets)
----------------------------------------
up_input [2, 2], up_kernel [2, 2]
    The input and kernel of a transposed convolution with stride 2 (the answer is 4 x 4);
    the kernel is never equal to itself turned by 180 degrees.
round_image [4, 4]
    An image for the round trip: a convolution with ``up_kernel`` and stride 2 (2 x 2), then the
    transposed convolution with the same kernel and stride (4 x 4 again, but not the image, and not
    what the kernel turned by 180 degrees gives: never all zeros).
sep_kernel, sep_in, sep_out, sep_size : int
    A layer of ``sep_out`` filters of ``sep_kernel x sep_kernel`` over ``sep_in`` channels,
    on a ``sep_size x sep_size`` input with "same" padding and stride 1 (so the output is
    ``sep_size x sep_size`` too): once as a standard convolution, once depthwise-separable.
dilated_row [4]
    ``(n, k, padding, dilation)`` for the output size of a dilated convolution, stride 1;
    the dilated kernel always fits and ``dilation`` never divides ``n + 2p - k`` the same way
    a stride would (the two mistakes give different numbers).
dilated_image [6, 6], dilated_kernel [2, 2]
    A small map for a 2 x 2 kernel with dilation 2 (it spans 3 x 3; the answer is 4 x 4).
video [4], video_kernel [3], video_filters int, video_stride [3], video_padding [3]
    A clip ``(frames, height, width, channels)``, a 3-D kernel ``(kt, kh, kw)``, the number of
    filters, and stride and padding per axis ``(time, height, width)``.
rf_layers : int; rf_strides [4]
    A stack of ``rf_layers`` 3 x 3 layers with stride 1, and a stack of four 3 x 3 layers
    with the given strides (at least one 2, never the last alone).
"""
from __future__ import annotations

import numpy as np

from convgrade_kernel.variants import variant_generator


@variant_generator("ps5", "ps5_nl")
def ps5_variant(rng):
    """Draw one student's ps5 numbers (see the module docstring for the keys)."""
    v = {}
    v["up_input"] = rng.integers(1, 4, size=(2, 2))
    v["up_kernel"] = _asymmetric(rng, (2, 2), low=-1, high=3)
    v["round_image"] = _round_image(rng, v["up_kernel"])

    v["sep_kernel"] = int(rng.choice([3, 5]))
    v["sep_in"] = int(rng.choice([16, 24, 32, 48, 64]))
    v["sep_out"] = int(rng.choice([32, 64, 96, 128]))
    v["sep_size"] = int(rng.choice([14, 28, 56]))

    v["dilated_row"] = np.array(_dilated_row(rng))
    v["dilated_image"] = rng.integers(0, 3, size=(6, 6))
    v["dilated_kernel"] = _asymmetric(rng, (2, 2), low=-1, high=3)

    v["video"] = np.array([int(rng.choice([8, 16, 32])), int(rng.choice([64, 112, 128])),
                           int(rng.choice([64, 112, 128])), 3])
    kt, k = int(rng.choice([2, 3, 5])), int(rng.choice([3, 5, 7]))
    v["video_kernel"] = np.array([kt, k, k])
    v["video_filters"] = int(rng.choice([16, 32, 64]))
    s = int(rng.integers(1, 3))
    v["video_stride"] = np.array([1, s, s])
    v["video_padding"] = np.array([0, k // 2, k // 2])

    v["rf_layers"] = int(rng.integers(3, 7))
    v["rf_strides"] = _strides(rng)
    return v


def _asymmetric(rng, shape, low, high):
    """Integers in ``[low, high)``, not equal to their 180-degree turn, none all zero."""
    while True:
        kernel = rng.integers(low, high, size=shape)
        if kernel.any() and not np.array_equal(kernel, kernel[::-1, ::-1]):
            return kernel


def _round_image(rng, kernel):
    """A 4 x 4 image of integers in ``[0, 4)`` whose round trip through ``kernel`` (2 x 2, stride 2)
    is neither the image nor the round trip with the kernel turned by 180 degrees."""
    while True:
        image = rng.integers(0, 4, size=(4, 4))
        # the stride-2 convolution (cross-correlation, as in CNNs): one 2 x 2 block per output
        small = np.einsum("iajb,ab->ij", image.reshape(2, 2, 2, 2), kernel)
        back, flipped = (np.einsum("ij,ab->iajb", small, k).reshape(4, 4) for k in (kernel, kernel[::-1, ::-1]))
        if not np.array_equal(back, image) and not np.array_equal(back, flipped):
            return image


def _dilated_row(rng):
    """(n, k, padding, dilation), stride 1, where "dilation used as a stride" gives another size."""
    while True:
        k, dilation, padding = int(rng.choice([3, 5])), int(rng.integers(2, 5)), int(rng.integers(0, 3))
        n = int(rng.integers(dilation * (k - 1) + 1, 65))
        if (n + 2 * padding - k) // dilation != n + 2 * padding - dilation * (k - 1) - 1:
            return [n, k, padding, dilation]


def _strides(rng):
    """Four strides of 1 or 2 with a 2 somewhere before the last layer (so strides matter)."""
    while True:
        strides = rng.integers(1, 3, size=4)
        if (strides[:3] == 2).any():
            return strides
