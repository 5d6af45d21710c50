"""Backward passes: gradients of convolution, pooling and ReLU.

Each backward is built from forward machinery: the input-gradient of a
convolution is a transposed convolution (``w^T dout`` then col2im), the
weight-gradient is one matmul of ``dout`` with the forward patch matrix, and
pooling gradients scatter ``dout`` back through the same window slices the
forward pass read.
"""

from . import conv_core
from .activation import relu_backward
from .backend import array_namespace
from .convolution import _ConvPlan
from .pooling import _plan as _pool_plan
from .patches import pad
from .validation import as_numeric_array, cached_plan, float_dtype

__all__ = [
    "conv2d_backward",
    "max_pool1d_backward",
    "max_pool2d_backward",
    "avg_pool1d_backward",
    "avg_pool2d_backward",
    "relu_backward",
]


def _check_dout(fn, dout, expected):
    if tuple(dout.shape) != tuple(expected):
        raise ValueError(
            f"{fn}: dout must have the forward output's shape {tuple(expected)}, got shape {tuple(dout.shape)}"
        )


def conv2d_backward(dout, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv2d` (channels-first) with respect to input, weight and bias.

    Notation: ``n`` batch, ``c_I``/``c_O`` channels, ``h_I, w_I`` input size,
    ``h_K, w_K`` kernel size, ``h_O, w_O`` output size,
    ``h_O = floor((h_I + p_b + p_a - d(h_K-1) - 1)/s) + 1``.

    - ``dx`` is the transposed convolution of ``dout`` with ``w`` (``w^T dout``,
      then col2im), cropped to the input size; for stride 1 it is the forward
      convolution of ``dout`` with the flipped, transposed kernel (Winograd
      F(4x4, 3x3) for wide 3x3 kernels, see :mod:`reference.winograd`).
    - ``dw`` is ``dout`` times the patch matrix of ``x``: one matmul.
    - ``db`` is ``dout`` summed over batch and space.

    Parameters
    ----------
    dout : array, shape (n, c_O, h_O, w_O)
        Gradient of the loss with respect to the convolution's output.
    x : array, shape (n, c_I, h_I, w_I)
        The forward input (unbatched ``(c_I, h_I, w_I)`` with ``dout`` unbatched too).
    w : array, shape (c_O, c_I/groups, h_K, w_K)
        The forward weight.
    stride, padding, dilation, groups
        The forward call's arguments (all forms :func:`conv2d` accepts).

    Returns
    -------
    dx : array, shape of ``x``
    dw : array, shape of ``w``
    db : array, shape (c_O,)

    Examples
    --------
    >>> import numpy as np
    >>> x, w = np.ones((2, 3, 8, 8)), np.ones((4, 3, 3, 3))
    >>> dx, dw, db = conv2d_backward(np.ones((2, 4, 8, 8)), x, w, padding=1)
    >>> dx.shape, dw.shape, db.shape
    ((2, 3, 8, 8), (4, 3, 3, 3), (4,))
    """
    fn = "conv2d_backward"
    xp = array_namespace(dout, x, w)
    dout = as_numeric_array(xp, dout, "dout", fn)
    x = as_numeric_array(xp, x, "input", fn)
    w = as_numeric_array(xp, w, "weight", fn)
    plan = cached_plan(_ConvPlan, fn, 2, x, w, None, (stride, padding, dilation, groups, "NCHW"))
    _check_dout(fn, dout, plan.y_shape[1:] if plan.unbatched else plan.y_shape)
    dt = float_dtype(xp, dout, x, w)
    dout, x, w = (a.astype(dt, copy=False) for a in (dout, x, w))
    if plan.unbatched:
        dout, x = dout[None], x[None]
    # dL/dx is the transposed convolution of dout; dL/dw pairs dout with the forward patches.
    dx = conv_core.transpose(xp, dout, w, plan.dx_geometry())
    dw = conv_core.weight_grad(xp, dout, x, plan.geometry)
    db = dout.sum(axis=(0, 2, 3))
    return (dx[0] if plan.unbatched else dx), dw, db


def _pool_backward_setup(fn, nd, dout, x, kernel_size, stride, padding, ceil_mode, data_format):
    """Namespace, ``dout`` and ``x`` channels-first in the computing dtype, and the forward plan."""
    xp = array_namespace(dout, x)
    dout = as_numeric_array(xp, dout, "dout", fn)
    x = as_numeric_array(xp, x, "input", fn)
    xp, x, plan = _pool_plan(fn, nd, x, kernel_size, stride, padding, ceil_mode, data_format, xp)
    _check_dout(fn, dout, plan.out_shape)
    dt = float_dtype(xp, dout, x)
    return xp, plan.first(dout.astype(dt, copy=False)), plan.first(x.astype(dt, copy=False)), plan


def _max_pool_backward(fn, nd, dout, x, kernel_size, stride, padding, ceil_mode, data_format):
    xp, dout, x, plan = _pool_backward_setup(fn, nd, dout, x, kernel_size, stride, padding, ceil_mode, data_format)
    xpad = pad(xp, x, plan.pads, value=float("-inf"))
    best = xp.full(dout.shape, float("-inf"), dtype=x.dtype)
    # Padding positions hold -inf and start from the first in-input tap, so they never win.
    arg = xp.asarray(plan.first_tap)
    for t, offset in plan.taps():
        v = xpad[plan.tap_slices(offset)]
        better = (v > best) | xp.isnan(v)
        best = xp.where(better, v, best)
        arg = xp.where(better, t, arg)
    dx = xp.zeros(xpad.shape, dtype=x.dtype)
    zero = xp.zeros((), dtype=x.dtype)
    for t, offset in plan.taps():
        dx[plan.tap_slices(offset)] += xp.where(arg == t, dout, zero)
    return plan.last(xp, dx[plan.crop()])


def _avg_pool_backward(fn, nd, dout, x, kernel_size, stride, padding, ceil_mode, data_format):
    xp, dout, x, plan = _pool_backward_setup(fn, nd, dout, x, kernel_size, stride, padding, ceil_mode, data_format)
    share = dout / plan.divisor_for(xp, dout.dtype)
    padded = tuple(x.shape[:-nd]) + tuple(m + b + a for m, (b, a) in zip(plan.spatial, plan.pads))
    dx = xp.zeros(padded, dtype=x.dtype)
    for _, offset in plan.taps():
        dx[plan.tap_slices(offset)] += share
    return plan.last(xp, dx[plan.crop()])


def max_pool1d_backward(dout, x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCW"):
    """Gradient of :func:`max_pool1d` with respect to its input, by :func:`max_pool2d_backward`'s rule.

    Parameters
    ----------
    dout, x : arrays, shapes (n, c, w_O) and (n, c, w_I); (n, w_O, c) and (n, w_I, c) for "NWC"
        The gradient with respect to the pooled output, and the forward input
        (both without the batch axis, or both with it).
    kernel_size, stride, padding, ceil_mode, data_format
        The forward call's arguments.

    Returns
    -------
    array, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> max_pool1d_backward(np.ones((1, 3, 1)), np.array([[[1.], [3], [2], [5], [4]]]), 2,
    ...                     padding="same", data_format="NWC")[0, :, 0]
    array([0., 1., 0., 1., 1.])
    """
    return _max_pool_backward("max_pool1d_backward", 1, dout, x, kernel_size, stride, padding, ceil_mode, data_format)


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCHW"):
    """Gradient of :func:`max_pool2d` with respect to its input.

    Each window's gradient goes to the position of its maximum; on ties, to
    the first maximum in window order (row-major), and to the last NaN when
    the window holds NaN: torch's rule, so the result equals torch autograd's.
    Padded cells ("same" or an int padding) never receive any. Overlapping
    windows accumulate.

    Parameters
    ----------
    dout : array, shape (n, c, h_O, w_O) or (c, h_O, w_O); (n, h_O, w_O, c) for "NHWC"
        Gradient with respect to the pooled output.
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I); (n, h_I, w_I, c) for "NHWC"
        The forward input.
    kernel_size, stride, padding, ceil_mode, data_format
        The forward call's arguments (padding: an int, "valid" or "same").

    Returns
    -------
    array, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1., 2], [4, 3]]]])
    >>> max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
    array([[[[0., 0.],
             [1., 0.]]]])
    >>> max_pool2d_backward(np.ones((1, 2, 2, 1)), np.arange(9.).reshape(1, 3, 3, 1), 2,
    ...                     padding="same", data_format="NHWC")[0, :, :, 0]
    array([[0., 0., 0.],
           [0., 1., 1.],
           [0., 1., 1.]])
    """
    return _max_pool_backward("max_pool2d_backward", 2, dout, x, kernel_size, stride, padding, ceil_mode, data_format)


def avg_pool1d_backward(dout, x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCW"):
    """Gradient of :func:`avg_pool1d` with respect to its input, by :func:`avg_pool2d_backward`'s rule.

    Parameters
    ----------
    dout, x : arrays, shapes (n, c, w_O) and (n, c, w_I); (n, w_O, c) and (n, w_I, c) for "NWC"
        The gradient with respect to the pooled output, and the forward input
        (only its shape and dtype matter).
    kernel_size, stride, padding, ceil_mode, data_format
        The forward call's arguments.

    Returns
    -------
    array, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool1d_backward(np.ones((1, 1, 2)), np.zeros((1, 1, 3)), 2, padding="same")
    array([[[0.5, 0.5, 1. ]]])
    """
    return _avg_pool_backward("avg_pool1d_backward", 1, dout, x, kernel_size, stride, padding, ceil_mode, data_format)


def avg_pool2d_backward(dout, x, kernel_size, stride=None, padding=0, ceil_mode=False, *, data_format="NCHW"):
    """Gradient of :func:`avg_pool2d` with respect to its input.

    Each window spreads ``dout / divisor`` evenly over its positions, with the
    forward pass's divisor (the padded window with an int padding, as torch's
    ``count_include_pad=True``; the real cells only with "same", as
    TensorFlow); overlapping windows accumulate and the padding's share is
    dropped.

    Parameters
    ----------
    dout : array, shape (n, c, h_O, w_O) or (c, h_O, w_O); (n, h_O, w_O, c) for "NHWC"
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I); (n, h_I, w_I, c) for "NHWC"
        The forward input (only its shape and dtype matter).
    kernel_size, stride, padding, ceil_mode, data_format
        The forward call's arguments.

    Returns
    -------
    array, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 2)
    array([[[[0.25, 0.25],
             [0.25, 0.25]]]])
    """
    return _avg_pool_backward("avg_pool2d_backward", 2, dout, x, kernel_size, stride, padding, ceil_mode, data_format)
