"""autograder.judging.diagnosis: each misconception is recognised from an answer made the wrong way.

The wrong answers are built here the way a student would build them, with plain loops
over NumPy arrays (one knob per mistake), never with the mutant functions under test.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.judging.diagnosis import (
    FEATURE_MAP_SHAPE_CREDIT, conv1d_mutants, conv2d_mutants, diagnose_feature_map,
    diagnose_number, output_size_mutants, pool_mutants, typed_numbers,
)
from autograder.language import say
from autograder.language.en import MISCONCEPTIONS
from convgrade_kernel.codec import UnencodableValue

REQUIRED_KEYS = {
    "flipped_kernel", "no_padding", "stride_ignored", "padding_one_side", "same_odd_pixel_top_left",
    "transposed", "bias_forgotten", "relu_forgotten", "channels_confused", "off_by_one", "not_floored",
    "padding_once", "dilation_ignored", "overlapping_pool_windows", "average_instead_of_max",
    "max_instead_of_average",
}


# ---------------------------------------------------------------- a student's loops, with knobs

def student_conv2d(image, kernel, stride=1, pads=((0, 0), (0, 0)), *, flip=False, loop_short=False,
                   transpose=False):
    """Single-channel cross-correlation the way a student writes it, with optional mistakes."""
    (top, bottom), (left, right) = pads
    h, w = image.shape
    padded = np.zeros((h + top + bottom, w + left + right))
    padded[top:top + h, left:left + w] = image
    k = kernel[::-1, ::-1] if flip else kernel
    kh, kw = k.shape
    rows = (padded.shape[0] - kh) // stride + (0 if loop_short else 1)
    cols = (padded.shape[1] - kw) // stride + (0 if loop_short else 1)
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * k)
    return out.T if transpose else out


def student_conv_layer(x, filters, bias, stride=1, padding=0, *, use_bias=True, use_relu=True,
                       channels_first=False):
    """(H, W, C) * (kh, kw, C, F) + bias -> ReLU, by loops over filters and channels."""
    maps = []
    for f in range(filters.shape[3]):
        acc = sum(student_conv2d(x[:, :, c], filters[:, :, c, f], stride, ((padding,) * 2,) * 2)
                  for c in range(x.shape[2]))
        if use_bias:
            acc = acc + bias[f]
        maps.append(np.maximum(acc, 0) if use_relu else acc)
    return np.stack(maps, axis=0 if channels_first else -1)


def student_pool(x, size, stride, kind, *, keep_partial=False):
    """2-D pooling by loops; keep_partial keeps the windows that stick out at the edge."""
    reduce = np.max if kind == "max" else np.mean
    h, w = x.shape
    if keep_partial:
        rows, cols = -(-(h - size) // stride) + 1, -(-(w - size) // stride) + 1
    else:
        rows, cols = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = reduce(x[i * stride:i * stride + size, j * stride:j * stride + size])
    return out


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


def diagnose_conv(answer, image, kernel, stride=1, padding=0, **kw):
    mutants = conv2d_mutants(image, kernel, stride, padding, **kw)
    right = student_conv_layer if image.ndim == 3 else None
    if right is None:
        pads = ((padding,) * 2,) * 2 if isinstance(padding, int) else padding
        expected = student_conv2d(image, kernel, stride, pads)
    else:
        expected = student_conv_layer(image, kernel, kw.get("bias"), stride, padding,
                                      use_bias=kw.get("bias") is not None, use_relu=kw.get("relu", False))
    return diagnose_feature_map(answer, expected, mutants)


# ---------------------------------------------------------------- the explanations

def test_every_required_misconception_has_a_short_explanation():
    missing = REQUIRED_KEYS - set(MISCONCEPTIONS)
    assert not missing, f"MISCONCEPTIONS lacks {sorted(missing)}"
    for key, text in MISCONCEPTIONS.items():
        assert 40 <= len(text) <= 300, f"{key}: explanation should be one or two short sentences"
        assert text.count(". ") <= 2, f"{key}: more than two sentences"


# ---------------------------------------------------------------- feature-map misconceptions

def test_right_answer_earns_full_marks_and_names_nothing(rng):
    image, kernel = rng.normal(size=(7, 9)), rng.normal(size=(3, 3))
    outcome = diagnose_conv(student_conv2d(image, kernel, 2, ((1, 1), (1, 1))), image, kernel, 2, 1)
    assert outcome.fraction == 1.0 and outcome.misconception is None


@pytest.mark.parametrize("mistake, stride, padding, knobs", [
    ("flipped_kernel", 1, 0, {"flip": True}),
    ("flipped_kernel", 2, 1, {"flip": True}),
    ("no_padding", 1, 2, {"pads": ((0, 0), (0, 0))}),
    ("stride_ignored", 2, 0, {"stride": 1}),
    ("padding_one_side", 1, 1, {"pads": ((0, 2), (0, 2))}),
    ("off_by_one", 1, 0, {"loop_short": True}),
    ("transposed", 1, 0, {"transpose": True}),
])
def test_single_channel_misconception_is_named(rng, mistake, stride, padding, knobs):
    image, kernel = rng.normal(size=(8, 11)), rng.normal(size=(3, 3))
    args = {"stride": stride, "pads": ((padding, padding), (padding, padding))}
    args.update(knobs)
    answer = student_conv2d(image, kernel, args.pop("stride"), args.pop("pads"), **args)
    outcome = diagnose_conv(answer, image, kernel, stride, padding)
    assert outcome.misconception == mistake, say(outcome)
    assert MISCONCEPTIONS[mistake] in say(outcome)
    right_shape = ((8 + 2 * padding - 3) // stride + 1, (11 + 2 * padding - 3) // stride + 1)
    if answer.shape == right_shape:
        assert 0 <= outcome.fraction <= FEATURE_MAP_SHAPE_CREDIT
    else:
        assert outcome.fraction == 0.0


def test_transposed_square_map_has_right_shape_and_partial_credit(rng):
    image, kernel = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    outcome = diagnose_conv(student_conv2d(image, kernel, transpose=True), image, kernel)
    assert outcome.misconception == "transposed"
    assert 0 <= outcome.fraction <= FEATURE_MAP_SHAPE_CREDIT
    assert "Right shape (4, 4)" in say(outcome)


def test_same_padding_with_the_odd_pixel_top_left_is_named(rng):
    # 'same' with a 4x4 kernel needs 3 zeros per axis: TensorFlow puts 1 before, 2 after.
    image, kernel = rng.normal(size=(6, 7)), rng.normal(size=(4, 4))
    answer = student_conv2d(image, kernel, 1, ((2, 1), (2, 1)))
    right = student_conv2d(image, kernel, 1, ((1, 2), (1, 2)))
    outcome = diagnose_feature_map(answer, right, conv2d_mutants(image, kernel, 1, "same"))
    assert outcome.misconception == "same_odd_pixel_top_left", say(outcome)
    assert diagnose_feature_map(right, right, conv2d_mutants(image, kernel, 1, "same")).fraction == 1.0


@pytest.mark.parametrize("mistake, knobs", [
    ("bias_forgotten", {"use_bias": False}),
    ("relu_forgotten", {"use_relu": False}),
    ("channels_confused", {"channels_first": True}),
])
def test_multi_channel_misconception_is_named(rng, mistake, knobs):
    x, filters, bias = rng.normal(size=(7, 6, 3)), rng.normal(size=(3, 3, 3, 4)), rng.normal(size=4)
    answer = student_conv_layer(x, filters, bias, 1, 1, **knobs)
    outcome = diagnose_conv(answer, x, filters, 1, 1, bias=bias, relu=True)
    assert outcome.misconception == mistake, say(outcome)


def test_multi_channel_right_answer_matches_the_reference_layer(rng):
    x, filters, bias = rng.normal(size=(9, 8, 2)), rng.normal(size=(3, 2, 2, 5)), rng.normal(size=5)
    answer = student_conv_layer(x, filters, bias, 2, 1, use_relu=False)
    outcome = diagnose_conv(answer, x, filters, 2, 1, bias=bias)
    assert outcome.fraction == 1.0, say(outcome)


def test_conv1d_flipped_and_off_by_one(rng):
    x, w = rng.normal(size=12), np.array([1.0, 2.0, -1.0])
    right = np.array([np.dot(x[i:i + 3], w) for i in range(10)])
    flipped = np.array([np.dot(x[i:i + 3], w[::-1]) for i in range(10)])
    short = right[:9]  # range(len(x) - len(w)): one position short
    mutants = conv1d_mutants(x, w)
    assert diagnose_feature_map(flipped, right, mutants).misconception == "flipped_kernel"
    outcome = diagnose_feature_map(short, right, mutants)
    assert outcome.misconception == "off_by_one" and outcome.fraction == 0.0


# ---------------------------------------------------------------- pooling

@pytest.mark.parametrize("kind, mistake, build", [
    ("max", "average_instead_of_max", lambda x: student_pool(x, 2, 2, "avg")),
    ("avg", "max_instead_of_average", lambda x: student_pool(x, 2, 2, "max")),
    ("max", "overlapping_pool_windows", lambda x: student_pool(x, 2, 1, "max")),
    ("avg", "not_floored", lambda x: student_pool(x, 2, 2, "avg", keep_partial=True)),
])
def test_pool_misconception_is_named(rng, kind, mistake, build):
    x = rng.normal(size=(7, 8))  # odd height: a partial window at the bottom
    outcome = diagnose_feature_map(build(x), student_pool(x, 2, 2, kind), pool_mutants(x, 2, 2, kind))
    assert outcome.misconception == mistake, say(outcome)


def test_right_pool_earns_full_marks(rng):
    x = rng.normal(size=(9, 6))
    for kind in ("max", "avg"):
        outcome = diagnose_feature_map(student_pool(x, 3, 2, kind), student_pool(x, 3, 2, kind),
                                       pool_mutants(x, 3, 2, kind))
        assert outcome.fraction == 1.0


# ---------------------------------------------------------------- partial credit and bad values

def test_partial_credit_is_the_share_of_right_entries_scaled(rng):
    image, kernel = rng.normal(size=(6, 8)), rng.normal(size=(3, 3))
    answer = student_conv2d(image, kernel)
    answer[1, 2] += 1.0
    answer[3, 0] = np.nan
    outcome = diagnose_conv(answer, image, kernel)
    assert outcome.fraction == pytest.approx(FEATURE_MAP_SHAPE_CREDIT * (22 / 24))
    assert "2 of 24 entries are wrong" in say(outcome) and "(1, 2)" in say(outcome)
    assert "1e-06" in say(outcome)  # the tolerance is stated


def test_tolerance_accepts_rounding_noise(rng):
    image, kernel = rng.normal(size=(5, 5)), rng.normal(size=(2, 2))
    answer = student_conv2d(image, kernel) * (1 + 1e-9)
    assert diagnose_conv(answer, image, kernel).fraction == 1.0
    assert diagnose_conv(answer + 1e-4, image, kernel).fraction < 1.0


def test_wrong_shape_earns_zero_and_states_both_shapes(rng):
    image, kernel = rng.normal(size=(6, 8)), rng.normal(size=(3, 3))
    outcome = diagnose_conv(np.zeros((5, 5)), image, kernel)
    assert outcome.fraction == 0.0 and outcome.misconception is None
    assert "(4, 6)" in say(outcome) and "(5, 5)" in say(outcome)


def test_wrong_shape_of_a_mutant_names_it_even_with_wrong_values(rng):
    image, kernel = rng.normal(size=(6, 8)), rng.normal(size=(3, 3))
    outcome = diagnose_conv(np.zeros((6, 4)), image, kernel)  # (W', H'): rows and columns swapped
    assert outcome.fraction == 0.0 and outcome.misconception == "transposed"
    assert "shape this mistake gives" in say(outcome)


@pytest.mark.parametrize("value, says", [
    (None, "None"), ("[[1, 2]]", "str"), ({"a": 1}, "dict"), (UnencodableValue("AlwaysEqual"), "AlwaysEqual"),
    ([[1, 2], [3]], "list"),
])
def test_values_that_are_not_arrays_earn_zero(rng, value, says):
    outcome = diagnose_feature_map(value, np.zeros((2, 2)), {})
    assert outcome.fraction == 0.0 and says in say(outcome) and "(2, 2)" in say(outcome)


def test_a_nested_list_is_accepted_as_an_array():
    assert diagnose_feature_map([[1, 2], [3, 4]], np.array([[1.0, 2.0], [3.0, 4.0]]), {}).fraction == 1.0


@pytest.mark.parametrize("typed, read", [
    ("3", 3), (" -0.5 ", -0.5), ("2.0", 2.0), ("1e2", 100),
    ([["1", "2"], ["3", " 4"]], [[1, 2], [3, 4]]), (("7", 8), (7, 8)), (5, 5), ([[1, 2], [3, 4]], [[1, 2], [3, 4]]),
])
def test_numbers_typed_as_text_are_read_as_numbers(typed, read):
    value, problem = typed_numbers(typed)
    assert problem is None and value == read and type(value) is type(read)
    assert diagnose_feature_map(value, np.asarray(read, dtype=float), {}).fraction == 1.0


@pytest.mark.parametrize("typed, problem", [
    ("(1,2)", ("text", "(1,2)")), (["1", "two"], ("text", "two")), ("nan", ("text", "nan")), ("", ("text", "")),
    ([[1, 2, 3], [4, 5], [6, 7, 8]], ("ragged", 2, 2, 3)), ([[1, 2], [3, 4], [5, 6, 7]], ("ragged", 3, 3, 2)),
    ([["1", "2"], ["3"], ["4", "5"]], ("ragged", 2, 1, 2)),
])
def test_text_that_is_no_number_and_ragged_grids_are_named(typed, problem):
    """A ragged grid names the first row whose length is not the most common one, counted from 1."""
    assert typed_numbers(typed)[1] == problem


# ---------------------------------------------------------------- output sizes

def student_size(n, k, p=0, s=1, d=1, *, plus_one=True, floor=True, pad_sides=2, use_stride=True,
                 use_dilation=True):
    span = (d if use_dilation else 1) * (k - 1) + 1
    s = s if use_stride else 1
    q = (n - span + pad_sides * p) / s
    return (int(q // 1) if floor else q) + (1 if plus_one else 0)


@pytest.mark.parametrize("mistake, args, knobs", [
    ("off_by_one", (20, 3, 3, 1), {"plus_one": False}),
    ("not_floored", (10, 3, 0, 2), {"floor": False}),
    ("padding_once", (10, 3, 2, 1), {"pad_sides": 1}),
    ("no_padding", (10, 3, 2, 1), {"pad_sides": 0}),
    ("stride_ignored", (11, 3, 1, 3), {"use_stride": False}),
    ("dilation_ignored", (12, 3, 0, 1, 2), {"use_dilation": False}),
])
def test_output_size_misconception_is_named(mistake, args, knobs):
    outcome = diagnose_number(student_size(*args, **knobs), student_size(*args), output_size_mutants(*args))
    assert outcome.fraction == 0.0 and outcome.misconception == mistake, say(outcome)
    assert MISCONCEPTIONS[mistake] in say(outcome)


def test_two_mistakes_giving_the_same_number_are_both_explained():
    # n=10, k=3, p=1, s=2: forgetting the +1 and forgetting the padding both give 4
    outcome = diagnose_number(student_size(10, 3, 1, 2, plus_one=False), 5, output_size_mutants(10, 3, 1, 2))
    assert outcome.misconception in {"off_by_one", "no_padding"}
    assert MISCONCEPTIONS["off_by_one"] in say(outcome) and MISCONCEPTIONS["no_padding"] in say(outcome)


def test_right_size_earns_full_marks_in_any_numeric_type():
    mutants = output_size_mutants(32, 5, 2, 1)
    for value in (32, 32.0, np.int64(32), np.array(32)):
        assert diagnose_number(value, 32, mutants).fraction == 1.0


@pytest.mark.parametrize("value", [None, "32", [32], True, float("nan"), UnencodableValue("AlwaysEqual")])
def test_a_size_that_is_not_a_number_earns_zero(value):
    outcome = diagnose_number(value, 1, {"off_by_one": 0})
    assert outcome.fraction == 0.0 and outcome.misconception is None


# ---------------------------------------------------------------- bad arguments

def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"image shape \(5,\)"):
        conv2d_mutants(np.zeros(5), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="kind must be one of 'max', 'avg', got 'min'"):
        pool_mutants(np.zeros((4, 4)), 2, 2, "min")
    with pytest.raises(ValueError, match="stride must be a positive int, got 0"):
        conv2d_mutants(np.zeros((5, 5)), np.zeros((3, 3)), stride=0)
