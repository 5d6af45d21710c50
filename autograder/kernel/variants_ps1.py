"""The per-student numbers of ps1 "Feature maps by hand" (and its Dutch twin ps1_nl).

Everything here is a question, never an answer: the grader computes the answers from
these numbers with ``reference`` (``autograder/checks/ps1.py``). All arrays are small
integers so that a student can work them out with pencil and paper.

Keys of the variant (shapes in brackets)
----------------------------------------
bump_signal [9], bump_filter [3]
    A 1-D signal of 0s and 1s and a 3-tap filter; the feature map has 9 - 3 + 1 = 7 values.
lines_image [6, 6], vertical_filter [3, 3], horizontal_filter [3, 3]
    A black-and-white image with one vertical and one horizontal line segment that cross,
    each on a row or column where a 3 x 3 window can centre on it, and the lesson's line
    detectors (a column, and a row, of three 1s); each map is 4 x 4.
smiley [7, 7], smiley_filter [3, 3], smiley_positions [4, 2]
    A 7 x 7 smiley of 0s and 1s, a 3 x 3 feature detector, and four distinct (row, column)
    positions of the filter's top-left cell, counted from 0 (windows with more of the
    face in them are more likely).
corr_image [4, 4], corr_kernel [3, 3]
    One small example for cross-correlation versus convolution; the kernel is never
    equal to itself turned by 180 degrees, and the image is drawn so that the two maps
    differ.
sizes [3, 4]
    Three rows ``(n, k, padding, stride)`` for the output-size formula
    ``floor((n + 2 * padding - k) / stride) + 1``; the kernel always fits.
dilated [5]
    One row ``(n, k, padding, stride, dilation)``; the dilated kernel spans
    ``dilation * (k - 1) + 1`` cells and always fits.
pool_input [4, 4]
    The input of 2 x 2 max and average pooling with stride 2 (each gives 2 x 2).
rgb_patch [3, 3, 3], rgb_filter [3, 3, 3], rgb_bias int
    One position of a 3 x 3 filter on an RGB image, channels first: ``rgb_patch[0]`` is
    the red 3 x 3 patch, ``rgb_patch[1]`` green, ``rgb_patch[2]`` blue; likewise the filter.
layer_filters, layer_kernel, layer_channels : int
    A convolutional layer with F filters of k x k over C input channels.

Part B's later items, drawn after all of the above so that every key above keeps its
value for an id (answers already typed stay right):

stride_image [5, 5], stride_filter [3, 3]
    A 3 x 3 filter moved 2 cells at a time over a 5 x 5 image: a 2 x 2 map.
padded_image [3, 3], padded_filter [3, 3]
    A 3 x 3 image with a border of one zero all round: the map is 3 x 3, the image's size.
modes [2]
    ``(n, k)`` with k odd and k <= n: the sizes of a "valid" (no padding, n - k + 1),
    "same" (padding (k - 1) / 2, n) and "full" (padding k - 1, n + k - 1) map.
photo [6, 6], photo_centre [2]
    A grey 6 x 6 photo (0 to 9) and the (row, column) of the pixel, counted from 0 and
    from 1 to 3, that :data:`PHOTO_FILTERS` are centred on; the 9 pixels around it add up
    to a multiple of 9, so the blur's mean is a whole number.
stack_layers, stack_stride_layer : int
    L stacked 3 x 3 layers (2 to 5); in the second question layer ``stack_stride_layer``
    (1 to L - 1, counted from 1) has stride 2.
"""
from __future__ import annotations

import numpy as np

from convgrade_kernel.variants import variant_generator

#: 3-tap filters for the 1-D question: each responds to a different pattern.
BUMP_FILTERS = ((-1, 2, -1), (1, 2, 1), (0, 1, 1), (1, 0, -1), (-1, 1, 0), (1, 1, 1), (2, -1, 0))

#: 3 x 3 binary feature detectors for the smiley (diagonals, a row, a column, a corner).
SMILEY_FILTERS = (
    ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    ((0, 0, 1), (0, 1, 0), (1, 0, 0)),
    ((0, 0, 0), (1, 1, 1), (0, 0, 0)),
    ((0, 1, 0), (0, 1, 0), (0, 1, 0)),
    ((1, 0, 0), (1, 0, 0), (0, 1, 1)),
    ((0, 0, 1), (0, 0, 1), (1, 1, 0)),
)

