"""The forward operations written as plain loops: readable, slow, a second oracle.

Each function computes one output value at a time, straight from its
definition, and shares nothing with the vectorised code except argument
validation and the output-size arithmetic (so both raise the same errors and
agree on shapes). Channels-first only; NumPy arrays only.

Notation: ``n`` batch, ``c_I``/``c_O`` channels, ``k`` kernel length,
``s`` stride, ``d`` dilation, ``p_b``/``p_a`` padding before/after.
"""

import itertools

import numpy as np

from .arithmetic import _conv_out, _pool_out, _transpose_out
from .convolution import _ConvPlan, _TransposePlan
from .correlation import _mode_padding
from .pooling import _PoolPlan
from .validation import as_numeric_array, float_dtype

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "correlate2d",
    "convolve2d",
    "relu",
]


def _arrays(fn, *named):
    """Float arrays in the dtype the first two (input and weight) decide; a bias follows it."""
    out = [None if a is None and name == "bias" else as_numeric_array(np, a, name, fn) for name, a in named]
    dt = float_dtype(np, *[a for a in out[:2] if a is not None])
    return [None if a is None else np.array(a, dtype=dt) for a in out]  # (a NumPy scalar becomes a 0-d array)


def _conv(fn, nd, x, w, b, stride, padding, dilation, groups):
    x, w, b = _arrays(fn, ("input", x), ("weight", w), ("bias", b))
    # Validation shared with the vectorised code: same errors, same padding resolution.
    plan = _ConvPlan(fn, nd, x, w, b, stride, padding, dilation, groups, "NC" + "DHW"[3 - nd :])
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    n, c_in = x.shape[:2]
    c_out, c_in_per_group = w.shape[:2]
    kernel = w.shape[2:]
    c_out_per_group = c_out // groups
    pads = plan.pads
    out_sizes = [
        _conv_out(m, k, before, after, s, d)
        for m, k, (before, after), s, d in zip(x.shape[2:], kernel, pads, plan.stride, plan.dilation)
    ]
    xpad = np.pad(x, ((0, 0), (0, 0)) + pads)
    y = np.zeros((n, c_out) + tuple(out_sizes), dtype=x.dtype)
    for i in range(n):
        for o in range(c_out):
            group = o // c_out_per_group
            channels = slice(group * c_in_per_group, (group + 1) * c_in_per_group)
            for position in itertools.product(*(range(m) for m in out_sizes)):
                # The window: every d-th sample from position*s, k samples per axis.
                window = tuple(
                    slice(q * s, q * s + d * (k - 1) + 1, d)
                    for q, s, d, k in zip(position, plan.stride, plan.dilation, kernel)
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


def conv_transpose2d(x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Loop version of :func:`reference.conv_transpose2d`: scatter each input pixel's scaled kernel.

    For every input pixel ``x[i, c, r, q]`` the kernel ``w[c]`` (all output
    channels of ``c``'s group) times that pixel is added to the output window
    starting at ``(r*s_h, q*s_w)``, taps ``d`` apart; then ``padding`` is cropped.
    ``h_O = (h_I - 1)s - p_b - p_a + d(h_K - 1) + output_padding + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    """
    fn = "conv_transpose2d"
    x, w, b = _arrays(fn, ("input", x), ("weight", w), ("bias", b))
    plan = _TransposePlan(fn, 2, x, w, b, stride, padding, output_padding, dilation, groups)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    n, c_in, h_in, w_in = x.shape
    c_out_per_group, (h_k, w_k) = w.shape[1], w.shape[2:]
    c_in_per_group = c_in // groups
    (s_h, s_w), (d_h, d_w) = plan.stride, plan.dilation
    (top, bottom), (left, right) = plan.pads
    # output_padding only adds rows/columns at the end; they receive no scattered values.
    (op_h, op_w) = plan.output_padding
    h_out = _transpose_out(h_in, h_k, s_h, top, bottom, op_h, d_h)
    w_out = _transpose_out(w_in, w_k, s_w, left, right, op_w, d_w)
    full = np.zeros((n, c_out_per_group * groups, h_out + top + bottom, w_out + left + right), dtype=x.dtype)
    for i in range(n):
        for c in range(c_in):
            group = c // c_in_per_group
            out_channels = slice(group * c_out_per_group, (group + 1) * c_out_per_group)
            for r in range(h_in):
                for q in range(w_in):
                    for kr in range(h_k):
                        for kq in range(w_k):
                            full[i, out_channels, r * s_h + kr * d_h, q * s_w + kq * d_w] += x[i, c, r, q] * w[c, :, kr, kq]
    y = full[:, :, top : top + h_out, left : left + w_out]
    if b is not None:
        y = y + b[:, None, None]
    return y[0] if unbatched else y


def _pool(fn, x, kernel_size, stride, padding, ceil_mode, reduce):
    (x,) = _arrays(fn, ("input", x))
    plan = _PoolPlan(fn, 2, x, None, None, kernel_size, stride, padding, ceil_mode)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    n, c, h, w = x.shape
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = plan.kernel, plan.stride, (plan.pads[0][0], plan.pads[1][0])
    h_out, w_out = _pool_out(h, k_h, s_h, p_h, bool(ceil_mode)), _pool_out(w, k_w, s_w, p_w, bool(ceil_mode))
    y = np.zeros((n, c, h_out, w_out), dtype=x.dtype)
    for i in range(n):
        for ch in range(c):
            for r in range(h_out):
                for q in range(w_out):
                    # The window in input coordinates, clipped to the padded input as torch does.
                    r0, q0 = r * s_h - p_h, q * s_w - p_w
                    r1, q1 = min(r0 + k_h, h + p_h), min(q0 + k_w, w + p_w)
                    window_size = (r1 - r0) * (q1 - q0)
                    window = x[i, ch, max(r0, 0) : min(r1, h), max(q0, 0) : min(q1, w)]
                    y[i, ch, r, q] = reduce(window, window_size)
    return y[0] if unbatched else y


def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Loop version of :func:`reference.max_pool2d`: the largest value of each window (NaN if it holds one).

    Examples
    --------
    >>> import numpy as np
    >>> max_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    return _pool("max_pool2d", x, kernel_size, stride, padding, ceil_mode, lambda window, size: np.max(window))


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Loop version of :func:`reference.avg_pool2d`: each window's sum over its size, padding included.

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.ones((1, 1, 3, 3)), 2, padding=1)
    array([[[[0.25, 0.5 ],
             [0.5 , 1.  ]]]])
    """
    return _pool("avg_pool2d", x, kernel_size, stride, padding, ceil_mode, lambda window, size: np.sum(window) / size)


def _single_image(fn, image, kernel, mode, flip):
    image, kernel = _arrays(fn, ("image", image), ("kernel", kernel))
    for name, a in (("image", image), ("kernel", kernel)):
        if a.ndim != 2 or 0 in a.shape:
            raise ValueError(f"{fn}: {name} must be a non-empty 2-D array, got shape {tuple(a.shape)}")
    (top, bottom), (left, right) = _mode_padding(fn, mode, kernel.shape, flip)
    h, w = image.shape
    k_h, k_w = kernel.shape
    h_out, w_out = _conv_out(h, k_h, top, bottom, 1, 1), _conv_out(w, k_w, left, right, 1, 1)
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{fn}: kernel shape {kernel.shape} is larger than the image {image.shape} in mode {mode!r}")
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
    (x,) = _arrays("relu", ("x", x))
    y = x.copy()
    for index in np.ndindex(*x.shape):
        if x[index] < 0:
            y[index] = 0.0
    return y
