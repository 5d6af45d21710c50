"""Convolution arithmetic: output sizes and padding for one spatial axis.

These are the formulas of Dumoulin & Visin, "A guide to convolution arithmetic
for deep learning" (2016), in PyTorch's conventions (``dilation=1`` means no
gaps). The vectorised functions compute their output shapes with the same private
helpers, so these public functions agree with them by construction; the loops of
:mod:`reference.naive` use only these public functions.

Notation: ``n`` input length, ``k`` kernel length, ``p`` padding per side
(or ``p_b``/``p_a`` before/after), ``s`` stride, ``d`` dilation, ``o`` output length.
"""

from .int_checks import int_pair, nonnegative_int, positive_int

__all__ = ["conv_output_size", "pool_output_size", "conv_transpose_output_size", "same_padding"]


def _effective_kernel(k, d):
    # A dilated kernel spans d*(k-1)+1 input samples.
    return d * (k - 1) + 1


def _conv_out(n, k, before, after, s, d):
    """floor((n + p_b + p_a - d(k-1) - 1) / s) + 1, unvalidated (may be <= 0)."""
    return (n + before + after - d * (k - 1) - 1) // s + 1


def _same_padding(n, k, s, d):
    """TensorFlow's "same": output ceil(n/s), the odd padding pixel goes after."""
    out = -(-n // s)
    total = max((out - 1) * s + _effective_kernel(k, d) - n, 0)
    return (total // 2, total - total // 2)


# TensorFlow's padding modes of pooling and Keras's of the transposed convolution.
_TF_MODES = ("valid", "same")


def _pool_ceil_mode_message(fn, padding):
    return f"{fn}: ceil_mode=True needs an int padding (PyTorch's rule); padding={padding!r} fixes the output size"


def _pool_out(n, k, s, p, ceil_mode):
    """PyTorch's pooling output size; in ceil mode a window must start inside the input or left padding."""
    o = (n + 2 * p - k + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _transpose_out(n, k, s, before, after, output_padding, d):
    """(n-1)s - p_b - p_a + d(k-1) + output_padding + 1, unvalidated."""
    return (n - 1) * s - before - after + d * (k - 1) + output_padding + 1


def _keras_transpose_out(n, k, s, mode, output_padding, d):
    """Keras's transposed-convolution length for padding "valid"/"same" (``output_padding=None``: inferred)."""
    k = _effective_kernel(k, d)
    if mode == "valid":
        return (n - 1) * s + (max(k, s) if output_padding is None else k + output_padding)
    return n * s if output_padding is None else (n - 1) * s + k % 2 + output_padding


def _keras_transpose(fn, n, k, s, mode, output_padding, d, where=""):
    """Output length and rows cropped before of Keras's transposed convolution, or ValueError.

    It is the input-gradient of the convolution with TensorFlow's ``padding=mode``
    that maps the output length ``o`` to ``n``: that convolution must exist
    (``output_padding < s``, and for "same" ``ceil(o/s) == n``), and its padding
    before is what the transposed convolution crops before.
    """
    if output_padding is not None and output_padding >= s:
        raise ValueError(
            f"{fn}: output_padding must be smaller than stride with padding={mode!r} (Keras's rule), "
            f"got output_padding={output_padding}, stride={s}{where}"
        )
    o = _keras_transpose_out(n, k, s, mode, output_padding, d)
    if mode == "valid":
        return o, 0
    if -(-o // s) != n:
        raise ValueError(
            f"{fn}: padding='same' with output_padding={output_padding} gives output length "
            f"(n-1)*s + (d*(k-1)+1) % 2 + output_padding = {o}, which a 'same' convolution with stride {s} maps to "
            f"ceil({o}/{s}) = {-(-o // s)}, not back to n={n} "
            f"(with an even kernel give 1 <= output_padding < stride, or None){where}"
        )
    return o, _same_padding(o, k, s, d)[0]


def _kernel_too_large(fn, n, k, padding, d, where=""):
    return ValueError(
        f"{fn}: kernel size {k} (dilation {d}, effective size {_effective_kernel(k, d)}) is larger than "
        f"the padded input{where}: n={n} + padding {padding} = {n + padding[0] + padding[1]}"
    )


def conv_output_size(n, k, padding=0, stride=1, dilation=1):
    """Output length of a convolution along one axis.

    .. math:: o = \\left\\lfloor \\frac{n + p_b + p_a - d(k-1) - 1}{s} \\right\\rfloor + 1

    Parameters
    ----------
    n : int
        Input length (>= 1).
    k : int
        Kernel length (>= 1).
    padding : int, (int, int) or {"valid", "same", "full"}, default 0
        Zeros added on each side, an explicit ``(before, after)`` pair, or a
        mode: "valid" (0), "same" (TensorFlow: ``o = ceil(n/s)``), "full"
        (``d(k-1)`` on each side).
    stride : int, default 1
    dilation : int, default 1
        Spacing between kernel taps; 1 is an ordinary convolution.

    Returns
    -------
    int
        The output length ``o >= 1``.

    Raises
    ------
    ValueError
        If the dilated kernel is larger than the padded input, or an argument
        is out of range.

    Examples
    --------
    >>> conv_output_size(32, 5, padding=2)
    32
    >>> conv_output_size(7, 3, stride=2)
    3
    >>> conv_output_size(5, 3, padding="same", stride=2)
    3
    """
    fn = "conv_output_size"
    n = positive_int(n, "n", fn)
    k = positive_int(k, "k", fn)
    s = positive_int(stride, "stride", fn)
    d = positive_int(dilation, "dilation", fn)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            pair = (0, 0)
        elif mode == "same":
            pair = _same_padding(n, k, s, d)
        elif mode == "full":
            pair = (d * (k - 1), d * (k - 1))
        else:
            raise ValueError(f"{fn}: padding must be an int, a (before, after) pair, 'valid', 'same' or 'full'; got {padding!r}")
    else:
        pair = int_pair(padding, "padding", fn)
    o = _conv_out(n, k, pair[0], pair[1], s, d)
    if o < 1:
        raise _kernel_too_large(fn, n, k, pair, d)
    return o


def pool_output_size(n, k, stride=None, padding=0, ceil_mode=False):
    """Output length of max or average pooling along one axis: PyTorch's rule, or TensorFlow's modes.

    .. math:: o = \\left\\lfloor \\frac{n + 2p - k}{s} \\right\\rfloor + 1
       \\quad(\\text{ceil instead of floor when } \\texttt{ceil\\_mode})

    In ceil mode the last window must start inside the input or the left
    padding (``(o-1)s < n + p``); a window that would start in the right
    padding is dropped. TensorFlow's modes: "valid" is
    ``floor((n - k)/s) + 1`` (no padding), "same" is ``ceil(n/s)`` with the
    padding of :func:`same_padding`.

    Parameters
    ----------
    n : int
        Input length (>= 1).
    k : int
        Window length (>= 1).
    stride : int or None, default None
        Step between windows; ``None`` means ``k``.
    padding : int, "valid" or "same", default 0
        Implicit padding on both sides, at most ``k // 2`` (PyTorch's rule),
        or TensorFlow's mode.
    ceil_mode : bool, default False
        PyTorch's option; only with an int ``padding``.

    Returns
    -------
    int
        The output length ``o >= 1``.

    Examples
    --------
    >>> pool_output_size(5, 2)
    2
    >>> pool_output_size(5, 2, ceil_mode=True)
    3
    >>> pool_output_size(4, 2, stride=2, padding=1, ceil_mode=True)
    3
    >>> pool_output_size(5, 2, padding="same")
    3
    """
    fn = "pool_output_size"
    n = positive_int(n, "n", fn)
    k = positive_int(k, "k", fn)
    s = k if stride is None else positive_int(stride, "stride", fn)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in _TF_MODES:
            raise ValueError(f"{fn}: padding must be an int >= 0, 'valid' or 'same'; got {padding!r}")
        if ceil_mode:
            raise ValueError(_pool_ceil_mode_message(fn, padding))
        before, after = (0, 0) if mode == "valid" else _same_padding(n, k, s, 1)
        o = _conv_out(n, k, before, after, s, 1)
        if o < 1:
            raise ValueError(f"{fn}: window of size {k} is larger than the input n={n} with padding={padding!r}")
        return o
    p = nonnegative_int(padding, "padding", fn)
    if 2 * p > k:
        raise ValueError(f"{fn}: padding should be at most half of the kernel size, got padding={p} for k={k}")
    o = _pool_out(n, k, s, p, bool(ceil_mode))
    if o < 1:
        raise ValueError(f"{fn}: window of size {k} is larger than the padded input: n={n} + 2*padding {p} = {n + 2 * p}")
    return o


def conv_transpose_output_size(n, k, stride=1, padding=0, output_padding=None, dilation=1):
    """Output length of a transposed convolution along one axis: PyTorch's rule, or Keras's modes.

    .. math:: o = (n - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1

    This is the input length of the convolution whose input-gradient the
    transposed convolution computes; ``output_padding`` (``< s`` or ``< d``)
    picks among the input lengths that a strided convolution maps to ``n``.

    With ``padding="valid"`` or ``"same"`` it is Keras's ``Conv*DTranspose``
    rule, with the dilated kernel ``k_d = d(k-1) + 1``:

    - "valid": ``(n-1)s + max(k_d, s)``, or ``(n-1)s + k_d + output_padding``;
    - "same": ``n s``, or ``(n-1)s + (k_d mod 2) + output_padding``;

    where ``output_padding`` (``None``: the first form) must be smaller than
    ``s``, and for "same" the result ``o`` must satisfy ``ceil(o/s) = n``
    (TensorFlow computes it as the gradient of that "same" convolution).

    Parameters
    ----------
    n : int
        Input length (>= 1).
    k : int
        Kernel length (>= 1).
    stride : int, default 1
    padding : int, (int, int), "valid" or "same", default 0
        Rows removed from each side of the full result (or a (before, after)
        pair), or Keras's mode.
    output_padding : int or None, default None
        Extra length added after; must be smaller than ``stride`` or
        ``dilation`` (``stride`` for Keras's modes). ``None`` is 0 with an int
        ``padding`` and Keras's inferred length with a mode.
    dilation : int, default 1

    Returns
    -------
    int
        The output length ``o >= 1``.

    Examples
    --------
    >>> conv_transpose_output_size(3, 3, stride=2)
    7
    >>> conv_transpose_output_size(4, 4, stride=2, padding=1)
    8
    >>> conv_transpose_output_size(4, 3, stride=2, padding="same")
    8
    >>> conv_transpose_output_size(4, 3, stride=2, padding="same", output_padding=0)
    7
    """
    fn = "conv_transpose_output_size"
    n = positive_int(n, "n", fn)
    k = positive_int(k, "k", fn)
    s = positive_int(stride, "stride", fn)
    d = positive_int(dilation, "dilation", fn)
    op = None if output_padding is None else nonnegative_int(output_padding, "output_padding", fn)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in _TF_MODES:
            raise ValueError(f"{fn}: padding must be an int, a (before, after) pair, 'valid' or 'same'; got {padding!r}")
        return _keras_transpose(fn, n, k, s, mode, op, d)[0]
    pair = int_pair(padding, "padding", fn)
    op = op or 0
    if op >= s and op >= d:
        raise ValueError(
            f"{fn}: output_padding must be smaller than either stride or dilation, got output_padding={op}, stride={s}, dilation={d}"
        )
    o = _transpose_out(n, k, s, pair[0], pair[1], op, d)
    if o < 1:
        raise ValueError(
            f"{fn}: padding {pair} removes the whole output: (n-1)*s + d*(k-1) + output_padding + 1 = "
            f"{o + pair[0] + pair[1]} before cropping"
        )
    return o


def same_padding(n, k, stride=1, dilation=1):
    """Padding ``(before, after)`` of TensorFlow's ``padding="same"`` along one axis.

    .. math::
       o = \\lceil n / s \\rceil,\\quad
       t = \\max((o-1)s + d(k-1) + 1 - n, 0),\\quad
       (p_b, p_a) = (\\lfloor t/2 \\rfloor, t - \\lfloor t/2 \\rfloor)

    The odd pixel goes after (bottom/right). Valid for any stride, unlike
    PyTorch's ``padding="same"`` which requires stride 1.

    Parameters
    ----------
    n : int
        Input length (>= 1).
    k : int
        Kernel length (>= 1).
    stride : int, default 1
    dilation : int, default 1

    Returns
    -------
    (int, int)
        Padding before and after.

    Examples
    --------
    >>> same_padding(5, 3)
    (1, 1)
    >>> same_padding(6, 4)
    (1, 2)
    >>> same_padding(5, 3, stride=2)
    (1, 1)
    """
    fn = "same_padding"
    n = positive_int(n, "n", fn)
    k = positive_int(k, "k", fn)
    s = positive_int(stride, "stride", fn)
    d = positive_int(dilation, "dilation", fn)
    return _same_padding(n, k, s, d)