#: Mouths of the smiley: (row, column) cells of the 7 x 7 grid.
SMILEY_MOUTHS = (
    ((4, 1), (5, 2), (5, 3), (5, 4), (4, 5)),
    ((4, 0), (5, 1), (6, 2), (6, 3), (6, 4), (5, 5), (4, 6)),
    ((4, 1), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5), (4, 5)),
    ((5, 1), (6, 2), (6, 3), (6, 4), (5, 5)),
)

LINE_DETECTOR = ((0, 1, 0), (0, 1, 0), (0, 1, 0))

#: The photo filters of Part B, by name: sharpen, blur (the box filter: each weight 1/9), edge.
PHOTO_FILTERS = {
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    "blur": ((1 / 9,) * 3,) * 3,
    "edge": ((-1, -1, -1), (-1, 8, -1), (-1, -1, -1)),
}


@variant_generator("ps1", "ps1_nl")
def ps1_variant(rng):
    """Draw one student's ps1 numbers (see the module docstring for the keys)."""
    v = {}
    v["bump_signal"] = _binary_signal(rng, 9)
    v["bump_filter"] = np.array(BUMP_FILTERS[rng.integers(len(BUMP_FILTERS))])

    v["lines_image"] = _lines_image(rng)
    v["vertical_filter"] = np.array(LINE_DETECTOR)
    v["horizontal_filter"] = np.array(LINE_DETECTOR).T.copy()

    v["smiley"] = _smiley(rng)
    v["smiley_filter"] = np.array(SMILEY_FILTERS[rng.integers(len(SMILEY_FILTERS))])
    v["smiley_positions"] = _smiley_positions(rng, v["smiley"])

    v["corr_kernel"] = _asymmetric_kernel(rng)
    v["corr_image"] = _image_telling_apart(rng, v["corr_kernel"])

    # row 1: stride 1 with padding; rows 2 and 3: strides that make the rounding matter
    v["sizes"] = np.array([_size_row(rng, stride=1, min_padding=1), _size_row(rng, stride=2, min_padding=0),
                           _size_row(rng, stride=int(rng.integers(2, 4)), min_padding=0)])
    v["dilated"] = np.array(_dilated_row(rng))

    v["pool_input"] = rng.integers(0, 10, size=(4, 4))

    v["rgb_patch"] = rng.integers(0, 4, size=(3, 3, 3))
    v["rgb_filter"] = rng.integers(-1, 2, size=(3, 3, 3))
    v["rgb_bias"] = int(rng.integers(-2, 3))

    v["layer_filters"] = int(rng.choice([4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64]))
    v["layer_kernel"] = int(rng.choice([3, 5, 7]))
    v["layer_channels"] = int(rng.choice([1, 2, 3, 4, 8, 16, 32]))

    # Part B's later items: drawn last, so the numbers above stay the same for every id
    v["stride_image"] = rng.integers(0, 4, size=(5, 5))
    v["stride_filter"] = _small_filter(rng, low=-1)
    v["padded_image"] = rng.integers(0, 4, size=(3, 3))
    v["padded_filter"] = _small_filter(rng, low=0)
    k = int(rng.choice([3, 5, 7]))
    v["modes"] = np.array([int(rng.integers(k + 1, 17)), k])
    v["photo"], v["photo_centre"] = _photo(rng)
    v["stack_layers"] = int(rng.integers(2, 6))
    v["stack_stride_layer"] = int(rng.integers(1, v["stack_layers"]))
    return v


def _binary_signal(rng, n):
    """0s and 1s with at least two 1s and at least two 0s."""
    while True:
        signal = rng.integers(0, 2, size=n)
        if 2 <= signal.sum() <= n - 2:
            return signal


def _lines_image(rng):
    """A 6 x 6 image of 0s with a vertical and a horizontal segment of 1s (3 to 6 long) that cross.

    Each line lies on a row or column from 1 to 4, where a 3 x 3 window can be centred on
    it (a window never centres on the border of the image), and each segment reaches at
    least one cell past the crossing on both sides. So every claim of the model answer
    holds: each detector's largest value (3) lies on its own line, it gives 1 on the other
    line, and the combined map is largest only where the lines cross.
    """
    image = np.zeros((6, 6), dtype=np.int64)
    col, row = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    top, bottom = _segment_around(rng, row)
    image[top:bottom, col] = 1
    left, right = _segment_around(rng, col)
    image[row, left:right] = 1
    return image


