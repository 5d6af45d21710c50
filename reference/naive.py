"""The forward operations written as plain loops: readable, slow, a second oracle.

Each function computes one output value at a time, straight from its
definition. It checks its own arguments too, in plain code of its own with
the same rules and messages as the vectorised functions, so that a mistake
in their validation or padding resolution shows up as a disagreement
instead of reaching both oracles. The only code shared with the vectorised
path is the public output-size formulas of :mod:`reference.arithmetic`
(``conv_output_size``, ``conv_transpose_output_size``, ``pool_output_size``,
``same_padding``), which are tested on their own against torch's and
TensorFlow's rules. NumPy arrays only; the pools and transposed
convolutions also take Keras's channels-last layouts and "valid"/"same"
(moved to channels-first once their arguments are checked).

Notation: ``n`` batch, ``c_I``/``c_O`` channels, ``k`` kernel length,
``s`` stride, ``d`` dilation, ``p_b``/``p_a`` padding before/after.
"""

import itertools
import operator

import numpy as np

from .arithmetic import conv_output_size, conv_transpose_output_size, pool_output_size, same_padding

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "correlate2d",
    "convolve2d",
    "relu",
]

# Layouts and axis names, for the messages.
_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAST_LAYOUTS = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
_AXES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


# ---------------------------------------------------------------------------
# Argument checks. Each raises TypeError (wrong kind of value) or ValueError
# (impossible value) with a message that starts with the function's name.


def _float_arrays(fn, *named):
    """``(name, value)`` pairs as NumPy float arrays, in the dtype the first two (input and weight) decide.

    float32 stays float32 and float64 float64, float16 is computed in float32,
    ints and bools in float64. An absent bias stays ``None``.
    """
    arrays = []
    for name, value in named:
        arrays.append(None if value is None and name == "bias" else _real_array(value, name, fn))
    dtypes = []
    for a in arrays[:2]:
        if a.dtype.kind != "f":
            dtypes.append(np.dtype("float64"))
        elif a.dtype.itemsize < 4:
            dtypes.append(np.dtype("float32"))
        else:
            dtypes.append(a.dtype)
    dtype = np.result_type(*dtypes)
    return [None if a is None else np.array(a, dtype=dtype) for a in arrays]  # (a NumPy scalar becomes a 0-d array)


def _real_array(value, name, fn):
    """``value`` as a NumPy array of bools, ints or floats (lists and scalars are converted)."""
    if value is None or isinstance(value, (str, bytes, dict, set, frozenset)):
        raise TypeError(f"{fn}: {name} must be an array of real numbers, got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{fn}: {name} must be an array of real numbers, got {type(value).__name__} ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must have a real numeric dtype (bool, int or float), got dtype {array.dtype}")
    return array


def _int(value, name, fn, rule):
    """``value`` as a Python int: Python and NumPy integers only, no floats and no bools."""
    if isinstance(value, bool):
        raise TypeError(f"{fn}: {name} must be {rule}, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be {rule}, got {value!r}") from None


def _ints(value, count, name, fn, minimum=1):
    """An int or a sequence of ``count`` ints, each ``>= minimum``, as a tuple of ``count`` ints.

    ``minimum=1`` for kernel sizes, strides and dilations, ``minimum=0`` for paddings.
    """
    rule = ("a positive int" if minimum == 1 else f"an int >= {minimum}") + f" or a tuple of {count} such ints"
    if isinstance(value, (tuple, list)):
        if len(value) != count:
            raise ValueError(f"{fn}: {name} must be {rule}, got {value!r} (length {len(value)})")
        numbers = tuple(_int(v, name, fn, rule) for v in value)
    else:
        numbers = (_int(value, name, fn, rule),) * count
    for number in numbers:
        if number < minimum:
            least = "positive" if minimum == 1 else f">= {minimum}"
            raise ValueError(f"{fn}: {name} must be {least}, got {value!r}")
    return numbers


def _groups(value, fn):
    """The number of groups: an int >= 1."""
    groups = _int(value, "groups", fn, "a positive int")
    if groups < 1:
        raise ValueError(f"{fn}: groups must be positive, got {value!r}")
    return groups


