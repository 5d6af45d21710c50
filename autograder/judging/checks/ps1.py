"""Hidden checks of ps1 "Feature maps by hand" and of its Dutch twin ps1_nl.

Written for school students (14-18): each check's ``audience`` is ``"school"``, so its
verdicts are worded in the school voice (:func:`autograder.language.school_message`:
what is right first, one cause, a next step). Typed input is read forgivingly
(:func:`autograder.judging.diagnosis.typed_numbers`: ``"3"`` is 3; text that is no
number and ragged grids are named). A later answer right for the student's own earlier
ones earns follow-through credit (:meth:`ByHandItem.follows`: the combined map from the
student's two maps, the convolution from their turned kernel, the weights from their
number of feature maps), when those earlier answers are the student's own attempt.

Every item is a number, a list or a grid the student typed into an answer variable
(``answer_bump``, ``answer_vertical``...). Its expected value is computed here with
``reference`` from the student's variant, regenerated from the id the submission is
filed under (the ``student`` argument of :meth:`Check.cases`), so answers copied from a
classmate are answers to someone else's numbers. The variant's keys and shapes are
documented in ``convgrade_kernel.variants_ps1``.

One class per item holds its logic; :func:`checks_of` makes each item a check of
``ps1`` (English messages, ``CHECKS``) and of ``ps1_nl`` (Dutch messages, in
:mod:`.ps1_nl`). Feature maps are judged by
:func:`autograder.judging.diagnosis.diagnose_feature_map` (shape, then the share of
entries within ``|yours - expected| <= ATOL + RTOL*|expected|``, then the misconception),
numbers by :func:`autograder.judging.diagnosis.diagnose_number`; the verdict, with the
row or position it concerns and any follow-through fact, is worded once by
:mod:`autograder.language` in the check's language.

:func:`answer_key` gives a student's whole key, for ``convgrade key ps1 --student ID``.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

import reference
from autograder import language
from autograder.judging import contract, diagnosis
from autograder.judging.checks.ps5 import receptive_field
from autograder.judging.contract import Case, Check
from autograder.records import Verdict
from convgrade_kernel.variants import variant
from convgrade_kernel.variants_ps1 import PHOTO_FILTERS

RTOL = 1e-6
ATOL = 1e-6

#: Assignment name -> language of its students' messages.
LANGUAGES = {"ps1": "en", "ps1_nl": "nl"}


def _correlate(image, kernel):
    """Valid 2-D cross-correlation, (H, W) * (kh, kw) -> (H - kh + 1, W - kw + 1)."""
    return reference.correlate2d(image, kernel, mode="valid")


class ByHandItem(Check):
    """One answer variable of ps1, judged against the key of the student's variant.

    Subclasses set ``item`` and ``variable`` and implement :meth:`key` (the expected
    values with what diagnosis needs) and :meth:`judge` (a
    :class:`~autograder.records.Verdict`). The checks of :func:`checks_of` set
    ``assignment`` and ``lang``, the language the verdict is worded in.
    """

    item = ""
    variable = ""
    assignment = "ps1"
    lang = "en"
    audience = "school"  # ages 14-18 (:func:`autograder.language.school_message`)
    #: What the answer is, for the school voice's explanation and next step (``en.SCHOOL``'s ``step_<topic>``).
    topic = "map"

    def key(self, v):
        """``[(expected, context), ...]`` for variant ``v``: one case each."""
        raise NotImplementedError

    def judge(self, case, submitted):
        raise NotImplementedError

    def cases(self, rng, student):
        v = variant(self.assignment, student)
        return [Case(value=self.variable, expected=expected, context=context)
                for expected, context in self.key(v)]

    def mutants(self, case):
        """``{misconception: wrong answer}`` for diagnosis; by default what :meth:`key` put
        in the case's context."""
        return case.context.get("mutants", {})

    def notes(self, case, submitted):
        """Follow-through facts about a wrong answer (``(("kernel_unturned",),)``), or ()."""
        return ()

    def follows(self, case, submitted, earlier):
        """The follow-through note (``("follows_own", what)``) when ``submitted`` is right
        for the student's own ``earlier`` answers (``case.also``), else None."""
        return None

    def compare(self, case, submitted, earlier=None):
        index = case.context.get("index")
        if index is not None:  # one entry of a list answer: the list must have the right length
            length = case.context["length"]
            size = len(submitted) if isinstance(submitted, (list, tuple)) or np.ndim(submitted) == 1 else None
            if size != length:
                return self.worded(Verdict("not_a_list", 0.0, expected=case.expected, total=length,
                                           submitted_shape=None if size is None else (size,)), None)
            submitted = submitted[index]
        # forgiving input: "3" is 3; text that is no number, or rows of unequal length, are named
        submitted, problem = diagnosis.typed_numbers(submitted)
        if problem is not None:
            kind = "not_a_number" if isinstance(self, NumberItem) else "not_numbers"
            return self.worded(Verdict(kind, 0.0, expected=case.expected, given=problem), case)
        verdict = self.judge(case, submitted)
        if verdict.fraction < 1.0 - 1e-12 and earlier:
            note = self.follows(case, submitted, earlier)
            if note is not None:
                verdict = replace(verdict, kind="map_right" if isinstance(self, MapItem) else "number_right",
                                  fraction=1.0, misconception=None, matches=(), notes=(note,))
        if verdict.fraction < 1.0 - 1e-12:
            verdict = replace(verdict, notes=verdict.notes + self.notes(case, submitted))
        return self.worded(verdict, case)

    def worded(self, verdict, case):
        """The Outcome of ``verdict`` in the check's language and voice, labelled with the case's
        part (``case`` None: the verdict is about the whole answer)."""
        label = case.context.get("label", ()) if case is not None else ()
        return language.outcome(replace(verdict, label=label), self.lang, self.audience, self.topic)