def _segment_around(rng, centre, size=6):
    """``(start, stop)`` of a segment of 3 to ``size`` cells covering ``centre - 1 .. centre + 1``."""
    start = int(rng.integers(0, centre))               # 0 .. centre - 1
    stop = int(rng.integers(centre + 2, size + 1))     # centre + 2 .. size
    return start, stop


def _smiley(rng):
    """A 7 x 7 smiley: two eyes (one or two cells tall), one of the mouths, maybe a freckle."""
    face = np.zeros((7, 7), dtype=np.int64)
    eye_row, eye_height, eye_gap = int(rng.integers(0, 2)), int(rng.integers(1, 3)), int(rng.integers(0, 2))
    for col in (1 + eye_gap, 5 - eye_gap):
        face[eye_row:eye_row + eye_height, col] = 1
    for r, c in SMILEY_MOUTHS[rng.integers(len(SMILEY_MOUTHS))]:
        face[r, c] = 1
    if rng.random() < 0.5:  # a freckle or a nose in the middle
        face[3, int(rng.integers(2, 5))] = 1
    return face


def _smiley_positions(rng, face):
    """Four distinct top-left cells of 3 x 3 windows, drawn where the face has ink so that
    the counts are rarely all 0: a window's chance grows with the square of its 1s."""
    ink = np.lib.stride_tricks.sliding_window_view(face, (3, 3)).sum(axis=(2, 3)).ravel()
    weights = (ink + 0.2) ** 2 / ((ink + 0.2) ** 2).sum()
    cells = rng.choice(ink.size, size=4, replace=False, p=weights)
    return np.stack([cells // 5, cells % 5], axis=1)


def _asymmetric_kernel(rng):
    """3 x 3 with three or four non-zero entries in {-1, 1, 2}, not equal to its 180-degree turn."""
    while True:
        kernel = np.zeros(9, dtype=np.int64)
        spots = rng.choice(9, size=int(rng.integers(3, 5)), replace=False)
        kernel[spots] = rng.choice([-1, 1, 2], size=len(spots))
        kernel = kernel.reshape(3, 3)
        if not np.array_equal(kernel, kernel[::-1, ::-1]):
            return kernel


def _image_telling_apart(rng, kernel):
    """A 4 x 4 image of 0..3 whose cross-correlation with ``kernel`` differs from its
    convolution (an asymmetric kernel alone does not promise that for every image)."""
    turned = kernel[::-1, ::-1]
    while True:
        image = rng.integers(0, 4, size=(4, 4))
        windows = np.lib.stride_tricks.sliding_window_view(image, (3, 3))
        if not np.array_equal((windows * kernel).sum(axis=(2, 3)), (windows * turned).sum(axis=(2, 3))):
            return image


def _size_row(rng, stride, min_padding):
    """(n, k, padding, stride) with ``min_padding <= padding <= (k + 1) // 2`` and n >= k."""
    k = int(rng.choice([2, 3, 3, 4, 5, 5, 7]))
    padding = int(rng.integers(min_padding, (k + 1) // 2 + 1))
    n = int(rng.integers(max(k, 5), 33))
    return [n, k, padding, stride]


def _dilated_row(rng):
    """(n, k, padding, stride, dilation) whose dilated kernel fits the padded input."""
    k, dilation = int(rng.choice([2, 3, 5])), int(rng.integers(2, 4))
    span = dilation * (k - 1) + 1
    padding, stride = int(rng.integers(0, 3)), int(rng.integers(1, 3))
    n = int(rng.integers(span, 33))
    return [n, k, padding, stride, dilation]


def _small_filter(rng, low):
    """3 x 3 of whole numbers from ``low`` to 1 with at least three non-zero entries."""
    while True:
        kernel = rng.integers(low, 2, size=(3, 3))
        if np.count_nonzero(kernel) >= 3:
            return kernel


def _photo(rng):
    """A 6 x 6 photo of 0..9 and a centre (row, column) in 1..3 whose 3 x 3 neighbourhood
    adds up to a multiple of 9 (the centre pixel, 0..8, is set to make it so)."""
    photo = rng.integers(0, 10, size=(6, 6))
    r, c = (int(x) for x in rng.integers(1, 4, size=2))
    photo[r, c] = 0
    photo[r, c] = -int(photo[r - 1:r + 2, c - 1:c + 2].sum()) % 9
    return photo, np.array([r, c])
