"""Vectorised N-d convolution and transposed convolution (im2col + one matmul).

Channels-first calls follow ``torch.nn.functional`` exactly: input
``(n, c_I, *spatial)``, weight ``(c_O, c_I/groups, *kernel)`` for convolution
and ``(c_I, c_O/groups, *kernel)`` for transposed convolution. Channels-last
calls (``data_format="NHWC"`` etc.) follow Keras/TensorFlow: input
``(n, *spatial, c_I)``, weight ``(*kernel, c_I/groups, c_O)`` for convolution
and ``(*kernel, c_O/groups, c_I)`` for transposed convolution, whose
"valid"/"same" and ``output_padding`` then follow Keras's ``Conv*DTranspose``.

A call reads: validate (once per signature: the result is cached as a small
plan), move channels-last data to channels-first, then the shared N-d engine
of :mod:`reference.conv_core`: pad, gather patches into a contiguous matrix,
one matmul, reshape. The transposed convolution is the input-gradient of the
convolution: a matmul with the transposed weight, then col2im (or, for
stride 1, the forward engine with the flipped kernel).
"""

import numpy as np

from . import conv_core
from .arithmetic import _TF_MODES, _conv_out, _keras_transpose, _kernel_too_large, _transpose_out
from .backend import array_namespace
from .int_checks import int_tuple, positive_int
from .validation import as_numeric_array, cached_plan, channels_last, float_dtype, padding_spec, resolve_padding

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
]

_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}
_AXES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _check_dtypes(fn, *named):
    for name, dtype in named:
        if dtype is not None and dtype.kind not in "biuf":
            raise TypeError(f"{fn}: {name} must have a real numeric dtype (bool, int or float), got dtype {dtype}")


def _keras_permutations(nd):
    """Axis orders from Keras's layouts to the channels-first core: input, weight, and back for the output.

    The weight's last two axes come first, swapped: Keras's ``(in, out)`` of a convolution becomes
    torch's ``(out, in)``, and ``(out, in)`` of a transposed one torch's ``(in, out)``.
    """
    return (0, nd + 1) + tuple(range(1, nd + 1)), (nd + 1, nd) + tuple(range(nd)), (0,) + tuple(range(2, nd + 2)) + (1,)


def _arrays(fn, x, w, b):
    """Namespace and arrays; lists and scalars are converted, other objects rejected."""
    xp = array_namespace(x, w, b)
    x = as_numeric_array(xp, x, "input", fn)
    w = as_numeric_array(xp, w, "weight", fn)
    if b is not None:
        b = as_numeric_array(xp, b, "bias", fn)
    return xp, x, w, b