class MapItem(ByHandItem):
    """An answer that is a list or a grid of numbers."""

    def judge(self, case, submitted):
        return diagnosis.diagnose_feature_map(submitted, case.expected, self.mutants(case),
                                              rtol=RTOL, atol=ATOL)


class NumberItem(ByHandItem):
    """An answer that is one number."""

    def judge(self, case, submitted):
        return diagnosis.diagnose_number(submitted, case.expected, self.mutants(case))


# --------------------------------------------------------------------------- the items

class Bump(MapItem):
    item, variable, topic = "bump", "answer_bump", "signal"

    def key(self, v):
        x, w = v["bump_signal"], v["bump_filter"]
        return [(reference.conv1d(x[None, None], w[None, None])[0, 0], {"x": x, "w": w})]

    def mutants(self, case):
        return diagnosis.conv1d_mutants(case.context["x"], case.context["w"])


class CorrelationMap(MapItem):
    """The valid cross-correlation of the variant's ``image_key`` with its ``kernel_key``."""

    image_key, kernel_key = "", ""

    def key(self, v):
        image, kernel = v[self.image_key], v[self.kernel_key]
        return [(_correlate(image, kernel), {"image": image, "kernel": kernel})]

    def mutants(self, case):
        return diagnosis.conv2d_mutants(case.context["image"], case.context["kernel"])


class VerticalMap(CorrelationMap):
    item, variable = "vertical_map", "answer_vertical"
    image_key, kernel_key = "lines_image", "vertical_filter"


class HorizontalMap(CorrelationMap):
    item, variable = "horizontal_map", "answer_horizontal"
    image_key, kernel_key = "lines_image", "horizontal_filter"


class CombinedMap(MapItem):
    item, variable, topic = "combined_map", "answer_combined", "sum"

    def cases(self, rng, student):
        return [replace(case, also=("answer_vertical", "answer_horizontal"))
                for case in super().cases(rng, student)]

    def key(self, v):
        image, maps = v["lines_image"], []
        for name in ("vertical_filter", "horizontal_filter"):
            maps.append((_correlate(image, v[name]), diagnosis.conv2d_mutants(image, v[name])))
        return [(maps[0][0] + maps[1][0], {"own": maps})]

    def follows(self, case, submitted, earlier):
        own = [_earlier_numbers(earlier, name) for name in case.also]
        if not all(_own_attempt(mine, *key) for mine, key in zip(own, case.context["own"])) \
                or own[0].shape != own[1].shape:
            return None
        return ("follows_own", "maps") if _same(submitted, own[0] + own[1]) else None


class Smiley(NumberItem):
    """One case per position: the count there (the feature map's value at that cell)."""

    item, variable, topic = "smiley", "answer_smiley", "smiley"

    def key(self, v):
        face, kernel = v["smiley"], v["smiley_filter"]
        right, flipped = _correlate(face, kernel), _correlate(face, kernel[::-1, ::-1])
        rows = []
        positions = v["smiley_positions"].tolist()
        for number, (r, c) in enumerate(positions, start=1):
            mutants = {"flipped_kernel": flipped[r, c], "transposed": right[c, r]}
            rows.append((int(right[r, c]), {
                "index": number - 1, "length": len(positions), "mutants": mutants,
                "label": ("position", number)}))
        return rows


