"""Max and average pooling: ``torch.nn.functional``'s rules, and Keras's channels-last "valid"/"same".

Inputs are channels-first, ``(n, c, *spatial)`` or unbatched ``(c, *spatial)``,
or with ``data_format="NWC"``/``"NHWC"`` channels-last, ``(n, *spatial, c)``
(Keras's ``MaxPooling1D/2D`` and ``AveragePooling1D/2D``). A pooled value is
a reduction over one window; the window loop runs over the kernel taps (a
handful of strided slices), each covering every channel and output position
at once. Channels-last data is moved to channels-first around that loop.

Padding is PyTorch's (an int per axis, at most half the window, counted in
an average) or TensorFlow's mode: "valid" (none) or "same" (output
``ceil(n/s)``, the odd padded cell at the end, never counted in an average).

Notation: ``n`` batch, ``c`` channels, ``h_I, w_I`` input size, ``h_K, w_K``
window size, ``h_O, w_O`` output size, ``s`` stride, ``p`` padding.
"""

import itertools
import math

import numpy as np

from .arithmetic import _TF_MODES, _conv_out, _pool_ceil_mode_message, _pool_out
from .backend import array_namespace
from .int_checks import int_tuple
from .patches import pad, window_slices
from .validation import as_numeric_array, cached_plan, channels_last, float_dtype, padding_spec, resolve_padding

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]

_LAYOUTS = {1: ("(n, c, w)", "(n, w, c)"), 2: ("(n, c, h, w)", "(n, h, w, c)")}


class _PoolPlan:
    """Validated geometry of one pooling signature (computed channels-first)."""

    def __init__(self, fn, nd, x, _w, _b, kernel_size, stride, padding, ceil_mode, data_format):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: input must have a real numeric dtype (bool, int or float), got dtype {x.dtype}")
        self.channels_last = channels_last(data_format, nd, fn)
        layout = _LAYOUTS[nd][self.channels_last]
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{fn}: input must have {nd + 2} dimensions {layout} or {nd + 1} without the batch axis, "
                f"got shape {tuple(x.shape)}"
            )
        kernel = int_tuple(kernel_size, nd, "kernel_size", fn)
        stride = kernel if stride is None else int_tuple(stride, nd, "stride", fn)
        spatial = tuple(x.shape[-nd - 1 : -1] if self.channels_last else x.shape[-nd:])
        if isinstance(padding, str):
            mode = padding_spec(padding, nd, fn, modes=_TF_MODES, forms="an int, a tuple of ints")
            if ceil_mode:
                raise ValueError(_pool_ceil_mode_message(fn, padding))
            pairs = resolve_padding(mode, spatial, kernel, stride, (1,) * nd, fn)
            counted = (0,) * nd  # TensorFlow averages over the real cells only
        else:
            padding = int_tuple(padding, nd, "padding", fn, minimum=0)
            for k, p in zip(kernel, padding):
                if 2 * p > k:
                    raise ValueError(
                        f"{fn}: padding should be at most half of the kernel size, got padding={padding} for kernel_size={kernel}"
                    )
            mode, pairs, counted = None, tuple((p, p) for p in padding), padding  # torch's count_include_pad counts it
        if min(spatial) < 1:
            raise ValueError(f"{fn}: input spatial sizes must be positive, got input shape {tuple(x.shape)} {layout}")
        out, pads, div, first = [], [], [], []
        for m, k, s, (pb, pa), q in zip(spatial, kernel, stride, pairs, counted):
            o = _conv_out(m, k, pb, pa, s, 1) if mode else _pool_out(m, k, s, pb, bool(ceil_mode))
            if o < 1:
                raise ValueError(
                    f"{fn}: window of size {k} does not fit the padded input: "
                    f"size {m} + padding {(pb, pa)} = {m + pb + pa} "
                    f"(input shape {tuple(x.shape)}, kernel_size={kernel}, stride={stride}, padding={padding!r}, "
                    f"ceil_mode={bool(ceil_mode)})"
                )
            start = np.arange(o) * s - pb
            out.append(o)
            # In ceil mode the last window may hang past the right padding; pad enough to slice it.
            pads.append((pb, max((o - 1) * s + k - m - pb, 0)))
            # The divisor: the window clipped to the input and its counted padding (torch clips
            # to the padded input, TensorFlow to the input).
            div.append(np.minimum(start + k, m + q) - np.maximum(start, -q))
            # First tap inside the input: torch's argmax starts there, so padding never wins a tie.
            first.append(np.maximum(-start, 0))
        self.nd, self.kernel, self.stride, self.pads = nd, kernel, stride, tuple(pads)
        self.out = tuple(out)
        self.spatial = spatial
        self.unbatched = x.ndim == nd + 1
        self.dtype = float_dtype(np, x)
        lead = x.ndim - nd - 1  # 0 or 1: the batch axis
        if self.channels_last:
            self.out_shape = tuple(x.shape[:lead]) + self.out + tuple(x.shape[-1:])
            # Axis orders between the user's channels-last layout and the channels-first computation.
            self.to_first = tuple(range(lead)) + (x.ndim - 1,) + tuple(range(lead, x.ndim - 1))
            self.to_last = tuple(range(lead)) + tuple(range(lead + 1, x.ndim)) + (lead,)
        else:
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

    def first(self, a):
        """``a`` (an input or an output of the user's layout) as a channels-first view."""
        return a.transpose(self.to_first) if self.channels_last else a

    def last(self, xp, a):
        """A channels-first result in the user's layout, C-contiguous."""
        return xp.ascontiguousarray(a.transpose(self.to_last) if self.channels_last else a)

    def prepare(self, xp, x, fill):
        x = self.first(x.astype(self.dtype, copy=False))
        return pad(xp, x, self.pads, value=fill)

    def divisor_for(self, xp, dtype):
        return self.divisor if isinstance(self.divisor, float) else xp.asarray(self.divisor, dtype=dtype)