class _ConvPlan:
    """Validated shapes and index arithmetic of one convolution signature."""

    def __init__(self, fn, nd, x, w, b, stride, padding, dilation, groups, data_format):
        self.fn = fn
        self.channels_last = channels_last(data_format, nd, fn)
        layout = _LAYOUTS[nd][self.channels_last]
        _check_dtypes(fn, ("input", x.dtype), ("weight", w.dtype), ("bias", None if b is None else b.dtype))
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{fn}: input must have {nd + 2} dimensions ({layout}) or {nd + 1} without the batch axis, "
                f"got shape {tuple(x.shape)}"
            )
        wlayout = "(" + ", ".join(["k"] * nd + ["c_I/groups", "c_O"]) + ")" if self.channels_last else (
            "(" + ", ".join(["c_O", "c_I/groups"] + ["k"] * nd) + ")"
        )
        if w.ndim != nd + 2:
            raise ValueError(f"{fn}: weight must have {nd + 2} dimensions {wlayout}, got shape {tuple(w.shape)}")
        # Input and weight decide the dtype; the bias follows it (a list of ints must not force float64).
        self.dtype = float_dtype(np, x, w)
        self.unbatched = x.ndim == nd + 1
        xs = ((1,) if self.unbatched else ()) + tuple(x.shape)
        if self.channels_last:
            n, spatial, c = xs[0], xs[1:-1], xs[-1]
            kernel, cg, o = tuple(w.shape[:nd]), w.shape[nd], w.shape[nd + 1]
        else:
            n, c, spatial = xs[0], xs[1], xs[2:]
            o, cg, kernel = w.shape[0], w.shape[1], tuple(w.shape[2:])
        stride = int_tuple(stride, nd, "stride", fn)
        dilation = int_tuple(dilation, nd, "dilation", fn)
        groups = positive_int(groups, "groups", fn)
        if c % groups:
            raise ValueError(f"{fn}: groups={groups} does not divide the {c} input channels (input shape {tuple(x.shape)})")
        if cg * groups != c:
            raise ValueError(
                f"{fn}: input has {c} channels but weight expects {cg * groups} "
                f"(weight shape {tuple(w.shape)}, groups={groups})"
            )
        if o % groups:
            raise ValueError(f"{fn}: groups={groups} does not divide the {o} output channels (weight shape {tuple(w.shape)})")
        if min(kernel) < 1:
            raise ValueError(f"{fn}: kernel sizes must be positive, got weight shape {tuple(w.shape)}")
        if min(spatial) < 1:
            raise ValueError(f"{fn}: input spatial sizes must be positive, got input shape {tuple(x.shape)} ({layout})")
        if b is not None and tuple(b.shape) != (o,):
            raise ValueError(f"{fn}: bias must have shape ({o},), one value per output channel, got shape {tuple(b.shape)}")
        pads = resolve_padding(padding_spec(padding, nd, fn), spatial, kernel, stride, dilation, fn)
        out = []
        for axis, (m, k, (pb, pa), s, d) in enumerate(zip(spatial, kernel, pads, stride, dilation)):
            size = _conv_out(m, k, pb, pa, s, d)
            if size < 1:
                where = (
                    f" along spatial axis {axis} ({_AXES[nd][axis]}; input shape {tuple(x.shape)}, "
                    f"weight shape {tuple(w.shape)})"
                )
                raise _kernel_too_large(fn, m, k, (pb, pa), d, where)
            out.append(size)
        self.nd, self.c, self.o, self.groups, self.kernel = nd, c, o, groups, kernel
        self.spatial, self.stride, self.dilation, self.pads = tuple(spatial), stride, dilation, pads
        self.out = tuple(out)
        self.y_shape = (n, o) + self.out
        self.geometry = conv_core.Geometry(c, o, groups, spatial, kernel, stride, dilation, pads, self.dtype.itemsize, n)
        self._dx_geometry = None
        self.bias_shape = (o,) + (1,) * nd
        self.x_perm, self.w_perm, self.y_perm = _keras_permutations(nd)

    def dx_geometry(self):
        """The transposed convolution that maps dL/dy back to dL/dx (built on first use)."""
        if self._dx_geometry is None:
            self._dx_geometry = conv_core.TransposeGeometry(
                self.o, self.c // self.groups, self.groups, self.out, self.kernel, self.stride, self.dilation,
                self.pads, self.spatial, self.dtype.itemsize, self.y_shape[0],
            )
        return self._dx_geometry

    def __call__(self, xp, x, w, b):
        dt = self.dtype
        if x.dtype != dt:
            x = x.astype(dt)
        if w.dtype != dt:
            w = w.astype(dt)
        if self.unbatched:
            x = x[None]
        if self.channels_last:
            x = x.transpose(self.x_perm)
            w = w.transpose(self.w_perm)
        y = conv_core.forward(xp, x, w, self.geometry)
        if b is not None:
            y += b.astype(dt, copy=False).reshape(self.bias_shape)
        if self.channels_last:
            y = xp.ascontiguousarray(y.transpose(self.y_perm))
        return y[0] if self.unbatched else y


def _convolution(fn, nd, x, w, b, stride, padding, dilation, groups, data_format, xp=None):
    """Shared entry point of conv1d/2d/3d (and the single-image helpers, which pass their ``xp``)."""
    if xp is None:
        if type(x) is np.ndarray and type(w) is np.ndarray and (b is None or type(b) is np.ndarray):
            # NumPy-only fast path: plain ndarrays skip the dispatch and conversion (tiny shapes are overhead-bound).
            xp = np
        else:
            xp, x, w, b = _arrays(fn, x, w, b)
    plan = cached_plan(_ConvPlan, fn, nd, x, w, b, (stride, padding, dilation, groups, data_format))
    return plan(xp, x, w, b)


