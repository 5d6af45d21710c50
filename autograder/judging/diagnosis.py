"""Diagnosis: which misconception explains a wrong answer?

A wrong feature map or size is compared with *mutant* reference answers, each the
answer a student gets by making one known mistake (the kernel flipped, the padding
forgotten, the stride ignored...). Every mutant is computed with ``reference`` by
changing one argument or one step, never by a second implementation of the layer.

- :func:`conv2d_mutants`, :func:`conv1d_mutants`, :func:`pool_mutants`,
  :func:`output_size_mutants`, :func:`conv2d_backward_mutants` - ``{key: wrong answer}``
  for one set of inputs;
- :func:`diagnose_feature_map`, :func:`diagnose_number` - judge a submitted value
  against the expected one and the mutants, returning a
  :class:`~autograder.records.Verdict`: facts (shapes, wrong entries, too large or too
  small, the mistakes it equals), which :func:`autograder.language.say` words in the
  check's language. The explanation of each misconception key is
  :data:`autograder.language.en.MISCONCEPTIONS` (and its Dutch twin).

Partial credit for a feature map: a wrong shape (or something that is not an array
of numbers) earns 0; the right shape earns ``FEATURE_MAP_SHAPE_CREDIT`` times the
share of entries within tolerance, and every entry right earns 1.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

import reference
from autograder.records import Verdict

#: Most of the marks a feature map of the right shape can earn while some entries are wrong.
FEATURE_MAP_SHAPE_CREDIT = 0.5
#: The least (rtol, atol) for an answer computed in float32: it keeps about 7 significant
#: digits, and a sum of dozens of products loses one more, so a right float32 feature map
#: can miss a float64 tolerance of 1e-6.
FLOAT32_TOLERANCE = (1e-4, 1e-5)


# --------------------------------------------------------------------------- mutants

def _check_choice(value, name, fn, allowed):
    if value not in allowed:
        raise ValueError("%s: %s must be one of %s, got %r" % (fn, name, ", ".join(map(repr, allowed)), value))


def _layer(image, kernel, stride, padding, bias=None, relu=False):
    """The reference answer for the two layouts of :func:`conv2d_mutants`."""
    if image.ndim == 2:
        out = reference.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
    else:
        out = reference.conv2d(image[None], kernel, bias, stride=stride, padding=padding,
                               data_format="NHWC")[0]
    return reference.relu(out) if relu else out


def _padding_pairs(padding, image, kernel, stride):
    """``padding`` as explicit ``((top, bottom), (left, right))`` zeros, or None if unknown."""
    sizes, ks = image.shape[:2], kernel.shape[:2]
    if isinstance(padding, str):
        if padding == "same":
            return tuple(reference.same_padding(n, k, stride) for n, k in zip(sizes, ks))
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "full":
            return tuple((k - 1, k - 1) for k in ks)
        return None
    if isinstance(padding, numbers.Integral):
        return ((int(padding),) * 2,) * 2
    try:
        pads = [tuple(int(v) for v in p) if np.ndim(p) else (int(p), int(p)) for p in padding]
    except TypeError:
        return None
    return tuple(pads) if len(pads) == 2 else None


def conv2d_mutants(image, kernel, stride=1, padding=0, bias=None, relu=False):
    """Wrong answers of a 2-D convolution layer, one per misconception.

    Two layouts (cross-correlation, zero padding, as a CNN layer computes it):

    - single channel: ``image`` (H, W), ``kernel`` (kh, kw) -> answer (H', W');
    - multi-channel, Keras layout: ``image`` (H, W, C), ``kernel`` (kh, kw, C, F),
      ``bias`` (F,) or None -> answer (H', W', F).

    ``H' = floor((H - kh + 2p) / s) + 1`` (likewise ``W'``). ``stride`` is an int;
    ``padding`` an int, ``(ph, pw)``, ``((top, bottom), (left, right))``, ``"valid"``,
    ``"same"`` (TensorFlow's: the odd zero goes bottom/right) or ``"full"``.
    ``relu=True`` means the answer is ``max(0, layer(image))``.

    Returns
    -------
    dict
        ``{misconception key: array}`` for the mistakes that make sense for these
        arguments (no ``no_padding`` without padding, no ``bias_forgotten`` without a
        bias...). A mutant that equals the right answer for these inputs is still
        listed; :func:`diagnose_feature_map` only names mutants the answer matches
        while it is wrong.
    """
    fn = "conv2d_mutants"
    image, kernel = np.asarray(image), np.asarray(kernel)
    if (image.ndim, kernel.ndim) not in ((2, 2), (3, 4)):
        raise ValueError("%s: expected image (H, W) with kernel (kh, kw), or image (H, W, C) with "
                         "kernel (kh, kw, C, F); got image shape %s and kernel shape %s"
                         % (fn, image.shape, kernel.shape))
    if image.ndim == 2 and bias is not None:
        raise ValueError("%s: bias is only used with a multi-channel image (H, W, C); got bias "
                         "with image shape %s" % (fn, image.shape))
    if isinstance(stride, bool) or not isinstance(stride, numbers.Integral) or stride < 1:
        raise ValueError("%s: stride must be a positive int, got %r" % (fn, stride))
    stride = int(stride)
    pads = _padding_pairs(padding, image, kernel, stride)
    if bias is not None:
        bias = np.asarray(bias)
    expected = _layer(image, kernel, stride, padding, bias, relu)
    mutants = {}

    def add(key, make):
        try:
            mutants[key] = make()
        except ValueError:  # the mistake is impossible for these sizes (kernel no longer fits)
            pass

    add("flipped_kernel", lambda: _layer(image, kernel[::-1, ::-1], stride, padding, bias, relu))
    if pads is not None and any(any(p) for p in pads):
        add("no_padding", lambda: _layer(image, kernel, stride, 0, bias, relu))
        if isinstance(padding, str) and padding == "same":
            swapped = tuple((after, before) for before, after in pads)
            if swapped != pads:
                add("same_odd_pixel_top_left", lambda: _layer(image, kernel, stride, swapped, bias, relu))
        # A padded array of the right size with the image in its top-left corner.
        one_side = tuple((0, before + after) for before, after in pads)
        add("padding_one_side", lambda: _layer(image, kernel, stride, one_side, bias, relu))
    if stride > 1:
        add("stride_ignored", lambda: _layer(image, kernel, 1, padding, bias, relu))
    if expected.shape[0] > 1 and expected.shape[1] > 1:
        mutants["off_by_one"] = expected[:-1, :-1]  # both loops stop one position early
    mutants["transposed"] = np.swapaxes(expected, 0, 1)
    if bias is not None:
        add("bias_forgotten", lambda: _layer(image, kernel, stride, padding, None, relu))
    if relu:
        add("relu_forgotten", lambda: _layer(image, kernel, stride, padding, bias, False))
    if image.ndim == 3:
        mutants["channels_confused"] = np.moveaxis(expected, -1, 0)  # channels-first result
    return mutants


def conv1d_mutants(x, w):
    """Wrong answers of a 1-D valid cross-correlation of ``x`` (n,) with ``w`` (k,),
    whose answer ``out[i] = sum_j x[i + j] w[j]`` has length ``n - k + 1``.

    Returns ``{"flipped_kernel": ..., "off_by_one": ...}`` (the second when the answer
    has more than one entry); ``{}`` when the kernel is longer than the signal."""
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 1 or w.ndim != 1:
        raise ValueError("conv1d_mutants: x and w must be 1-D, got shapes %s and %s" % (x.shape, w.shape))
    mutants = {}
    try:
        mutants["flipped_kernel"] = reference.correlate2d(x[None], w[::-1][None], mode="valid")[0]
    except ValueError:
        return mutants
    expected = reference.correlate2d(x[None], w[None], mode="valid")[0]
    if expected.size > 1:
        mutants["off_by_one"] = expected[:-1]
    return mutants


def _pool(kind, x, size, stride, ceil_mode=False):
    pool = reference.max_pool2d if kind == "max" else reference.avg_pool2d
    return pool(x[None, None], size, stride=stride, ceil_mode=ceil_mode)[0, 0]


def pool_mutants(x, size, stride, kind):
    """Wrong answers of 2-D pooling of ``x`` (H, W) with ``size`` x ``size`` windows.

    The answer has shape ``(floor((H - size) / stride) + 1, floor((W - size) / stride) + 1)``;
    ``kind`` is ``"max"`` or ``"avg"``.

    Returns
    -------
    dict
        ``{key: array}``: the other kind of pooling, overlapping windows (stride 1),
        windows that do not fit kept (``not_floored``) and the loop stopping one
        window early (``off_by_one``), where they apply.
    """
    fn = "pool_mutants"
    _check_choice(kind, "kind", fn, ("max", "avg"))
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError("%s: x must be 2-D (H, W), got shape %s" % (fn, x.shape))
    expected = _pool(kind, x, size, stride)
    other = "avg" if kind == "max" else "max"
    key = "average_instead_of_max" if kind == "max" else "max_instead_of_average"
    mutants = {key: _pool(other, x, size, stride)}
    if stride != 1:
        mutants["overlapping_pool_windows"] = _pool(kind, x, size, 1)
    ceiled = _pool(kind, x, size, stride, ceil_mode=True)
    if ceiled.shape != expected.shape:
        mutants["not_floored"] = ceiled
    if expected.shape[0] > 1 and expected.shape[1] > 1:
        mutants["off_by_one"] = expected[:-1, :-1]
    return mutants


def output_size_mutants(n, k, padding=0, stride=1, dilation=1):
    """Wrong output sizes of a convolution along one axis, one per misconception.

    The right size is ``floor((n + 2p - d(k - 1) - 1) / s) + 1``
    (``reference.conv_output_size``).

    Returns
    -------
    dict
        ``{key: number}``: ``off_by_one`` (the +1 forgotten), ``not_floored`` (the
        division not rounded down: a float), ``padding_once`` (p in place of 2p),
        ``no_padding``, ``stride_ignored`` and ``dilation_ignored``, each where it
        applies and where the kernel still fits.
    """
    span = dilation * (k - 1) + 1  # the cells a dilated kernel covers
    mutants = {}

    def add(key, make):
        try:
            mutants[key] = make()
        except ValueError:
            pass

    if (n + 2 * padding - span) % stride:
        add("not_floored", lambda: (reference.conv_output_size(n, k, padding, stride, dilation)
                                    + ((n + 2 * padding - span) % stride) / stride))
    if padding:
        add("padding_once", lambda: reference.conv_output_size(n + padding, k, 0, stride, dilation))
        add("no_padding", lambda: reference.conv_output_size(n, k, 0, stride, dilation))
    if stride > 1:
        add("stride_ignored", lambda: reference.conv_output_size(n, k, padding, 1, dilation))
    if dilation > 1:
        add("dilation_ignored", lambda: reference.conv_output_size(n, k, padding, stride, 1))
    # last: when two mistakes give the same number, the specific one is named first
    add("off_by_one", lambda: reference.conv_output_size(n, k, padding, stride, dilation) - 1)
    return mutants


def conv2d_backward_mutants(dout, x, w):
    """Wrong gradients of a one-channel, valid, stride-1 convolution ``y = x * w + b``.

    ``x`` (H, W), ``w`` (kh, kw), ``dout`` (H - kh + 1, W - kw + 1). The right answers are
    ``dx = convolve2d(dout, w, "full")`` (dout padded, kernel turned by 180 degrees),
    ``dw = correlate2d(x, dout, "valid")`` and ``db = sum(dout)``.

    Returns
    -------
    dict
        ``{"dx": {key: array (H, W)}, "dw": {key: array (kh, kw)}}``: dx with the kernel not
        turned (``backward_dx_not_flipped``), dw turned by 180 degrees
        (``backward_dw_flipped``), and each transposed where the shapes allow.
    """
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in (dout, x, w))
    if dout.ndim != 2 or x.ndim != 2 or w.ndim != 2:
        raise ValueError("conv2d_backward_mutants: dout, x and w must be 2-D, got shapes %s, %s, %s"
                         % (dout.shape, x.shape, w.shape))
    dx = reference.convolve2d(dout, w, mode="full")
    dw = reference.correlate2d(x, dout, mode="valid")
    mutants = {"dx": {"backward_dx_not_flipped": reference.correlate2d(dout, w, mode="full"),
                      "transposed": dx.T},
               "dw": {"backward_dw_flipped": dw[::-1, ::-1], "transposed": dw.T}}
    return mutants


# --------------------------------------------------------------------------- diagnosis

def as_numeric_array(value):
    """``value`` as a float array, or None when it is not an array of real numbers."""
    if isinstance(value, (str, bytes, dict)) or value is None:
        return None
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(np.float64)


def typed_numbers(value):
    """A typed answer read as numbers where its meaning is clear, or what is wrong with it.

    Strings that read as one finite number (``"3"``, ``" -0.5"``) become floats, also
    inside lists and tuples; everything else is left as it is.

    Returns
    -------
    (value, given)
        ``given`` is None, ``("text", s)`` for the first string that is not a number, or
        ``("ragged", row, length, others)`` for a list of rows of unequal lengths (``row``
        counted from 1: the first row whose ``length`` is not the most common one, ``others``).
    """
    try:
        value = _read_text(value)
    except _Text as exc:
        return value, ("text", exc.args[0][:40])
    if isinstance(value, (list, tuple)) and value and all(isinstance(r, (list, tuple, np.ndarray)) for r in value):
        lengths = [len(r) for r in value]
        if len(set(lengths)) > 1:
            others = max(set(lengths), key=lengths.count)
            row = next(i for i, n in enumerate(lengths) if n != others)
            return value, ("ragged", row + 1, lengths[row], others)
    return value, None


class _Text(Exception):
    """A string in an answer that does not read as a number."""


def _read_text(value, depth=0):
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Text(value) from None
        if not math.isfinite(number):
            raise _Text(value)
        return int(number) if number.is_integer() and "." not in value else number
    if isinstance(value, (list, tuple)) and depth < 8:
        return type(value)(_read_text(v, depth + 1) for v in value)
    return value


def given(value):
    """What a value that is not the expected kind of answer is, for the verdict's ``given``."""
    if hasattr(value, "description") and type(value).__name__ == "UnencodableValue":
        return ("unencodable", value.description)
    if value is None:
        return ("none",)
    return ("type", type(value).__name__)


def diagnose_feature_map(submitted, expected, mutants, *, rtol=1e-6, atol=1e-6):
    """Judge a submitted array against the expected one and name the likely mistake.

    Parameters
    ----------
    submitted : any
        The student's value (decoded plain data: an ndarray, a list, anything).
    expected : array_like
        The right answer.
    mutants : dict
        ``{misconception key: wrong answer}`` from one of the ``*_mutants`` functions.
    rtol, atol : float
        An entry is right when ``|yours - expected| <= atol + rtol * |expected|``; for a
        float32 answer at least :data:`FLOAT32_TOLERANCE`.

    Returns
    -------
    Verdict
        ``fraction`` 0 for something that is not an array of numbers (``not_numbers``)
        or has the wrong shape (``wrong_shape``); ``FEATURE_MAP_SHAPE_CREDIT * share``
        for the right shape with a ``share`` of entries right (``wrong_entries``); 1 when
        every entry is right (``map_right``). ``matches`` lists the mutants (in
        ``mutants`` order) the answer equals within the tolerance; for a wrong shape that
        equals none, the first mutant of its shape (``shape_only``).
    """
    expected = np.asarray(expected, dtype=np.float64)
    if getattr(submitted, "dtype", None) == np.float32:
        rtol, atol = max(rtol, FLOAT32_TOLERANCE[0]), max(atol, FLOAT32_TOLERANCE[1])
    shape, tolerance = tuple(expected.shape), (rtol, atol)
    arr = as_numeric_array(submitted)
    if arr is None:
        return Verdict("not_numbers", 0.0, expected=expected, expected_shape=shape, given=given(submitted),
                       tolerance=tolerance)
    same_shape = {key: np.asarray(m, dtype=np.float64) for key, m in mutants.items()
                  if np.shape(m) == arr.shape}
    keys = tuple(k for k, m in same_shape.items() if _all_close(arr, m, rtol, atol))
    if arr.shape != expected.shape:
        shape_only = not keys and bool(same_shape)
        if shape_only:
            keys = (next(iter(same_shape)),)
        return Verdict("wrong_shape", 0.0, expected=expected, submitted=arr, expected_shape=shape,
                       submitted_shape=tuple(arr.shape), matches=keys, shape_only=shape_only,
                       tolerance=tolerance, misconception=keys[0] if keys else None)
    right = _close(arr, expected, rtol, atol)
    if right.all():
        return Verdict("map_right", 1.0, expected=expected, submitted=arr, expected_shape=shape,
                       submitted_shape=shape, tolerance=tolerance)
    wrong = np.argwhere(~right)
    return Verdict("wrong_entries", FEATURE_MAP_SHAPE_CREDIT * float(right.mean()), expected=expected,
                   submitted=arr, expected_shape=shape, submitted_shape=shape, matches=keys,
                   wrong=len(wrong), total=right.size, first_wrong=tuple(int(i) for i in wrong[0]),
                   tolerance=tolerance, misconception=keys[0] if keys else None)


def _close(a, b, rtol, atol):
    with np.errstate(invalid="ignore", over="ignore"):
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def _all_close(a, b, rtol, atol):
    return a.shape == b.shape and bool(_close(a, b, rtol, atol).all())


def diagnose_number(submitted, expected, mutants, *, rtol=1e-9, atol=1e-9):
    """Judge a submitted number (a size, a count) and name the likely mistake.

    Parameters
    ----------
    submitted : any
        The student's value; a real number (int, float, NumPy scalar or 0-d array)
        is judged, anything else (a list, a string, None, a bool) earns 0.
    expected : int or float
    mutants : dict
        ``{misconception key: wrong number}``, e.g. from :func:`output_size_mutants`.

    Returns
    -------
    Verdict
        ``fraction`` 1 when ``|yours - expected| <= atol + rtol * |expected|``
        (``number_right``), else 0: ``not_a_number``, ``not_finite``, or
        ``wrong_number`` with its ``direction`` and ``matches``, the mutants (in
        ``mutants`` order) the number equals.
    """
    value = submitted
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return Verdict("not_a_number", 0.0, expected=expected, given=given(submitted))
    value = float(value)
    if not math.isfinite(value):
        return Verdict("not_finite", 0.0, expected=expected, value=value)

    def same(a, b):
        return abs(a - b) <= atol + rtol * abs(b)

    if same(value, float(expected)):
        return Verdict("number_right", 1.0, expected=expected, submitted=value, value=value)
    keys = tuple(k for k, m in mutants.items() if same(value, float(m)) and not same(float(m), float(expected)))
    return Verdict("wrong_number", 0.0, expected=expected, submitted=value, value=value, matches=keys,
                   direction="large" if value > float(expected) else "small",
                   misconception=keys[0] if keys else None)