def _outer(vectors, op):
    # Combine per-axis vectors into an array over the output grid: op.outer, N-d.
    out = vectors[0]
    for v in vectors[1:]:
        out = op.outer(out, v)
    return out


def _plan(fn, nd, x, kernel_size, stride, padding, ceil_mode, data_format, xp=None):
    if xp is None:
        if type(x) is np.ndarray:
            # NumPy-only fast path: plain ndarrays skip the dispatch.
            xp = np
        else:
            xp = array_namespace(x)
            x = as_numeric_array(xp, x, "input", fn)
    params = (kernel_size, stride, padding, ceil_mode, data_format)
    return xp, x, cached_plan(_PoolPlan, fn, nd, x, None, None, params)


def _max_pool(fn, nd, x, kernel_size, stride, padding, ceil_mode, data_format):
    xp, x, plan = _plan(fn, nd, x, kernel_size, stride, padding, ceil_mode, data_format)
    # -inf padding never wins a max; NaN propagates through maximum as in torch.
    xpad = plan.prepare(xp, x, float("-inf"))
    y = None
    for _, offset in plan.taps():
        window = xpad[plan.tap_slices(offset)]
        y = window.copy() if y is None else xp.maximum(y, window, out=y)
    return plan.last(xp, y)


def _avg_pool(fn, nd, x, kernel_size, stride, padding, ceil_mode, data_format):
    xp, x, plan = _plan(fn, nd, x, kernel_size, stride, padding, ceil_mode, data_format)
    xpad = plan.prepare(xp, x, 0)
    y = None
    for _, offset in plan.taps():
        window = xpad[plan.tap_slices(offset)]
        y = window.copy() if y is None else xp.add(y, window, out=y)
    y /= plan.divisor_for(xp, y.dtype)
    return plan.last(xp, y)