def conv1d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, data_format="NCW"):
    """1-D convolution (cross-correlation, as in deep learning) of a batch of signals.

    Notation: ``n`` batch size, ``c_I``/``c_O`` input/output channels,
    ``w_I`` input length, ``w_K`` kernel length, ``w_O`` output length.

    .. math:: w_O = \\left\\lfloor \\frac{w_I + p_b + p_a - d(w_K - 1) - 1}{s} \\right\\rfloor + 1

    Parameters
    ----------
    x : array, shape (n, c_I, w_I) or (c_I, w_I); (n, w_I, c_I) for "NWC"
        Input signals (the batch axis may be omitted).
    w : array, shape (c_O, c_I/groups, w_K); (w_K, c_I/groups, c_O) for "NWC"
        Kernels (``torch.nn.functional.conv1d`` layout, or Keras ``Conv1D``'s).
    b : array, shape (c_O,), optional
        Bias added to each output channel.
    stride : int or (int,), default 1
    padding : int, (int,), (before, after), ((before, after),), "valid", "same" or "full", default 0
        Zero padding; "same" is TensorFlow's (output ``ceil(w_I/s)``, any
        stride, the odd zero after), "full" pads ``d(w_K-1)`` on both sides.
    dilation : int or (int,), default 1
    groups : int, default 1
        ``c_I`` and ``c_O`` are split into ``groups`` independent convolutions.
    data_format : {"NCW", "NWC"}, default "NCW"

    Returns
    -------
    array, shape (n, c_O, w_O) (or (n, w_O, c_O) for "NWC"; no batch axis if ``x`` had none)
        float32 for float32 input, float64 for float64, integer or bool input.

    Examples
    --------
    The bump detector of the lessons (Keras ``Conv1D`` layout):

    >>> import numpy as np
    >>> x = np.array([0, 0, 0, 1, 1, 0, 0, 0], float).reshape(1, 8, 1)
    >>> k = np.array([0, 1, 0], float).reshape(3, 1, 1)
    >>> conv1d(x, k, data_format="NWC")[0, :, 0]
    array([0., 0., 1., 1., 0., 0.])
    """
    return _convolution("conv1d", 1, x, w, b, stride, padding, dilation, groups, data_format)


def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, data_format="NCHW"):
    """2-D convolution (cross-correlation, as in deep learning) of a batch of images.

    Notation: ``n`` batch size, ``c_I``/``c_O`` input/output channels,
    ``h_I, w_I`` input size, ``h_K, w_K`` kernel size, ``h_O, w_O`` output size.

    .. math:: h_O = \\left\\lfloor \\frac{h_I + p_b + p_a - d(h_K - 1) - 1}{s} \\right\\rfloor + 1

    and likewise for ``w_O``.

    Parameters
    ----------
    x : array, shape (n, c_I, h_I, w_I) or (c_I, h_I, w_I); (n, h_I, w_I, c_I) for "NHWC"
        Input images (the batch axis may be omitted, as in torch).
    w : array, shape (c_O, c_I/groups, h_K, w_K); (h_K, w_K, c_I/groups, c_O) for "NHWC"
        Kernels (``torch.nn.functional.conv2d`` layout, or Keras ``Conv2D``'s).
    b : array, shape (c_O,), optional
        Bias added to each output channel.
    stride : int or (int, int), default 1
    padding : int, (int, int), ((int, int), (int, int)), "valid", "same" or "full", default 0
        Zero padding per side, per axis, as explicit ``(before, after)`` pairs
        per axis, or a mode: "valid" (none), "same" (TensorFlow: output
        ``ceil(h_I/s)``, any stride, the odd row/column at the bottom/right),
        "full" (``d(k-1)`` on every side).
    dilation : int or (int, int), default 1
        Spacing between kernel taps (1: an ordinary convolution).
    groups : int, default 1
        Split ``c_I`` and ``c_O`` into ``groups`` independent convolutions
        (``groups == c_I`` is a depthwise convolution).
    data_format : {"NCHW", "NHWC"}, default "NCHW"

    Returns
    -------
    array, shape (n, c_O, h_O, w_O) (or (n, h_O, w_O, c_O) for "NHWC"; no batch axis if ``x`` had none)
        float32 for float32 input, float64 for float64, integer or bool input.

    Raises
    ------
    ValueError
        Channel mismatch, groups not dividing the channels, kernel larger
        than the padded input, non-positive stride/dilation, negative
        padding, wrong number of dimensions, unknown ``data_format``.
    TypeError
        Non-numeric input or weight, non-integer stride/padding/dilation.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((2, 3, 32, 32), np.float32)
    >>> w = np.ones((16, 3, 3, 3), np.float32)
    >>> conv2d(x, w, padding=1).shape
    (2, 16, 32, 32)
    >>> conv2d(x, w, stride=2, padding="same").shape
    (2, 16, 16, 16)
    """
    return _convolution("conv2d", 2, x, w, b, stride, padding, dilation, groups, data_format)


