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
from .validation import as_numeric_array, cached_plan, float_dtype

__all__ = ["conv2d_backward", "max_pool2d_backward", "avg_pool2d_backward", "relu_backward"]


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
      F(2x2, 3x3) for wide 3x3 kernels, see :mod:`reference.winograd`).
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


def _pool_backward_setup(fn, dout, x, kernel_size, stride, padding, ceil_mode):
    xp = array_namespace(dout, x)
    dout = as_numeric_array(xp, dout, "dout", fn)
    x = as_numeric_array(xp, x, "input", fn)
    xp, x, plan = _pool_plan(fn, 2, x, kernel_size, stride, padding, ceil_mode, xp)
    _check_dout(fn, dout, plan.out_shape)
    dt = float_dtype(xp, dout, x)
    return xp, dout.astype(dt, copy=False), x.astype(dt, copy=False), plan


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Gradient of :func:`max_pool2d` with respect to its input.

    Each window's gradient goes to the position of its maximum; on ties, to
    the first maximum in window order (row-major), and to the last NaN when
    the window holds NaN: torch's rule, so the result equals torch autograd's.
    Overlapping windows accumulate.

    Parameters
    ----------
    dout : array, shape (n, c, h_O, w_O) or (c, h_O, w_O)
        Gradient with respect to the pooled output.
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I)
        The forward input.
    kernel_size, stride, padding, ceil_mode
        The forward call's arguments.

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
    """
    fn = "max_pool2d_backward"
    xp, dout, x, plan = _pool_backward_setup(fn, dout, x, kernel_size, stride, padding, ceil_mode)
    xpad = plan.prepare(xp, x, float("-inf"))
    best = xp.full(plan.out_shape, float("-inf"), dtype=x.dtype)
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
    return xp.ascontiguousarray(dx[plan.crop()])


def avg_pool2d_backward(dout, x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Gradient of :func:`avg_pool2d` (``count_include_pad=True``) with respect to its input.

    Each window spreads ``dout / divisor`` evenly over its positions (the
    divisor torch uses, including padding); overlapping windows accumulate and
    the padding's share is dropped.

    Parameters
    ----------
    dout : array, shape (n, c, h_O, w_O) or (c, h_O, w_O)
    x : array, shape (n, c, h_I, w_I) or (c, h_I, w_I)
        The forward input (only its shape and dtype matter).
    kernel_size, stride, padding, ceil_mode
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
    fn = "avg_pool2d_backward"
    xp, dout, x, plan = _pool_backward_setup(fn, dout, x, kernel_size, stride, padding, ceil_mode)
    divisor = plan.divisor if isinstance(plan.divisor, float) else xp.asarray(plan.divisor, dtype=dout.dtype)
    share = dout / divisor
    padded = tuple(x.shape[:-2]) + tuple(m + b + a for m, (b, a) in zip(plan.spatial, plan.pads))
    dx = xp.zeros(padded, dtype=x.dtype)
    for _, offset in plan.taps():
        dx[plan.tap_slices(offset)] += share
    return xp.ascontiguousarray(dx[plan.crop()])
