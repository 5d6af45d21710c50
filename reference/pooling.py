"""Max and average pooling with ``torch.nn.functional``'s rules.

Inputs are channels-first, ``(n, c, *spatial)`` or unbatched ``(c, *spatial)``.
A pooled value is a reduction over one window; the window loop runs over
the kernel taps (a handful of strided slices), each covering every channel
and output position at once.

Notation: ``n`` batch, ``c`` channels, ``h_I, w_I`` input size, ``h_K, w_K``
window size, ``h_O, w_O`` output size, ``s`` stride, ``p`` padding.
"""

import itertools
import math

import numpy as np

from .arithmetic import _pool_out
from .backend import array_namespace
from .int_checks import int_tuple
from .patches import pad, window_slices
from .validation import as_numeric_array, cached_plan, float_dtype

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]

_LAYOUTS = {1: "(n, c, w)", 2: "(n, c, h, w)"}


class _PoolPlan:
    """Validated geometry of one pooling signature."""

    def __init__(self, fn, nd, x, _w, _b, kernel_size, stride, padding, ceil_mode):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: input must have a real numeric dtype (bool, int or float), got dtype {x.dtype}")
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{fn}: input must have {nd + 2} dimensions {_LAYOUTS[nd]} or {nd + 1} without the batch axis, "
                f"got shape {tuple(x.shape)}"
            )
        kernel = int_tuple(kernel_size, nd, "kernel_size", fn)
        stride = kernel if stride is None else int_tuple(stride, nd, "stride", fn)
        padding = int_tuple(padding, nd, "padding", fn, minimum=0)
        for k, p in zip(kernel, padding):
            if 2 * p > k:
                raise ValueError(
                    f"{fn}: padding should be at most half of the kernel size, got padding={padding} for kernel_size={kernel}"
                )
        spatial = tuple(x.shape[-nd:])
        if min(spatial) < 1:
            raise ValueError(f"{fn}: input spatial sizes must be positive, got input shape {tuple(x.shape)} {_LAYOUTS[nd]}")
        out, pads, div, first = [], [], [], []
        for m, k, s, p in zip(spatial, kernel, stride, padding):
            o = _pool_out(m, k, s, p, bool(ceil_mode))
            if o < 1:
                raise ValueError(
                    f"{fn}: window of size {k} does not fit the padded input: size {m} + 2*padding {p} = {m + 2 * p} "
                    f"(input shape {tuple(x.shape)}, kernel_size={kernel}, stride={stride}, ceil_mode={bool(ceil_mode)})"
                )
            start = np.arange(o) * s - p
            out.append(o)
            # In ceil mode the last window may hang past the right padding; pad enough to slice it.
            pads.append((p, max((o - 1) * s + k - m - p, 0)))
            # torch's count_include_pad divisor: the window clipped to the padded input, not to the input.
            div.append(np.minimum(start + k, m + p) - start)
            # First tap inside the input: torch's argmax starts there, so padding never wins a tie.
            first.append(np.maximum(-start, 0))
        self.nd, self.kernel, self.stride, self.pads = nd, kernel, stride, tuple(pads)
        self.out = tuple(out)
        self.spatial = spatial
        self.unbatched = x.ndim == nd + 1
        self.dtype = float_dtype(np, x)
        self.out_shape = tuple(x.shape[:-nd]) + self.out
        divisor = _outer(div, np.multiply)
        self.divisor = float(divisor.flat[0]) if (divisor == divisor.flat[0]).all() else divisor
        tap_stride = [math.prod(kernel[i + 1 :]) for i in range(nd)]
        self.first_tap = _outer([f * t for f, t in zip(first, tap_stride)], np.add)

    def taps(self):
        """Kernel taps in window order (row-major), with their flat index."""
        return enumerate(itertools.product(*(range(k) for k in self.kernel)))

    def tap_slices(self, offset):
        return window_slices(offset, self.stride, (1,) * self.nd, self.out)

    def crop(self):
        return (Ellipsis,) + tuple(slice(b, b + m) for m, (b, _) in zip(self.spatial, self.pads))

    def prepare(self, xp, x, fill):
        x = x.astype(self.dtype, copy=False)
        return pad(xp, x, self.pads, value=fill)


def _outer(vectors, op):
    # Combine per-axis vectors into an array over the output grid: op.outer, N-d.
    out = vectors[0]
    for v in vectors[1:]:
        out = op.outer(out, v)
    return out


def _plan(fn, nd, x, kernel_size, stride, padding, ceil_mode, xp=None):
    if xp is None:
        if type(x) is np.ndarray:
            # NumPy-only fast path: plain ndarrays skip the dispatch.
            xp = np
        else:
            xp = array_namespace(x)
            x = as_numeric_array(xp, x, "input", fn)
    return xp, x, cached_plan(_PoolPlan, fn, nd, x, None, None, (kernel_size, stride, padding, ceil_mode))