class FlippedKernel(MapItem):
    item, variable, topic = "flipped_kernel", "answer_flipped", "kernel"

    def key(self, v):
        kernel = v["corr_kernel"]
        return [(kernel[::-1, ::-1], {"kernel": kernel})]

    def mutants(self, case):
        return {"transposed": case.context["kernel"].T}

    def notes(self, case, submitted):
        return (("kernel_unturned",),) if _same(submitted, case.context["kernel"]) else ()


class Correlation(CorrelationMap):
    item, variable = "correlation", "answer_correlation"
    image_key, kernel_key = "corr_image", "corr_kernel"


class Convolution(MapItem):
    item, variable, topic = "convolution", "answer_convolution", "convolution"

    def cases(self, rng, student):
        return [replace(case, also=("answer_flipped",)) for case in super().cases(rng, student)]

    def follows(self, case, submitted, earlier):
        # the student's own turned kernel, slid over the image as it is
        turned, kernel = _earlier_numbers(earlier, "answer_flipped"), case.context["kernel"]
        if not _own_attempt(turned, kernel[::-1, ::-1], {"transposed": kernel.T, "kernel_unturned": kernel}) \
                or turned.shape != kernel.shape:
            return None
        return ("follows_own", "kernel") if _same(submitted, _correlate(case.context["image"], turned)) else None

    def key(self, v):
        image, kernel = v["corr_image"], v["corr_kernel"]
        return [(reference.convolve2d(image, kernel, mode="valid"), {"image": image, "kernel": kernel})]

    def mutants(self, case):
        # the mistakes of a cross-correlation with the turned kernel, except turning it back
        mutants = diagnosis.conv2d_mutants(case.context["image"], case.context["kernel"][::-1, ::-1])
        mutants.pop("flipped_kernel", None)
        return mutants

    def notes(self, case, submitted):
        return (("is_cross_correlation",),) if _same(submitted, _correlate(case.context["image"],
                                                                           case.context["kernel"])) else ()


class OutputSizes(NumberItem):
    """One case per row ``(n, k, padding, stride)`` of the variant."""

    item, variable, topic = "output_sizes", "answer_sizes", "size"

    def key(self, v):
        rows = []
        for number, (n, k, p, s) in enumerate(v["sizes"].tolist(), start=1):
            rows.append((reference.conv_output_size(n, k, padding=p, stride=s), {
                "index": number - 1, "length": len(v["sizes"]),
                "mutants": diagnosis.output_size_mutants(n, k, p, s),
                "label": ("row", number)}))
        return rows


class DilatedSize(NumberItem):
    item, variable, topic = "dilated_size", "answer_dilated", "dilated"

    def key(self, v):
        n, k, p, s, d = v["dilated"].tolist()
        return [(reference.conv_output_size(n, k, padding=p, stride=s, dilation=d),
                 {"mutants": diagnosis.output_size_mutants(n, k, p, s, d)})]


class Pool(MapItem):
    """2 x 2 pooling with stride 2 of ``pool_input``; ``kind`` is "max" or "avg"."""

    kind = ""

    def key(self, v):
        x = v["pool_input"]
        pool = reference.max_pool2d if self.kind == "max" else reference.avg_pool2d
        return [(pool(x[None, None], 2, stride=2)[0, 0], {"x": x})]

    def mutants(self, case):
        return diagnosis.pool_mutants(case.context["x"], 2, 2, self.kind)


class MaxPool(Pool):
    item, variable, kind, topic = "max_pool", "answer_max_pool", "max", "max_pool"


class AvgPool(Pool):
    item, variable, kind, topic = "avg_pool", "answer_avg_pool", "avg", "avg_pool"


class RGB(NumberItem):
    item, variable, topic = "rgb", "answer_rgb", "rgb"

    def key(self, v):
        # channels first: the patch is one (3, 3, 3) image, the filter one (1, 3, 3, 3) weight
        x, w, b = v["rgb_patch"][None], v["rgb_filter"][None], np.array([v["rgb_bias"]])
        value = reference.conv2d(x, w, b)[0, 0, 0, 0]
        forgot = reference.conv2d(x, w)[0, 0, 0, 0]
        flipped = reference.conv2d(x, w[..., ::-1, ::-1], b)[0, 0, 0, 0]
        mutants = {"bias_forgotten": float(forgot), "flipped_kernel": float(flipped)}
        return [(float(value), {"mutants": mutants})]


class LayerMaps(NumberItem):
    item, variable, topic = "layer_maps", "answer_layer_maps", "maps"

    def key(self, v):
        return [(v["layer_filters"], {})]