def _padding_pair(value, fn):
    """One axis' padding: an int ``p`` (``(p, p)``) or a ``(before, after)`` pair, both >= 0."""
    rule = "an int >= 0 or a (before, after) pair of such ints"
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{fn}: padding entries must be {rule}, got {value!r}")
        before, after = _int(value[0], "padding", fn, rule), _int(value[1], "padding", fn, rule)
    else:
        before = after = _int(value, "padding", fn, rule)
    if before < 0 or after < 0:
        raise ValueError(f"{fn}: padding must be non-negative, got {value!r}")
    return before, after


def _explicit_padding(padding, nd, fn):
    """An int (every side), one int or ``(before, after)`` pair per axis, or for 1-d a bare pair."""
    if not isinstance(padding, (tuple, list)):
        return [_padding_pair(padding, fn)] * nd
    if nd == 1 and len(padding) == 2 and not any(isinstance(p, (tuple, list)) for p in padding):
        return [_padding_pair(tuple(padding), fn)]
    if len(padding) != nd:
        raise ValueError(f"{fn}: padding must have one entry per spatial axis ({nd}), got {padding!r} (length {len(padding)})")
    return [_padding_pair(p, fn) for p in padding]


def _conv_padding(padding, spatial, kernel, stride, dilation, fn):
    """Zeros ``(before, after)`` added to each spatial axis of a convolution's input.

    "valid" adds none; "full" adds ``d(k-1)`` on both sides, so every tap meets
    every sample; "same" is TensorFlow's (output ``ceil(n/s)``, see
    :func:`reference.same_padding`); anything else is explicit.
    """
    nd = len(spatial)
    if not isinstance(padding, str):
        return _explicit_padding(padding, nd, fn)
    mode = padding.lower()
    if mode == "valid":
        return [(0, 0)] * nd
    if mode == "full":
        return [(d * (k - 1), d * (k - 1)) for k, d in zip(kernel, dilation)]
    if mode == "same":
        return [same_padding(m, k, s, d) for m, k, s, d in zip(spatial, kernel, stride, dilation)]
    raise ValueError(
        f"{fn}: padding must be an int, a tuple, (before, after) pairs or one of 'valid', 'same', 'full'; got {padding!r}"
    )


def _check_ranks(fn, nd, x, w, input_layout, weight_layout):
    """``x`` has ``nd`` spatial axes after its channels (and a batch axis or none); ``w`` (if any) ``nd + 2`` axes."""
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(
            f"{fn}: input must have {nd + 2} dimensions {input_layout} or {nd + 1} without the batch axis, "
            f"got shape {tuple(x.shape)}"
        )
    if w is not None and w.ndim != nd + 2:
        raise ValueError(f"{fn}: weight must have {nd + 2} dimensions {weight_layout}, got shape {tuple(w.shape)}")


def _check_sizes(fn, x, w, b, kernel, spatial, c_out, layout):
    """Kernel and input sides at least 1; one bias value per output channel."""
    if min(kernel) < 1:
        raise ValueError(f"{fn}: kernel sizes must be positive, got weight shape {tuple(w.shape)}")
    if min(spatial) < 1:
        raise ValueError(f"{fn}: input spatial sizes must be positive, got input shape {tuple(x.shape)} ({layout})")
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"{fn}: bias must have shape ({c_out},), one value per output channel, got shape {tuple(b.shape)}")


