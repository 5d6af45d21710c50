"""Diagnosis: which misconception explains a wrong answer?

A wrong feature map or size is compared with *mutant* reference answers, each the
answer a student gets by making one known mistake (the kernel flipped, the padding
forgotten, the stride ignored...). Every mutant is computed with ``reference`` by
changing one argument or one step, never by a second implementation of the layer.

- :data:`MISCONCEPTIONS` - ``{key: explanation}``, shown to students of 14 and of 24;
- :func:`conv2d_mutants`, :func:`conv1d_mutants`, :func:`pool_mutants`,
  :func:`output_size_mutants` - ``{key: wrong answer}`` for one set of inputs;
- :func:`diagnose_feature_map`, :func:`diagnose_number` - judge a submitted value
  against the expected one and the mutants, returning an :class:`Outcome`.

Partial credit for a feature map: a wrong shape (or something that is not an array
of numbers) earns 0; the right shape earns ``FEATURE_MAP_SHAPE_CREDIT`` times the
share of entries within tolerance, and every entry right earns 1.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

import reference
from autograder.checks import Outcome

#: Student-facing explanations, one per misconception key.
MISCONCEPTIONS = {
    "flipped_kernel": (
        "You turned the kernel around (that is the 'convolution' of signal processing). "
        "A CNN layer lays the kernel on the image as it is, multiplies the cells that "
        "overlap and adds them up: no flipping."),
    "no_padding": (
        "You left out the padding. First put a border of `padding` zeros around the image "
        "(on all four sides), then slide the kernel over the bigger image."),
    "stride_ignored": (
        "You moved the window one cell at a time and ignored the stride. Jump `stride` cells "
        "to the right (and `stride` rows down) between positions."),
    "padding_one_side": (
        "You added the padding on one side only. Put `padding` zeros on every side: "
        "top and bottom, left and right."),
    "same_odd_pixel_top_left": (
        "With 'same' padding, when the number of padding zeros is odd the extra row and "
        "column go at the bottom and right, not at the top and left."),
    "transposed": (
        "Your rows and columns are swapped (the result is transposed). The first index "
        "is the row (going down), the second the column (going right)."),
    "bias_forgotten": (
        "You forgot the bias. Add each filter's bias to every value of that filter's "
        "feature map."),
    "relu_forgotten": (
        "You forgot the ReLU. After computing the feature map, replace every negative "
        "value by 0 and keep the rest."),
    "channels_confused": (
        "The channels are in the wrong place. Here an image is (height, width, channels), "
        "filters are (kh, kw, in_channels, filters) and the result is "
        "(height, width, filters): channels last."),
    "off_by_one": (
        "Off by one: you forgot the +1 (or your loop stops one position early). The number "
        "of positions is floor((n - k + 2p) / s) + 1; the +1 counts the first position."),
    "not_floored": (
        "You did not round down. When the steps do not fit exactly, the last incomplete "
        "step is dropped: use floor division (//), and a window that does not fit is not used."),
    "padding_once": (
        "You counted the padding once. Padding goes on both sides, so it adds 2p: "
        "floor((n - k + 2p) / s) + 1."),
    "dilation_ignored": (
        "You ignored the dilation. A kernel of size k with dilation d spans "
        "d * (k - 1) + 1 cells, so use that span in place of k."),
    "overlapping_pool_windows": (
        "Your pooling windows overlap because you moved them one cell at a time. A pooling "
        "window moves by the stride (2 for 2x2 pooling), so the windows sit side by side."),
    "average_instead_of_max": (
        "You took the average of each window. Max pooling keeps the largest value of each "
        "window."),
    "max_instead_of_average": (
        "You took the largest value of each window. Average pooling takes the mean of the "
        "values in each window."),
    "channels_not_summed": (
        "You used only one channel. A filter for a colour image has one slice per channel: "
        "multiply every channel by its own slice and add all the products up, so each "
        "position gives one number."),
    "channels_averaged": (
        "You averaged over the channels. A filter adds the products of all its channels: "
        "add the channel maps up, do not divide by the number of channels."),
    "backward_dx_not_flipped": (
        "For dx you slid the kernel over the padded dout as it is. Each input pixel met the "
        "kernel weights in the opposite order, so turn the kernel by 180 degrees "
        "(w[::-1, ::-1]) before sliding it over dout padded with kh-1 and kw-1 zeros."),
    "backward_dw_flipped": (
        "Your dw is turned by 180 degrees. dw[a, c] adds dout[i, j] * x[i + a, j + c] over all "
        "positions: x filtered with dout as the kernel, without flipping anything."),
    "backward_db_not_summed": (
        "The bias is added at every position, so its gradient is the sum of all of dout: one "
        "number per filter, not an array like dout."),
}

#: Dutch versions of the misconceptions a Dutch assignment (ps1_nl) can diagnose;
#: :func:`misconception_text` falls back to English for the others.
MISCONCEPTIONS_NL = {
    "flipped_kernel": (
        "Je hebt de kern omgedraaid (dat is de 'convolutie' uit de signaalverwerking). Een laag van "
        "een CNN legt de kern op de afbeelding zoals hij is, vermenigvuldigt de vakjes die op elkaar "
        "liggen en telt ze op: niet draaien."),
    "transposed": (
        "Je rijen en kolommen zijn verwisseld. Het eerste getal is de rij (naar beneden), het tweede "
        "de kolom (naar rechts)."),
    "off_by_one": (
        "Er ontbreekt er een: je bent de +1 vergeten (of een plek te vroeg gestopt). Het aantal plekken "
        "is floor((n - k + 2p) / s) + 1; de +1 telt de eerste plek."),
    "not_floored": (
        "Je hebt niet naar beneden afgerond. Als de stappen niet precies passen, valt de laatste halve "
        "stap weg: gebruik // en tel een venster dat niet past niet mee."),
    "padding_once": (
        "Je hebt de opvulling maar een keer geteld. De opvulling komt aan beide kanten, dus ze telt "
        "als 2p: floor((n - k + 2p) / s) + 1."),
    "no_padding": "Je bent de opvulling (padding) vergeten: eerst komt er een rand van p nullen omheen.",
    "stride_ignored": (
        "Je hebt de stapgrootte (stride) overgeslagen: het filter springt per stap `stride` vakjes "
        "op, niet een."),
    "dilation_ignored": (
        "Je hebt de dilatatie overgeslagen. Een kern van k vakjes met dilatatie d beslaat "
        "d * (k - 1) + 1 vakjes; gebruik die breedte in plaats van k."),
    "overlapping_pool_windows": (
        "Je vensters overlappen, omdat je ze steeds een vakje opschoof. Een poolingvenster schuift "
        "met de stapgrootte op (2 bij 2 x 2 pooling), dus de blokken liggen naast elkaar."),
    "average_instead_of_max": (
        "Je hebt van elk blok het gemiddelde genomen. Max pooling houdt het grootste getal van elk "
        "blok."),
    "max_instead_of_average": (
        "Je hebt van elk blok het grootste getal genomen. Average pooling neemt het gemiddelde van de "
        "getallen in het blok."),
    "bias_forgotten": "Je bent de bias vergeten: tel hem op bij de som van alle producten.",
}

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

def _tolerance(rtol, atol):
    return "|yours - expected| <= %g + %g * |expected|" % (atol, rtol)


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


def _describe_type(value):
    if hasattr(value, "description") and type(value).__name__ == "UnencodableValue":
        return "an object that is not plain data (%s)" % value.description
    if value is None:
        return "None (did you forget to return the result?)"
    return "a %s" % type(value).__name__


def _explain(key):
    return "%s (%s)" % (MISCONCEPTIONS[key], key)


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
    Outcome
        ``fraction`` 0 for something that is not an array of numbers or has the wrong
        shape; ``FEATURE_MAP_SHAPE_CREDIT * share`` for the right shape with a
        ``share`` of entries right; 1 when every entry is right. ``misconception``
        names the first mutant (in ``mutants`` order) the answer matches within the
        tolerance, or else, for a wrong shape, the first whose shape it has; the
        message explains every mutant it matches.
    """
    expected = np.asarray(expected, dtype=np.float64)
    if getattr(submitted, "dtype", None) == np.float32:
        rtol, atol = max(rtol, FLOAT32_TOLERANCE[0]), max(atol, FLOAT32_TOLERANCE[1])
    arr = as_numeric_array(submitted)
    if arr is None:
        return Outcome(0.0, "Expected an array of numbers of shape %s, but got %s."
                       % (tuple(expected.shape), _describe_type(submitted)), expected=expected)
    same_shape = {key: np.asarray(m, dtype=np.float64) for key, m in mutants.items()
                  if np.shape(m) == arr.shape}
    if arr.shape != expected.shape:
        message = ("Expected an array of shape %s, but yours has shape %s."
                   % (tuple(expected.shape), tuple(arr.shape)))
        keys = [k for k, m in same_shape.items() if _all_close(arr, m, rtol, atol)]
        if keys:
            message += _matches(keys)
        elif same_shape:
            keys = [next(iter(same_shape))]
            message += " That is the shape this mistake gives: " + _explain(keys[0])
        return Outcome(0.0, message, misconception=keys[0] if keys else None, expected=expected, submitted=arr)
    right = _close(arr, expected, rtol, atol)
    if right.all():
        return Outcome(1.0, "Right: every entry within %s." % _tolerance(rtol, atol),
                       expected=expected, submitted=arr)
    share = float(right.mean())
    wrong = np.argwhere(~right)
    message = ("Right shape %s, but %d of %d entries are wrong (tolerance: %s); the first wrong "
               "entry is at index %s."
               % (tuple(expected.shape), len(wrong), right.size, _tolerance(rtol, atol),
                  tuple(int(i) for i in wrong[0])))
    keys = [k for k, m in same_shape.items() if _all_close(arr, m, rtol, atol)]
    message += _matches(keys)
    return Outcome(FEATURE_MAP_SHAPE_CREDIT * share, message, misconception=keys[0] if keys else None,
                   expected=expected, submitted=arr)