class LayerWeights(NumberItem):
    item, variable, topic = "layer_weights", "answer_layer_weights", "weights"

    def cases(self, rng, student):
        return [replace(case, also=("answer_layer_maps",)) for case in super().cases(rng, student)]

    def key(self, v):
        f, k, c = v["layer_filters"], v["layer_kernel"], v["layer_channels"]
        # one k x k x C filter and one bias per feature map
        return [(f * (k * k * c + 1), {"mutants": {"bias_forgotten": f * k * k * c}, "per_filter": k * k * c + 1})]

    def follows(self, case, submitted, earlier):
        # the student's own count of feature maps (= filters), each with k x k x C weights and a bias
        maps = _earlier_numbers(earlier, "answer_layer_maps")
        if maps is None or maps.shape != () or not maps > 0 \
                or diagnosis.diagnose_number(submitted, float(maps) * case.context["per_filter"], {}).fraction < 1:
            return None
        return ("follows_own", "count")


# --------------------------------------------------------------------------- Part B's later items

def _layer_map(image, kernel, stride=1, padding=0):
    """One-channel CNN layer (cross-correlation, zero padding): (H, W) * (k, k) -> (H', W')."""
    return reference.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]


class LayerMap(MapItem):
    """The map of the variant's ``image_key`` with its ``kernel_key``, ``stride`` and ``padding``."""

    image_key, kernel_key, stride, padding = "", "", 1, 0

    def key(self, v):
        image, kernel = v[self.image_key], v[self.kernel_key]
        return [(_layer_map(image, kernel, self.stride, self.padding), {"image": image, "kernel": kernel})]

    def mutants(self, case):
        return diagnosis.conv2d_mutants(case.context["image"], case.context["kernel"], self.stride, self.padding)


class StrideMap(LayerMap):
    """A 3 x 3 filter moved 2 cells at a time over a 5 x 5 image: (2, 2)."""

    item, variable, topic = "stride_map", "answer_stride", "stride_map"
    image_key, kernel_key, stride = "stride_image", "stride_filter", 2


class PaddedMap(LayerMap):
    """A 3 x 3 filter over a 3 x 3 image with a border of one zero all round: (3, 3)."""

    item, variable, topic = "padded_map", "answer_padded", "padded_map"
    image_key, kernel_key, padding = "padded_image", "padded_filter", 1


