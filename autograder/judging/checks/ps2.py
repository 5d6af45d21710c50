"""Hidden checks of ps2, "Convolution in code".

Every case is drawn fresh at grading time (``rng``), so an output copied or hard-coded
from the public examples earns nothing; ps2 has no per-student variant. Each check
mixes random cases (several shapes, non-square, strides, paddings) with property
cases whose expected value follows from a property of convolution:

- delta kernel: a kernel with a single 1 copies its input;
- linearity: ``f(a*A + b*B) = a*f(A) + b*f(B)``;
- shift equivariance: moving the picture moves the feature map by as much.

Feature maps are judged by :func:`autograder.judging.diagnosis.diagnose_feature_map` (shape
first, then the share of entries within ``|yours - expected| <= ATOL + RTOL*|expected|``,
then the misconception), sizes by :func:`autograder.judging.diagnosis.diagnose_number`;
:mod:`autograder.language` words the verdict, labelled with the call. A case's
``describe`` gives shapes and settings, never the values of hidden inputs.

One class per item holds its logic; :func:`checks_of` makes each item a check of ``ps2``
(English, ``CHECKS``) and of ``ps2_nl`` (Dutch, in :mod:`.ps2_nl`): messages and case
descriptions are phrases of :mod:`autograder.language` in the check's language.
"""
from __future__ import annotations

import numbers
from dataclasses import replace

import numpy as np

import reference
from autograder import language
from autograder.judging import contract, diagnosis
from autograder.judging.contract import Case, Check, expected_exception
from autograder.records import Outcome

RTOL = 1e-6
ATOL = 1e-6

#: Assignment name -> language of its students' messages.
LANGUAGES = {"ps2": "en", "ps2_nl": "nl"}


def _shape(shape):
    return "x".join(str(n) for n in shape)


def _settings(stride, padding, lang):
    return language.phrase("ps2_settings", lang) % (stride, padding)


def _conv_kwargs(stride, padding):
    """The keyword arguments of a call: ``stride`` and ``padding``, each left out at its default."""
    kwargs = {}
    if stride != 1:
        kwargs["stride"] = stride
    if padding:
        kwargs["padding"] = padding
    return kwargs


def _single_channel(image, kernel, stride=1, padding=0):
    """The reference answer of ps2's ``conv2d``: (H, W) * (kh, kw) -> (H', W')."""
    return reference.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]


def _layer(x, filters, bias, stride=1, padding=0):
    """The reference answer of ps2's ``conv_layer``: (H, W, C) * (kh, kw, C, F) + (F,) -> (H', W', F)."""
    return reference.conv2d(x[None], filters, bias, stride=stride, padding=padding, data_format="NHWC")[0]


def _pool(kind, x, size, stride):
    pool = reference.max_pool2d if kind == "max" else reference.avg_pool2d
    return pool(x[None, None], size, stride=stride)[0, 0]


def _placed(pattern, shape, top, left):
    """A zero array of ``shape`` with ``pattern`` at (top, left): a picture that can be moved."""
    out = np.zeros(shape)
    out[top:top + pattern.shape[0], left:left + pattern.shape[1]] = pattern
    return out


def _shifted(array, dy, dx):
    """``array`` moved down by dy and right by dx, zeros coming in (nothing may fall off)."""
    out = np.zeros_like(array)
    out[dy:, dx:] = array[:array.shape[0] - dy, :array.shape[1] - dx]
    return out


class FeatureMapCheck(Check):
    """A check whose answers are arrays, judged entry by entry with a diagnosis."""

    def mutants(self, case):
        raise NotImplementedError

    def compare(self, case, submitted):
        verdict = diagnosis.diagnose_feature_map(submitted, case.expected, self.mutants(case),
                                                 rtol=RTOL, atol=ATOL)
        return language.outcome(replace(verdict, label=("call", case.call, case.describe)), self.lang)