def _conv_arguments(fn, nd, x, w, b, stride, padding, dilation, groups):
    """Check a convolution's arguments; return ``stride, dilation, groups, pads, out_sizes``.

    ``x`` is ``(n, c_I, *spatial)`` or ``(c_I, *spatial)``, ``w`` is
    ``(c_O, c_I/groups, *kernel)``; ``pads`` holds one ``(p_b, p_a)`` per axis.
    """
    layout = _LAYOUTS[nd]
    _check_ranks(fn, nd, x, w, f"({layout})", "(" + ", ".join(["c_O", "c_I/groups"] + ["k"] * nd) + ")")
    c_in, spatial = x.shape[-nd - 1], x.shape[-nd:]
    c_out, c_in_per_group, kernel = w.shape[0], w.shape[1], w.shape[2:]
    stride = _ints(stride, nd, "stride", fn)
    dilation = _ints(dilation, nd, "dilation", fn)
    groups = _groups(groups, fn)
    if c_in % groups:
        raise ValueError(f"{fn}: groups={groups} does not divide the {c_in} input channels (input shape {tuple(x.shape)})")
    if c_in_per_group * groups != c_in:
        raise ValueError(
            f"{fn}: input has {c_in} channels but weight expects {c_in_per_group * groups} "
            f"(weight shape {tuple(w.shape)}, groups={groups})"
        )
    if c_out % groups:
        raise ValueError(f"{fn}: groups={groups} does not divide the {c_out} output channels (weight shape {tuple(w.shape)})")
    _check_sizes(fn, x, w, b, kernel, spatial, c_out, layout)
    pads = _conv_padding(padding, spatial, kernel, stride, dilation, fn)
    out_sizes = []
    for axis in range(nd):
        m, k, (before, after), s, d = spatial[axis], kernel[axis], pads[axis], stride[axis], dilation[axis]
        span = d * (k - 1) + 1  # input samples one dilated kernel covers
        if span > m + before + after:
            raise ValueError(
                f"{fn}: kernel size {k} (dilation {d}, effective size {span}) is larger than the padded input "
                f"along spatial axis {axis} ({_AXES[nd][axis]}; input shape {tuple(x.shape)}, weight shape {tuple(w.shape)}): "
                f"n={m} + padding {(before, after)} = {m + before + after}"
            )
        out_sizes.append(conv_output_size(m, k, (before, after), s, d))
    return stride, dilation, groups, pads, out_sizes


def _channels_last(data_format, nd, fn):
    """True for the channels-last layout ("NWC", "NHWC", "NDHWC", "channels_last"), False for channels-first."""
    first, last = _LAYOUTS[nd], _LAST_LAYOUTS[nd]
    if isinstance(data_format, str):
        if data_format.upper() == first or data_format.lower() == "channels_first":
            return False
        if data_format.upper() == last or data_format.lower() == "channels_last":
            return True
    raise ValueError(
        f"{fn}: unknown data_format {data_format!r}; expected {first!r} (channels-first), "
        f"{last!r} (channels-last), 'channels_first' or 'channels_last'"
    )


def _transpose_crop(padding, nd, last, fn):
    """Keras's mode ("valid"/"same", channels-last only), or the rows ``(before, after)`` cropped per axis."""
    if not isinstance(padding, str):
        return _explicit_padding(padding, nd, fn)
    mode = padding.lower()
    if last:
        if mode not in ("valid", "same"):
            raise ValueError(
                f"{fn}: padding must be an int, a tuple, (before, after) pairs or one of 'valid', 'same'; got {padding!r}"
            )
        return mode
    if mode in ("same", "full"):
        raise ValueError(
            f"{fn}: padding={padding!r} is not possible here: a transposed convolution crops the rows given as an "
            "int, a tuple or (before, after) pairs, or takes 'valid', or (channels-last only, Keras's rule) 'same'"
        )
    if mode != "valid":
        raise ValueError(f"{fn}: padding must be an int, a tuple, (before, after) pairs or one of 'valid'; got {padding!r}")
    return [(0, 0)] * nd


def _keras_transpose_axis(fn, nd, axis, m, k, s, d, mode, op):
    """Keras's output length along one axis and the rows cropped before it (TensorFlow's "same" padding)."""
    where = f" (spatial axis {axis}, {_AXES[nd][axis]})"
    if op is not None and op >= s:
        raise ValueError(
            f"{fn}: output_padding must be smaller than stride with padding={mode!r} (Keras's rule), "
            f"got output_padding={op}, stride={s}{where}"
        )
    if mode == "same" and op == 0 and d * (k - 1) % 2 == 1:
        # An even (dilated) kernel: Keras's length (n-1)s is what a "same" convolution maps to n-1, not n.
        raise ValueError(
            f"{fn}: padding='same' with output_padding=0 gives output length "
            f"(n-1)*s + (d*(k-1)+1) % 2 + output_padding = {(m - 1) * s}, which a 'same' convolution with stride {s} "
            f"maps to ceil({(m - 1) * s}/{s}) = {m - 1}, not back to n={m} "
            f"(with an even kernel give 1 <= output_padding < stride, or None){where}"
        )
    size = conv_transpose_output_size(m, k, s, mode, op, d)
    # The transposed convolution crops what the "same" convolution from `size` back to n pads.
    before = same_padding(size, k, s, d)[0] if mode == "same" else 0
    return size, before


