"""Patch gathering for N-d convolution: pad, im2col, col2im.

Arrays are channels-first, ``(n, c, *spatial)``. Every helper takes the array
namespace ``xp`` first and uses only operations NumPy and CuPy share.

Notation: ``n`` batch, ``c`` channels, ``k_i`` kernel length, ``s_i`` stride,
``d_i`` dilation and ``o_i`` output length along spatial axis ``i``;
``K = prod(k_i)`` and ``P = prod(o_i)``.
"""

import itertools
import math

from .backend import strided_view

__all__ = ["pad", "window_strides", "im2col", "col2im", "window_slices"]


def pad(xp, x, pads, value=0):
    """Pad the trailing ``len(pads)`` axes of ``x`` with ``(before, after)`` pairs of ``value``.

    Always returns a C-contiguous array (the input itself when it already is
    and no padding is asked for).
    """
    if not any(b or a for b, a in pads):
        return x if x.flags.c_contiguous else xp.ascontiguousarray(x)
    lead = x.ndim - len(pads)
    shape = tuple(x.shape[:lead]) + tuple(m + b + a for m, (b, a) in zip(x.shape[lead:], pads))
    out = xp.zeros(shape, dtype=x.dtype) if value == 0 else xp.full(shape, value, dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(b, b + m) for m, (b, _) in zip(x.shape[lead:], pads))] = x
    return out


def window_strides(padded, stride, dilation, channels, itemsize):
    """Byte strides of the ``(n, c, *kernel, *out)`` window view of a C-contiguous ``(n, c, *padded)`` array.

    The next image is ``c * prod(padded)`` elements on, the next channel
    ``prod(padded)``; kernel tap ``j_i`` moves ``d_i`` rows of axis ``i`` and
    output position ``o_i`` moves ``s_i`` rows.
    """
    nd = len(padded)
    pitch = [1] * nd
    for a in range(nd - 2, -1, -1):
        pitch[a] = pitch[a + 1] * padded[a + 1]
    plane = pitch[0] * padded[0]
    elements = (channels * plane, plane) + tuple(p * d for p, d in zip(pitch, dilation)) + tuple(p * s for p, s in zip(pitch, stride))
    return tuple(e * itemsize for e in elements)


def im2col(xp, xpad, window_shape, strides, batch_inner=False, out=None):
    """Contiguous patch matrix of the padded input ``(n, c, *padded)``.

    ``window_shape`` is ``(c, *kernel, *out)`` and ``strides`` comes from
    :func:`window_strides`. Row ``c*K + j`` holds kernel tap ``j`` of channel
    ``c``, so one matmul with weights reshaped to ``(c_O, c*K)`` is the
    convolution. Returns ``(n, c*K, P)``, one matrix per image, or with
    ``batch_inner`` one ``(c*K, n*P)`` matrix whose columns run over images
    and positions (one long matmul per chunk of images). The gather is a
    strided view copied once by ``reshape`` (free for a 1x1 kernel with stride 1),
    or, with ``batch_inner``, into ``out`` when given: a reused C-contiguous
    buffer of shape ``(c, *kernel, n, *out)``.
    """
    n = xpad.shape[0]
    nd = (len(window_shape) - 1) // 2
    c, K, P = window_shape[0], math.prod(window_shape[1 : 1 + nd]), math.prod(window_shape[1 + nd :])
    if batch_inner:
        shape = tuple(window_shape[: 1 + nd]) + (n,) + tuple(window_shape[1 + nd :])
        order = strides[1 : 2 + nd] + strides[:1] + strides[2 + nd :]
        view = strided_view(xp, xpad, shape, order)
        if out is None:
            return view.reshape(c * K, n * P)
        out[...] = view
        return out.reshape(c * K, n * P)
    return strided_view(xp, xpad, (n,) + tuple(window_shape), strides).reshape(n, c * K, P)


def window_slices(offset, stride, dilation, out_sizes):
    """Index of the input samples that kernel tap ``offset`` touches for every output position."""
    return (Ellipsis,) + tuple(
        slice(j * d, j * d + (o - 1) * s + 1, s) for j, s, d, o in zip(offset, stride, dilation, out_sizes)
    )


def col2im(xp, cols, padded_sizes, stride, dilation, out=None):
    """Adjoint of :func:`im2col`: scatter-add columns ``(n, c, *kernel, *out)`` into ``(n, c, *padded_sizes)``.

    One slice-add per kernel tap, each over all channels and output positions
    (overlapping windows accumulate), instead of an unbuffered ``add.at``.
    Accumulates into ``out`` when given (it must hold zeros or a partial sum).
    """
    nd = len(padded_sizes)
    kernel = cols.shape[2 : 2 + nd]
    out_sizes = cols.shape[2 + nd :]
    if out is None:
        out = xp.zeros(tuple(cols.shape[:2]) + tuple(padded_sizes), dtype=cols.dtype)
    for offset in itertools.product(*(range(k) for k in kernel)):
        out[window_slices(offset, stride, dilation, out_sizes)] += cols[(slice(None), slice(None)) + offset]
    return out