class OutputSize(Check):
    """``output_size(n, k, padding=0, stride=1)`` = floor((n - k + 2p) / s) + 1, or ValueError."""

    item = "output_size"

    def cases(self, rng, student):
        def draw(padding, stride, *, divides=None, fits=True):
            for _ in range(1000):
                n, k = int(rng.integers(4, 41)), int(rng.integers(1, 8))
                span = n + 2 * padding - k
                if fits and span >= 0 and (divides is None or (span % stride == 0) == divides):
                    return n, k
            raise AssertionError("no sizes drawn")  # pragma: no cover - the ranges always allow one

        cases = []
        for padding, stride, divides, what in [
            (0, 1, None, "ps2_sizes_plain"),
            (int(rng.integers(1, 4)), 1, None, "ps2_sizes_padding"),
            (0, int(rng.integers(2, 5)), False, "ps2_sizes_stride_uneven"),
            (int(rng.integers(1, 4)), int(rng.integers(2, 5)), False, "ps2_sizes_padding_stride_uneven"),
            (int(rng.integers(1, 3)), int(rng.integers(2, 4)), True, "ps2_sizes_padding_stride"),
        ]:
            n, k = draw(padding, stride, divides=divides)
            cases.append(self._case(n, k, padding, stride, what))
        k = int(rng.integers(3, 8))
        cases.append(self._case(k - 2, k, 1, 1, "ps2_kernel_fits_exactly"))
        k = int(rng.integers(4, 9))
        cases.append(self._case(k - 1 - int(rng.integers(0, 2)), k, 0, 1, "ps2_kernel_too_large"))
        cases.append(self._case(k - 3, k, 1, 2, "ps2_kernel_too_large_padded"))
        return cases

    def _case(self, n, k, padding, stride, what):
        """The case ``output_size(n, k, ...)``, described by the phrase ``what``."""
        kwargs = {}
        if padding:
            kwargs["padding"] = padding
        if stride != 1:
            kwargs["stride"] = stride
        try:
            expected = reference.conv_output_size(n, k, padding, stride)
        except ValueError:
            expected = ValueError
        return Case(call="output_size", args=(n, k), kwargs=kwargs, expected=expected,
                    context={"n": n, "k": k, "padding": padding, "stride": stride},
                    describe=self.phrase(what))

    def compare(self, case, submitted):
        label = ("call", "output_size", case.describe)
        if expected_exception(case) is not None:
            message = language.phrase("output_size_should_raise", self.lang) % (submitted,)
            return Outcome(0.0, language.labelled(label, message, self.lang),
                           expected="ValueError", submitted=submitted)
        ctx = case.context
        verdict = diagnosis.diagnose_number(
            submitted, case.expected,
            diagnosis.output_size_mutants(ctx["n"], ctx["k"], ctx["padding"], ctx["stride"]))
        if verdict.fraction == 1.0 and not _is_integer(submitted):
            message = language.phrase("size_not_int", self.lang) % type(submitted).__name__
            return Outcome(0.5, language.labelled(label, message, self.lang),
                           expected=case.expected, submitted=submitted)
        return language.outcome(replace(verdict, label=label), self.lang)


def _is_integer(value):
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iu"
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Conv1d(FeatureMapCheck):
    """``conv1d(x, w)``: valid cross-correlation, ``out[i] = sum_j x[i + j] * w[j]``, length n - k + 1."""

    item = "conv1d"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        for n, k in [(int(rng.integers(8, 14)), 3), (int(rng.integers(12, 20)), 5),
                     (int(rng.integers(5, 9)), 1), (6, 6), (int(rng.integers(9, 13)), 4)]:
            x, w = rng.normal(size=n), rng.normal(size=k)
            cases.append(self._case(x, w, self.phrase("ps2_random_signal") % (n, k)))
        x = rng.normal(size=int(rng.integers(8, 13)))
        cases.append(self._case(x, np.array([0.0, 1.0, 0.0]), self.phrase("ps2_delta_signal"), expected=x[1:-1]))
        w = rng.normal(size=3)
        impulse = np.zeros(9)
        impulse[4] = 1.0
        cases.append(self._case(impulse, w, self.phrase("ps2_impulse"), expected=np.r_[0.0, 0.0, w[::-1], 0.0, 0.0]))
        a, b, w = rng.normal(size=10), rng.normal(size=10), rng.normal(size=4)
        cases.append(self._case(2 * a - 3 * b, w, self.phrase("ps2_linear_signal"),
                                expected=2 * self._ref(a, w) - 3 * self._ref(b, w)))
        return cases

    @staticmethod
    def _ref(x, w):
        return reference.correlate2d(x[None], w[None], mode="valid")[0]

    def _case(self, x, w, what, expected=None):
        return Case(call="conv1d", args=(x, w), expected=self._ref(x, w) if expected is None else expected,
                    context={"x": x, "w": w}, describe=what)

    def mutants(self, case):
        return diagnosis.conv1d_mutants(case.context["x"], case.context["w"])