def conv3d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, data_format="NCDHW"):
    """3-D convolution (cross-correlation, as in deep learning) of a batch of volumes.

    Notation: ``n`` batch size, ``c_I``/``c_O`` input/output channels,
    ``d_I, h_I, w_I`` input size, ``d_K, h_K, w_K`` kernel size,
    ``d_O, h_O, w_O`` output size.

    .. math:: d_O = \\left\\lfloor \\frac{d_I + p_b + p_a - d(d_K - 1) - 1}{s} \\right\\rfloor + 1

    and likewise for ``h_O`` and ``w_O``.

    Parameters
    ----------
    x : array, shape (n, c_I, d_I, h_I, w_I) or (c_I, d_I, h_I, w_I); (n, d_I, h_I, w_I, c_I) for "NDHWC"
    w : array, shape (c_O, c_I/groups, d_K, h_K, w_K); (d_K, h_K, w_K, c_I/groups, c_O) for "NDHWC"
    b : array, shape (c_O,), optional
    stride, dilation : int or (int, int, int), default 1
    padding : int, 3-tuple of ints, 3 (before, after) pairs, "valid", "same" or "full", default 0
        As in :func:`conv2d`.
    groups : int, default 1
    data_format : {"NCDHW", "NDHWC"}, default "NCDHW"

    Returns
    -------
    array, shape (n, c_O, d_O, h_O, w_O) (or (n, d_O, h_O, w_O, c_O) for "NDHWC")

    Examples
    --------
    >>> import numpy as np
    >>> conv3d(np.ones((1, 2, 5, 6, 7)), np.ones((4, 2, 3, 3, 3)), padding=1).shape
    (1, 4, 5, 6, 7)
    """
    return _convolution("conv3d", 3, x, w, b, stride, padding, dilation, groups, data_format)


# ---------------------------------------------------------------------------
# Transposed convolution: the input-gradient of a convolution.