def _matches(keys):
    """The message part naming the mutants an answer equals (first is the ``misconception``)."""
    if not keys:
        return ""
    if len(keys) == 1:
        return " Your values are exactly what this mistake gives: " + _explain(keys[0])
    return (" Your values are exactly what each of these mistakes gives; check which one you made: "
            + " / ".join(_explain(k) for k in keys))


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
    Outcome
        ``fraction`` 1 when ``|yours - expected| <= atol + rtol * |expected|``, else 0,
        with ``misconception`` the first mutant (in ``mutants`` order) the number
        equals; the message explains every one it equals.
    """
    value = submitted
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return Outcome(0.0, "Expected a number, but got %s." % _describe_type(submitted),
                       expected=expected)
    value = float(value)
    if not math.isfinite(value):
        return Outcome(0.0, "Expected a finite number, but got %r." % value, expected=expected)

    def same(a, b):
        return abs(a - b) <= atol + rtol * abs(b)

    if same(value, float(expected)):
        return Outcome(1.0, "Right.", expected=expected, submitted=value)
    keys = [k for k, m in mutants.items() if same(value, float(m)) and not same(float(m), float(expected))]
    message = "Not the expected number (yours is too %s)." % ("large" if value > float(expected) else "small")
    message += _matches(keys).replace("Your values are", "Your number is")
    return Outcome(0.0, message, misconception=keys[0] if keys else None, expected=expected, submitted=value)