#: The padding names of :class:`PaddingModes` in the order of the answer, with the zeros
#: each puts on every side of a size-n input for a k-wide filter (k odd).
MODES = (("valid", lambda k: 0), ("same", lambda k: (k - 1) // 2), ("full", lambda k: k - 1))


class PaddingModes(NumberItem):
    """One case per padding name: the size of the "valid", "same" and "full" map of n with k."""

    item, variable, topic = "padding_modes", "answer_modes", "modes"

    def key(self, v):
        n, k = v["modes"].tolist()
        sizes = [reference.conv_output_size(n, k, padding=pad(k)) for _, pad in MODES]
        return [(size, {"index": number, "length": len(MODES), "label": ("mode_" + MODES[number][0],),
                        "others": [s for s in sizes if s != size], "mutants": {"off_by_one": size - 1}})
                for number, size in enumerate(sizes)]

    def judge(self, case, submitted):
        verdict = super().judge(case, submitted)
        if verdict.kind == "wrong_number" and any(verdict.value == other for other in case.context["others"]):
            # the size of another padding name: the names are mixed up
            verdict = replace(verdict, misconception="padding_modes_swapped", matches=("padding_modes_swapped",))
        return verdict


class PhotoFilters(NumberItem):
    """One case per photo filter (sharpen, blur, edge): the map's value for the window
    centred on ``photo_centre``."""

    item, variable, topic = "photo_filters", "answer_filters", "photo"

    def key(self, v):
        photo, (r, c) = v["photo"], v["photo_centre"].tolist()
        rows = []
        for number, (name, weights) in enumerate(PHOTO_FILTERS.items()):
            kernel = np.array(weights)
            out = _layer_map(photo, kernel)  # map cell (i, j) is the window centred on pixel (i + 1, j + 1)
            value = float(out[r - 1, c - 1])
            mutants = {}
            if name == "blur":  # the 9 pixels added up but not divided by 9
                mutants["blur_not_divided"] = value * 9
            else:
                mutants["centre_weight_forgotten"] = value - kernel[1, 1] * photo[r, c]
            mutants["centre_as_corner"] = float(out[r, c])  # the filter's top-left cell on the pixel
            if r != c:
                mutants["transposed"] = float(out[c - 1, r - 1])
            rows.append((_whole(value), {"index": number, "length": len(PHOTO_FILTERS),
                                         "label": ("filter_" + name,), "mutants": mutants}))
        return rows


class ReceptiveField(NumberItem):
    """Two cases: how many pixels across one value sees after L stacked 3 x 3 layers, all
    with stride 1, then with layer ``stack_stride_layer`` at stride 2 (ps5's
    :func:`~autograder.judging.checks.ps5.receptive_field`, and its mistakes)."""

    item, variable, topic = "receptive_field", "answer_receptive", "receptive"

    def key(self, v):
        layers, strided = v["stack_layers"], v["stack_stride_layer"]
        kernels, plain = [3] * layers, [1] * layers
        strides = [2 if i == strided else 1 for i in range(1, layers + 1)]
        field = receptive_field(kernels, strides)
        own_stride = 1 + sum(2 * math.prod(strides[:i + 1]) for i in range(layers))
        return [
            (receptive_field(kernels, plain), {"index": 0, "length": 2, "label": ("stack_plain",), "mutants": {
                "rf_multiplied": 3 ** layers, "rf_plus_one_forgotten": 2 * layers}}),
            (field, {"index": 1, "length": 2, "label": ("stack_strided",), "mutants": {
                "rf_strides_ignored": receptive_field(kernels, plain), "rf_own_stride": own_stride,
                "rf_plus_one_forgotten": field - 1}}),
        ]


ITEMS = (Bump, VerticalMap, OutputSizes, MaxPool,  # Part A: the core
         HorizontalMap, CombinedMap, Smiley, PhotoFilters, FlippedKernel, Correlation, Convolution,
         StrideMap, PaddedMap, PaddingModes, DilatedSize, AvgPool, RGB, LayerMaps, LayerWeights, ReceptiveField)


def checks_of(assignment):
    """Every item as a check of ``assignment`` (a key of :data:`LANGUAGES`), in its language."""
    return contract.checks_of(ITEMS, assignment, LANGUAGES[assignment])


#: The checks of ps1 (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps1")


def answer_key(assignment, student):
    """The answer key of ``student``'s variant of ``assignment`` ("ps1" or "ps1_nl").

    Returns
    -------
    dict
        ``{item: expected}`` in the order of the notebook (Part A, then Part B), each expected value plain
        Python (an int when the answer is whole, lists for maps); an item with several
        cases (``smiley``, ``output_sizes``, ``photo_filters``, ``padding_modes``,
        ``receptive_field``) maps to the list of its entries.
    """
    if assignment not in LANGUAGES:
        raise ValueError("answer_key: assignment must be one of %s, got %r"
                         % (", ".join(sorted(LANGUAGES)), assignment))
    key = {}
    for check_class in checks_of(assignment):
        cases = check_class().cases(None, student)
        values = [_plain(case.expected) for case in cases]
        key[check_class.item] = values[0] if len(values) == 1 and "index" not in cases[0].context else values
    return key


# --------------------------------------------------------------------------- helpers

def _plain(value):
    """Numbers and arrays as plain Python, whole numbers as ints."""
    arr = np.asarray(value, dtype=np.float64)
    if np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    return arr.tolist()


def _whole(value):
    """``value`` as an int when it is whole (up to rounding of 1/9), else as it is."""
    return int(round(value)) if abs(value - round(value)) < 1e-9 else value


def _numbers(value):
    """``value`` as a float array, or None when it is not an array of real numbers."""
    if isinstance(value, (str, bytes, dict, bool)) or value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def _earlier_numbers(earlier, name):
    """The student's earlier answer ``name`` (forgiving input, as their own answer was
    read) as a float array, or None."""
    value, problem = diagnosis.typed_numbers(earlier.get(name))
    return None if problem else _numbers(value)


def _own_attempt(answer, expected, mutants):
    """Whether an earlier ``answer`` (a float array or None) is this student's own attempt at
    their own numbers, so a later answer may follow through from it: right, a known mistake,
    or at most a quarter of its numbers wrong. (Answers copied from a classmate's variant
    are rarely any of these, so they earn no follow-through.)"""
    if answer is None:
        return False
    verdict = diagnosis.diagnose_feature_map(answer, expected, mutants, rtol=RTOL, atol=ATOL)
    return verdict.fraction >= 1.0 or verdict.misconception is not None or (
        verdict.kind == "wrong_entries" and verdict.wrong <= verdict.total // 4)


def _same(submitted, array):
    arr = _numbers(submitted)
    return arr is not None and arr.shape == np.shape(array) and bool(
        np.allclose(arr, array, rtol=RTOL, atol=ATOL))
