"""Oracles for the reference suite, written from the spec (issue 2) and nothing in `reference/`.

Every expected value here comes from PyTorch (float64, CPU) or from a formula quoted from
the spec; the tests then hold `reference` against it. Padding is resolved to explicit
(before, after) pairs here and applied with `F.pad`, so torch only ever sees a valid
convolution and the spec's "same"/"full"/asymmetric forms are checked independently.

Notation: nd is the number of spatial axes (1, 2 or 3); k, s, d, p are kernel size, stride,
dilation and padding per axis.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

torch.set_num_threads(1)  # the suite shares two cores; tiny convolutions gain nothing from threads

FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
TORCH_MAX = {1: F.max_pool1d, 2: F.max_pool2d}
TORCH_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d}


def per_axis(v, nd):
    """An int or a per-axis tuple, as a tuple of nd ints."""
    return (v,) * nd if isinstance(v, (int, np.integer)) else tuple(v)


def resolve_padding(padding, in_sizes, kernel, stride, dilation):
    """The spec's padding forms as explicit [(before, after), ...] per spatial axis.

    "same" is TensorFlow's rule: out = ceil(n / s), total = max((out - 1) s + d (k - 1) + 1 - n, 0),
    before = total // 2, the odd extra pixel after (bottom/right). "full" is d (k - 1) on each side.
    """
    nd = len(kernel)
    stride, dilation = per_axis(stride, nd), per_axis(dilation, nd)
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * nd
        if padding == "full":
            return [(d * (k - 1), d * (k - 1)) for k, d in zip(kernel, dilation)]
        if padding == "same":
            pairs = []
            for n, k, s, d in zip(in_sizes, kernel, stride, dilation):
                out = -(-n // s)
                total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
                pairs.append((total // 2, total - total // 2))
            return pairs
        raise AssertionError(f"test bug: padding {padding!r}")
    if isinstance(padding, (int, np.integer)):
        return [(int(padding), int(padding))] * nd
    return [(p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in padding]


def torch_pad_arg(pairs):
    """F.pad wants the last axis first: (before_last, after_last, before_prev, ...)."""
    flat = []
    for before, after in reversed(pairs):
        flat += [before, after]
    return flat


def _t(a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def to_channels_first_weight(w, nd):
    """Keras (k..., in/groups, out) -> torch (out, in/groups, k...)."""
    return np.transpose(w, (nd + 1, nd) + tuple(range(nd)))


def torch_conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, data_format=None,
               absolute=False):
    """conv{nd}d by torch in float64. absolute=True gives conv(|x|, |w|) + |b|, the magnitude
    that bounds the rounding error of any summation order (used to scale tolerances)."""
    nd = w.ndim - 2
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = None if b is None else np.asarray(b, dtype=np.float64)
    if absolute:
        x, w, b = np.abs(x), np.abs(w), (None if b is None else np.abs(b))
    last = data_format in LAST.values()
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    if last:
        x = np.moveaxis(x, -1, 1)
        w = to_channels_first_weight(w, nd)
    kernel = w.shape[2:]
    pairs = resolve_padding(padding, x.shape[2:], kernel, stride, dilation)
    xt = F.pad(_t(x), torch_pad_arg(pairs))
    out = TORCH_CONV[nd](xt, _t(w), None if b is None else _t(b), stride=stride,
                         dilation=dilation, groups=groups).numpy()
    if last:
        out = np.moveaxis(out, 1, -1)
    return out[0] if unbatched else out


def tolerance(dtype, magnitude):
    """Allowed |ours - exact|: float32 rtol 1e-4 / atol 1e-5, float64 1e-10, both scaled by the
    sum of |terms| (a dot product of K terms in precision u errs by at most ~K u sum|terms|)."""
    if np.dtype(dtype) == np.float32:
        return 1e-4 * magnitude + 1e-5
    return 1e-10 * magnitude + 1e-12


def assert_matches(actual, exact, magnitude, dtype, what=""):
    """ours against the float64 oracle: type, dtype, shape, then values within the scaled tolerance."""
    assert isinstance(actual, np.ndarray), f"{what}: returned {type(actual).__name__}, not an ndarray"
    assert actual.dtype == np.dtype(dtype), f"{what}: dtype {actual.dtype}, expected {np.dtype(dtype)}"
    assert actual.shape == exact.shape, f"{what}: shape {actual.shape}, torch gives {exact.shape}"
    err = np.abs(actual.astype(np.float64) - exact)
    tol = tolerance(dtype, np.broadcast_to(magnitude, exact.shape))
    bad = ~(err <= tol)  # also catches NaN
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values differ; first at {i}: "
            f"ours {actual[i]!r}, torch {exact[i]!r}, tolerance {tol[i]:.3g}; max error {np.nanmax(err):.3g}")


# ----------------------------------------------------------------------------------------
# Hypothesis strategies. Arrays come from a drawn seed: cheap to generate, still shrinkable.

def rng_arrays(seed, *shapes, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def int_or_tuple(draw, elements, nd):
    if draw(st.booleans()):
        return draw(elements)
    return tuple(draw(elements) for _ in range(nd))


@st.composite
def conv_cases(draw, nd, layouts=("first", "last"), max_k=4, max_extra=6, allow_unbatched=True,
               paddings=("int", "tuple", "pairs", "valid", "same", "full"), channels=(1, 3), max_groups=3,
               max_batch=2, strides=(1, 2, 3), min_size=1):
    """A valid conv{nd}d call: dict(x, w, b, kwargs, dtype) in the drawn layout.

    channels bounds the channels per group, input and output; wide channels (tens) reach the
    code paths that only pay off on realistic layers."""
    layout = draw(st.sampled_from(layouts))
    groups = draw(st.integers(1, max_groups))
    cin_g, cout_g = draw(st.integers(*channels)), draw(st.integers(*channels))
    cin, cout = groups * cin_g, groups * cout_g
    batch = draw(st.integers(1, max_batch))
    kernel = tuple(draw(st.integers(1, max_k)) for _ in range(nd))
    stride = int_or_tuple(draw, st.sampled_from(strides), nd)
    dilation = int_or_tuple(draw, st.integers(1, 3), nd)
    kind = draw(st.sampled_from(paddings))
    if kind == "int":
        padding = draw(st.integers(0, 3))
    elif kind == "tuple":
        padding = tuple(draw(st.integers(0, 3)) for _ in range(nd))
    elif kind == "pairs":
        padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(nd))
    else:
        padding = kind
    s_, d_ = per_axis(stride, nd), per_axis(dilation, nd)
    sizes = []
    for ax in range(nd):
        eff = d_[ax] * (kernel[ax] - 1) + 1
        if kind in ("same", "full"):
            low = 1
        else:
            before, after = resolve_padding(padding, [eff] * nd, kernel, stride, dilation)[ax]
            low = max(1, eff - before - after)
        low = max(low, min_size)
        sizes.append(draw(st.integers(low, low + max_extra)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    unbatched = allow_unbatched and layout == "first" and draw(st.integers(0, 5)) == 0
    if layout == "first":
        xs = (cin, *sizes) if unbatched else (batch, cin, *sizes)
        ws = (cout, cin_g, *kernel)
    else:
        xs = (batch, *sizes, cin)
        ws = (*kernel, cin_g, cout)
    x, w, b = rng_arrays(seed, xs, ws, (cout,), dtype=dtype)
    if not draw(st.booleans()):
        b = None
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if layout == "last":
        kwargs["data_format"] = LAST[nd]
    elif draw(st.booleans()):
        kwargs["data_format"] = FIRST[nd]
    return dict(x=x, w=w, b=b, kwargs=kwargs, dtype=dtype, seed=seed)


@st.composite
def conv_transpose_cases(draw, nd, channels=(1, 3), max_size=5):
    """A valid conv_transpose{nd}d call with torch's rules (output_padding < max(stride, dilation))."""
    groups = draw(st.integers(1, 3))
    cin_g, cout_g = draw(st.integers(*channels)), draw(st.integers(*channels))
    batch = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(draw(st.sampled_from([1, 1, 2, 3])) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    sizes = tuple(draw(st.integers(1, max_size)) for _ in range(nd))
    # largest padding that still leaves an output of at least 1
    pmax = [((n - 1) * s + d * (k - 1) + op) // 2
            for n, s, d, k, op in zip(sizes, stride, dilation, kernel, out_pad)]
    padding = tuple(draw(st.integers(0, min(3, m))) for m in pmax)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    x, w, b = rng_arrays(seed, (batch, groups * cin_g, *sizes), (groups * cin_g, cout_g, *kernel),
                         (groups * cout_g,), dtype=dtype)
    if not draw(st.booleans()):
        b = None
    squash = lambda t: t[0] if draw(st.booleans()) and len(set(t)) == 1 else t  # int or tuple form
    kwargs = dict(stride=squash(stride), padding=squash(padding), output_padding=squash(out_pad),
                  dilation=squash(dilation), groups=groups)
    return dict(x=x, w=w, b=b, kwargs=kwargs, dtype=dtype)


@st.composite
def pool_cases(draw, nd, max_n=9):
    """A valid {max,avg}_pool{nd}d call with torch's rules (padding <= kernel // 2)."""
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = tuple(draw(st.integers(max(1, k - 2 * p), max_n)) for k, p in zip(kernel, padding))
    ceil_mode = draw(st.booleans())
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    (x,) = rng_arrays(seed, (batch, channels, *sizes), dtype=dtype)
    squash = lambda t: t if t is None or len(set(t)) > 1 or draw(st.booleans()) else t[0]
    return dict(x=x, kernel_size=squash(kernel), stride=squash(stride), padding=squash(padding),
                ceil_mode=ceil_mode, dtype=dtype, seed=seed)


@st.composite
def keras_pool_cases(draw, nd, max_n=7):
    """A valid {max,avg}_pool{nd}d call with TensorFlow's "valid"/"same", in either layout."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = None if draw(st.integers(0, 3)) == 0 else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = draw(st.sampled_from(["valid", "same"]))
    sizes = tuple(draw(st.integers(k if padding == "valid" else 1, max_n)) for k in kernel)
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    last = draw(st.booleans())
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    (x,) = rng_arrays(seed, (batch, *sizes, channels) if last else (batch, channels, *sizes), dtype=dtype)
    squash = lambda t: t if t is None or len(set(t)) > 1 or draw(st.booleans()) else t[0]
    kwargs = dict(kernel_size=squash(kernel), stride=squash(stride), padding=padding,
                  data_format=(LAST if last else FIRST)[nd])
    return dict(x=x, kwargs=kwargs, dtype=dtype, last=last, seed=seed)


@st.composite
def keras_transpose_cases(draw, nd, max_size=5):
    """A valid channels-last conv_transpose{nd}d call with Keras's "valid"/"same" and output_padding
    (None, or below the stride; with "same" an even dilated kernel needs at least 1)."""
    groups = draw(st.integers(1, 2))
    cin_g, cout_g = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = draw(st.sampled_from(["valid", "same"]))
    if draw(st.booleans()):
        out_pad = None
    else:
        out_pad = tuple(draw(st.integers(1 if padding == "same" and d * (k - 1) % 2 else 0, s - 1))
                        if s > 1 or not (padding == "same" and d * (k - 1) % 2) else None
                        for k, s, d in zip(kernel, stride, dilation))
        if None in out_pad:  # stride 1 with an even kernel: no output_padding fits, Keras's default does
            out_pad = None
    sizes = tuple(draw(st.integers(1, max_size)) for _ in range(nd))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    x, w, b = rng_arrays(seed, (batch, *sizes, groups * cin_g), (*kernel, cout_g, groups * cin_g),
                         (groups * cout_g,), dtype=dtype)
    if not draw(st.booleans()):
        b = None
    kwargs = dict(stride=stride, padding=padding, output_padding=out_pad, dilation=dilation, groups=groups,
                  data_format=LAST[nd])
    return dict(x=x, w=w, b=b, kwargs=kwargs, dtype=dtype)


def tf_pool(kind, x, kernel_size, stride, padding, nd):
    """TensorFlow's "valid"/"same" pooling of channels-first x, by torch in float64, or None where the
    arguments are not positive ints (TensorFlow's rules need them).

    The spec's rule: pad (before, after) as resolve_padding("same") does, -inf for max so padding never
    wins; an average is the window's sum over its count of real cells (a pooled ones-map gives the count,
    and torch's divisor K cancels in the ratio)."""
    kernel = per_axis(kernel_size, nd)
    stride = kernel if stride is None else per_axis(stride, nd)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in kernel + stride) \
            or len(kernel) != nd or len(stride) != nd:
        return None
    return tf_pool_graph(kind, _t(x), kernel, stride, padding, nd).numpy()


def tf_pool_graph(kind, xt, kernel, stride, padding, nd):
    """tf_pool on a channels-first float64 tensor, as a torch graph (autograd gives its gradient)."""
    pairs = resolve_padding(padding.lower(), tuple(xt.shape[-nd:]), kernel, stride, 1)
    if kind == "max":
        return TORCH_MAX[nd](F.pad(xt, torch_pad_arg(pairs), value=-math.inf), kernel, stride)
    pooled = [TORCH_AVG[nd](F.pad(t, torch_pad_arg(pairs)), kernel, stride) for t in (xt, torch.ones_like(xt))]
    return pooled[0] / pooled[1]


def assert_same_nonfinite(actual, expected, rtol=1e-10, atol=1e-12):
    """NaN, +inf and -inf at exactly the same places; the finite values close."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    for test in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(test(actual), test(expected), err_msg=test.__name__)
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=rtol, atol=atol)


def conv_output_size_formula(n, k, p_total, s, d):
    """torch's output size, written out: floor((n + p_total - d (k - 1) - 1) / s) + 1."""
    return math.floor((n + p_total - d * (k - 1) - 1) / s) + 1
