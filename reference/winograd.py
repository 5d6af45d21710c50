"""Winograd F(2x2, 3x3) convolution: 3x3 kernel, stride 1, dilation 1, groups 1 (2-d, channels-first).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016.
The output is cut into 2x2 tiles; tile ``(i, j)`` reads the 4x4 input tile
``d`` at rows ``2i .. 2i+3``, columns ``2j .. 2j+3`` of the padded input (the
input is padded so the tiles cover the output; extra rows/columns are cropped).
For one channel pair, with ``g`` the 3x3 kernel,

    Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A,

    B^T = [[1, 0, -1,  0],    G = [[1,    0,   0  ],    A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],         [1/2,  1/2, 1/2],           [0, 1, -1, -1]]
           [0, -1, 1,  0],         [1/2, -1/2, 1/2],
           [0, 1,  0, -1]]         [0,    0,   1  ]]

and summed over the input channels. The sum over channels is moved inside
the transforms: with ``U[ξ] = (G g G^T)[ξ]`` as a ``(c_O, c_I)`` matrix and
``V[ξ] = (B^T d B)[ξ]`` as ``(c_I, T)`` over all ``T`` tiles, the 16
elementwise products become 16 matrix products ``M[ξ] = U[ξ] @ V[ξ]`` (one
``matmul`` over a ``(16, c_O, c_I) x (16, c_I, T)`` stack), then
``Y = A^T M A`` per tile. That is 16 multiplications per 2x2 outputs and
channel pair instead of 36: 2.25 times fewer flops than im2col, at the price
of the transforms (elementwise passes over memory) and a slightly larger
rounding error (the transforms add and subtract up to 9 terms).

The transforms are written as explicit sums of strided views (the matrices
hold only 0, ±1, ±1/2), every operation one NumPy and CuPy share. The
readable reference of the same operation is the im2col path of
:mod:`reference.conv_core`; :func:`applies` says when this path is used.
"""

__all__ = ["applies", "forward", "CHUNK_BYTES", "DISPATCH", "MIN_CHANNEL_PRODUCT", "MIN_OUTPUT"]

# Bytes of the transformed input and products (V and M) for one batch chunk.
CHUNK_BYTES = 8 * 2**20
# Where the Winograd path pays, measured against im2col/row taps on one thread (float32, 2-core Zen 5,
# OpenBLAS): 0.77-0.91x the time for 64 or more channels in and out and outputs of 14x14 and up;
# 1.2x slower for 32 channels (the 16 matmuls too thin to repay the transforms' passes over memory)
# and for 7x7 outputs (odd sizes pad the tiles, and there are few of them).
MIN_CHANNEL_PRODUCT = 64 * 64
MIN_OUTPUT = 8
# Whether conv2d dispatches here at all. Off since issue 14: with OpenBLAS's AVX-512 (SkylakeX) kernels
# and one-thread BLAS per batch share, im2col / row taps took 0.35-0.8x Winograd's time on every shape
# above (benchmarks/README.md); the path stays, tested, for study and for a BLAS where it pays again.
DISPATCH = False


