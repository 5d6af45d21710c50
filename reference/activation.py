"""The rectified linear unit and its gradient."""

from .backend import array_namespace
from .validation import as_numeric_array, float_dtype

__all__ = ["relu", "relu_backward"]


def relu(x):
    """Rectified linear unit, ``max(x, 0)`` elementwise, as ``torch.relu``.

    Parameters
    ----------
    x : array, any shape
        Integer and bool input is promoted to float64. NaN stays NaN.

    Returns
    -------
    array, same shape as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    xp = array_namespace(x)
    x = as_numeric_array(xp, x, "x", "relu")
    x = x.astype(float_dtype(xp, x), copy=False)
    # maximum propagates NaN, as torch.relu does.
    return xp.maximum(x, 0)


def relu_backward(dout, x):
    """Gradient of :func:`relu`: ``dout`` where ``x > 0``, else 0 (0 at ``x == 0``, as torch).

    Like torch's ``threshold_backward``, the gradient is zeroed where
    ``x <= 0`` and passed through elsewhere, so a NaN input passes ``dout``.

    Parameters
    ----------
    dout : array, shape like ``x``
        Upstream gradient (of the loss with respect to ``relu(x)``).
    x : array
        The forward input.

    Returns
    -------
    array, shape of ``x``
        Gradient of the loss with respect to ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    fn = "relu_backward"
    xp = array_namespace(dout, x)
    dout = as_numeric_array(xp, dout, "dout", fn)
    x = as_numeric_array(xp, x, "x", fn)
    if tuple(dout.shape) != tuple(x.shape):
        raise ValueError(f"{fn}: dout must have the shape of x, got dout shape {tuple(dout.shape)} and x shape {tuple(x.shape)}")
    dt = float_dtype(xp, dout, x)
    return xp.where(x <= 0, xp.zeros((), dtype=dt), dout.astype(dt, copy=False))
