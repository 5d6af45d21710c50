"""Hidden checks of ps5 "Beyond the plain convolution" (``source/ps5/ps5.ipynb``).

By-hand items (each answer variable judged against the key of the student's variant,
regenerated from the id the submission is filed under; keys and shapes in
``convgrade_kernel.variants_ps5``):

- ``ps5.transposed_by_hand``: ``answer_upsampled``, the 4x4 transposed convolution (stride 2)
  of a 2x2 input with a 2x2 kernel (``reference.conv_transpose2d``);
- ``ps5.round_trip``: ``answer_round_trip``, a 4x4 image convolved with the same kernel (stride 2)
  and then transposed-convolved back: the shape returns, the image does not;
- ``ps5.separable_weights`` / ``ps5.separable_mults``: weights (biases included) and
  multiplications of one layer as a standard and as a depthwise-separable convolution;
- ``ps5.dilated_size``, ``ps5.dilated_map``: the output size of a dilated convolution
  (``reference.conv_output_size``) and a 4x4 map of a 2x2 kernel with dilation 2;
- ``ps5.video``: the output shape (frames, height, width, filters) and the weights of a 3-D
  convolution on a clip;
- ``ps5.receptive_field``: the receptive field of a stack of 3x3 layers without and with strides.

Code items (fresh random inputs at grading time, like ps2):

- ``ps5.conv_transpose2d``: ``conv_transpose2d(x, w, stride=1)`` for one channel;
- ``ps5.depthwise_separable_conv2d``: ``depthwise_separable_conv2d(x, depthwise, pointwise)``,
  channels last.

Maps are judged by :func:`autograder.judging.diagnosis.diagnose_feature_map`, numbers by
:func:`~autograder.judging.diagnosis.diagnose_number`, each against mutants of this module
(one per misconception, computed with ``reference`` or the counting formula with one step
changed); :mod:`autograder.language` words the verdict. One class per item;
:func:`checks_of` makes them checks of ``ps5`` (English, ``CHECKS``) and of
``ps5_nl`` (Dutch, in :mod:`.ps5_nl`); the Dutch notebook shows the same numbers (the variant
generator serves both).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

import reference
from autograder import language
from autograder.judging import contract, diagnosis
from autograder.judging.contract import Case, Check
from convgrade_kernel.variants import variant

RTOL = 1e-6
ATOL = 1e-6

#: Assignment name -> language of its students' messages.
LANGUAGES = {"ps5": "en", "ps5_nl": "nl"}


# --------------------------------------------------------------------------- answers

def transpose2d(x, w, stride=1):
    """Transposed convolution of one channel: x (H, W), w (kh, kw) -> ((H-1)s + kh, (W-1)s + kw)."""
    return reference.conv_transpose2d(np.asarray(x, float)[None, None], np.asarray(w, float)[None, None],
                                      stride=stride)[0, 0]


def transpose2d_overwritten(x, w, stride):
    """The scatter of :func:`transpose2d` with each patch *assigned* instead of added (row by row):
    the answer of a student who lets a later patch overwrite the overlap."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    (h, wd), (kh, kw) = x.shape, w.shape
    out = np.zeros(((h - 1) * stride + kh, (wd - 1) * stride + kw))
    for i in range(h):
        for j in range(wd):
            out[i * stride:i * stride + kh, j * stride:j * stride + kw] = x[i, j] * w
    return out


def dilated2d(image, kernel, dilation):
    """Valid cross-correlation of one channel with a dilated kernel, (H, W) * (kh, kw) -> (H', W')."""
    return reference.conv2d(np.asarray(image, float)[None, None], np.asarray(kernel, float)[None, None],
                            dilation=dilation)[0, 0]


def depthwise_separable(x, depthwise, pointwise):
    """x (H, W, C), depthwise (kh, kw, C), pointwise (C, F) -> (H - kh + 1, W - kw + 1, F), valid, stride 1."""
    depth = depthwise_only(x, depthwise)
    return reference.conv2d(depth[None], np.asarray(pointwise, float)[None, None], data_format="NHWC")[0]