def _transpose_arguments(fn, nd, x, w, b, stride, padding, output_padding, dilation, groups, last):
    """Check a transposed convolution's arguments; return ``stride, dilation, groups, crops, full_sizes``.

    ``x`` is ``(n, c_I, *spatial)`` or ``(c_I, *spatial)`` and ``w`` is
    ``(c_I, c_O/groups, *kernel)``, or with ``last`` ``(n, *spatial, c_I)`` and
    ``(*kernel, c_O/groups, c_I)``. ``crops`` holds one ``(before, size)`` per
    axis: the output is ``size`` rows of the full result from ``before`` on;
    ``full_sizes`` is the full result's size (zeros past the scattered values).
    """
    layout = (_LAST_LAYOUTS if last else _LAYOUTS)[nd]
    weight_layout = ["k"] * nd + ["c_O/groups", "c_I"] if last else ["c_I", "c_O/groups"] + ["k"] * nd
    weight_layout = "(" + ", ".join(weight_layout) + ")"
    _check_ranks(fn, nd, x, w, f"({layout})", weight_layout)
    if last:
        c_in, spatial = x.shape[-1], x.shape[-nd - 1 : -1]
        kernel, c_out_per_group, c_in_of_weight = w.shape[:nd], w.shape[nd], w.shape[nd + 1]
    else:
        c_in, spatial = x.shape[-nd - 1], x.shape[-nd:]
        c_in_of_weight, c_out_per_group, kernel = w.shape[0], w.shape[1], w.shape[2:]
    stride = _ints(stride, nd, "stride", fn)
    dilation = _ints(dilation, nd, "dilation", fn)
    groups = _groups(groups, fn)
    if c_in % groups:
        raise ValueError(f"{fn}: groups={groups} does not divide the {c_in} input channels (input shape {tuple(x.shape)})")
    if c_in_of_weight != c_in:
        raise ValueError(
            f"{fn}: input has {c_in} channels but weight expects {c_in_of_weight} "
            f"(weight shape {tuple(w.shape)}, laid out {weight_layout}, groups={groups})"
        )
    _check_sizes(fn, x, w, b, kernel, spatial, c_out_per_group * groups, layout)
    crop = _transpose_crop(padding, nd, last, fn)
    crops, full_sizes = [], []
    if isinstance(crop, str):
        ops = [None] * nd if output_padding is None else _ints(output_padding, nd, "output_padding", fn, minimum=0)
        for axis in range(nd):
            m, k, s, d = spatial[axis], kernel[axis], stride[axis], dilation[axis]
            size, before = _keras_transpose_axis(fn, nd, axis, m, k, s, d, crop, ops[axis])
            crops.append((before, size))
            # The scattered values reach (n-1)s + d(k-1) + 1; Keras's output may end past them.
            full_sizes.append(max(conv_transpose_output_size(m, k, s, 0, 0, d), before + size))
        return stride, dilation, groups, crops, full_sizes
    output_padding = (0,) * nd if output_padding is None else _ints(output_padding, nd, "output_padding", fn, minimum=0)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(
                f"{fn}: output_padding must be smaller than either stride or dilation, "
                f"got output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    for m, k, (before, after), s, d, op in zip(spatial, kernel, crop, stride, dilation, output_padding):
        # Uncropped: the last pixel's last tap lands at (m-1)s + d(k-1); output_padding adds op rows after it.
        full = conv_transpose_output_size(m, k, s, 0, op, d)
        if full - before - after < 1:
            raise ValueError(
                f"{fn}: padding {(before, after)} crops the whole output: (n-1)*s + d*(k-1) + output_padding + 1 = "
                f"{full} for n={m}, k={k}, stride={s}, dilation={d}"
            )
        crops.append((before, full - before - after))
        full_sizes.append(full)
    return stride, dilation, groups, crops, full_sizes


def _pool_arguments(fn, nd, x, kernel_size, stride, padding, ceil_mode, last):
    """Check a pooling's arguments; return ``kernel, stride, pads, counted, out_sizes``, one entry per axis.

    ``x`` is ``(n, c, *spatial)`` or ``(c, *spatial)``, or with ``last``
    ``(n, *spatial, c)``; ``stride=None`` means ``kernel_size``. ``pads`` holds
    ``(before, after)``; ``counted`` is how much padding on each side an
    average counts (torch's int padding: all; TensorFlow's modes: none).
    """
    layout = ("(n, w, c)", "(n, h, w, c)")[nd - 1] if last else ("(n, c, w)", "(n, c, h, w)")[nd - 1]
    _check_ranks(fn, nd, x, None, layout, None)
    kernel = _ints(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None else _ints(stride, nd, "stride", fn)
    spatial = x.shape[-nd - 1 : -1] if last else x.shape[-nd:]
    if isinstance(padding, str):
        if padding.lower() not in ("valid", "same"):
            raise ValueError(f"{fn}: padding must be an int, a tuple of ints or one of 'valid', 'same'; got {padding!r}")
        if ceil_mode:
            raise ValueError(
                f"{fn}: ceil_mode=True needs an int padding (PyTorch's rule); padding={padding!r} fixes the output size"
            )
        counted, shown = [0] * nd, padding
    else:
        ints = _ints(padding, nd, "padding", fn, minimum=0)
        for k, p in zip(kernel, ints):
            if 2 * p > k:
                raise ValueError(
                    f"{fn}: padding should be at most half of the kernel size, got padding={ints} for kernel_size={kernel}"
                )
        pads, counted, shown = [(p, p) for p in ints], ints, ints
    if min(spatial) < 1:
        raise ValueError(f"{fn}: input spatial sizes must be positive, got input shape {tuple(x.shape)} {layout}")
    if isinstance(padding, str):
        same = padding.lower() == "same"
        pads = [same_padding(m, k, s) if same else (0, 0) for m, k, s in zip(spatial, kernel, stride)]
    ceil_mode = bool(ceil_mode)
    out_sizes = []
    for m, k, s, (before, after) in zip(spatial, kernel, stride, pads):
        # The first window must fit in the padded input; in ceil mode it may hang past its end by up to s - 1.
        if k > m + before + after + (s - 1 if ceil_mode else 0):
            raise ValueError(
                f"{fn}: window of size {k} does not fit the padded input: size {m} + padding {(before, after)} = "
                f"{m + before + after} (input shape {tuple(x.shape)}, kernel_size={kernel}, stride={stride}, "
                f"padding={shown!r}, ceil_mode={ceil_mode})"
            )
        out_sizes.append(pool_output_size(m, k, s, padding if isinstance(padding, str) else before, ceil_mode))
    return kernel, stride, pads, counted, out_sizes


def _scipy_padding(mode, kernel_shape, flip, fn):
    """Zero rows and columns ``(before, after)`` per axis that give ``scipy.signal``'s output for ``mode``.

    "valid" adds none, "full" ``k - 1`` on both sides; "same" is centred on
    "full" as SciPy does: for an even ``k`` correlation keeps ``(k-1)//2``
    zeros before and ``k//2`` after, convolution the other way round.
    """
    if not isinstance(mode, str) or mode.lower() not in ("valid", "same", "full"):
        raise ValueError(f"{fn}: mode must be one of 'valid', 'same', 'full', got {mode!r}")
    mode = mode.lower()
    pads = []
    for k in kernel_shape:
        if mode == "valid":
            pads.append((0, 0))
        elif mode == "full":
            pads.append((k - 1, k - 1))
        elif flip:
            pads.append((k // 2, (k - 1) // 2))
        else:
            pads.append(((k - 1) // 2, k // 2))
    return pads


# ---------------------------------------------------------------------------
# The operations.


def _conv(fn, nd, x, w, b, stride, padding, dilation, groups):
    x, w, b = _float_arrays(fn, ("input", x), ("weight", w), ("bias", b))
    stride, dilation, groups, pads, out_sizes = _conv_arguments(fn, nd, x, w, b, stride, padding, dilation, groups)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    n = x.shape[0]
    c_out, c_in_per_group = w.shape[:2]
    kernel = w.shape[2:]
    c_out_per_group = c_out // groups
    xpad = np.pad(x, [(0, 0), (0, 0)] + pads)
    y = np.zeros((n, c_out) + tuple(out_sizes), dtype=x.dtype)
    for i in range(n):
        for o in range(c_out):
            group = o // c_out_per_group
            channels = slice(group * c_in_per_group, (group + 1) * c_in_per_group)
            for position in itertools.product(*(range(m) for m in out_sizes)):
                # The window: every d-th sample from position*s, k samples per axis.
                window = tuple(
                    slice(q * s, q * s + d * (k - 1) + 1, d)
                    for q, s, d, k in zip(position, stride, dilation, kernel)
                )
                value = np.sum(xpad[(i, channels) + window] * w[o])
                if b is not None:
                    value += b[o]
                y[(i, o) + position] = value
    return y[0] if unbatched else y


def conv1d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """Loop version of :func:`reference.conv1d` (channels-first): ``y[i, o, q] = sum(window * w[o]) + b[o]``.

    ``x`` is ``(n, c_I, w_I)`` or ``(c_I, w_I)``, ``w`` is ``(c_O, c_I/groups, w_K)``;
    the output length is ``floor((w_I + p_b + p_a - d(w_K-1) - 1)/s) + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> conv1d(np.array([[[0., 0, 0, 1, 1, 0, 0, 0]]]), np.array([[[0., 1, 0]]]))
    array([[[0., 0., 1., 1., 0., 0.]]])
    """
    return _conv("conv1d", 1, x, w, b, stride, padding, dilation, groups)


def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """Loop version of :func:`reference.conv2d` (channels-first).

    For every image ``i``, output channel ``o`` and output pixel ``(r, c)``:
    ``y[i, o, r, c] = sum(xpad[i, group channels, window(r, c)] * w[o]) + b[o]``
    where the window takes every ``d``-th pixel from ``(r*s_h, c*s_w)``.

    ``x`` is ``(n, c_I, h_I, w_I)`` or ``(c_I, h_I, w_I)``, ``w`` is
    ``(c_O, c_I/groups, h_K, w_K)``; ``h_O = floor((h_I + p_b + p_a - d(h_K-1) - 1)/s) + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))).shape
    (1, 1, 2, 2)
    """
    return _conv("conv2d", 2, x, w, b, stride, padding, dilation, groups)


def conv3d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """Loop version of :func:`reference.conv3d` (channels-first).

    ``x`` is ``(n, c_I, d_I, h_I, w_I)``, ``w`` is ``(c_O, c_I/groups, d_K, h_K, w_K)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv3d(np.ones((1, 1, 3, 3, 3)), np.ones((2, 1, 2, 2, 2))).shape
    (1, 2, 2, 2, 2)
    """
    return _conv("conv3d", 3, x, w, b, stride, padding, dilation, groups)


def _conv_transpose(fn, nd, x, w, b, stride, padding, output_padding, dilation, groups, data_format):
    x, w, b = _float_arrays(fn, ("input", x), ("weight", w), ("bias", b))
    last = _channels_last(data_format, nd, fn)
    stride, dilation, groups, crops, full_sizes = _transpose_arguments(
        fn, nd, x, w, b, stride, padding, output_padding, dilation, groups, last
    )
    if last:  # Keras's layouts: (n, *spatial, c_I) and (*kernel, c_O/groups, c_I)
        x = np.moveaxis(x, -1, -nd - 1)
        w = np.transpose(w, (nd + 1, nd) + tuple(range(nd)))
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    n, c_in, spatial = x.shape[0], x.shape[1], x.shape[2:]
    c_out_per_group, kernel = w.shape[1], w.shape[2:]
    c_in_per_group = c_in // groups
    # Rows past the scattered values (output_padding, Keras's longer outputs) stay zero.
    full = np.zeros((n, c_out_per_group * groups) + tuple(full_sizes), dtype=x.dtype)
    for i in range(n):
        for c in range(c_in):
            group = c // c_in_per_group
            out_channels = slice(group * c_out_per_group, (group + 1) * c_out_per_group)
            for position in itertools.product(*(range(m) for m in spatial)):
                for tap in itertools.product(*(range(k) for k in kernel)):
                    # Input sample `position` meets kernel tap `tap` at output position*s + tap*d.
                    target = tuple(q * s + j * d for q, s, j, d in zip(position, stride, tap, dilation))
                    full[(i, out_channels) + target] += x[(i, c) + position] * w[(c, slice(None)) + tap]
    y = full[(slice(None), slice(None)) + tuple(slice(before, before + size) for before, size in crops)]
    if b is not None:
        y = y + b.reshape((-1,) + (1,) * nd)
    if last:
        y = np.moveaxis(y, 1, -1)
    return y[0] if unbatched else y


def conv_transpose1d(x, w, b=None, *, stride=1, padding=0, output_padding=None, dilation=1, groups=1, data_format="NCW"):
    """Loop version of :func:`reference.conv_transpose1d`: scatter each input sample's scaled kernel.

    ``w_O = (w_I - 1)s - p_b - p_a + d(w_K - 1) + output_padding + 1``, or
    Keras's length for "NWC" with "valid"/"same" (see :func:`conv_transpose2d`).

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose1d(np.array([[[1., 2, 3]]]), np.ones((1, 1, 3)), stride=2)
    array([[[1., 1., 3., 2., 5., 3., 3.]]])
    """
    return _conv_transpose("conv_transpose1d", 1, x, w, b, stride, padding, output_padding, dilation, groups, data_format)


def conv_transpose2d(x, w, b=None, *, stride=1, padding=0, output_padding=None, dilation=1, groups=1, data_format="NCHW"):
    """Loop version of :func:`reference.conv_transpose2d`: scatter each input pixel's scaled kernel.

    For every input pixel ``x[i, c, r, q]`` the kernel ``w[c]`` (all output
    channels of ``c``'s group) times that pixel is added to the output window
    starting at ``(r*s_h, q*s_w)``, taps ``d`` apart; then ``padding`` is cropped.
    ``h_O = (h_I - 1)s - p_b - p_a + d(h_K - 1) + output_padding + 1``.

    With ``data_format="NHWC"`` (Keras's kernel ``(h_K, w_K, c_O/groups, c_I)``)
    and ``padding="valid"``/``"same"``, the output size is Keras's
    (:func:`reference.conv_transpose_output_size` with the mode) and the rows
    cropped before are those a "same" convolution of that size pads before
    (:func:`reference.same_padding`); "valid" crops none.

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    >>> conv_transpose2d(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), stride=2, padding="same",
    ...                  data_format="NHWC")[0, :, :, 0]
    array([[1., 1., 2., 1.],
           [1., 1., 2., 1.],
           [2., 2., 4., 2.],
           [1., 1., 2., 1.]])
    """
    return _conv_transpose("conv_transpose2d", 2, x, w, b, stride, padding, output_padding, dilation, groups, data_format)


def _pool(fn, nd, x, kernel_size, stride, padding, ceil_mode, data_format, reduce):
    (x,) = _float_arrays(fn, ("input", x))
    last = _channels_last(data_format, nd, fn)
    kernel, stride, pads, counted, out_sizes = _pool_arguments(fn, nd, x, kernel_size, stride, padding, ceil_mode, last)
    if last:
        x = np.moveaxis(x, -1, -nd - 1)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
    y = np.zeros((n, c) + tuple(out_sizes), dtype=x.dtype)
    for i in range(n):
        for ch in range(c):
            for position in itertools.product(*(range(o) for o in out_sizes)):
                # The window in input coordinates; an average counts the cells inside the input and the
                # counted padding (torch: all its padding; TensorFlow: none).
                starts = [q * s - before for q, s, (before, _) in zip(position, stride, pads)]
                window = x[(i, ch) + tuple(slice(max(a, 0), min(a + k, m)) for a, k, m in zip(starts, kernel, spatial))]
                size = 1
                for a, k, m, p in zip(starts, kernel, spatial, counted):
                    size *= min(a + k, m + p) - max(a, -p)
                y[(i, ch) + position] = reduce(window, size)
    if last:
        y = np.moveaxis(y, 1, -1)
    return y[0] if unbatched else y


def _maximum(window, size):
    return np.max(window)


def _mean(window, size):
    return np.sum(window) / size


def max_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCW"):
    """Loop version of :func:`reference.max_pool1d`: the largest value of each window (padding never wins).

    Examples
    --------
    >>> import numpy as np
    >>> max_pool1d(np.array([1., 2, 3, 4, 5]).reshape(1, 5, 1), 2, 1, padding="same", data_format="NWC")[0, :, 0]
    array([2., 3., 4., 5., 5.])
    """
    return _pool("max_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, data_format, _maximum)


def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCHW"):
    """Loop version of :func:`reference.max_pool2d`: the largest value of each window (NaN if it holds one).

    Examples
    --------
    >>> import numpy as np
    >>> max_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    return _pool("max_pool2d", 2, x, kernel_size, stride, padding, ceil_mode, data_format, _maximum)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCW"):
    """Loop version of :func:`reference.avg_pool1d`: each window's sum over its counted size.

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool1d(np.array([[[1., 2, 3, 4, 5]]]), 2, 2, padding="same")
    array([[[1.5, 3.5, 5. ]]])
    """
    return _pool("avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, data_format, _mean)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCHW"):
    """Loop version of :func:`reference.avg_pool2d`: each window's sum over its size, padding included
    with an int padding (torch), the real cells only with "valid"/"same" (TensorFlow).

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.ones((1, 1, 3, 3)), 2, padding=1)
    array([[[[0.25, 0.5 ],
             [0.5 , 1.  ]]]])
    >>> avg_pool2d(np.ones((1, 3, 3, 1)), 2, padding="same", data_format="NHWC")[0, :, :, 0]
    array([[1., 1.],
           [1., 1.]])
    """
    return _pool("avg_pool2d", 2, x, kernel_size, stride, padding, ceil_mode, data_format, _mean)


def _single_image(fn, image, kernel, mode, flip):
    image, kernel = _float_arrays(fn, ("image", image), ("kernel", kernel))
    for name, a in (("image", image), ("kernel", kernel)):
        if a.ndim != 2 or 0 in a.shape:
            raise ValueError(f"{fn}: {name} must be a non-empty 2-D array, got shape {tuple(a.shape)}")
    (top, bottom), (left, right) = _scipy_padding(mode, kernel.shape, flip, fn)
    h, w = image.shape
    k_h, k_w = kernel.shape
    if k_h > h + top + bottom or k_w > w + left + right:
        raise ValueError(f"{fn}: kernel shape {kernel.shape} is larger than the image {image.shape} in mode {mode!r}")
    h_out, w_out = conv_output_size(h, k_h, (top, bottom)), conv_output_size(w, k_w, (left, right))
    y = np.zeros((h_out, w_out), dtype=image.dtype)
    for r in range(h_out):
        for q in range(w_out):
            total = 0.0
            for m in range(k_h):
                for t in range(k_w):
                    row, col = r + m - top, q + t - left
                    # Convolution reads the kernel back to front: its last tap meets the window's first pixel.
                    tap = kernel[k_h - 1 - m, k_w - 1 - t] if flip else kernel[m, t]
                    if 0 <= row < h and 0 <= col < w:
                        total += image[row, col] * tap
            y[r, q] = total
    return y


def correlate2d(image, kernel, mode="valid"):
    """Loop version of :func:`reference.correlate2d`: ``z[r, q] = sum_{m,t} image[r+m-top, q+t-left] * kernel[m, t]``.

    ``top``/``left`` are the zero rows/columns that ``mode`` adds before the
    image (SciPy's centring for "same").

    Examples
    --------
    >>> import numpy as np
    >>> correlate2d(np.arange(9.).reshape(3, 3), np.ones((2, 2)))
    array([[ 8., 12.],
           [20., 24.]])
    """
    return _single_image("correlate2d", image, kernel, mode, flip=False)


def convolve2d(image, kernel, mode="valid"):
    """Loop version of :func:`reference.convolve2d`: correlation with the kernel read back to front.

    Examples
    --------
    >>> import numpy as np
    >>> convolve2d(np.arange(9.).reshape(3, 3), np.array([[1., 0], [0, 0]]))
    array([[4., 5.],
           [7., 8.]])
    """
    return _single_image("convolve2d", image, kernel, mode, flip=True)


def relu(x):
    """Loop version of :func:`reference.relu`: each negative entry becomes 0 (NaN stays NaN).

    Examples
    --------
    >>> import numpy as np
    >>> relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    (x,) = _float_arrays("relu", ("x", x))
    y = x.copy()
    for index in np.ndindex(*x.shape):
        if x[index] < 0:
            y[index] = 0.0
    return y
