"""Hidden checks of ps1 "Feature maps by hand" and of its Dutch twin ps1_nl.

Every item is a number, a list or a grid the student typed into an answer variable
(``answer_bump``, ``answer_vertical``...). Its expected value is computed here with
``reference`` from the student's variant, regenerated from the id the submission is
filed under (the ``student`` argument of :meth:`Check.cases`), so answers copied from a
classmate are answers to someone else's numbers. The variant's keys and shapes are
documented in ``convgrade_kernel.variants_ps1``.

One class per item holds its logic; :func:`_register_items` registers each item twice,
as ``ps1.<item>`` (English messages) and ``ps1_nl.<item>`` (Dutch messages).
Feature maps are judged by :func:`autograder.diagnosis.diagnose_feature_map` (shape,
then the share of entries within ``|yours - expected| <= ATOL + RTOL*|expected|``, then
the misconception), numbers by :func:`autograder.diagnosis.diagnose_number`.

:func:`answer_key` gives a student's whole key, for ``convgrade key ps1 --student ID``.
"""
from __future__ import annotations

import numpy as np

import reference
from autograder import diagnosis
from autograder.checks import Case, Check, Outcome, get, register
from convgrade_kernel.variants import variant

RTOL = 1e-6
ATOL = 1e-6

#: Assignment name -> language of its students' messages.
LANGUAGES = {"ps1": "en", "ps1_nl": "nl"}

def _say(lang, en, nl):
    return nl if lang == "nl" else en


def _correlate(image, kernel):
    """Valid 2-D cross-correlation, (H, W) * (kh, kw) -> (H - kh + 1, W - kw + 1)."""
    return reference.correlate2d(image, kernel, mode="valid")


class ByHandItem(Check):
    """One answer variable of ps1, judged against the key of the student's variant.

    Subclasses set ``item``, ``variable`` and ``titles`` and implement :meth:`key`
    (the expected values with what diagnosis needs) and :meth:`judge` (an Outcome
    with an English message and structured fields). The registered copies set
    ``assignment`` and ``lang``; for Dutch the message is rebuilt from those fields.
    """

    item = ""
    variable = ""
    titles = {"en": "", "nl": ""}
    assignment = "ps1"
    lang = "en"

    def key(self, v):
        """``[(expected, context), ...]`` for variant ``v``: one case each."""
        raise NotImplementedError

    def judge(self, case, submitted):
        raise NotImplementedError

    @property
    def title(self):
        return self.titles[self.lang]

    def cases(self, rng, student):
        v = variant(self.assignment, student)
        return [Case(value=self.variable, expected=expected, context=context)
                for expected, context in self.key(v)]

    def mutants(self, case):
        """``{misconception: wrong answer}`` for diagnosis; by default what :meth:`key` put
        in the case's context."""
        return case.context.get("mutants", {})

    def hint(self, case, submitted):
        """An extra ``{"en": ..., "nl": ...}`` sentence for a wrong answer, or None."""
        return None

    def compare(self, case, submitted):
        index = case.context.get("index")
        if index is not None:  # one entry of a list answer: the list must have the right length
            arr = _numbers(submitted)
            length = case.context["length"]
            if arr is None or arr.shape != (length,):
                got = _say(self.lang, "something that is not a list of numbers",
                           "iets wat geen lijst getallen is") if arr is None else \
                    _say(self.lang, "shape %s", "vorm %s") % (tuple(arr.shape),)
                message = _say(self.lang, "Expected a list of %d numbers, but got %s.",
                               "Verwacht: een lijst van %d getallen, maar je gaf %s.") % (length, got)
                return Outcome(0.0, message, expected=case.expected)
            submitted = submitted[index]
        outcome = self.judge(case, submitted)
        if self.lang == "nl":
            outcome.message = _in_dutch(outcome)
        hint = self.hint(case, submitted) if outcome.fraction < 1.0 - 1e-12 else None
        if hint:
            outcome.message += " " + hint[self.lang]
        label = case.context.get("label")
        if label:
            outcome.message = "%s: %s" % (label[self.lang], outcome.message)
        return outcome


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
    titles = {"en": "1D feature map (answer_bump)", "nl": "1D-kenmerkkaart (answer_bump)"}

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
    titles = {"en": "Vertical line detector (answer_vertical)",
              "nl": "Verticale-lijndetector (answer_vertical)"}