class _TransposePlan:
    """Validated shapes of one transposed-convolution signature.

    Keras's "valid"/"same" (channels-last) resolve, per axis, to the rows
    cropped before and after the full result and the zeros added after it
    (``output_padding``): the same engine then serves both conventions.
    """

    def __init__(self, fn, nd, x, w, b, stride, padding, output_padding, dilation, groups, data_format):
        self.channels_last = channels_last(data_format, nd, fn)
        layout = _LAYOUTS[nd][self.channels_last]
        _check_dtypes(fn, ("input", x.dtype), ("weight", w.dtype), ("bias", None if b is None else b.dtype))
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{fn}: input must have {nd + 2} dimensions ({layout}) or {nd + 1} without the batch axis, "
                f"got shape {tuple(x.shape)}"
            )
        wlayout = ["k"] * nd + ["c_O/groups", "c_I"] if self.channels_last else ["c_I", "c_O/groups"] + ["k"] * nd
        wlayout = "(" + ", ".join(wlayout) + ")"
        if w.ndim != nd + 2:
            raise ValueError(f"{fn}: weight must have {nd + 2} dimensions {wlayout}, got shape {tuple(w.shape)}")
        # Input and weight decide the dtype; the bias follows it (a list of ints must not force float64).
        self.dtype = float_dtype(np, x, w)
        self.unbatched = x.ndim == nd + 1
        xs = ((1,) if self.unbatched else ()) + tuple(x.shape)
        if self.channels_last:
            c, spatial = xs[-1], xs[1:-1]
            ci, cog, kernel = w.shape[nd + 1], w.shape[nd], tuple(w.shape[:nd])
        else:
            c, spatial = xs[1], xs[2:]
            ci, cog, kernel = w.shape[0], w.shape[1], tuple(w.shape[2:])
        stride = int_tuple(stride, nd, "stride", fn)
        dilation = int_tuple(dilation, nd, "dilation", fn)
        groups = positive_int(groups, "groups", fn)
        if c % groups:
            raise ValueError(f"{fn}: groups={groups} does not divide the {c} input channels (input shape {tuple(x.shape)})")
        if ci != c:
            raise ValueError(
                f"{fn}: input has {c} channels but weight expects {ci} "
                f"(weight shape {tuple(w.shape)}, laid out {wlayout}, groups={groups})"
            )
        if min(kernel) < 1:
            raise ValueError(f"{fn}: kernel sizes must be positive, got weight shape {tuple(w.shape)}")
        if min(spatial) < 1:
            raise ValueError(f"{fn}: input spatial sizes must be positive, got input shape {tuple(x.shape)} ({layout})")
        co = cog * groups
        if b is not None and tuple(b.shape) != (co,):
            raise ValueError(f"{fn}: bias must have shape ({co},), one value per output channel, got shape {tuple(b.shape)}")
        if self.channels_last and isinstance(padding, str):
            mode = padding_spec(padding, nd, fn, modes=_TF_MODES)
            pads, out = self._keras_axes(fn, nd, spatial, kernel, stride, dilation, mode, output_padding)
        else:
            pads, out = self._torch_axes(fn, nd, spatial, kernel, stride, dilation, padding, output_padding)
        self.nd, self.groups = nd, groups
        self.out = tuple(out)
        self.bias_shape = (co,) + (1,) * nd
        self.geometry = conv_core.TransposeGeometry(
            c, cog, groups, spatial, kernel, stride, dilation, pads, self.out, self.dtype.itemsize, xs[0]
        )
        self.x_perm, self.w_perm, self.y_perm = _keras_permutations(nd)

    @staticmethod
    def _torch_axes(fn, nd, spatial, kernel, stride, dilation, padding, output_padding):
        """torch's rule: ``padding`` rows cropped from each side, ``output_padding`` (None: 0) added after."""
        if isinstance(padding, str) and padding.lower() in ("same", "full"):
            raise ValueError(
                f"{fn}: padding={padding!r} is not possible here: a transposed convolution crops the rows given as an "
                "int, a tuple or (before, after) pairs, or takes 'valid', or (channels-last only, Keras's rule) 'same'"
            )
        pads = padding_spec(padding, nd, fn, modes=("valid",))
        if isinstance(pads, str):
            pads = ((0, 0),) * nd
        output_padding = (0,) * nd if output_padding is None else int_tuple(output_padding, nd, "output_padding", fn, 0)
        for op, s, d in zip(output_padding, stride, dilation):
            if op >= s and op >= d:
                raise ValueError(
                    f"{fn}: output_padding must be smaller than either stride or dilation, "
                    f"got output_padding={output_padding}, stride={stride}, dilation={dilation}"
                )
        out = []
        for m, k, (pb, pa), s, d, op in zip(spatial, kernel, pads, stride, dilation, output_padding):
            size = _transpose_out(m, k, s, pb, pa, op, d)
            if size < 1:
                raise ValueError(
                    f"{fn}: padding {(pb, pa)} crops the whole output: (n-1)*s + d*(k-1) + output_padding + 1 = "
                    f"{size + pb + pa} for n={m}, k={k}, stride={s}, dilation={d}"
                )
            out.append(size)
        return pads, out

    @staticmethod
    def _keras_axes(fn, nd, spatial, kernel, stride, dilation, mode, output_padding):
        """Keras's rule: the output length of ``deconv`` arithmetic, cropped as TensorFlow's gradient of that conv."""
        ops = (None,) * nd if output_padding is None else int_tuple(output_padding, nd, "output_padding", fn, minimum=0)
        pads, out = [], []
        for axis, (m, k, s, d, op) in enumerate(zip(spatial, kernel, stride, dilation, ops)):
            size, before = _keras_transpose(fn, m, k, s, mode, op, d, f" (spatial axis {axis}, {_AXES[nd][axis]})")
            # The full result spans (m-1)s + d(k-1) + 1; what lies past `before + size` is cropped after,
            # and a negative remainder is zeros added after (the engine's output_padding).
            after = _transpose_out(m, k, s, 0, 0, 0, d) - before - size
            pads.append((before, max(after, 0)))
            out.append(size)
        return tuple(pads), out

    def __call__(self, xp, x, w, b):
        dt = self.dtype
        x = x.astype(dt, copy=False)
        w = w.astype(dt, copy=False)
        if self.unbatched:
            x = x[None]
        if self.channels_last:
            x = x.transpose(self.x_perm)
            w = w.transpose(self.w_perm)
        y = conv_core.transpose(xp, x, w, self.geometry)
        if b is not None:
            y += b.astype(dt, copy=False).reshape(self.bias_shape)
        if self.channels_last:
            y = xp.ascontiguousarray(y.transpose(self.y_perm))
        return y[0] if self.unbatched else y


