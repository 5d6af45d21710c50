"""Every claim ps1's text and model answers make about a student's numbers holds for every variant.

ps1 (and ps1_nl) show each student numbers of their own, drawn from their id
(``convgrade_kernel.variants_ps1``). The worked text and the model answers a teacher
marks against say things about those numbers ("the vertical detector's largest value
(3) lies on the vertical line", "largest where the lines cross", "for other kernels
they differ"...). A variant for which a claim is false teaches the opposite of the
lesson, so each claim is checked here, over thousands of ids, with SciPy as the oracle
for every map (none of the grader's code is used to compute them).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from convgrade_kernel.variants import variant

#: Ids like the ones students type and the ones an LMS files them under.
IDS = (["s%06d" % i for i in range(0, 4000)] + ["student%02d" % i for i in range(100)]
       + ["%d" % (1000000 + 7919 * i) for i in range(500)]
       + ["smith" + chr(97 + i % 26) * (1 + i // 26) for i in range(400)])


def _maps(v):
    image = v["lines_image"]
    vertical = signal.correlate2d(image, v["vertical_filter"], mode="valid")
    horizontal = signal.correlate2d(image, v["horizontal_filter"], mode="valid")
    return image, vertical, horizontal


def _line_cells(image):
    """The (column of the vertical line, row of the horizontal line) of a lines image."""
    columns = np.flatnonzero(image.sum(axis=0) >= 3)
    rows = np.flatnonzero(image.sum(axis=1) >= 3)
    return columns, rows


def test_the_ids_cover_thousands_of_students():
    assert len(set(IDS)) >= 5000


@pytest.mark.parametrize("assignment", ["ps1", "ps1_nl"])
def test_each_line_detector_finds_its_own_line_and_the_lines_cross_inside_the_map(assignment):
    """Section 2's model answer: the vertical detector's largest value is 3, where its middle
    column lies on the vertical line; on the horizontal line it gives only 1; the same for
    the horizontal detector; the combined map is largest (only) where the lines cross."""
    for student in IDS:
        v = variant(assignment, student)
        image, vertical, horizontal = _maps(v)
        columns, rows = _line_cells(image)
        assert image.shape == (6, 6) and set(np.unique(image)) == {0, 1}, student
        assert len(columns) == 1 and len(rows) == 1, (student, image)
        col, row = int(columns[0]), int(rows[0])
        # a 3x3 window of a 6x6 image centres on rows and columns 1..4 only
        assert 1 <= col <= 4 and 1 <= row <= 4, (student, "a line on the border is never centred", image)
        assert image[row, col] == 1, (student, "the lines must cross", image)
        # map cell (i, j) is the window centred on image cell (i + 1, j + 1)
        assert vertical.max() == 3 and horizontal.max() == 3, student
        assert set(zip(*np.nonzero(vertical == 3))) <= {(i, col - 1) for i in range(4)}, (student, vertical)
        assert set(zip(*np.nonzero(horizontal == 3))) <= {(row - 1, j) for j in range(4)}, (student, horizontal)
        on_horizontal = [vertical[row - 1, j] for j in range(4) if j != col - 1 and image[row, j + 1] == 1]
        on_vertical = [horizontal[i, col - 1] for i in range(4) if i != row - 1 and image[i + 1, col] == 1]
        assert on_horizontal and set(on_horizontal) == {1}, (student, "vertical detector on the horizontal line")
        assert on_vertical and set(on_vertical) == {1}, (student, "horizontal detector on the vertical line")
        combined = vertical + horizontal
        peaks = list(zip(*np.nonzero(combined == combined.max())))
        assert peaks == [(row - 1, col - 1)], (student, "the combined map peaks where the lines cross", combined)


def test_correlation_and_convolution_differ_for_every_student():
    """Section 4: 'for other kernels they differ' - the two 2 x 2 maps must not be equal."""
    for student in IDS:
        v = variant("ps1", student)
        image, kernel = v["corr_image"], v["corr_kernel"]
        correlation = signal.correlate2d(image, kernel, mode="valid")
        convolution = signal.convolve2d(image, kernel, mode="valid")
        assert not np.array_equal(kernel, np.rot90(kernel, 2)), student
        assert not np.array_equal(correlation, convolution), (student, image, kernel)


def test_max_pooling_keeps_something_that_average_pooling_smooths_away():
    """Section 6's model answer compares the two pooled maps: in at least one block the
    largest value is larger than the average."""
    for student in IDS:
        blocks = variant("ps1", student)["pool_input"].reshape(2, 2, 2, 2).swapaxes(1, 2)
        assert (blocks.max(axis=(2, 3)) > blocks.mean(axis=(2, 3))).any(), student


def test_every_output_size_question_has_a_fitting_kernel_and_a_positive_answer():
    """Section 5: the kernel always fits; rows 2 and 3 have a stride above 1."""
    for student in IDS:
        v = variant("ps1", student)
        sizes = v["sizes"].tolist()
        for n, k, p, s in sizes:
            assert n + 2 * p >= k and s >= 1 and (n + 2 * p - k) // s + 1 >= 1, (student, n, k, p, s)
        assert sizes[0][3] == 1 and sizes[0][2] >= 1 and sizes[1][3] >= 2 and sizes[2][3] >= 2, student
        n, k, p, s, d = v["dilated"].tolist()
        assert d >= 2 and n + 2 * p >= d * (k - 1) + 1, student


def test_the_bump_map_has_seven_values_and_the_smiley_frames_fit():
    """Sections 1 and 3: 9 - 3 + 1 = 7 values; four distinct frames inside the 7 x 7 face."""
    for student in IDS:
        v = variant("ps1", student)
        assert len(signal.correlate(v["bump_signal"], v["bump_filter"], mode="valid")) == 7
        positions = v["smiley_positions"]
        assert len({tuple(p) for p in positions.tolist()}) == 4, student
        assert ((positions >= 0) & (positions <= 4)).all(), student


def test_part_b_photo_filters_say_what_the_text_says():
    """Part B3: 'the blur is the mean of the 9 pixels', 'your blur comes out as a whole number',
    sharpen is 5 times the pixel minus its four neighbours, edge 8 times minus its eight; the
    centre is a pixel a 3 x 3 window can centre on (rows and columns 1 to 3 of the 6 x 6 photo)."""
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    edge = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    for student in IDS:
        v = variant("ps1", student)
        photo, (r, c) = v["photo"], v["photo_centre"].tolist()
        assert photo.shape == (6, 6) and 0 <= photo.min() and photo.max() <= 9, student
        assert 1 <= r <= 3 and 1 <= c <= 3, (student, r, c)
        window = photo[r - 1:r + 2, c - 1:c + 2]
        blur = signal.correlate2d(photo, np.full((3, 3), 1 / 9), mode="valid")[r - 1, c - 1]
        assert np.isclose(blur, window.mean()) and np.isclose(blur, round(blur)), (student, window)
        neighbours4 = window[0, 1] + window[1, 0] + window[1, 2] + window[2, 1]
        assert signal.correlate2d(photo, sharpen, mode="valid")[r - 1, c - 1] == 5 * photo[r, c] - neighbours4
        assert signal.correlate2d(photo, edge, mode="valid")[r - 1, c - 1] == 9 * photo[r, c] - window.sum()


def test_part_b_stride_padding_and_modes_give_the_sizes_the_text_names():
    """Part B5: stride 2 on 5 x 5 gives 2 x 2 (the four frames at rows and columns 0 and 2);
    padding 1 keeps the 3 x 3 image's size; valid < same = n < full for every n and k."""
    for student in IDS:
        v = variant("ps1", student)
        strided = signal.correlate2d(v["stride_image"], v["stride_filter"], mode="valid")[::2, ::2]
        assert strided.shape == (2, 2), student
        assert signal.correlate2d(v["padded_image"], v["padded_filter"], mode="same").shape == (3, 3)
        n, k = v["modes"].tolist()
        sizes = [signal.correlate(np.ones(n), np.ones(k), mode=m).size for m in ("valid", "same", "full")]
        assert sizes == [n - k + 1, n, n + k - 1] and sizes[0] < sizes[1] < sizes[2], (student, n, k)


def test_part_b_a_stride_2_layer_makes_the_field_grow_faster():
    """Part B10: 1 + 2L with stride 1; each layer after the stride-2 one adds 4, so the second
    answer is larger than the first for every student (the stride-2 layer is never the last)."""
    for student in IDS:
        v = variant("ps1", student)
        layers, strided = v["stack_layers"], v["stack_stride_layer"]
        assert 2 <= layers <= 5 and 1 <= strided < layers, student
        assert 1 + 2 * strided + 4 * (layers - strided) > 1 + 2 * layers, student