class HorizontalMap(CorrelationMap):
    item, variable = "horizontal_map", "answer_horizontal"
    image_key, kernel_key = "lines_image", "horizontal_filter"
    titles = {"en": "Horizontal line detector (answer_horizontal)",
              "nl": "Horizontale-lijndetector (answer_horizontal)"}


class CombinedMap(MapItem):
    item, variable = "combined_map", "answer_combined"
    titles = {"en": "Both maps combined (answer_combined)", "nl": "Beide kaarten samen (answer_combined)"}

    def key(self, v):
        image = v["lines_image"]
        return [(_correlate(image, v["vertical_filter"]) + _correlate(image, v["horizontal_filter"]), {})]


class Smiley(NumberItem):
    """One case per position: the count there (the feature map's value at that cell)."""

    item, variable = "smiley", "answer_smiley"
    titles = {"en": "Feature detector on the smiley (answer_smiley)",
              "nl": "Kenmerkdetector op de smiley (answer_smiley)"}

    def key(self, v):
        face, kernel = v["smiley"], v["smiley_filter"]
        right, flipped = _correlate(face, kernel), _correlate(face, kernel[::-1, ::-1])
        rows = []
        positions = v["smiley_positions"].tolist()
        for number, (r, c) in enumerate(positions, start=1):
            mutants = {"flipped_kernel": flipped[r, c], "transposed": right[c, r]}
            rows.append((int(right[r, c]), {
                "index": number - 1, "length": len(positions), "mutants": mutants,
                "label": {"en": "position %d" % number, "nl": "plek %d" % number}}))
        return rows


class FlippedKernel(MapItem):
    item, variable = "flipped_kernel", "answer_flipped"
    titles = {"en": "Kernel turned a half turn (answer_flipped)",
              "nl": "Kern een halve slag gedraaid (answer_flipped)"}

    def key(self, v):
        kernel = v["corr_kernel"]
        return [(kernel[::-1, ::-1], {"kernel": kernel})]

    def mutants(self, case):
        return {"transposed": case.context["kernel"].T}

    def hint(self, case, submitted):
        if _same(submitted, case.context["kernel"]):
            return {"en": "This is the kernel as it was: turn it upside down and left to right.",
                    "nl": "Dit is de kern zoals hij was: draai hem ondersteboven en van links naar rechts."}
        return None


class Correlation(CorrelationMap):
    item, variable = "correlation", "answer_correlation"
    image_key, kernel_key = "corr_image", "corr_kernel"
    titles = {"en": "Cross-correlation (answer_correlation)", "nl": "Kruiscorrelatie (answer_correlation)"}


class Convolution(MapItem):
    item, variable = "convolution", "answer_convolution"
    titles = {"en": "Convolution (answer_convolution)", "nl": "Convolutie (answer_convolution)"}

    def key(self, v):
        image, kernel = v["corr_image"], v["corr_kernel"]
        return [(reference.convolve2d(image, kernel, mode="valid"), {"image": image, "kernel": kernel})]

    def mutants(self, case):
        # the mistakes of a cross-correlation with the turned kernel, except turning it back
        mutants = diagnosis.conv2d_mutants(case.context["image"], case.context["kernel"][::-1, ::-1])
        mutants.pop("flipped_kernel", None)
        return mutants

    def hint(self, case, submitted):
        if _same(submitted, _correlate(case.context["image"], case.context["kernel"])):
            return {"en": "This is the cross-correlation: for the convolution, first turn the kernel "
                          "a half turn.",
                    "nl": "Dit is de kruiscorrelatie: voor de convolutie draai je de kern eerst een "
                          "halve slag."}
        return None


class OutputSizes(NumberItem):
    """One case per row ``(n, k, padding, stride)`` of the variant."""

    item, variable = "output_sizes", "answer_sizes"
    titles = {"en": "Output sizes (answer_sizes)", "nl": "Uitvoergroottes (answer_sizes)"}

    def key(self, v):
        rows = []
        for number, (n, k, p, s) in enumerate(v["sizes"].tolist(), start=1):
            rows.append((reference.conv_output_size(n, k, padding=p, stride=s), {
                "index": number - 1, "length": len(v["sizes"]),
                "mutants": diagnosis.output_size_mutants(n, k, p, s),
                "label": {"en": "row %d" % number, "nl": "rij %d" % number}}))
        return rows


