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


def _pool_out(n, k, s, p, ceil_mode):
    """PyTorch's pooling output size; in ceil mode a window must start inside the input or left padding."""
    o = (n + 2 * p - k + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _transpose_out(n, k, s, before, after, output_padding, d):
    """(n-1)s - p_b - p_a + d(k-1) + output_padding + 1, unvalidated."""
    return (n - 1) * s - before - after + d * (k - 1) + output_padding + 1


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
    """Output length of max or average pooling along one axis, PyTorch's rule.

    .. math:: o = \\left\\lfloor \\frac{n + 2p - k}{s} \\right\\rfloor + 1
       \\quad(\\text{ceil instead of floor when } \\texttt{ceil\\_mode})

    In ceil mode the last window must start inside the input or the left
    padding (``(o-1)s < n + p``); a window that would start in the right
    padding is dropped.

    Parameters
    ----------
    n : int
        Input length (>= 1).
    k : int
        Window length (>= 1).
    stride : int or None, default None
        Step between windows; ``None`` means ``k``.
    padding : int, default 0
        Implicit padding on both sides; at most ``k // 2`` (PyTorch's rule).
    ceil_mode : bool, default False

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
    """
    fn = "pool_output_size"
    n = positive_int(n, "n", fn)
    k = positive_int(k, "k", fn)
    s = k if stride is None else positive_int(stride, "stride", fn)
    p = nonnegative_int(padding, "padding", fn)
    if 2 * p > k:
        raise ValueError(f"{fn}: padding should be at most half of the kernel size, got padding={p} for k={k}")
    o = _pool_out(n, k, s, p, bool(ceil_mode))
    if o < 1:
        raise ValueError(f"{fn}: window of size {k} is larger than the padded input: n={n} + 2*padding {p} = {n + 2 * p}")
    return o


def conv_transpose_output_size(n, k, stride=1, padding=0, output_padding=0, dilation=1):
    """Output length of a transposed convolution along one axis.

    .. math:: o = (n - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1

    This is the input length of the convolution whose input-gradient the
    transposed convolution computes; ``output_padding`` (``< s`` or ``< d``)
    picks among the input lengths that a strided convolution maps to ``n``.

    Parameters
    ----------
    n : int
        Input length (>= 1).
    k : int
        Kernel length (>= 1).
    stride : int, default 1
    padding : int or (int, int), default 0
        Rows removed from each side of the full result (or a (before, after) pair).
    output_padding : int, default 0
        Extra length added after; must be smaller than ``stride`` or ``dilation``.
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
    """
    fn = "conv_transpose_output_size"
    n = positive_int(n, "n", fn)
    k = positive_int(k, "k", fn)
    s = positive_int(stride, "stride", fn)
    d = positive_int(dilation, "dilation", fn)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: padding must be an int or a (before, after) pair, got {padding!r}")
    pair = int_pair(padding, "padding", fn)
    op = nonnegative_int(output_padding, "output_padding", fn)
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