def depthwise_only(x, depthwise):
    """The depthwise step alone: each channel filtered by its own 2-D kernel, (H', W', C)."""
    x, depthwise = np.asarray(x, float), np.asarray(depthwise, float)
    return reference.conv2d(x[None], depthwise[:, :, None, :], groups=x.shape[-1], data_format="NHWC")[0]


def layer_counts(k, c_in, c_out, size):
    """Weights (biases included) and multiplications of a k x k layer from c_in to c_out channels
    on a size x size output: ``{"standard_weights", "separable_weights", "standard_mults",
    "separable_mults"}``. The separable layer is a depthwise k x k step (one filter and one bias per
    input channel) then a pointwise 1 x 1 step (c_out filters of c_in weights, and c_out biases)."""
    positions = size * size
    return {"standard_weights": k * k * c_in * c_out + c_out,
            "separable_weights": (k * k * c_in + c_in) + (c_in * c_out + c_out),
            "standard_mults": positions * k * k * c_in * c_out,
            "separable_mults": positions * (k * k * c_in + c_in * c_out)}


def receptive_field(kernels, strides):
    """Receptive field of a stack of layers: 1 + sum_i (k_i - 1) * (product of the strides before i)."""
    field, jump = 1, 1
    for k, s in zip(kernels, strides):
        field += (k - 1) * jump
        jump *= s
    return field


def video_output(v):
    """(frames', height', width', filters) of the 3-D convolution of variant ``v``."""
    sizes = [reference.conv_output_size(int(n), int(k), int(p), int(s))
             for n, k, p, s in zip(v["video"][:3], v["video_kernel"], v["video_padding"], v["video_stride"])]
    return np.array(sizes + [v["video_filters"]])


# --------------------------------------------------------------------------- checks

class ByHandItem(Check):
    """Answer variables of ps5 judged against the key of the student's variant.

    Subclasses set ``item`` and implement :meth:`key`: ``[(variable, expected, mutants)]``."""

    item = ""
    assignment = "ps5"

    def key(self, v):
        raise NotImplementedError

    def cases(self, rng, student):
        v = variant(self.assignment, student)
        return [Case(value=name, expected=expected, context={"mutants": mutants})
                for name, expected, mutants in self.key(v)]

    def compare(self, case, submitted):
        mutants = case.context["mutants"]
        if np.ndim(case.expected):
            verdict = diagnosis.diagnose_feature_map(submitted, case.expected, mutants, rtol=RTOL, atol=ATOL)
        else:
            verdict = diagnosis.diagnose_number(submitted, case.expected, mutants)
        return language.outcome(replace(verdict, label=("name", case.value)), self.lang)


class TransposedByHand(ByHandItem):
    item = "transposed_by_hand"

    def key(self, v):
        x, w = v["up_input"], v["up_kernel"]
        return [("answer_upsampled", transpose2d(x, w, 2),
                 {"flipped_kernel": transpose2d(x, w[::-1, ::-1], 2),
                  "transpose_stride_ignored": transpose2d(x, w, 1)})]


class RoundTrip(ByHandItem):
    item = "round_trip"

    def key(self, v):
        image, w = v["round_image"], v["up_kernel"]
        small = reference.conv2d(image[None, None].astype(float), w[None, None].astype(float), stride=2)[0, 0]
        return [("answer_round_trip", transpose2d(small, w, 2),
                 {"transposed_is_inverse": image,
                  "flipped_kernel": transpose2d(small, w[::-1, ::-1], 2)})]


class SeparableWeights(ByHandItem):
    item = "separable_weights"

    def key(self, v):
        k, c_in, c_out = v["sep_kernel"], v["sep_in"], v["sep_out"]
        right = layer_counts(k, c_in, c_out, v["sep_size"])
        return [("answer_standard_weights", right["standard_weights"],
                 {"weight_count_bias_forgotten": k * k * c_in * c_out}),
                ("answer_separable_weights", right["separable_weights"],
                 {"weight_count_bias_forgotten": k * k * c_in + c_in * c_out,
                  "separable_counted_as_standard": right["standard_weights"],
                  "pointwise_forgotten": k * k * c_in + c_in})]