class Conv2d(FeatureMapCheck):
    """``conv2d(image, kernel, stride=1, padding=0)``: single-channel cross-correlation with zero padding."""

    item = "conv2d"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        for (h, w), (kh, kw), stride, padding in [
            ((7, 9), (3, 3), 1, 0),
            ((int(rng.integers(6, 10)), int(rng.integers(6, 10))), (3, 3), 2, 1),
            ((10, 7), (2, 3), 1, 2),
            ((int(rng.integers(9, 12)), int(rng.integers(9, 12))), (5, 5), 3, 0),
            ((6, 11), (4, 2), 2, 2),
        ]:
            image, kernel = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
            cases.append(self._case(image, kernel, stride, padding, self.phrase("ps2_random_image") % (
                _shape((h, w)), _shape((kh, kw)), _settings(stride, padding, self.lang))))
        image = rng.normal(size=(6, 8))
        delta = np.zeros((3, 3))
        delta[1, 1] = 1.0
        cases.append(self._case(image, delta, 1, 1, self.phrase("ps2_delta_image"), expected=image))
        a, b, kernel = rng.normal(size=(7, 6)), rng.normal(size=(7, 6)), rng.normal(size=(3, 3))
        cases.append(self._case(2 * a - b, kernel, 2, 1, self.phrase("ps2_linear_image"),
                                expected=2 * _single_channel(a, kernel, 2, 1) - _single_channel(b, kernel, 2, 1)))
        pattern, kernel = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
        dy, dx = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        before = _placed(pattern, (10, 11), 2, 2)
        cases.append(self._case(_shifted(before, dy, dx), kernel, 1, 0, self.phrase("ps2_shifted") % (dy, dx),
                                expected=_shifted(_single_channel(before, kernel), dy, dx)))
        return cases

    def _case(self, image, kernel, stride, padding, what, expected=None):
        kwargs = _conv_kwargs(stride, padding)
        if expected is None:
            expected = _single_channel(image, kernel, stride, padding)
        return Case(call="conv2d", args=(image, kernel), kwargs=kwargs, expected=expected,
                    context={"image": image, "kernel": kernel, "stride": stride, "padding": padding},
                    describe=what)

    def mutants(self, case):
        c = case.context
        return diagnosis.conv2d_mutants(c["image"], c["kernel"], c["stride"], c["padding"])


class Relu(FeatureMapCheck):
    """``relu(x)`` = max(0, x) entry by entry, any shape."""

    item = "relu"

    def cases(self, rng, student):
        cases = []
        for shape in [(5, 6), (12,), (4, 5, 3)]:
            x = rng.normal(size=shape)
            x.flat[0] = 0.0  # a zero stays zero
            cases.append(Case(call="relu", args=(x,), expected=reference.relu(x), context={"x": x},
                              describe=self.phrase("ps2_relu_random") % _shape(shape)))
        # a single entry, positive: a zero here would let a constant np.zeros((1, 1)) earn the case
        x = np.abs(rng.normal(size=(1, 1))) + 0.5
        cases.append(Case(call="relu", args=(x,), expected=reference.relu(x), context={"x": x},
                          describe=self.phrase("ps2_relu_positive")))
        x = -np.abs(rng.normal(size=(3, 4)))
        cases.append(Case(call="relu", args=(x,), expected=np.zeros_like(x), context={"x": x},
                          describe=self.phrase("ps2_relu_negative")))
        return cases

    def mutants(self, case):
        return {"relu_forgotten": case.context["x"]}