def _conv_transpose(fn, nd, x, w, b, stride, padding, output_padding, dilation, groups, data_format):
    xp, x, w, b = _arrays(fn, x, w, b)
    params = (stride, padding, output_padding, dilation, groups, data_format)
    plan = cached_plan(_TransposePlan, fn, nd, x, w, b, params)
    return plan(xp, x, w, b)


def conv_transpose1d(x, w, b=None, *, stride=1, padding=0, output_padding=None, dilation=1, groups=1, data_format="NCW"):
    """1-D transposed convolution (the input-gradient of :func:`conv1d`): torch's ``conv_transpose1d``, Keras's ``Conv1DTranspose``.

    Notation: ``n`` batch, ``c_I``/``c_O`` channels, ``w_I`` input length,
    ``w_K`` kernel length, ``w_O`` output length, ``k_d = d(w_K - 1) + 1``.

    .. math:: w_O = (w_I - 1)s - p_b - p_a + d(w_K - 1) + \\text{output\\_padding} + 1

    Channels-last with Keras's ``padding``: "valid" gives
    ``w_O = (w_I-1)s + max(k_d, s)`` (``(w_I-1)s + k_d + output_padding``
    when given), "same" gives ``w_O = w_I s`` (``(w_I-1)s + (k_d mod 2) +
    output_padding`` when given); the result is TensorFlow's gradient of the
    convolution with that padding from ``w_O`` back to ``w_I``, so rows
    are cropped as :func:`reference.same_padding` pads them.

    Parameters
    ----------
    x : array, shape (n, c_I, w_I) or (c_I, w_I); (n, w_I, c_I) or (w_I, c_I) for "NWC"
    w : array, shape (c_I, c_O/groups, w_K); (w_K, c_O/groups, c_I) for "NWC"
        torch's layout, or Keras's ``Conv1DTranspose`` kernel.
    b : array, shape (c_O,), optional
    stride, dilation : int or (int,), default 1
    padding : int, (int,), (before, after), "valid" or "same", default 0
        Samples cropped from each end of the full result (torch's rule; "valid"
        crops none), or for "NWC" Keras's "valid"/"same".
    output_padding : int, (int,) or None, default None
        Extra samples at the end (``None``: 0); smaller than ``stride`` or
        ``dilation``. With Keras's modes ``None`` infers the length as above,
        and a given value must be smaller than ``stride``.
    groups : int, default 1
    data_format : {"NCW", "NWC"}, default "NCW"

    Returns
    -------
    array, shape (n, c_O, w_O) or (c_O, w_O); (n, w_O, c_O) or (w_O, c_O) for "NWC"

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose1d(np.ones((1, 2, 5)), np.ones((2, 3, 4)), stride=2).shape
    (1, 3, 12)

    Keras's ``Conv1DTranspose(1, 3, strides=2, padding="same")`` doubles the length:

    >>> x = np.array([1., 2, 3]).reshape(1, 3, 1)
    >>> conv_transpose1d(x, np.ones((3, 1, 1)), stride=2, padding="same", data_format="NWC")[0, :, 0]
    array([1., 1., 3., 2., 5., 3.])
    """
    return _conv_transpose("conv_transpose1d", 1, x, w, b, stride, padding, output_padding, dilation, groups, data_format)