def max_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCW"):
    """1-D max pooling, as ``torch.nn.functional.max_pool1d`` or Keras's ``MaxPooling1D``.

    .. math:: w_O = \\left\\lfloor \\frac{w_I + 2p - w_K}{s} \\right\\rfloor + 1

    (ceil in ``ceil_mode``, dropping a last window that would start in the
    right padding); TensorFlow's "valid" is ``floor((w_I - w_K)/s) + 1`` and
    "same" is ``ceil(w_I/s)``.

    Parameters
    ----------
    x : array, shape (n, c, w_I) or (c, w_I); (n, w_I, c) or (w_I, c) for "NWC"
    kernel_size : int or (int,)
    stride : int, (int,) or None, default None
        ``None`` means ``kernel_size`` (as Keras's ``strides=None``).
    padding : int, (int,), "valid" or "same", default 0
        PyTorch's implicit ``-inf`` padding on both sides, at most half the
        window, or TensorFlow's mode: "valid" (none) or "same" (total padding
        ``max((w_O-1)s + w_K - w_I, 0)``, the odd cell at the end; a padded
        cell never wins).
    ceil_mode : bool, default False
        PyTorch's option, with an int ``padding`` only.
    data_format : {"NCW", "NWC"}, default "NCW"
        "NWC" (or "channels_last") is Keras's layout.

    Returns
    -------
    array, shape (n, c, w_O) or (c, w_O); (n, w_O, c) or (w_O, c) for "NWC"

    Examples
    --------
    >>> import numpy as np
    >>> max_pool1d(np.array([[[1., 3, 2, 5, 4]]]), 2)
    array([[[3., 5.]]])

    Keras's ``MaxPooling1D(pool_size=2, strides=1)`` on ``[1, 2, 3, 4, 5]``:

    >>> x = np.array([1., 2, 3, 4, 5]).reshape(1, 5, 1)
    >>> max_pool1d(x, 2, 1, data_format="NWC")[0, :, 0]
    array([2., 3., 4., 5.])
    >>> max_pool1d(x, 2, 1, padding="same", data_format="NWC")[0, :, 0]
    array([2., 3., 4., 5., 5.])
    """
    return _max_pool("max_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, data_format)


def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCHW"):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d`` or Keras's ``MaxPooling2D``.

    .. math:: h_O = \\left\\lfloor \\frac{h_I + 2p - h_K}{s} \\right\\rfloor + 1

    and likewise for ``w_O`` (ceil in ``ceil_mode``; a last window that would
    start in the right/bottom padding is dropped); TensorFlow's "valid" is
    ``floor((h_I - h_K)/s) + 1`` and "same" is ``ceil(h_I/s)``. NaN in a
    window gives NaN.

    Parameters
    ----------
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I); (n, h_I, w_I, c) or (h_I, w_I, c) for "NHWC"
    kernel_size : int or (int, int)
    stride : int, (int, int) or None, default None
        ``None`` means ``kernel_size`` (as Keras's ``strides=None``).
    padding : int, (int, int), "valid" or "same", default 0
        PyTorch's implicit ``-inf`` padding on both sides, at most half the
        window, or TensorFlow's mode: "valid" (none) or "same" (total padding
        ``max((h_O-1)s + h_K - h_I, 0)`` per axis, the odd row/column at the
        bottom/right; a padded cell never wins).
    ceil_mode : bool, default False
        PyTorch's option, with an int ``padding`` only.
    data_format : {"NCHW", "NHWC"}, default "NCHW"
        "NHWC" (or "channels_last") is Keras's layout.

    Returns
    -------
    array, shape (n, c, h_O, w_O) or (c, h_O, w_O); (n, h_O, w_O, c) or (h_O, w_O, c) for "NHWC"

    Examples
    --------
    >>> import numpy as np
    >>> max_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> max_pool2d(np.ones((2, 3, 5, 5)), 2, ceil_mode=True).shape
    (2, 3, 3, 3)

    Keras's ``MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same")``
    on a 3x3 channels-last map, and 2x2 pooling of a 4x4 map:

    >>> x = np.arange(1., 10.).reshape(1, 3, 3, 1)
    >>> max_pool2d(x, 2, 1, padding="same", data_format="NHWC")[0, :, :, 0]
    array([[5., 6., 6.],
           [8., 9., 9.],
           [8., 9., 9.]])
    >>> x = np.arange(1., 17.).reshape(1, 4, 4, 1)
    >>> max_pool2d(x, 2, padding="same", data_format="NHWC")[0, :, :, 0]
    array([[ 6.,  8.],
           [14., 16.]])
    >>> max_pool2d(np.ones((2, 5, 5, 3)), 2, padding="same", data_format="NHWC").shape
    (2, 3, 3, 3)
    """
    return _max_pool("max_pool2d", 2, x, kernel_size, stride, padding, ceil_mode, data_format)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCW"):
    """1-D average pooling: torch's ``avg_pool1d`` (``count_include_pad=True``), Keras's ``AveragePooling1D``.

    .. math:: w_O = \\left\\lfloor \\frac{w_I + 2p - w_K}{s} \\right\\rfloor + 1

    With an int padding the zeros count in the average; in ``ceil_mode`` a
    window hanging past the right padding is divided by its size clipped to
    the padded input, as torch does. TensorFlow's "valid" is
    ``floor((w_I - w_K)/s) + 1`` and "same" is ``ceil(w_I/s)``, each window
    divided by the number of its real (unpadded) cells.

    Parameters
    ----------
    x : array, shape (n, c, w_I) or (c, w_I); (n, w_I, c) or (w_I, c) for "NWC"
    kernel_size : int or (int,)
    stride : int, (int,) or None, default None
    padding : int, (int,), "valid" or "same", default 0
        PyTorch's zero padding on both sides, at most half the window, or
        TensorFlow's mode: "valid" (none) or "same" (total padding
        ``max((w_O-1)s + w_K - w_I, 0)``, the odd cell at the end).
    ceil_mode : bool, default False
        PyTorch's option, with an int ``padding`` only.
    data_format : {"NCW", "NWC"}, default "NCW"

    Returns
    -------
    array, shape (n, c, w_O) or (c, w_O); (n, w_O, c) or (w_O, c) for "NWC"

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool1d(np.array([[[1., 3, 2, 6]]]), 2)
    array([[[2., 4.]]])

    Keras's ``AveragePooling1D(pool_size=2, strides=1, padding="same")``:
    the last window holds one real cell.

    >>> x = np.array([1., 2, 3, 4, 5]).reshape(1, 5, 1)
    >>> avg_pool1d(x, 2, 1, padding="same", data_format="NWC")[0, :, 0]
    array([1.5, 2.5, 3.5, 4.5, 5. ])
    """
    return _avg_pool("avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, data_format)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCHW"):
    """2-D average pooling: torch's ``avg_pool2d`` (``count_include_pad=True``), Keras's ``AveragePooling2D``.

    .. math:: h_O = \\left\\lfloor \\frac{h_I + 2p - h_K}{s} \\right\\rfloor + 1

    and likewise for ``w_O``. With an int padding the zeros count in the
    average; in ``ceil_mode`` a window hanging past the bottom/right padding
    is divided by its size clipped to the padded input, as torch does.
    TensorFlow's "valid" is ``floor((h_I - h_K)/s) + 1`` and "same" is
    ``ceil(h_I/s)``, each window divided by the number of its real
    (unpadded) cells.

    Parameters
    ----------
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I); (n, h_I, w_I, c) or (h_I, w_I, c) for "NHWC"
    kernel_size : int or (int, int)
    stride : int, (int, int) or None, default None
        ``None`` means ``kernel_size``.
    padding : int, (int, int), "valid" or "same", default 0
        PyTorch's zero padding on both sides, at most half the window, or
        TensorFlow's mode: "valid" (none) or "same" (total padding
        ``max((h_O-1)s + h_K - h_I, 0)`` per axis, the odd row/column at the
        bottom/right).
    ceil_mode : bool, default False
        PyTorch's option, with an int ``padding`` only.
    data_format : {"NCHW", "NHWC"}, default "NCHW"

    Returns
    -------
    array, shape (n, c, h_O, w_O) or (c, h_O, w_O); (n, h_O, w_O, c) or (h_O, w_O, c) for "NHWC"

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])

    Keras's ``AveragePooling2D(pool_size=(2, 2), strides=(1, 1), padding="same")``
    on a 3x3 channels-last map: border windows average their real cells only.

    >>> x = np.arange(1., 10.).reshape(1, 3, 3, 1)
    >>> avg_pool2d(x, 2, 1, padding="same", data_format="NHWC")[0, :, :, 0]
    array([[3. , 4. , 4.5],
           [6. , 7. , 7.5],
           [7.5, 8.5, 9. ]])
    """
    return _avg_pool("avg_pool2d", 2, x, kernel_size, stride, padding, ceil_mode, data_format)