class DilatedSize(NumberItem):
    item, variable = "dilated_size", "answer_dilated"
    titles = {"en": "Output size with dilation (answer_dilated)",
              "nl": "Uitvoergrootte met dilatatie (answer_dilated)"}

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
    titles = {"en": "Max pooling (answer_max_pool)", "nl": "Max pooling (answer_max_pool)"}


class AvgPool(Pool):
    item, variable, kind = "avg_pool", "answer_avg_pool", "avg"
    titles = {"en": "Average pooling (answer_avg_pool)", "nl": "Average pooling (answer_avg_pool)"}


class RGB(NumberItem):
    item, variable = "rgb", "answer_rgb"
    titles = {"en": "One position on a colour image (answer_rgb)",
              "nl": "Eén plek op een kleurenafbeelding (answer_rgb)"}

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
    titles = {"en": "Feature maps of a layer (answer_layer_maps)",
              "nl": "Kenmerkkaarten van een laag (answer_layer_maps)"}

    def key(self, v):
        return [(v["layer_filters"], {})]


class LayerWeights(NumberItem):
    item, variable = "layer_weights", "answer_layer_weights"
    titles = {"en": "Weights of a layer, biases included (answer_layer_weights)",
              "nl": "Gewichten van een laag, biases meegeteld (answer_layer_weights)"}

    def key(self, v):
        f, k, c = v["layer_filters"], v["layer_kernel"], v["layer_channels"]
        # one k x k x C filter and one bias per feature map
        return [(f * (k * k * c + 1), {"mutants": {"bias_forgotten": f * k * k * c}})]


ITEMS = (Bump, VerticalMap, HorizontalMap, CombinedMap, Smiley, FlippedKernel, Correlation,
         Convolution, OutputSizes, DilatedSize, MaxPool, AvgPool, RGB, LayerMaps, LayerWeights)


def _register_items():
    """Register every item under each assignment of :data:`LANGUAGES`, in its language."""
    for assignment, lang in LANGUAGES.items():
        for item_class in ITEMS:
            register(type("%s_%s" % (item_class.__name__, assignment), (item_class,), {
                "id": "%s.%s" % (assignment, item_class.item), "assignment": assignment, "lang": lang}))


_register_items()


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
    for item_class in ITEMS:
        cases = get("%s.%s" % (assignment, item_class.item)).cases(None, student)
        values = [_plain(case.expected) for case in cases]
        key[item_class.item] = values[0] if len(values) == 1 and "index" not in cases[0].context else values
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


def _in_dutch(outcome):
    """The Dutch message of an outcome of :func:`diagnosis.diagnose_feature_map` or
    :func:`diagnosis.diagnose_number`, rebuilt from its fields."""
    if outcome.fraction >= 1.0 - 1e-12:
        return "Goed."
    expected = np.asarray(outcome.expected) if outcome.expected is not None else None
    submitted = outcome.submitted
    if expected is None or expected.ndim == 0:  # a number
        if submitted is None:
            message = "Verwacht: een getal."
        else:
            message = "Dit is niet het verwachte getal."
    elif submitted is None:
        message = "Verwacht: getallen in de vorm %s, maar dit is geen rooster van getallen." % (
            tuple(expected.shape),)
    elif np.shape(submitted) != expected.shape:
        message = "Verwacht: vorm %s; jouw antwoord heeft vorm %s." % (
            tuple(expected.shape), tuple(np.shape(submitted)))
    else:
        wrong = ~np.isclose(np.asarray(submitted, dtype=np.float64), expected, rtol=RTOL, atol=ATOL)
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        message = ("De vorm %s klopt, maar %d van de %d getallen kloppen niet (toegestane afwijking: "
                   "%g + %g * |verwacht|); het eerste foute getal staat op plek %s."
                   % (tuple(expected.shape), int(wrong.sum()), wrong.size, ATOL, RTOL, first))
    if outcome.misconception in diagnosis.MISCONCEPTIONS_NL:
        message += " " + diagnosis.MISCONCEPTIONS_NL[outcome.misconception]
    return message
