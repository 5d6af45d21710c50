"""The channels-first N-d convolution engine shared by forward, transposed and backward passes.

Shapes: input ``x (n, c, *spatial)``, weight ``w (o, c/groups, *kernel)``,
output ``y (n, o, *out)``. Arguments arrive validated (see ``convolution.py``);
a :class:`Geometry` holds one signature's index arithmetic and is cached with it.

Patches are gathered one of two ways, chosen per signature by a cost estimate:

- **im2col**: every kernel tap of every output position is copied into a
  contiguous ``(c*K, m*P)`` matrix for a chunk of ``m`` images (about
  0.5 MiB, still in cache when BLAS packs it), then one matmul with ``w`` as ``(o, c*K)``.
- **row taps** (stride 1 only): only the last axis' ``k`` taps of the
  flattened padded input are copied (``k`` copies instead of ``K``, long
  contiguous runs). Every other tap is then a constant offset into that copy,
  so it is one matmul on a strided view of it, and the taps' products are
  summed. Outputs are computed at the padded grid's row pitch; the few
  columns that fall past the edge are dropped at the end.

- **Winograd F(4x4, 3x3)** (:mod:`reference.winograd`) for 2-d 3x3, stride 1,
  dilation 1, groups 1 convolutions with enough channels: 4 times fewer
  multiplications, every transform a matrix product, in cache-sized blocks
  of tiles. Used only where :func:`reference.winograd.applies` and
  the input and weight are finite (the transforms' sums would turn one
  ``inf`` into ``inf - inf = nan``); a non-finite result (an overflow inside
  a transform) is recomputed by the paths above. Its float32 rounding error
  is bounded by the terms of the whole output tile rather than of each
  output (see the module).

A large NumPy batch is split into one share of images per BLAS thread, each
run in a worker thread with a one-thread BLAS (:func:`_shares`): no GEMM then
waits on a second thread that a loaded machine has descheduled.

The transposed convolution is the adjoint of this one: ``w^T x`` then col2im,
or, for stride 1, the same forward engine with the flipped kernel
(Dumoulin & Visin, relationship 8).
"""

import contextlib
import itertools
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

from .backend import strided_view
from . import winograd
from .patches import col2im, im2col, window_strides

# A transposed convolution's column buffer (one batch chunk) stays under this many bytes.
CHUNK_BYTES = 256 * 2**20
# The im2col paths (forward, weight gradient) gather this many bytes of patches per matmul: still in L2 when BLAS
# packs them (0.5 MiB measured best of 0.25-8 MiB), and one matmul spans several small images.
GEMM_CHUNK_BYTES = 2**19
# A NumPy batch of at least this many multiply-adds is split across BLAS's threads, each thread
# running its share of the images with a one-thread BLAS (see _shares).
SPLIT_MIN_MACS = 2 * 10**7
# The row-taps path works image by image in blocks this small, so its temporaries stay in cache.
_CACHE_BYTES = 4 * 2**20
# Cost model (seconds): NumPy copies run on one core, BLAS on all; a matmul with a thin side is
# bound by reading its operands, not by arithmetic; every NumPy call costs about a microsecond.
_COPY_RATE = 1.0e10
_FLOP_RATE = 1.5e11
_CALL = 1.0e-6
# Below this inner dimension a matmul is dominated by packing, and the row-taps path loses.
_MIN_ROW_TAPS_DEPTH = 64


def _copy_cost(elements, itemsize):
    return elements * itemsize / _COPY_RATE


def _matmul_cost(m, k, n, itemsize):
    """Time of ``(m, k) @ (k, n)``: arithmetic, or reading the operands when a side is thin."""
    return max(2.0 * m * k * n / _FLOP_RATE, _copy_cost(m * k + k * n + m * n, itemsize) / 3)