def applies(nd, c, o, groups, kernel, stride, dilation, out):
    """Whether a convolution takes the Winograd path.

    :data:`DISPATCH` on, 2-d, 3x3 kernel, stride 1, dilation 1, groups 1, ``c_I * c_O >=``
    :data:`MIN_CHANNEL_PRODUCT` and both output sizes ``>=`` :data:`MIN_OUTPUT`.
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
    )


def _weight_transform(xp, w):
    """``U = G g G^T`` for ``w (o, c, 3, 3)``: ``(16, o, c)``, index ``4*row + col`` of the 4x4 tile."""
    o, c = w.shape[:2]
    # G along the rows: (4, o, c, 3)
    g0, g1, g2 = w[:, :, 0, :], w[:, :, 1, :], w[:, :, 2, :]
    half = (g0 + g2) * 0.5
    rows = (g0, half + g1 * 0.5, half - g1 * 0.5, g2)
    u = xp.empty((4, 4, o, c), dtype=w.dtype)
    for r, gr in enumerate(rows):
        h0, h1, h2 = gr[..., 0], gr[..., 1], gr[..., 2]
        hh = (h0 + h2) * 0.5
        u[r, 0] = h0
        xp.add(hh, h1 * 0.5, out=u[r, 1])
        xp.subtract(hh, h1 * 0.5, out=u[r, 2])
        u[r, 3] = h2
    return u.reshape(16, o, c)


def _input_transform(xp, d, v, th, tw):
    """``V = B^T d B`` of every 4x4 tile of ``d (n, c, 2th+2, 2tw+2)`` into ``v (4, 4, c, n, th, tw)``.

    ``B`` along the columns first, on the even and odd columns split into
    contiguous arrays (tile ``j``'s columns ``2j .. 2j+3`` are then
    ``even[j], odd[j], even[j+1], odd[j+1]``: unit-stride slices), then
    ``B^T`` along the rows, whose stride-2 views keep unit-stride rows.
    """
    h2 = 2 * th
    even = xp.ascontiguousarray(d[..., 0::2])
    odd = xp.ascontiguousarray(d[..., 1::2])
    e0, e1, o0, o1 = even[..., :tw], even[..., 1:], odd[..., :tw], odd[..., 1:]
    # d B: (d0 - d2, d1 + d2, d2 - d1, d1 - d3) along the columns.
    cols = (e0 - e1, o0 + e1, e1 - o0, o0 - o1)
    for b, t in enumerate(cols):
        r = [t[:, :, k : k + h2 : 2] for k in range(4)]
        dst = v[:, b].transpose(0, 2, 1, 3, 4)  # (4, n, c, th, tw) views of (4, c, n, th, tw)
        xp.subtract(r[0], r[2], out=dst[0])
        xp.add(r[1], r[2], out=dst[1])
        xp.subtract(r[2], r[1], out=dst[2])
        xp.subtract(r[1], r[3], out=dst[3])


def _output_transform(xp, m, y, th, tw):
    """``Y = A^T m A`` of ``m (4, 4, o, n, th, tw)`` into ``y (n, o, 2th, 2tw)``."""
    # A^T along the rows: (m0 + m1 + m2, m1 - m2 - m3)
    s12 = m[1] + m[2]
    rows = (s12 + m[0], m[1] - m[2] - m[3])
    for a, t in enumerate(rows):
        dst = y[:, :, a::2, :].transpose(1, 0, 2, 3)  # (o, n, th, 2tw)
        c12 = t[1] + t[2]
        xp.add(c12, t[0], out=dst[..., 0::2])
        xp.subtract(t[1] - t[2], t[3], out=dst[..., 1::2])


def forward(xp, x, w, pads):
    """``y = conv2d(x, w)`` for ``x (n, c, h, w)``, ``w (o, c, 3, 3)`` and zero padding ``pads``.

    ``pads = ((top, bottom), (left, right))``, all ``>= 0``.

    Output ``(n, o, h_O, w_O)`` with ``h_O = h + top + bottom - 2`` (likewise
    ``w_O``). The batch is transformed in chunks so ``V`` and ``M`` stay
    within :data:`CHUNK_BYTES` (at least one image at a time).
    """
    n, c, h, wd = x.shape
    o = w.shape[0]
    (pt, pb), (pl, pr) = pads
    ho, wo = h + pt + pb - 2, wd + pl + pr - 2
    th, tw = -(-ho // 2), -(-wo // 2)
    dt = x.dtype
    u = _weight_transform(xp, w)
    per_image = 16 * (c + o) * th * tw * dt.itemsize
    chunk = max(1, min(n, CHUNK_BYTES // per_image))
    # Padded so the tiles cover the output: 2*th + 2 rows, 2*tw + 2 columns.
    dpad = xp.zeros((chunk, c, 2 * th + 2, 2 * tw + 2), dtype=dt)
    interior = (slice(None), slice(None), slice(pt, pt + h), slice(pl, pl + wd))
    vbuf = xp.empty(16 * c * chunk * th * tw, dtype=dt)
    mbuf = xp.empty(16 * o * chunk * th * tw, dtype=dt)
    even = ho == 2 * th and wo == 2 * tw
    y = xp.empty((n, o, ho, wo), dtype=dt)
    yt = y if even else xp.empty((chunk, o, 2 * th, 2 * tw), dtype=dt)
    for n0 in range(0, n, chunk):
        n1 = min(n, n0 + chunk)
        k = n1 - n0
        t = k * th * tw
        v = vbuf[: 16 * c * t].reshape(4, 4, c, k, th, tw)
        mm = mbuf[: 16 * o * t].reshape(16, o, t)
        dpad[:k][interior] = x[n0:n1]
        _input_transform(xp, dpad[:k], v, th, tw)
        xp.matmul(u, v.reshape(16, c, t), out=mm)
        dst = y[n0:n1] if even else yt[:k]
        _output_transform(xp, mm.reshape(4, 4, o, k, th, tw), dst, th, tw)
        if not even:
            y[n0:n1] = dst[:, :, :ho, :wo]
    return y