def conv_transpose2d(x, w, b=None, *, stride=1, padding=0, output_padding=None, dilation=1, groups=1, data_format="NCHW"):
    """2-D transposed convolution (the input-gradient of :func:`conv2d`): torch's ``conv_transpose2d``, Keras's ``Conv2DTranspose``.

    Each input pixel scales the kernel and adds it to the output window it
    would have come from in the forward convolution; computed as ``w^T x``
    (one matmul) followed by col2im, never by inserting zeros.

    Notation: ``n`` batch, ``c_I``/``c_O`` channels, ``h_I, w_I`` input size,
    ``h_K, w_K`` kernel size, ``h_O, w_O`` output size, ``k_d = d(h_K - 1) + 1``.

    .. math:: h_O = (h_I - 1)s - p_b - p_a + d(h_K - 1) + \\text{output\\_padding} + 1

    and likewise for ``w_O``. Channels-last with Keras's ``padding``:
    "valid" gives ``h_O = (h_I-1)s + max(k_d, s)`` (``(h_I-1)s + k_d +
    output_padding`` when given), "same" gives ``h_O = h_I s`` (``(h_I-1)s +
    (k_d mod 2) + output_padding`` when given); the result is TensorFlow's
    gradient of the convolution with that padding from ``h_O`` back to
    ``h_I``, so rows and columns are cropped as :func:`reference.same_padding`
    pads them (the odd one at the bottom/right).

    Parameters
    ----------
    x : array, shape (n, c_I, h_I, w_I) or (c_I, h_I, w_I); (n, h_I, w_I, c_I) for "NHWC"
    w : array, shape (c_I, c_O/groups, h_K, w_K); (h_K, w_K, c_O/groups, c_I) for "NHWC"
        torch's transposed-convolution layout (input channels first), or
        Keras's ``Conv2DTranspose`` kernel (output channels before input).
    b : array, shape (c_O,), optional
    stride, dilation : int or (int, int), default 1
    padding : int, (int, int), ((before, after), (before, after)), "valid" or "same", default 0
        Rows/columns cropped from the full result (torch's rule; "valid" crops
        none), or for "NHWC" Keras's "valid"/"same". "same" is refused
        channels-first and "full" always, with ``ValueError``.
    output_padding : int, (int, int) or None, default None
        Extra rows/columns at the bottom/right (``None``: 0); each smaller than
        ``stride`` or ``dilation`` along its axis. With Keras's modes ``None``
        infers the size as above, and a given value must be smaller than ``stride``.
    groups : int, default 1
    data_format : {"NCHW", "NHWC"}, default "NCHW"

    Returns
    -------
    array, shape (n, c_O, h_O, w_O) or (c_O, h_O, w_O); (n, h_O, w_O, c_O) for "NHWC"

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 4, 3, 3))
    >>> conv_transpose2d(x, np.ones((4, 2, 3, 3)), stride=2).shape
    (1, 2, 7, 7)
    >>> conv_transpose2d(x, np.ones((4, 2, 3, 3)), stride=2, padding=1, output_padding=1).shape
    (1, 2, 6, 6)

    Keras's ``Conv2DTranspose(filters=1, kernel_size=2, strides=2)`` on a 2x2
    map: each pixel stamps a scaled copy of the 2x2 kernel.

    >>> x = np.array([[1., 2], [3, 4]]).reshape(1, 2, 2, 1)
    >>> conv_transpose2d(x, np.ones((2, 2, 1, 1)), stride=2, padding="valid", data_format="NHWC")[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    >>> conv_transpose2d(np.ones((8, 7, 7, 64)), np.ones((3, 3, 32, 64)), stride=2, padding="same",
    ...                  data_format="NHWC").shape
    (8, 14, 14, 32)
    """
    return _conv_transpose("conv_transpose2d", 2, x, w, b, stride, padding, output_padding, dilation, groups, data_format)


def conv_transpose3d(x, w, b=None, *, stride=1, padding=0, output_padding=None, dilation=1, groups=1, data_format="NCDHW"):
    """3-D transposed convolution (the input-gradient of :func:`conv3d`): torch's ``conv_transpose3d``, Keras's ``Conv3DTranspose``.

    .. math:: d_O = (d_I - 1)s - p_b - p_a + d(d_K - 1) + \\text{output\\_padding} + 1

    and likewise for ``h_O`` and ``w_O``; Keras's "valid"/"same" for
    "NDHWC" as in :func:`conv_transpose2d`.

    Parameters
    ----------
    x : array, shape (n, c_I, d_I, h_I, w_I) or (c_I, d_I, h_I, w_I); (n, d_I, h_I, w_I, c_I) for "NDHWC"
    w : array, shape (c_I, c_O/groups, d_K, h_K, w_K); (d_K, h_K, w_K, c_O/groups, c_I) for "NDHWC"
    b : array, shape (c_O,), optional
    stride, padding, output_padding, dilation, groups
        As in :func:`conv_transpose2d`, with 3-tuples.
    data_format : {"NCDHW", "NDHWC"}, default "NCDHW"

    Returns
    -------
    array, shape (n, c_O, d_O, h_O, w_O); (n, d_O, h_O, w_O, c_O) for "NDHWC"

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose3d(np.ones((1, 2, 2, 3, 4)), np.ones((2, 1, 2, 2, 2)), stride=2).shape
    (1, 1, 4, 6, 8)
    """
    return _conv_transpose("conv_transpose3d", 3, x, w, b, stride, padding, output_padding, dilation, groups, data_format)