class SeparableMults(ByHandItem):
    item = "separable_mults"

    def key(self, v):
        k, c_in, c_out, size = v["sep_kernel"], v["sep_in"], v["sep_out"], v["sep_size"]
        right = layer_counts(k, c_in, c_out, size)
        return [("answer_standard_mults", right["standard_mults"],
                 {"mults_one_position": k * k * c_in * c_out}),
                ("answer_separable_mults", right["separable_mults"],
                 {"separable_counted_as_standard": right["standard_mults"],
                  "pointwise_forgotten": size * size * k * k * c_in,
                  "mults_one_position": k * k * c_in + c_in * c_out})]


class DilatedSize(ByHandItem):
    item = "dilated_size"

    def key(self, v):
        n, k, padding, dilation = (int(a) for a in v["dilated_row"])
        mutants = {"dilation_as_stride": reference.conv_output_size(n, k, padding, stride=dilation)}
        mutants.update(diagnosis.output_size_mutants(n, k, padding, 1, dilation))
        return [("answer_dilated_size", reference.conv_output_size(n, k, padding, dilation=dilation), mutants)]


class DilatedMap(ByHandItem):
    item = "dilated_map"

    def key(self, v):
        image, kernel = v["dilated_image"], v["dilated_kernel"]
        return [("answer_dilated_map", dilated2d(image, kernel, 2),
                 {"dilation_ignored": dilated2d(image, kernel, 1),
                  "dilation_as_stride": reference.conv2d(image[None, None].astype(float),
                                                         kernel[None, None].astype(float), stride=2)[0, 0],
                  "flipped_kernel": dilated2d(image, kernel[::-1, ::-1], 2)})]


class Video(ByHandItem):
    item = "video"

    def key(self, v):
        shape = video_output(v)
        frames, channels = int(v["video"][0]), int(v["video"][3])
        kt, kh, kw = (int(a) for a in v["video_kernel"])
        f = int(v["video_filters"])
        return [("answer_video_shape", shape,
                 {"time_axis_not_convolved": np.r_[frames, shape[1:]],
                  "output_channels_from_input": np.r_[shape[:3], channels]}),
                ("answer_video_weights", kt * kh * kw * channels * f + f,
                 {"weight_count_bias_forgotten": kt * kh * kw * channels * f,
                  "video_kernel_time_forgotten": kh * kw * channels * f + f})]


class ReceptiveField(ByHandItem):
    item = "receptive_field"

    def key(self, v):
        layers, strides = int(v["rf_layers"]), [int(s) for s in v["rf_strides"]]
        plain, kernels = [1] * layers, [3] * len(strides)
        return [("answer_rf_plain", receptive_field([3] * layers, plain),
                 {"rf_plus_one_forgotten": 2 * layers, "rf_multiplied": 3 ** layers}),
                ("answer_rf_strided", receptive_field(kernels, strides),
                 {"rf_strides_ignored": receptive_field(kernels, [1] * len(strides)),
                  "rf_own_stride": 1 + sum(2 * math.prod(strides[:i + 1]) for i in range(len(strides))),
                  "rf_plus_one_forgotten": receptive_field(kernels, strides) - 1})]


def _shape(shape):
    return "x".join(str(n) for n in shape)


class ConvTranspose2d(Check):
    """``conv_transpose2d(x, w, stride=1)``: every input value scatters ``x[i, j] * w`` into the
    output at ``(i * stride, j * stride)``; overlaps add up."""

    item = "conv_transpose2d"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        for (h, w_), (kh, kw), stride in [((3, 4), (3, 3), 2), ((2, 2), (2, 2), 2), ((4, 3), (3, 2), 1),
                                          ((3, 3), (4, 4), 2), ((int(rng.integers(4, 7)), 4), (3, 3), 3),
                                          ((5, 2), (1, 3), 2)]:
            x, w = rng.normal(size=(h, w_)), rng.normal(size=(kh, kw))
            cases.append(self._case(x, w, stride, self.phrase("ps5_random_transpose") % (
                _shape((h, w_)), _shape((kh, kw)), stride)))
        x = np.zeros((3, 3))
        i, j = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        x[i, j] = 1.0
        cases.append(self._case(x, rng.normal(size=(3, 3)), 2, self.phrase("ps5_single_one_transpose")))
        return cases

    def _case(self, x, w, stride, what):
        kwargs = {"stride": stride} if stride != 1 else {}
        return Case(call="conv_transpose2d", args=(x, w), kwargs=kwargs, expected=transpose2d(x, w, stride),
                    context={"x": x, "w": w, "stride": stride}, describe=what)

    def compare(self, case, submitted):
        c = case.context
        mutants = {"transpose_overlap_overwritten": transpose2d_overwritten(c["x"], c["w"], c["stride"]),
                   "flipped_kernel": transpose2d(c["x"], c["w"][::-1, ::-1], c["stride"])}
        if c["stride"] > 1:
            mutants["transpose_stride_ignored"] = transpose2d(c["x"], c["w"], 1)
        verdict = diagnosis.diagnose_feature_map(submitted, case.expected, mutants, rtol=RTOL, atol=ATOL)
        return language.outcome(replace(verdict, label=("call", case.call, case.describe)), self.lang)