def _max_pool(fn, nd, x, kernel_size, stride, padding, ceil_mode):
    xp, x, plan = _plan(fn, nd, x, kernel_size, stride, padding, ceil_mode)
    # -inf padding never wins a max; NaN propagates through maximum as in torch.
    xpad = plan.prepare(xp, x, float("-inf"))
    y = None
    for _, offset in plan.taps():
        window = xpad[plan.tap_slices(offset)]
        y = window.copy() if y is None else xp.maximum(y, window, out=y)
    return y


def _avg_pool(fn, nd, x, kernel_size, stride, padding, ceil_mode):
    xp, x, plan = _plan(fn, nd, x, kernel_size, stride, padding, ceil_mode)
    xpad = plan.prepare(xp, x, 0)
    y = None
    for _, offset in plan.taps():
        window = xpad[plan.tap_slices(offset)]
        y = window.copy() if y is None else xp.add(y, window, out=y)
    divisor = plan.divisor if isinstance(plan.divisor, float) else xp.asarray(plan.divisor, dtype=y.dtype)
    y /= divisor
    return y


def max_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """1-D max pooling, as ``torch.nn.functional.max_pool1d``.

    .. math:: w_O = \\left\\lfloor \\frac{w_I + 2p - w_K}{s} \\right\\rfloor + 1

    (ceil in ``ceil_mode``, dropping a last window that would start in the right padding).

    Parameters
    ----------
    x : array, shape (n, c, w_I) or (c, w_I)
    kernel_size : int or (int,)
    stride : int, (int,) or None, default None
        ``None`` means ``kernel_size``.
    padding : int or (int,), default 0
        Implicit ``-inf`` padding on both sides, at most ``kernel_size / 2``.
    ceil_mode : bool, default False

    Returns
    -------
    array, shape (n, c, w_O) or (c, w_O)

    Examples
    --------
    >>> import numpy as np
    >>> max_pool1d(np.array([[[1., 3, 2, 5, 4]]]), 2)
    array([[[3., 5.]]])
    """
    return _max_pool("max_pool1d", 1, x, kernel_size, stride, padding, ceil_mode)


def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    .. math:: h_O = \\left\\lfloor \\frac{h_I + 2p - h_K}{s} \\right\\rfloor + 1

    and likewise for ``w_O`` (ceil in ``ceil_mode``; a last window that would
    start in the right/bottom padding is dropped). NaN in a window gives NaN.

    Parameters
    ----------
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I)
    kernel_size : int or (int, int)
    stride : int, (int, int) or None, default None
        ``None`` means ``kernel_size``.
    padding : int or (int, int), default 0
        Implicit ``-inf`` padding on both sides, at most half the kernel size.
    ceil_mode : bool, default False

    Returns
    -------
    array, shape (n, c, h_O, w_O) or (c, h_O, w_O)

    Examples
    --------
    >>> import numpy as np
    >>> max_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> max_pool2d(np.ones((2, 3, 5, 5)), 2, ceil_mode=True).shape
    (2, 3, 3, 3)
    """
    return _max_pool("max_pool2d", 2, x, kernel_size, stride, padding, ceil_mode)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """1-D average pooling, as ``torch.nn.functional.avg_pool1d`` (``count_include_pad=True``).

    .. math:: w_O = \\left\\lfloor \\frac{w_I + 2p - w_K}{s} \\right\\rfloor + 1

    Zero padding counts in the average; in ``ceil_mode`` a window hanging past
    the right padding is divided by its size clipped to the padded input,
    as torch does.

    Parameters
    ----------
    x : array, shape (n, c, w_I) or (c, w_I)
    kernel_size : int or (int,)
    stride : int, (int,) or None, default None
    padding : int or (int,), default 0
        At most ``kernel_size / 2``.
    ceil_mode : bool, default False

    Returns
    -------
    array, shape (n, c, w_O) or (c, w_O)

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool1d(np.array([[[1., 3, 2, 6]]]), 2)
    array([[[2., 4.]]])
    """
    return _avg_pool("avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d`` (``count_include_pad=True``).

    .. math:: h_O = \\left\\lfloor \\frac{h_I + 2p - h_K}{s} \\right\\rfloor + 1

    and likewise for ``w_O``. Zero padding counts in the average; in
    ``ceil_mode`` a window hanging past the bottom/right padding is divided by
    its size clipped to the padded input, as torch does.

    Parameters
    ----------
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I)
    kernel_size : int or (int, int)
    stride : int, (int, int) or None, default None
        ``None`` means ``kernel_size``.
    padding : int or (int, int), default 0
        At most half the kernel size.
    ceil_mode : bool, default False

    Returns
    -------
    array, shape (n, c, h_O, w_O) or (c, h_O, w_O)

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return _avg_pool("avg_pool2d", 2, x, kernel_size, stride, padding, ceil_mode)
