"""Checks of ps3, "Filters on real images" (``source/ps3/ps3.ipynb``).

Items (check id: what the student's kernel gives; how it is judged):

- ``ps3.apply_filter``: ``apply_filter(image, kernel)`` on fresh random inputs, against
  ``reference.correlate2d(image, kernel, mode="valid")``; library convolutions forbidden.
- ``ps3.feature_value``: ``answer_map_shape`` and ``answer_pixel_value``, the Sobel map of
  the notebook's camera photograph and its value for the patch centred on one pixel.
- ``ps3.filter_image``: ``filter_image(image, kernel, stride, padding)`` against
  ``reference.conv2d``.
- ``ps3.output_sizes``: three sizes worked out with floor((n - k + 2p) / s) + 1.
- ``ps3.rgb_filter``: ``rgb_filter(image, kernel)``, (H, W, C) and (kh, kw, C) -> (H', W'),
  and ``answer_red_crop``, the red detector's map of an 8x8 crop of the astronaut.
- ``ps3.relu_pool``: ``relu_pool(feature_map, size)`` = non-overlapping max pooling of
  ReLU(feature_map).
- ``ps3.diagonal_filter``: ``my_diagonal_filter``, judged by what it does: its strongest
  response to a "\\" line must be positive and at least twice its strongest response to a
  "/", "|" or "-" line.

The photographs are rebuilt here exactly as the notebook's locked setup cell builds them
(:func:`camera_image`, :func:`astronaut_image`); the two must stay in step.

One class per item holds its logic; :func:`checks_of` makes each item a check of ``ps3``
(English, ``CHECKS``) and of ``ps3_nl`` (Dutch, in :mod:`.ps3_nl`): messages and case
descriptions are phrases of :mod:`autograder.language` in the check's language.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

import reference
from autograder import language
from autograder.judging import contract
from autograder.judging.contract import Case, Check, describe_case, expected_exception
from autograder.judging.diagnosis import (as_numeric_array, conv2d_mutants, diagnose_feature_map, diagnose_number,
                                          output_size_mutants, pool_mutants)
from autograder.records import Outcome

#: The pixel (row, column) of ``camera_image()`` whose Sobel value the notebook asks for.
#: Kept in the sandbox although ps3 bans its convolutions: scikit-image, which students
#: may use on the photographs (``transform.resize``), calls it (see autograder.isolation.library_absence).
LIBRARIES_NEEDED = ("scipy.ndimage",)
#: Assignment name -> language of its students' messages.
LANGUAGES = {"ps3": "en", "ps3_nl": "nl"}

PIXEL = (100, 120)
#: The top-left pixel of the astronaut crop the notebook asks to filter, and its size.
CROP_CORNER, CROP_SIZE = (60, 100), 8
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
#: The notebook's RED_FILTER: +1/9 on red, -1/18 on green and blue, at all nine positions.
RED_FILTER = np.stack([np.full((3, 3), 1 / 9), np.full((3, 3), -1 / 18), np.full((3, 3), -1 / 18)],
                      axis=-1)


def camera_image():
    """scikit-image's ``camera`` at every second pixel, as floats in [0, 1]: (256, 256)."""
    from skimage import data  # scikit-image takes a second to load: only for the photographs

    return data.camera()[::2, ::2] / 255.0


def astronaut_image():
    """scikit-image's ``astronaut`` at every second pixel, floats in [0, 1]: (256, 256, 3)."""
    from skimage import data  # as in camera_image

    return data.astronaut()[::2, ::2] / 255.0


def correlate_valid(image, kernel):
    """The valid cross-correlation (no flip) of a 2-D ``image`` with a 2-D ``kernel``:
    shape ``(H - kh + 1, W - kw + 1)``."""
    return reference.correlate2d(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float),
                                 mode="valid")


def _dtype_notes(submitted, expected):
    """The note on an answer held in an integer array although the map is not whole numbers."""
    if isinstance(submitted, np.ndarray) and submitted.dtype.kind in "iu" \
            and not np.allclose(expected, np.round(expected)):
        return (("integer_dtype", str(submitted.dtype)),)
    if isinstance(submitted, np.ndarray) and submitted.dtype.kind == "u":
        return (("unsigned_dtype", str(submitted.dtype)),)
    return ()


def _judge_map(submitted, expected, mutants, rtol=1e-6, atol=1e-6):
    """The verdict on a feature map, with a note on an integer dtype when it is wrong."""
    verdict = diagnose_feature_map(submitted, expected, mutants, rtol=rtol, atol=atol)
    if verdict.fraction < 1.0:
        verdict = replace(verdict, notes=verdict.notes + _dtype_notes(submitted, np.asarray(expected)))
    return verdict