class DepthwiseSeparable(Check):
    """``depthwise_separable_conv2d(x, depthwise, pointwise)``: x (H, W, C), depthwise (kh, kw, C),
    pointwise (C, F) -> (H - kh + 1, W - kw + 1, F)."""

    item = "depthwise_separable_conv2d"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        for (h, w_, c), (kh, kw), f in [((6, 7, 3), (3, 3), 4), ((5, 5, 2), (3, 3), 2), ((8, 6, 4), (2, 3), 3),
                                        ((5, 6, 3), (1, 1), 5), ((int(rng.integers(6, 9)), 7, 3), (5, 5), 3)]:
            x, dw, pw = rng.normal(size=(h, w_, c)), rng.normal(size=(kh, kw, c)), rng.normal(size=(c, f))
            cases.append(self._case(x, dw, pw, self.phrase("ps5_random_separable") % (
                _shape((h, w_, c)), _shape((kh, kw, c)), _shape((c, f)))))
        x = rng.normal(size=(5, 6, 3))
        delta = np.zeros((3, 3, 3))
        delta[1, 1, :] = 1.0
        cases.append(self._case(x, delta, np.eye(3), self.phrase("ps5_identity_separable"), expected=x[1:-1, 1:-1]))
        return cases

    def _case(self, x, dw, pw, what, expected=None):
        return Case(call="depthwise_separable_conv2d", args=(x, dw, pw),
                    expected=depthwise_separable(x, dw, pw) if expected is None else expected,
                    context={"x": x, "dw": dw, "pw": pw}, describe=what)

    def compare(self, case, submitted):
        c = case.context
        right = depthwise_separable(c["x"], c["dw"], c["pw"])
        mutants = {"pointwise_forgotten": depthwise_only(c["x"], c["dw"]),
                   "flipped_kernel": depthwise_separable(c["x"], c["dw"][::-1, ::-1], c["pw"]),
                   "transposed": np.swapaxes(right, 0, 1),
                   "channels_confused": np.moveaxis(right, -1, 0)}
        verdict = diagnosis.diagnose_feature_map(submitted, case.expected, mutants, rtol=RTOL, atol=ATOL)
        return language.outcome(replace(verdict, label=("call", case.call, case.describe)), self.lang)


ITEMS = (TransposedByHand, RoundTrip, SeparableWeights, SeparableMults, DilatedSize, DilatedMap, Video, ReceptiveField,
         ConvTranspose2d, DepthwiseSeparable)


def checks_of(assignment):
    """Every item as a check of ``assignment`` (a key of :data:`LANGUAGES`), in its language."""
    return contract.checks_of(ITEMS, assignment, LANGUAGES[assignment])


def answer_key(assignment, student):
    """The by-hand answers of ``student``'s variant of ``assignment``: ``{variable: expected}``,
    whole numbers as ints and maps as lists (for ``convgrade key ps5 --student ID``)."""
    if assignment not in LANGUAGES:
        raise ValueError("answer_key: assignment must be one of %s, got %r"
                         % (", ".join(sorted(LANGUAGES)), assignment))
    key = {}
    for check_class in checks_of(assignment):
        if issubclass(check_class, ByHandItem):
            for case in check_class().cases(None, student):
                key[case.value] = np.asarray(case.expected).astype(int).tolist()
    return key


#: The checks of ps5 (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps5")