class Geometry:
    """Index arithmetic of one channels-first convolution (stride, dilation, explicit padding)."""

    def __init__(self, c, o, groups, spatial, kernel, stride, dilation, pads, itemsize, n=1):
        nd = len(kernel)
        self.nd, self.c, self.o, self.groups, self.itemsize = nd, c, o, groups, itemsize
        self.spatial, self.kernel, self.stride, self.dilation = tuple(spatial), tuple(kernel), tuple(stride), tuple(dilation)
        self.pads = tuple(pads)
        self.padded = tuple(m + b + a for m, (b, a) in zip(spatial, pads))
        self.out = tuple((p - d * (k - 1) - 1) // s + 1 for p, k, s, d in zip(self.padded, kernel, stride, dilation))
        g, K, P = groups, math.prod(kernel), math.prod(self.out)
        self.K, self.P = K, P
        if g == 1:
            self.w_shape, self.cols_shape, self.mm_shape = (o, c * K), (c * K, P), (o, P)
        else:
            self.w_shape, self.cols_shape, self.mm_shape = (g, o // g, c // g * K), (g, c // g * K, P), (g, o // g, P)
        self.gemm_chunk = max(1, GEMM_CHUNK_BYTES // max(1, c * K * P * itemsize))
        self.macs = o * P * c // g * K  # multiply-adds per image: decides whether a batch is split
        # Estimated seconds for a batch of n of each gathering scheme; the cheaper one is used.
        self.cost = n * (_copy_cost(c * K * P, itemsize) + g * _matmul_cost(o // g, c // g * K, P, itemsize)) + 3 * _CALL
        self.row_taps = self._row_taps_layout(n)
        self.winograd = winograd.applies(nd, c, o, groups, kernel, stride, dilation, self.out)
        if self.row_taps is not None:
            self.cost = self.row_taps.cost
        # Precomputed for the per-call path (tiny teaching shapes are dominated by Python overhead).
        self.needs_pad = any(b or a for b, a in self.pads)
        self.interior = (Ellipsis,) + tuple(slice(b, b + m) for m, (b, _) in zip(spatial, self.pads))
        self.window_shape = (c,) + self.kernel + self.out
        self._window_strides = {}

    def window_strides(self, itemsize):
        """Byte strides of the im2col window view, per itemsize (computed once each)."""
        strides = self._window_strides.get(itemsize)
        if strides is None:
            strides = self._window_strides[itemsize] = window_strides(
                self.padded, self.stride, self.dilation, self.c, itemsize
            )
        return strides

    def _row_taps_layout(self, n):
        """The row-taps layout when it is possible and cheaper than im2col, else None."""
        nd, c, o, g, it = self.nd, self.c, self.o, self.groups, self.itemsize
        if nd < 2 or any(s != 1 for s in self.stride) or c // g * self.kernel[-1] < _MIN_ROW_TAPS_DEPTH:
            return None
        padded, out, kernel, dilation = self.padded, self.out, self.kernel, self.dilation
        pitch = [math.prod(padded[a + 1 :]) for a in range(nd)]  # element strides of the flattened padded grid
        plane = math.prod(padded)
        # Extended output: flat positions 0 .. M-1 on the padded grid's pitch; the last valid one is M-1.
        M = 1 + sum((m - 1) * p for m, p in zip(out, pitch))
        length = plane - (kernel[-1] - 1) * dilation[-1]
        taps = self.K // kernel[-1]
        per_image = (c * kernel[-1] * length + 2 * o * out[0] * pitch[0]) * it
        chunk = max(1, _CACHE_BYTES // per_image)
        cost = n * (
            _copy_cost(c * kernel[-1] * length + 2 * o * self.P, it)
            + taps * g * _matmul_cost(o // g, c // g * kernel[-1], M, it)
            # the running sum stays in cache: a fraction of a copy
            + 0.3 * (taps - 1) * _copy_cost(o * M, it)
        ) + -(-n // chunk) * (2 * taps + 4) * _CALL
        if cost >= self.cost:
            return None
        offsets = [
            sum(i * d * p for i, d, p in zip(tap, dilation, pitch))
            for tap in itertools.product(*(range(k) for k in kernel[:-1]))
        ]
        return RowTaps(M, out[0] * pitch[0], length, offsets, chunk, cost)


class RowTaps:
    """Layout of the row-taps scheme for one geometry.

    ``M``: extended output positions computed per image (up to the last valid
    one); ``full``: positions of the extended buffer (``out[0]`` times the
    padded row pitch); ``length``: samples per gathered tap row; ``offsets``:
    flat offset of every non-last kernel tap; ``chunk``: images per block;
    ``cost``: the estimate that chose it.
    """

    def __init__(self, M, full, length, offsets, chunk, cost):
        self.M, self.full, self.length, self.offsets, self.chunk, self.cost = M, full, length, offsets, chunk, cost


def _pad(xp, x, geom):
    """Zero-padded, C-contiguous copy of ``x`` (``x`` itself when no padding is needed)."""
    if not geom.needs_pad:
        return x if x.flags.c_contiguous else xp.ascontiguousarray(x)
    xpad = xp.zeros((x.shape[0], geom.c) + geom.padded, dtype=x.dtype)
    xpad[geom.interior] = x
    return xpad


def forward(xp, x, w, geom):
    """``y = conv(x, w)`` for channels-first ``x (n, c, *spatial)`` and ``w (o, c/g, *kernel)``."""
    n = x.shape[0]
    if n < 2 or n * geom.macs < SPLIT_MIN_MACS:  # the common small call, without the split's bookkeeping
        return _forward(xp, x, w, geom)
    parts = _shares(xp, n, n * geom.macs, lambda n0, n1: _forward(xp, x[n0:n1], w, geom))
    return parts[0] if len(parts) == 1 else xp.concatenate(parts)


def _forward(xp, x, w, geom):
    """:func:`forward` on one thread's share of the batch."""
    if geom.winograd and bool(xp.isfinite(x).all()) and bool(xp.isfinite(w).all()):
        # An overflow inside a transform is not the user's: no warning, the direct path recomputes it.
        with np.errstate(over="ignore", invalid="ignore") if xp is np else contextlib.nullcontext():
            y = winograd.forward(xp, x, w, geom.pads)
        if bool(xp.isfinite(y).all()):
            return y
    return _forward_direct(xp, x, w, geom)


def _forward_direct(xp, x, w, geom):
    """:func:`forward` by im2col or row taps (every geometry; the reference for Winograd)."""
    xpad = _pad(xp, x, geom)
    if geom.row_taps is not None:
        return _forward_row_taps(xp, xpad, w, geom)
    return _forward_im2col(xp, xpad, w, geom)


def _forward_im2col(xp, xpad, w, geom):
    """``y (n, o, *out)`` from the padded input: per chunk of ``m`` images, ``([g,] o/g, c/g*K) @ ([g,] c/g*K, m*P)``.

    The chunk's patches are gathered batch-inner (columns run over images, then positions) into one
    reused buffer of about :data:`GEMM_CHUNK_BYTES`, so each matmul is one wide product; its
    ``(o, m, P)`` result is then moved to ``(m, o, P)`` (for ``m = 1`` it lands in ``y`` directly).
    """
    n, o, P, dt = xpad.shape[0], geom.o, geom.P, xpad.dtype
    wm = w.reshape(geom.w_shape)
    if n == 1:  # one image (the teaching shapes): the gather is the reshape's copy, no buffers
        cols = strided_view(xp, xpad, geom.window_shape, geom.window_strides(xpad.itemsize)[1:])
        return xp.matmul(wm, cols.reshape(geom.cols_shape)).reshape((1, o) + geom.out)
    m = min(n, geom.gemm_chunk)
    rows = geom.c * geom.K
    cols_buf = xp.empty(rows * m * P, dtype=dt)
    prod_buf = xp.empty(o * m * P, dtype=dt) if m > 1 else None
    y = xp.empty((n, o) + geom.out, dtype=dt)
    strides = geom.window_strides(xpad.itemsize)
    for n0 in range(0, n, m):
        n1 = min(n, n0 + m)
        k = n1 - n0
        cols = cols_buf[: rows * k * P].reshape(geom.window_shape[: 1 + geom.nd] + (k,) + geom.out)
        cols = im2col(xp, xpad[n0:n1], geom.window_shape, strides, batch_inner=True, out=cols)
        if k == 1:
            prod = y[n0].reshape(geom.mm_shape)
        else:
            prod = prod_buf[: o * k * P].reshape(geom.mm_shape[:-1] + (k * P,))
        xp.matmul(wm, cols if geom.groups == 1 else cols.reshape(geom.cols_shape[:-1] + (k * P,)), out=prod)
        if k > 1:
            y[n0:n1] = prod.reshape((o, k) + geom.out).swapaxes(0, 1)
    return y


class _BlasThreads:
    """NumPy's BLAS thread count, read and limited through threadpoolctl (its controller built on first use)."""

    def __init__(self):
        self._controller = None
        # Held while a split call runs: two of them at once would restore each other's limit wrongly.
        self.lock = threading.Lock()
        self.pool, self.workers = None, 0

    def controller(self):
        if self._controller is None:
            self._controller = ThreadpoolController().select(user_api="blas")
        return self._controller

    def count(self):
        return max((lib.num_threads for lib in self.controller().lib_controllers), default=1)


_BLAS = _BlasThreads()


def _shares(xp, n, macs, run):
    """``[run(n0, n1), ...]`` over the batch ``0:n``: one call, or for a large NumPy batch one share per BLAS thread.

    Each share runs in a worker thread with BLAS limited to one thread for the duration: on a loaded
    machine a multithreaded GEMM stalls whenever one of its threads loses its core (a 10x "cliff"),
    whereas independent one-thread GEMMs only slow down in proportion. NumPy releases the GIL in
    copies and matmuls, so the shares' patch gathering runs in parallel too.
    """
    if xp is not np or n < 2 or macs < SPLIT_MIN_MACS or not _BLAS.lock.acquire(blocking=False):
        return [run(0, n)]
    try:
        threads = min(n, _BLAS.count())
        if threads < 2:
            return [run(0, n)]
        if _BLAS.workers < threads:
            _BLAS.pool, _BLAS.workers = ThreadPoolExecutor(threads, thread_name_prefix="reference-conv"), threads
        bounds = [n * i // threads for i in range(threads + 1)]
        with _BLAS.controller().limit(limits=1):
            jobs = [_BLAS.pool.submit(run, n0, n1) for n0, n1 in zip(bounds[:-1], bounds[1:])]
            return [job.result() for job in jobs]
    finally:
        _BLAS.lock.release()


def _row_tap_weights(w, geom):
    """``w (o, c/g, *kernel)`` as one ``([g,] o/g, c/g*k_last)`` matrix per non-last tap."""
    o, cg, g = geom.o, geom.c // geom.groups, geom.groups
    taps, k_last = math.prod(geom.kernel[:-1]), geom.kernel[-1]
    wt = w.reshape(o, cg, taps, k_last).transpose(2, 0, 1, 3)
    shape = (taps, o, cg * k_last) if g == 1 else (taps, g, o // g, cg * k_last)
    return wt.reshape(shape)


def _gather_rows(xp, xpad_chunk, geom):
    """``R[n, c, j, t] = xflat[n, c, t + j*d_last]``: the last axis' taps of the flattened padded input."""
    n, c = xpad_chunk.shape[:2]
    plane = math.prod(geom.padded)
    it = xpad_chunk.itemsize
    length = geom.row_taps.length
    view = strided_view(
        xp, xpad_chunk, (n, c, geom.kernel[-1], length), (c * plane * it, plane * it, geom.dilation[-1] * it, it)
    )
    return xp.ascontiguousarray(view)


def _row_operand(xp, rows, geom, offset):
    """The ``([g,] c/g*k_last, M)`` matrices of one tap: a strided view into ``rows`` at ``offset``."""
    n, c, k_last, length = rows.shape
    g, M, it = geom.groups, geom.row_taps.M, rows.itemsize
    if g == 1:
        shape, strides = (n, c * k_last, M), (c * k_last * length * it, length * it, it)
    else:
        shape = (n, g, c // g * k_last, M)
        strides = (c * k_last * length * it, c // g * k_last * length * it, length * it, it)
    return strided_view(xp, rows, shape, strides, offset * it)


def _extended(y_ext, geom):
    """View the valid outputs ``(n, o, *out)`` inside the extended ``(n, o, full)`` buffer."""
    grid = y_ext.reshape(y_ext.shape[:2] + (geom.out[0],) + geom.padded[1:])
    return grid[(Ellipsis,) + tuple(slice(0, m) for m in geom.out[1:])]


def _forward_row_taps(xp, xpad, w, geom):
    n, o, g = xpad.shape[0], geom.o, geom.groups
    lay = geom.row_taps
    wt = _row_tap_weights(w, geom)
    y = xp.empty((n, o) + geom.out, dtype=xpad.dtype)
    chunk = lay.chunk
    y_ext = xp.empty((min(n, chunk), o, lay.full), dtype=xpad.dtype)
    tmp = xp.empty((min(n, chunk), o, lay.M), dtype=xpad.dtype)
    for n0 in range(0, n, chunk):
        n1 = min(n, n0 + chunk)
        rows = _gather_rows(xp, xpad[n0:n1], geom)
        acc = y_ext[: n1 - n0, :, : lay.M]
        part = tmp[: n1 - n0]
        if g != 1:
            acc = y_ext[: n1 - n0].reshape(n1 - n0, g, o // g, lay.full)[..., : lay.M]
            part = part.reshape(n1 - n0, g, o // g, lay.M)
        for t, offset in enumerate(lay.offsets):
            operand = _row_operand(xp, rows, geom, offset)
            if t == 0:
                xp.matmul(wt[0], operand, out=acc)
            else:
                xp.matmul(wt[t], operand, out=part)
                acc += part
        y[n0:n1] = _extended(y_ext[: n1 - n0], geom)
    return y


def weight_grad(xp, dout, x, geom):
    """``dL/dw`` of ``y = conv(x, w)``: ``dout`` times the patch matrix of ``x``, summed over the batch."""
    parts = _shares(xp, x.shape[0], x.shape[0] * geom.macs, lambda n0, n1: _weight_grad(xp, dout[n0:n1], x[n0:n1], geom))
    return sum(parts[1:], parts[0])


def _weight_grad(xp, dout, x, geom):
    """:func:`weight_grad` of one thread's share of the batch."""
    xpad = _pad(xp, x, geom)
    if geom.row_taps is not None:
        return _weight_grad_row_taps(xp, dout, xpad, geom)
    n, g, o, c, K, P = x.shape[0], geom.groups, geom.o, geom.c, geom.K, geom.P
    dw = xp.zeros((o, c // g * K) if g == 1 else (g, o // g, c // g * K), dtype=x.dtype)
    for n0 in range(0, n, geom.gemm_chunk):
        n1 = min(n, n0 + geom.gemm_chunk)
        # One long matmul over images and positions: (o, n*P) @ (n*P, c*K).
        cols = im2col(xp, xpad[n0:n1], geom.window_shape, geom.window_strides(xpad.itemsize), batch_inner=True)
        d = dout[n0:n1].reshape(n1 - n0, o, P).transpose(1, 0, 2).reshape(o, (n1 - n0) * P)
        if g == 1:
            dw += xp.matmul(d, cols.T)
        else:
            dw += xp.matmul(d.reshape(g, o // g, -1), cols.reshape(g, c // g * K, -1).transpose(0, 2, 1))
    return dw.reshape((o, c // g) + geom.kernel)


def _weight_grad_row_taps(xp, dout, xpad, geom):
    n, o, c, g = xpad.shape[0], geom.o, geom.c, geom.groups
    lay = geom.row_taps
    cg, k_last, taps = c // g, geom.kernel[-1], len(lay.offsets)
    dwt = xp.zeros((taps, o, cg * k_last) if g == 1 else (taps, g, o // g, cg * k_last), dtype=xpad.dtype)
    chunk = lay.chunk
    # dout on the extended grid, zero where the forward pass computed discarded columns.
    d_ext = xp.zeros((min(n, chunk), o, lay.full), dtype=xpad.dtype)
    for n0 in range(0, n, chunk):
        n1 = min(n, n0 + chunk)
        _extended(d_ext[: n1 - n0], geom)[...] = dout[n0:n1]
        d = d_ext[: n1 - n0, :, : lay.M]
        if g != 1:
            d = d_ext[: n1 - n0].reshape(n1 - n0, g, o // g, lay.full)[..., : lay.M]
        rows = _gather_rows(xp, xpad[n0:n1], geom)
        for t, offset in enumerate(lay.offsets):
            operand = _row_operand(xp, rows, geom, offset)
            dwt[t] += xp.matmul(d, operand.swapaxes(-1, -2)).sum(axis=0)
    # (taps, [g,] o/g, c/g*k_last) -> (o, c/g, *kernel)
    dw = dwt.reshape(taps, o, cg, k_last).transpose(1, 2, 0, 3)
    return xp.ascontiguousarray(dw).reshape((o, cg) + geom.kernel)


class TransposeGeometry:
    """Index arithmetic of a transposed convolution ``(n, c_I, *in) -> (n, c_O, *out_sizes)``.

    ``pads`` are the rows cropped from the full result on each side. With
    stride 1 (and crops no larger than the kernel's reach) it is a forward
    convolution of the flipped kernel, padded ``d(k-1) - p_b`` before and
    ``out - in + p_b`` after; otherwise ``w^T x`` and col2im.
    """

    def __init__(self, ci, cog, groups, spatial, kernel, stride, dilation, pads, out_sizes, itemsize, n=1):
        self.ci, self.cog, self.groups = ci, cog, groups
        self.spatial, self.kernel, self.stride, self.dilation = tuple(spatial), tuple(kernel), tuple(stride), tuple(dilation)
        self.pads, self.out = tuple(pads), tuple(out_sizes)
        self.padded = tuple(m + b + a for m, (b, a) in zip(out_sizes, pads))
        co, K, P = cog * groups, math.prod(kernel), math.prod(spatial)
        self.chunk = max(1, CHUNK_BYTES // max(1, co * K * P * itemsize))
        self.as_forward = None
        if all(s == 1 for s in stride):
            fpads = tuple(
                (d * (k - 1) - b, o - m + b) for k, d, (b, _), o, m in zip(kernel, dilation, pads, out_sizes, spatial)
            )
            if all(b >= 0 and a >= 0 for b, a in fpads):
                forward = Geometry(ci, co, groups, spatial, kernel, stride, dilation, fpads, itemsize, n)
                # w^T x, then K slice-adds (each a few Python-level steps) over the padded output, its zeroing and the crop.
                cost_col2im = n * (
                    groups * _matmul_cost(cog * K, ci // groups, P, itemsize)
                    + _copy_cost(3 * K * co * P + 2 * co * math.prod(self.padded), itemsize)
                ) + (3 * K + 4) * _CALL
                if forward.cost + 2 * _CALL < cost_col2im:
                    self.as_forward = forward


def _flipped_forward_weight(w, groups):
    """``(c_I, c_O/g, *kernel)`` transposed-conv weight -> ``(c_O, c_I/g, *kernel)`` flipped forward weight."""
    ci, cog, kernel = w.shape[0], w.shape[1], w.shape[2:]
    wf = w.reshape((groups, ci // groups, cog) + kernel).swapaxes(1, 2).reshape((groups * cog, ci // groups) + kernel)
    return wf[(Ellipsis,) + (slice(None, None, -1),) * len(kernel)]


def transpose(xp, x, w, tgeom):
    """Transposed convolution of channels-first ``x (n, c_I, *in)`` with ``w (c_I, c_O/g, *kernel)``."""
    # The forward route pads with zeros, and 0 * inf or 0 * nan would reach outputs the
    # weight never touches: a non-finite weight takes the scatter route, as torch's does.
    if tgeom.as_forward is not None and bool(xp.isfinite(w).all()):
        return forward(xp, x, _flipped_forward_weight(w, tgeom.groups), tgeom.as_forward)
    n = x.shape[0]
    macs = n * tgeom.ci // tgeom.groups * tgeom.cog * tgeom.groups * math.prod(tgeom.kernel) * math.prod(tgeom.spatial)
    parts = _shares(xp, n, macs, lambda n0, n1: _transpose_col2im(xp, x[n0:n1], w, tgeom))
    return parts[0] if len(parts) == 1 else xp.concatenate(parts)


def _transpose_col2im(xp, x, w, tgeom):
    """:func:`transpose` as ``w^T x`` then col2im, for one thread's share of the batch."""
    n, ci = x.shape[0], x.shape[1]
    g, cog, kernel, spatial = tgeom.groups, tgeom.cog, tgeom.kernel, tgeom.spatial
    co, K, P = cog * g, math.prod(kernel), math.prod(spatial)
    if g == 1:
        wt = w.reshape(ci, cog * K).T
        xs = x.reshape(n, ci, P)
    else:
        wt = w.reshape(g, ci // g, cog * K).transpose(0, 2, 1)
        xs = x.reshape(n, g, ci // g, P)
    full = xp.zeros((n, co) + tgeom.padded, dtype=x.dtype)
    for n0 in range(0, n, tgeom.chunk):
        n1 = min(n, n0 + tgeom.chunk)
        cols = xp.matmul(wt, xs[n0:n1]).reshape((n1 - n0, co) + kernel + spatial)
        col2im(xp, cols, tgeom.padded, tgeom.stride, tgeom.dilation, out=full[n0:n1])
    if not any(b or a for b, a in tgeom.pads):
        return full
    crop = (slice(None), slice(None)) + tuple(slice(b, b + o) for o, (b, _) in zip(tgeom.out, tgeom.pads))
    return xp.ascontiguousarray(full[crop])