class PoolCheck(FeatureMapCheck):
    """``<kind>_pool2d(x, size=2, stride=2)`` on a 2-D ``x``: one value per size x size window."""

    kind = ""
    forbid_library = True

    def cases(self, rng, student):
        name = "%s_pool2d" % self.kind
        cases = []
        for (h, w), size, stride in [((6, 8), None, None), ((7, 9), None, None), ((9, 7), 3, 3),
                                     ((9, 9), 3, 2), ((5, 6), 2, 1), ((8, 5), 3, None)]:
            x = rng.normal(size=(h, w))
            settings = self.phrase("ps2_pool_defaults") if size is None and stride is None else self.phrase(
                "ps2_pool_settings") % (size if size is not None else 2, stride if stride is not None else 2)
            cases.append(self._case(name, x, size, stride, self.phrase("ps2_pool_random") % (_shape((h, w)), settings)))
        x = -np.abs(rng.normal(size=(6, 6))) - 0.1
        cases.append(self._case(name, x, None, None, self.phrase("ps2_pool_negative")))
        return cases

    def _case(self, name, x, size, stride, what):
        kwargs = {}
        if size is not None:
            kwargs["size"] = size
        if stride is not None:
            kwargs["stride"] = stride
        size, stride = kwargs.get("size", 2), kwargs.get("stride", 2)
        return Case(call=name, args=(x,), kwargs=kwargs, expected=_pool(self.kind, x, size, stride),
                    context={"x": x, "size": size, "stride": stride}, describe=what)

    def mutants(self, case):
        c = case.context
        return diagnosis.pool_mutants(c["x"], c["size"], c["stride"], self.kind)


class MaxPool2d(PoolCheck):
    item = "max_pool2d"
    kind = "max"


class AvgPool2d(PoolCheck):
    item = "avg_pool2d"
    kind = "avg"


class ConvLayer(FeatureMapCheck):
    """``conv_layer(x, filters, bias, stride=1, padding=0)``: (H, W, C) * (kh, kw, C, F) + bias -> (H', W', F)."""

    item = "conv_layer"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        for (h, w, c), (kh, kw, f), stride, padding in [
            ((6, 7, 3), (3, 3, 4), 1, 0),
            ((8, 8, 1), (3, 3, 2), 2, 1),
            ((7, 5, 2), (2, 3, 3), 1, 1),
            ((9, 10, 3), (5, 5, 2), 2, 2),
            ((5, 6, 4), (1, 1, 3), 1, 0),
        ]:
            x, filters, bias = rng.normal(size=(h, w, c)), rng.normal(size=(kh, kw, c, f)), rng.normal(size=f)
            cases.append(self._case(x, filters, bias, stride, padding, self.phrase("ps2_layer_random") % (
                _shape((h, w, c)), f, _shape((kh, kw, c)), _settings(stride, padding, self.lang))))
        x = rng.normal(size=(5, 7, 3))
        identity = np.zeros((3, 3, 3, 3))
        for channel in range(3):
            identity[1, 1, channel, channel] = 1.0
        cases.append(self._case(x, identity, np.zeros(3), 1, 1, self.phrase("ps2_layer_delta"), expected=x))
        a, b = rng.normal(size=(6, 6, 2)), rng.normal(size=(6, 6, 2))
        filters, bias = rng.normal(size=(3, 3, 2, 2)), rng.normal(size=2)
        cases.append(self._case(a - 2 * b, filters, bias, 1, 0, self.phrase("ps2_layer_linear"),
                                expected=_layer(a, filters, 0 * bias) - 2 * _layer(b, filters, 0 * bias) + bias))
        return cases

    def _case(self, x, filters, bias, stride, padding, what, expected=None):
        kwargs = _conv_kwargs(stride, padding)
        if expected is None:
            expected = _layer(x, filters, bias, stride, padding)
        return Case(call="conv_layer", args=(x, filters, bias), kwargs=kwargs, expected=expected,
                    context={"x": x, "filters": filters, "bias": bias, "stride": stride, "padding": padding},
                    describe=what)

    def mutants(self, case):
        c = case.context
        return diagnosis.conv2d_mutants(c["x"], c["filters"], c["stride"], c["padding"], bias=c["bias"])


ITEMS = (OutputSize, Conv1d, Conv2d, Relu, MaxPool2d, AvgPool2d, ConvLayer)


def checks_of(assignment):
    """Every item as a check of ``assignment`` (a key of :data:`LANGUAGES`), in its language."""
    return contract.checks_of(ITEMS, assignment, LANGUAGES[assignment])


#: The checks of ps2 (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps2")
