"""Array-namespace dispatch: NumPy always, CuPy when the inputs are CuPy arrays.

The namespace is chosen from the arrays' types, as ``cupy.get_array_module``
does, so there is no global switch and importing :mod:`reference` never
imports CuPy. The core operations use only functions both libraries provide
(``zeros``, ``matmul``, ``maximum``, ``where``, ``lib.stride_tricks.as_strided``,
reshape/transpose methods); the NumPy-only fast path is :func:`strided_view`.
"""

import numpy as np

__all__ = ["array_namespace", "strided_view"]


def array_namespace(*arrays):
    """Return the array module for ``arrays``: ``cupy`` if any is a CuPy array, else ``numpy``.

    ``None`` entries (an absent bias) are skipped. Anything that is not a CuPy
    array (NumPy arrays, lists, scalars, other array libraries' CPU arrays)
    is handled by NumPy, which converts it with ``numpy.asarray``.

    Examples
    --------
    >>> import numpy as np
    >>> array_namespace(np.zeros(3), None) is np
    True
    """
    for a in arrays:
        # Duck-typing by module name keeps CuPy an optional, lazily imported dependency.
        if a is not None and type(a).__module__.startswith("cupy"):
            import cupy

            return cupy
    return np


def strided_view(xp, a, shape, strides, offset=0):
    """A view of ``a`` with the given shape, byte strides and byte offset (no copy); callers only read it.

    ``a`` must be C-contiguous and the view must stay inside it. NumPy builds
    the view with the ``ndarray`` constructor, which costs a fraction of
    ``as_strided``'s call overhead; other namespaces use their
    ``lib.stride_tricks.as_strided`` on the flattened array from ``offset``.
    """
    if xp is np:
        return np.ndarray(shape, a.dtype, a, offset, strides)
    flat = a.reshape(-1)[offset // a.itemsize :]
    return xp.lib.stride_tricks.as_strided(flat, shape=shape, strides=strides)