def _uniform(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


def _adder(cases, call, expected):
    """``add(image, kernel, describe)``, which appends to ``cases`` a case calling ``call``
    on that image and kernel, its answer ``expected(image, kernel)``."""
    def add(image, kernel, describe):
        cases.append(Case(call=call, args=(image, kernel), expected=expected(image, kernel),
                          context={"image": image, "kernel": kernel}, describe=describe))
    return add


class ApplyFilter(Check):
    item = "apply_filter"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        add = _adder(cases, "apply_filter", correlate_valid)
        add(_uniform(rng, (9, 7)), _uniform(rng, (3, 3)), self.phrase("ps3_random_9x7"))
        add(_uniform(rng, (6, 10)), _uniform(rng, (2, 4)), self.phrase("ps3_random_6x10"))
        delta = np.zeros((5, 5))
        delta[rng.integers(5), rng.integers(5)] = 1.0
        add(_uniform(rng, (8, 8)), delta, self.phrase("ps3_delta"))
        add(_uniform(rng, (4, 5)), _uniform(rng, (4, 5)), self.phrase("ps3_kernel_as_large"))
        add(_uniform(rng, (1, 10)), _uniform(rng, (1, 3)), self.phrase("ps3_one_row"))
        photo = rng.integers(0, 256, size=(7, 7)).astype(np.uint8)
        add(photo, rng.integers(-2, 3, size=(3, 3)).astype(float), self.phrase("ps3_uint8"))
        return cases

    def compare(self, case, submitted):
        mutants = conv2d_mutants(case.context["image"], case.context["kernel"])
        return language.outcome(_judge_map(submitted, case.expected, mutants), self.lang)


class FeatureValue(Check):
    item = "feature_value"

    def cases(self, rng, student):
        sobel_map = correlate_valid(camera_image(), SOBEL_X)
        row, col = PIXEL
        return [Case(value="answer_map_shape", expected=sobel_map.shape),
                Case(value="answer_pixel_value", expected=float(sobel_map[row - 1, col - 1]),
                     context={"map": sobel_map, "flipped": correlate_valid(camera_image(), SOBEL_X[::-1, ::-1]),
                              "pixel": PIXEL})]

    def compare(self, case, submitted):
        if case.value == "answer_map_shape":
            return _judge_shape(submitted, case.expected, self.lang, what="answer_map_shape")
        verdict = diagnose_number(submitted, case.expected, {}, rtol=1e-6, atol=1e-6)
        if verdict.fraction < 1.0:
            sobel_map, (row, col) = case.context["map"], case.context["pixel"]
            value = _scalar(submitted)
            if value is not None:
                if _close(value, sobel_map[row, col]):
                    verdict = replace(verdict, notes=(("map_entry_of_centre", row, col),))
                elif _close(value, case.context["flipped"][row - 1, col - 1]):
                    verdict = replace(verdict, misconception="flipped_kernel", notes=(("flipped_sobel",),))
        return language.outcome(verdict, self.lang)


class FilterImage(Check):
    item = "filter_image"
    forbid_library = True

    def cases(self, rng, student):
        cases = []

        def add(shape, kshape, stride, padding, describe):
            image, kernel = _uniform(rng, shape), _uniform(rng, kshape)
            expected = reference.conv2d(image[None, None], kernel[None, None], stride=stride,
                                        padding=padding)[0, 0]
            cases.append(Case(call="filter_image", args=(image, kernel),
                              kwargs={"stride": stride, "padding": padding}, expected=expected,
                              context={"image": image, "kernel": kernel, "stride": stride,
                                       "padding": padding},
                              describe=self.phrase("ps3_settings") % (describe, stride, padding)))

        random = self.phrase("ps3_random_image_kernel")
        add((8, 8), (3, 3), 1, 1, random % (8, 8, 3, 3))
        add((9, 9), (3, 3), 2, 0, random % (9, 9, 3, 3))
        add((10, 7), (3, 2), 3, 0, self.phrase("ps3_steps_uneven"))
        add((7, 9), (3, 3), 2, 2, random % (7, 9, 3, 3))
        add((3, 3), (5, 5), 1, 1, self.phrase("ps3_fits_by_padding"))
        add((6, 6), (1, 1), 1, 0, self.phrase("ps3_1x1"))
        for kwargs, rule in (({"stride": 0}, "ps3_stride_0"), ({"padding": -1}, "ps3_padding_negative")):
            cases.append(Case(call="filter_image", args=(_uniform(rng, (5, 5)), _uniform(rng, (3, 3))),
                              kwargs=kwargs, expected=ValueError, describe=self.phrase(rule), weight=0.5))
        return cases

    def compare(self, case, submitted):
        if expected_exception(case) is not None:
            return Outcome(0.0, language.phrase("returned_should_raise", self.lang) % describe_case(case, self.lang))
        c = case.context
        mutants = conv2d_mutants(c["image"], c["kernel"], c["stride"], c["padding"])
        return language.outcome(_judge_map(submitted, case.expected, mutants), self.lang)


#: The three size questions of the notebook: name -> (n, k, padding, stride, asks for).
SIZE_QUESTIONS = {
    "answer_size_stride2": (256, 3, 0, 2, "shape"),
    "answer_padding_same": (256, 5, None, 1, "padding"),
    "answer_size_7x7": (256, 7, 1, 3, "shape"),
}


class OutputSizes(Check):
    item = "output_sizes"

    def cases(self, rng, student):
        cases = []
        for name, (n, k, padding, stride, asks) in SIZE_QUESTIONS.items():
            if asks == "padding":
                before, after = reference.same_padding(n, k, stride)
                cases.append(Case(value=name, expected=before, context={"n": n, "k": k}))
            else:
                size = reference.conv_output_size(n, k, padding, stride)
                cases.append(Case(value=name, expected=(size, size),
                                  context={"n": n, "k": k, "padding": padding, "stride": stride}))
        return cases

    def compare(self, case, submitted):
        c = case.context
        if case.value == "answer_padding_same":
            # Padding p on every side keeps n when n - k + 2p + 1 == n; one less or more is off by one.
            verdict = diagnose_number(submitted, case.expected, {"padding_once": c["k"] - 1})
            if verdict.fraction < 1.0:
                verdict = replace(verdict, notes=(("solve_for_p",),))
            return language.outcome(verdict, self.lang)
        mutants = output_size_mutants(c["n"], c["k"], c["padding"], c["stride"])
        return _judge_shape(submitted, case.expected, self.lang, mutants=mutants, what=case.value)


def _rgb_expected(image, kernel):
    return reference.conv2d(image[None], kernel[..., None], data_format="NHWC")[0, ..., 0]


def _rgb_mutants(image, kernel):
    """conv2d_mutants for a one-filter layer, without the filter axis, plus the channel
    mistakes of a colour filter (one channel only, the mean over channels)."""
    mutants = {key: np.asarray(m)[..., 0] for key, m in
               conv2d_mutants(image, kernel[..., None]).items() if key != "channels_confused"}
    channels = [correlate_valid(image[..., c], kernel[..., c]) for c in range(image.shape[-1])]
    if len(channels) > 1:
        mutants["channels_not_summed"] = channels[0]
        mutants["channels_averaged"] = np.mean(channels, axis=0)
    return mutants


class RgbFilter(Check):
    item = "rgb_filter"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        add = _adder(cases, "rgb_filter", _rgb_expected)
        add(rng.uniform(0, 1, (7, 8, 3)), _uniform(rng, (3, 3, 3)), self.phrase("ps3_rgb_random"))
        add(rng.uniform(0, 1, (5, 9, 4)), _uniform(rng, (3, 2, 4)), self.phrase("ps3_rgb_4_channels"))
        add(rng.uniform(0, 1, (6, 6, 1)), _uniform(rng, (2, 2, 1)), self.phrase("ps3_rgb_1_channel"))
        only_blue = np.zeros((3, 3, 3))
        only_blue[..., 2] = _uniform(rng, (3, 3))
        add(rng.uniform(0, 1, (6, 7, 3)), only_blue, self.phrase("ps3_rgb_only_blue"))
        (r, c), s = CROP_CORNER, CROP_SIZE
        crop = astronaut_image()[r:r + s, c:c + s]
        cases.append(Case(value="answer_red_crop", expected=_rgb_expected(crop, RED_FILTER),
                          context={"image": crop, "kernel": RED_FILTER}))
        return cases

    def compare(self, case, submitted):
        image, kernel = case.context["image"], case.context["kernel"]
        verdict = _judge_map(submitted, case.expected, _rgb_mutants(image, kernel))
        if case.value and verdict.fraction < 1.0:
            verdict = replace(verdict, label=("name", case.value),
                              notes=verdict.notes + (("check_crop",) + CROP_CORNER,))
        return language.outcome(verdict, self.lang)


class ReluPool(Check):
    item = "relu_pool"

    def cases(self, rng, student):
        cases = []
        for shape, size in (((8, 8), 2), ((7, 9), 2), ((9, 6), 3), ((5, 5), 5)):
            fmap = _uniform(rng, shape)
            expected = reference.max_pool2d(reference.relu(fmap)[None, None], size, stride=size)[0, 0]
            cases.append(Case(call="relu_pool", args=(fmap,), kwargs={"size": size}, expected=expected,
                              context={"map": fmap, "size": size},
                              describe=self.phrase("ps3_relu_pool_random") % (shape + (size,))))
        return cases

    def compare(self, case, submitted):
        fmap, size = case.context["map"], case.context["size"]
        mutants = pool_mutants(reference.relu(fmap), size, size, "max")
        mutants["relu_forgotten"] = reference.max_pool2d(fmap[None, None], size, stride=size)[0, 0]
        return language.outcome(diagnose_feature_map(submitted, case.expected, mutants), self.lang)


def line_image(size, orientation, offset=0):
    """A black ``size`` x ``size`` image with one white line one pixel wide.

    ``orientation``: ``"\\\\"`` (top-left to bottom-right), ``"/"``, ``"|"`` or ``"-"``;
    ``offset`` moves the line off the centre (columns for "|", rows for "-", diagonals else).
    """
    image = np.zeros((size, size))
    centre = size // 2 + offset
    if orientation == "|":
        image[:, centre] = 1
    elif orientation == "-":
        image[centre, :] = 1
    elif orientation == "\\":
        image += np.eye(size, k=offset)
    elif orientation == "/":
        image += np.fliplr(np.eye(size, k=offset))
    else:
        raise ValueError("line_image: orientation must be one of '\\\\', '/', '|', '-', got %r"
                         % (orientation,))
    return image


class DiagonalFilter(Check):
    item = "diagonal_filter"

    def cases(self, rng, student):
        return [Case(value="my_diagonal_filter", context={"size": size, "offset": offset})
                for size, offset in ((9, 0), (13, int(rng.integers(-3, 4))))]

    def compare(self, case, submitted):
        kernel = as_numeric_array(submitted)
        if kernel is None or kernel.shape != (3, 3):
            return Outcome(0.0, language.phrase("filter_3x3_expected", self.lang) % (
                language.phrase("a_shape", self.lang) % (kernel.shape,) if kernel is not None
                else type(submitted).__name__))
        if not np.all(np.isfinite(kernel)):
            return Outcome(0.0, language.phrase("filter_not_finite", self.lang))
        size, offset = case.context["size"], case.context["offset"]
        strongest = {o: float(correlate_valid(line_image(size, o, offset), kernel).max())
                     for o in ("\\", "/", "|", "-")}
        target = strongest["\\"]
        rivals = {o: v for o, v in strongest.items() if o != "\\"}
        worst = max(rivals, key=rivals.get)
        if target > 0 and target >= 2 * max(rivals[worst], 0.0):
            return Outcome(1.0, language.phrase("diagonal_right", self.lang))
        if target <= 0:
            return Outcome(0.0, language.phrase("diagonal_dark", self.lang) % target)
        return Outcome(0.0, language.phrase("diagonal_rival", self.lang) % (target, worst, rivals[worst], worst))


# --------------------------------------------------------------------------- helpers

def _scalar(value):
    arr = as_numeric_array(value)
    return float(arr) if arr is not None and arr.size == 1 else None


def _close(a, b, rtol=1e-6, atol=1e-6):
    return abs(a - b) <= atol + rtol * abs(b)


def _judge_shape(submitted, expected, lang, mutants=None, what="the shape"):
    """Judge a shape ``(rows, cols)`` answer: a tuple, list or array of two whole numbers.

    Each of the two sizes goes through :func:`diagnose_number` with ``mutants`` (the
    wrong sizes along one axis); the answer earns 1 only when both are right.
    """
    arr = as_numeric_array(submitted)
    if arr is None or arr.shape != (2,):
        return Outcome(0.0, language.phrase("shape_answer_expected", lang) % (
            what, submitted if arr is None else arr.tolist()), expected=expected)
    verdicts = [diagnose_number(v, e, mutants or {}) for v, e in zip(arr, expected)]
    wrong = next((v for v in verdicts if v.fraction < 1.0), None)
    if wrong is None:
        return language.outcome(replace(verdicts[0], expected=expected, submitted=tuple(arr)), lang)
    return language.outcome(replace(wrong, label=("name", what), expected=expected, submitted=tuple(arr)), lang)


ITEMS = (ApplyFilter, FeatureValue, FilterImage, OutputSizes, RgbFilter, ReluPool, DiagonalFilter)


def checks_of(assignment):
    """Every item as a check of ``assignment`` (a key of :data:`LANGUAGES`), in its language."""
    return contract.checks_of(ITEMS, assignment, LANGUAGES[assignment])


#: The checks of ps3 (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps3")
