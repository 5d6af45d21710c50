"""Checks of ps4, "Learning the filters" (``source/ps4/ps4.ipynb``).

Items (check id: what the student's kernel gives; how it is judged):

- ``ps4.conv2d_backward``: ``conv2d_backward(dout, x, w) -> (dx, dw, db)`` for one channel,
  valid, stride 1, on fresh random inputs, against ``reference.conv2d_backward``
  (dx and dw 40% of each case each, db 20%).
- ``ps4.numerical_gradient``: the notebook's locked ``conv_numeric_grads(x, w, b, target)``,
  which differentiates the squared error ``0.5 * sum((conv(x, w) + b - target)**2)`` with
  the student's ``numerical_gradient``; against the same gradients from ``reference``.
- ``ps4.learn_detector``: the notebook's ``learned_kernel`` and the student's
  ``train_detector(images, targets)`` on fresh data for the vertical and the horizontal
  detector, judged by behaviour: on new images, the learned kernel's maps must correlate
  with the target detector's maps (full marks from r = 0.95).
- ``ps4.conv_layer``: ``conv_layer_forward(x, W, b)`` and ``conv_layer_backward(dz, x, W)``
  (a batch of one-channel images, channels-last filters) against ``reference``.
- ``ps4.digits_cnn``: ``predict(images)`` on the test split of scikit-learn's 8x8 digits;
  the labels stay here and accuracy is computed here: full marks from
  ``ACCURACY_TARGET``, linear partial credit from chance (10%) up to it.

The digits split and the line images are rebuilt here as the notebook's locked cells
build them (:func:`digits_split`, :func:`line_images`).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

import reference
from autograder import language
from autograder.judging.contract import Case, Check
from autograder.judging.diagnosis import (as_numeric_array, conv2d_backward_mutants, conv2d_mutants,
                                          diagnose_feature_map, diagnose_number)
from autograder.records import Outcome

#: Test accuracy of ``predict`` that earns full marks (the notebook states it).
ACCURACY_TARGET = 0.90
#: Accuracy of guessing among ten digits: no marks.
CHANCE = 0.10
#: Correlation with the target detector's maps that earns full marks, and the one that earns none.
CORRELATION_FULL, CORRELATION_NONE = 0.95, 0.5
#: Tolerance of the numerical gradient (loose enough for one-sided differences with h = 1e-5).
NUMERIC_RTOL, NUMERIC_ATOL = 1e-3, 1e-4

VERTICAL = np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]], dtype=float)
HORIZONTAL = VERTICAL.T.copy()


def digits_split():
    """scikit-learn's 8x8 digits scaled to [0, 1] and split 75/25, stratified, seed 0.

    Returns ``X_train (1347, 8, 8), X_test (450, 8, 8), y_train (1347,), y_test (450,)``.
    """
    # scikit-learn takes seconds to load: only for the digits, not with every ps4 check
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    return train_test_split(digits.images / 16.0, digits.target, test_size=0.25, random_state=0,
                            stratify=digits.target)


def line_images(n, rng, size=8):
    """``n`` binary ``size`` x ``size`` images: in turn one or two full-length vertical lines,
    one or two horizontal lines, and random dots (30% of the pixels). Shape (n, size, size)."""
    images = np.zeros((n, size, size))
    for index in range(n):
        kind = index % 3
        count = int(rng.integers(1, 3))
        if kind == 0:
            images[index][:, rng.choice(size, count, replace=False)] = 1
        elif kind == 1:
            images[index][rng.choice(size, count, replace=False), :] = 1
        else:
            images[index] = rng.random((size, size)) < 0.3
    return images


def correlate_valid(image, kernel):
    """Valid cross-correlation of one 2-D image with one 2-D kernel, (H-kh+1, W-kw+1)."""
    return reference.correlate2d(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float),
                                 mode="valid")


def _parts(submitted, count, what, lang):
    """``submitted`` as a tuple of ``count`` values, or an Outcome saying it is not one."""
    if isinstance(submitted, (tuple, list)) and len(submitted) == count:
        return tuple(submitted), None
    got = language.phrase("sequence_of_length", lang) % (type(submitted).__name__, len(submitted)) \
        if isinstance(submitted, (tuple, list)) else type(submitted).__name__
    return None, Outcome(0.0, language.phrase("tuple_expected", lang) % (what, count, got))


def _combine(named_outcomes, weights, lang):
    """One Outcome from parts ``[(name, Outcome)]``: the weighted fraction, and a message
    naming each part that is not right."""
    fraction = sum(w * o.fraction for (_, o), w in zip(named_outcomes, weights)) / sum(weights)
    wrong = [(name, o) for name, o in named_outcomes if o.fraction < 1.0]
    if not wrong:
        return Outcome(1.0, language.phrase("parts_right", lang) % ", ".join(n for n, _ in named_outcomes))
    return Outcome(fraction, " ".join(language.labelled(("name", name), o.message, lang) for name, o in wrong),
                   misconception=next((o.misconception for _, o in wrong if o.misconception), None))


def _judge_map(submitted, expected, mutants, lang, **tolerance):
    return language.outcome(diagnose_feature_map(submitted, expected, mutants, **tolerance), lang)


def _judge_scalar(submitted, expected, rtol, atol, lang):
    """A number, also accepted as a 0-d or one-element array."""
    value = as_numeric_array(submitted)
    if value is not None and value.size == 1:
        submitted = float(value.reshape(()))
    elif value is not None:
        key = "backward_db_not_summed"
        return Outcome(0.0, language.phrase("one_number_expected", lang) % (
            value.shape, language.misconception_text(key, lang), key), misconception=key)
    return language.outcome(diagnose_number(submitted, expected, {}, rtol=rtol, atol=atol), lang)


class Conv2dBackward(Check):
    id = "ps4.conv2d_backward"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        for (h, w_), (kh, kw), describe in (((6, 6), (3, 3), "a random 6x6 x and 3x3 w"),
                                            ((5, 8), (2, 3), "a random 5x8 x and 2x3 w"),
                                            ((7, 7), (1, 1), "a random 7x7 x and 1x1 w"),
                                            ((4, 5), (4, 5), "w as large as x (a 1x1 output)"),
                                            ((9, 7), (3, 3), "a random 9x7 x and 3x3 w")):
            x, w = rng.normal(size=(h, w_)), rng.normal(size=(kh, kw))
            dout = rng.normal(size=(h - kh + 1, w_ - kw + 1))
            dx, dw, db = reference.conv2d_backward(dout[None, None], x[None, None], w[None, None])
            cases.append(Case(call="conv2d_backward", args=(dout, x, w),
                              expected=(dx[0, 0], dw[0, 0], float(db[0])),
                              context={"dout": dout, "x": x, "w": w},
                              describe=describe + " and a random dout"))
        return cases

    def compare(self, case, submitted):
        parts, failed = _parts(submitted, 3, "conv2d_backward", self.lang)
        if failed:
            return failed
        (dx, dw, db), c = case.expected, case.context
        mutants = conv2d_backward_mutants(c["dout"], c["x"], c["w"])
        return _combine([("dx", _judge_map(parts[0], dx, mutants["dx"], self.lang)),
                         ("dw", _judge_map(parts[1], dw, mutants["dw"], self.lang)),
                         ("db", _judge_scalar(parts[2], db, 1e-6, 1e-6, self.lang))], (0.4, 0.4, 0.2), self.lang)


class NumericalGradient(Check):
    id = "ps4.numerical_gradient"

    def cases(self, rng, student):
        cases = []
        for (h, w_), (kh, kw) in (((5, 6), (3, 3)), ((4, 4), (2, 3))):
            x, w = rng.normal(size=(h, w_)), rng.normal(size=(kh, kw))
            b = float(rng.normal())
            target = rng.normal(size=(h - kh + 1, w_ - kw + 1))
            dout = correlate_valid(x, w) + b - target
            dx, dw, db = reference.conv2d_backward(dout[None, None], x[None, None], w[None, None])
            cases.append(Case(call="conv_numeric_grads", args=(x, w, b, target),
                              expected=(dx[0, 0], dw[0, 0], float(db[0])),
                              describe="a random %dx%d x, %dx%d w, bias and target" % (h, w_, kh, kw)))
        return cases

    def compare(self, case, submitted):
        parts, failed = _parts(submitted, 3, "conv_numeric_grads", self.lang)
        if failed:
            return failed
        dx, dw, db = case.expected
        outcome = _combine(
            [("dx", _judge_map(parts[0], dx, {}, self.lang, rtol=NUMERIC_RTOL, atol=NUMERIC_ATOL)),
             ("dw", _judge_map(parts[1], dw, {}, self.lang, rtol=NUMERIC_RTOL, atol=NUMERIC_ATOL)),
             ("db", _judge_scalar(parts[2], db, NUMERIC_RTOL, NUMERIC_ATOL, self.lang))], (1, 1, 1), self.lang)
        if outcome.fraction < 1.0:
            outcome = replace(outcome, message=outcome.message + " " + language.phrase("numerical_gradient_hint",
                                                                                       self.lang))
        return outcome


def _detector_outcome(kernel, target, test_images, who, lang):
    """Judge a learned kernel by what it does: the Pearson correlation, over ``test_images``,
    between its maps and the maps of the ``target`` detector."""
    arr = as_numeric_array(kernel)
    if arr is None or arr.shape != target.shape:
        return Outcome(0.0, language.phrase("kernel_array_expected", lang) % (
            who, target.shape[0], target.shape[1],
            language.phrase("a_shape", lang) % (arr.shape,) if arr is not None else type(kernel).__name__))
    if not np.all(np.isfinite(arr)):
        return Outcome(0.0, language.phrase("kernel_diverged", lang) % who)
    learned = np.stack([correlate_valid(x, arr) for x in test_images]).ravel()
    wanted = np.stack([correlate_valid(x, target) for x in test_images]).ravel()
    r = 0.0 if learned.std() == 0 else float(np.corrcoef(learned, wanted)[0, 1])
    fraction = float(np.clip((r - CORRELATION_NONE) / (CORRELATION_FULL - CORRELATION_NONE), 0, 1))
    if fraction >= 1.0:
        return Outcome(1.0, language.phrase("detector_right", lang) % r)
    return Outcome(fraction, language.phrase("detector_weak", lang) % (who, r, CORRELATION_FULL, CORRELATION_NONE))


def _kernel_of(submitted):
    """train_detector returns (kernel, bias); a bare kernel is accepted too."""
    if isinstance(submitted, (tuple, list)) and len(submitted) == 2:
        return submitted[0]
    return submitted


class LearnDetector(Check):
    id = "ps4.learn_detector"

    def cases(self, rng, student):
        test_images = line_images(18, rng)
        cases = [Case(value="learned_kernel", context={"target": VERTICAL, "test": test_images})]
        for target, name in ((VERTICAL, "vertical"), (HORIZONTAL, "horizontal")):
            images = line_images(24, rng)
            targets = np.stack([correlate_valid(x, target) for x in images])
            cases.append(Case(call="train_detector", args=(images, targets),
                              context={"target": target, "test": test_images},
                              describe="24 new 8x8 line images and their maps under the "
                                       "hand-made %s-line detector" % name))
        return cases

    def compare(self, case, submitted):
        who = language.phrase("learned_kernel" if case.value else "trained_kernel", self.lang)
        return _detector_outcome(_kernel_of(submitted), case.context["target"], case.context["test"], who, self.lang)


def _layer_forward(x, W, b):
    """(N, H, W) images, (kh, kw, F) filters, (F,) bias -> (N, H', W', F), channels last."""
    return reference.conv2d(x[..., None], W[:, :, None, :], b, data_format="NHWC")


def _layer_backward(dz, x, W):
    """(dW (kh, kw, F), db (F,)) of :func:`_layer_forward`, via the channels-first reference."""
    _, dw, db = reference.conv2d_backward(np.moveaxis(dz, -1, 1), x[:, None],
                                          np.moveaxis(W, -1, 0)[:, None])
    return np.moveaxis(dw[:, 0], 0, -1), db


def _layer_mutants(x, W, b):
    """conv2d_mutants of each image of the batch, stacked: {key: (N, ...)}."""
    per_image = [conv2d_mutants(image[..., None], W[:, :, None, :], bias=b) for image in x]
    keys = set.intersection(*(set(m) for m in per_image))
    return {key: np.stack([m[key] for m in per_image]) for key in keys}


class ConvLayer(Check):
    id = "ps4.conv_layer"
    forbid_library = True

    def cases(self, rng, student):
        cases = []
        for n, (h, w_), (kh, kw, f) in ((2, (6, 7), (3, 3, 4)), (3, (5, 5), (2, 2, 2))):
            x, W, b = rng.normal(size=(n, h, w_)), rng.normal(size=(kh, kw, f)), rng.normal(size=f)
            shapes = "%d random %dx%d images, %d filters of %dx%d" % (n, h, w_, f, kh, kw)
            cases.append(Case(call="conv_layer_forward", args=(x, W, b), expected=_layer_forward(x, W, b),
                              context={"x": x, "W": W, "b": b}, describe=shapes + " and a bias"))
            dz = rng.normal(size=(n, h - kh + 1, w_ - kw + 1, f))
            cases.append(Case(call="conv_layer_backward", args=(dz, x, W), expected=_layer_backward(dz, x, W),
                              context={"x": x, "W": W}, describe=shapes + " and a random dz"))
        return cases

    def compare(self, case, submitted):
        c = case.context
        if case.call == "conv_layer_forward":
            return _judge_map(submitted, case.expected, _layer_mutants(c["x"], c["W"], c["b"]), self.lang)
        parts, failed = _parts(submitted, 2, "conv_layer_backward", self.lang)
        if failed:
            return failed
        dW, db = case.expected
        flipped = {"backward_dw_flipped": dW[::-1, ::-1]}
        return _combine([("dW", _judge_map(parts[0], dW, flipped, self.lang)),
                         ("db", _judge_map(parts[1], db, {}, self.lang))], (0.7, 0.3), self.lang)


class DigitsCnn(Check):
    id = "ps4.digits_cnn"

    def cases(self, rng, student):
        _, X_test, _, y_test = digits_split()
        return [Case(call="predict", args=(X_test,), context={"labels": y_test},
                     describe="the %d test images of the digits split" % len(X_test))]

    def compare(self, case, submitted):
        labels = case.context["labels"]
        arr = as_numeric_array(submitted)
        if arr is None:
            return Outcome(0.0, language.phrase("labels_expected", self.lang) % type(submitted).__name__)
        if arr.ndim == 2 and arr.shape == (len(labels), 10):
            return Outcome(0.0, language.phrase("scores_not_labels", self.lang) % (arr.shape,))
        if arr.shape != labels.shape:
            return Outcome(0.0, language.phrase("one_label_per_image", self.lang) % (labels.shape, arr.shape))
        accuracy = float(np.mean(arr == labels))
        fraction = float(np.clip((accuracy - CHANCE) / (ACCURACY_TARGET - CHANCE), 0, 1))
        if fraction >= 1.0:
            return Outcome(1.0, language.phrase("digits_right", self.lang) % (100 * accuracy, 100 * ACCURACY_TARGET))
        return Outcome(fraction, language.phrase("digits_partial", self.lang)
                       % (100 * accuracy, 100 * ACCURACY_TARGET, 100 * CHANCE))


#: The checks of ps4 (:mod:`autograder.judging.registry` registers them).
CHECKS = (Conv2dBackward, NumericalGradient, LearnDetector, ConvLayer, DigitsCnn)
