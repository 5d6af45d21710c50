"""Hidden checks of ps1 "Feature maps by hand" and of its Dutch twin ps1_nl.

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

from dataclasses import replace

import numpy as np

import reference
from autograder import language
from autograder.judging import diagnosis
from autograder.judging.contract import Case, Check
from autograder.records import Verdict
from convgrade_kernel.variants import variant

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

    def compare(self, case, submitted):
        index = case.context.get("index")
        if index is not None:  # one entry of a list answer: the list must have the right length
            arr = _numbers(submitted)
            length = case.context["length"]
            if arr is None or arr.shape != (length,):
                return language.outcome(Verdict("not_a_list", 0.0, expected=case.expected, total=length,
                                                submitted_shape=None if arr is None else tuple(arr.shape)),
                                        self.lang)
            submitted = submitted[index]
        verdict = self.judge(case, submitted)
        if verdict.fraction < 1.0 - 1e-12:
            verdict = replace(verdict, notes=verdict.notes + self.notes(case, submitted))
        return language.outcome(replace(verdict, label=case.context.get("label", ())), self.lang)


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
    item, variable = "bump", "answer_bump"

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
    item, variable = "combined_map", "answer_combined"

    def key(self, v):
        image = v["lines_image"]
        return [(_correlate(image, v["vertical_filter"]) + _correlate(image, v["horizontal_filter"]), {})]


class Smiley(NumberItem):
    """One case per position: the count there (the feature map's value at that cell)."""

    item, variable = "smiley", "answer_smiley"

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
    item, variable = "flipped_kernel", "answer_flipped"

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
    item, variable = "convolution", "answer_convolution"

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

    item, variable = "output_sizes", "answer_sizes"

    def key(self, v):
        rows = []
        for number, (n, k, p, s) in enumerate(v["sizes"].tolist(), start=1):
            rows.append((reference.conv_output_size(n, k, padding=p, stride=s), {
                "index": number - 1, "length": len(v["sizes"]),
                "mutants": diagnosis.output_size_mutants(n, k, p, s),
                "label": ("row", number)}))
        return rows


class DilatedSize(NumberItem):
    item, variable = "dilated_size", "answer_dilated"

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
    item, variable, kind = "max_pool", "answer_max_pool", "max"


class AvgPool(Pool):
    item, variable, kind = "avg_pool", "answer_avg_pool", "avg"


class RGB(NumberItem):
    item, variable = "rgb", "answer_rgb"

    def key(self, v):
        # channels first: the patch is one (3, 3, 3) image, the filter one (1, 3, 3, 3) weight
        x, w, b = v["rgb_patch"][None], v["rgb_filter"][None], np.array([v["rgb_bias"]])
        value = reference.conv2d(x, w, b)[0, 0, 0, 0]
        forgot = reference.conv2d(x, w)[0, 0, 0, 0]
        flipped = reference.conv2d(x, w[..., ::-1, ::-1], b)[0, 0, 0, 0]
        mutants = {"bias_forgotten": float(forgot), "flipped_kernel": float(flipped)}
        return [(float(value), {"mutants": mutants})]


class LayerMaps(NumberItem):
    item, variable = "layer_maps", "answer_layer_maps"

    def key(self, v):
        return [(v["layer_filters"], {})]


class LayerWeights(NumberItem):
    item, variable = "layer_weights", "answer_layer_weights"

    def key(self, v):
        f, k, c = v["layer_filters"], v["layer_kernel"], v["layer_channels"]
        # one k x k x C filter and one bias per feature map
        return [(f * (k * k * c + 1), {"mutants": {"bias_forgotten": f * k * k * c}})]


ITEMS = (Bump, VerticalMap, HorizontalMap, CombinedMap, Smiley, FlippedKernel, Correlation,
         Convolution, OutputSizes, DilatedSize, MaxPool, AvgPool, RGB, LayerMaps, LayerWeights)


def checks_of(assignment):
    """Every item as a check of ``assignment`` (a key of :data:`LANGUAGES`), in its language."""
    return tuple(type("%s_%s" % (item_class.__name__, assignment), (item_class,), {
        "id": "%s.%s" % (assignment, item_class.item), "assignment": assignment, "lang": LANGUAGES[assignment]})
        for item_class in ITEMS)


#: The checks of ps1 (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps1")


def answer_key(assignment, student):
    """The answer key of ``student``'s variant of ``assignment`` ("ps1" or "ps1_nl").

    Returns
    -------
    dict
        ``{item: expected}`` in the order of the notebook, each expected value plain
        Python (an int when the answer is whole, lists for maps); an item with several
        cases (``smiley``, ``output_sizes``) maps to the list of its entries.
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


def _numbers(value):
    """``value`` as a float array, or None when it is not an array of real numbers."""
    if isinstance(value, (str, bytes, dict, bool)) or value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def _same(submitted, array):
    arr = _numbers(submitted)
    return arr is not None and arr.shape == np.shape(array) and bool(
        np.allclose(arr, array, rtol=RTOL, atol=ATOL))
