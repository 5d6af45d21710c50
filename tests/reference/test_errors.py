"""Bad input: each rule of the spec raises ValueError/TypeError with a message that names the
problem; then fuzzing: any call returns the right answer or raises ValueError/TypeError,
never another exception and never a hang."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import reference
from ref_oracles import (
    conv_cases, conv_output_size_formula, per_axis, resolve_padding, rng_arrays, tf_pool, torch_conv,
)

X4 = np.ones((1, 3, 5, 5))
W4 = np.ones((2, 3, 3, 3))


def raises(exc, pattern, fn, *args, **kwargs):
    """fn(*args, **kwargs) raises exc and its message matches every regex in pattern (case-insensitive)."""
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    for p in ([pattern] if isinstance(pattern, str) else pattern):
        assert re.search(p, msg, re.I), f"message {msg!r} does not mention {p!r}"
    return msg


# ------------------------------------------------------------------------ channels

def test_channel_mismatch_names_both_counts():
    """The spec's example: 'input has 3 channels but weight expects 4'."""
    raises(ValueError, [r"channels", r"\b3\b", r"\b4\b"], reference.conv2d, np.ones((1, 3, 5, 5)),
           np.ones((2, 4, 3, 3)))


@pytest.mark.parametrize("fn,x,w", [
    ("conv1d", np.ones((1, 3, 5)), np.ones((2, 4, 3))),
    ("conv3d", np.ones((1, 3, 5, 5, 5)), np.ones((2, 4, 3, 3, 3))),
    ("conv_transpose2d", np.ones((1, 3, 4, 4)), np.ones((4, 2, 3, 3))),
    ("conv_transpose1d", np.ones((1, 3, 4)), np.ones((4, 2, 3))),
])
def test_channel_mismatch_other_functions(fn, x, w):
    raises(ValueError, [r"channels", r"\b3\b", r"\b4\b"], getattr(reference, fn), x, w)


def test_channel_mismatch_channels_last():
    raises(ValueError, [r"channels", r"\b3\b", r"\b4\b"], reference.conv2d, np.ones((1, 5, 5, 3)),
           np.ones((3, 3, 4, 2)), data_format="NHWC")


def test_channel_mismatch_with_groups():
    # 4 input channels in 2 groups need weight.shape[1] == 2
    raises(ValueError, [r"channels|groups"], reference.conv2d, np.ones((1, 4, 5, 5)), np.ones((2, 3, 3, 3)),
           groups=2)


# ----------------------------------------------------------------- sizes and options

def test_kernel_larger_than_padded_input():
    raises(ValueError, [r"kernel", r"\b5\b"], reference.conv2d, np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5)))
    raises(ValueError, [r"kernel|dilat"], reference.conv2d, np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)),
           dilation=3)
    reference.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5)), padding=1)  # padded to 5: fine


@pytest.mark.parametrize("stride", [0, -1, (1, 0), (2, -2)])
def test_non_positive_stride(stride):
    raises(ValueError, r"stride", reference.conv2d, X4, W4, stride=stride)


@pytest.mark.parametrize("stride", [1.5, "2", None])
def test_non_integer_stride(stride):
    raises((TypeError, ValueError), r"stride", reference.conv2d, X4, W4, stride=stride)


@pytest.mark.parametrize("dilation", [0, -2, (1, 0)])
def test_non_positive_dilation(dilation):
    raises(ValueError, r"dilation", reference.conv2d, X4, W4, dilation=dilation)


@pytest.mark.parametrize("padding", [-1, (0, -1), ((0, 0), (1, -1)), "bogus", (1, 2, 3)])
def test_bad_padding(padding):
    raises(ValueError, r"padding", reference.conv2d, X4, W4, padding=padding)


@pytest.mark.parametrize("groups,x,w", [
    (0, X4, W4),
    (2, np.ones((1, 3, 5, 5)), np.ones((2, 1, 3, 3))),  # 3 input channels, 2 groups
    (2, np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3))),  # 3 output channels, 2 groups
])
def test_groups_not_dividing(groups, x, w):
    raises(ValueError, r"groups", reference.conv2d, x, w, groups=groups)


@pytest.mark.parametrize("fn,x,w", [
    ("conv2d", np.ones((5, 5)), W4),
    ("conv2d", np.ones((1, 1, 3, 5, 5)), W4),
    ("conv2d", X4, np.ones((3, 3, 3))),
    ("conv1d", np.ones((5,)), np.ones((1, 1, 3))),
    ("conv3d", np.ones((3, 5, 5)), np.ones((1, 3, 1, 1, 1))),
])
def test_wrong_number_of_dimensions(fn, x, w):
    raises(ValueError, [r"dim|\d-D", r"\(|shape"], getattr(reference, fn), x, w)


@pytest.mark.parametrize("fmt", ["NCWH", "nhcw", "", "NWC", "NCDHW", 3])
def test_unknown_data_format(fmt):
    raises((ValueError, TypeError), r"data_format", reference.conv2d, X4, W4, data_format=fmt)


@pytest.mark.parametrize("value,dtype", [("a", "<U1"), (object(), object), ("2021-01-01", "datetime64[D]")])
def test_non_numeric_dtype(value, dtype):
    bad = lambda shape: np.full(shape, value, dtype=dtype)
    raises(TypeError, r"dtype", reference.conv2d, bad((1, 3, 5, 5)), W4)
    raises(TypeError, r"dtype", reference.conv2d, X4, bad((2, 3, 3, 3)))
    raises(TypeError, r"dtype", reference.correlate2d, bad((4, 4)), np.ones((2, 2)))
    raises(TypeError, r"dtype", reference.max_pool2d, bad((1, 1, 4, 4)), 2)
    raises(TypeError, r"dtype", reference.relu, bad((3,)))


@pytest.mark.parametrize("obj", [None, "image", object(), {"a": 1}])
@pytest.mark.parametrize("fn", ["conv2d", "max_pool2d", "avg_pool2d", "relu", "correlate2d"])
def test_non_array_objects(obj, fn):
    f = getattr(reference, fn)
    args = {"conv2d": (obj, W4), "max_pool2d": (obj, 2), "avg_pool2d": (obj, 2), "relu": (obj,),
            "correlate2d": (obj, np.ones((2, 2)))}[fn]
    raises(TypeError, r".", f, *args)


def test_bias_of_the_wrong_shape():
    raises(ValueError, r"\bb\b|bias", reference.conv2d, X4, W4, np.ones(3))


def test_dtype_rules():
    """float32 -> float32, float64 -> float64, int and bool -> float64."""
    x, w = np.arange(75).reshape(1, 3, 5, 5), np.ones((2, 3, 3, 3), dtype=np.int64)
    for xx, ww, want in [(x.astype(np.float32), w.astype(np.float32), np.float32),
                         (x.astype(np.float64), w.astype(np.float64), np.float64),
                         (x.astype(np.int32), w, np.float64), (x % 2 == 0, w > 0, np.float64)]:
        y = reference.conv2d(xx, ww)
        assert y.dtype == want, (xx.dtype, y.dtype)
        np.testing.assert_allclose(y, torch_conv(xx, ww), rtol=1e-6)
        assert reference.max_pool2d(xx, 2).dtype == want
        assert reference.avg_pool2d(xx, 2).dtype == want
        assert reference.relu(xx).dtype == want
        assert reference.correlate2d(xx[0, 0], ww[0, 0]).dtype == want


# ---------------------------------------------------------------------- pools, transpose

@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_pool_errors(name):
    fn = getattr(reference, name)
    x = np.ones((1, 2, 6, 6))
    raises(ValueError, r"kernel", fn, x, 0)
    raises(ValueError, r"stride", fn, x, 2, stride=0)
    raises(ValueError, r"padding", fn, x, 2, padding=-1)
    raises(ValueError, r"padding", fn, x, 2, padding=2)  # torch: at most half the kernel
    raises(ValueError, r"dim|\d-D", fn, np.ones((6, 6)), 2)
    raises(ValueError, r"kernel|larger|size", fn, np.ones((1, 1, 2, 2)), 3)


def test_conv_transpose_errors():
    x, w = np.ones((1, 2, 4, 4)), np.ones((2, 3, 3, 3))
    raises(ValueError, r"output_padding", reference.conv_transpose2d, x, w, stride=2, output_padding=2)
    raises(ValueError, r"stride", reference.conv_transpose2d, x, w, stride=0)
    raises(ValueError, r"groups", reference.conv_transpose2d, np.ones((1, 3, 4, 4)), np.ones((3, 1, 3, 3)),
           groups=2)
    raises(ValueError, r"padding|output", reference.conv_transpose2d, np.ones((1, 2, 1, 1)), np.ones((2, 3, 1, 1)),
           padding=1)  # nothing left after cropping


def test_keras_option_errors_name_the_argument_the_value_and_the_rule():
    x, w = np.ones((1, 5, 5, 2)), np.ones((3, 3, 4, 2))
    raises(ValueError, [r"data_format", r"'bogus'", r"'NCHW'", r"'NHWC'"], reference.max_pool2d, x, 2,
           data_format="bogus")
    raises(ValueError, [r"data_format", r"'NHWC'", r"'NCW'", r"'NWC'"], reference.avg_pool1d, x[0], 2,
           data_format="NHWC")
    raises(ValueError, [r"padding", r"'full'", r"'valid', 'same'"], reference.avg_pool2d, x, 2, padding="full",
           data_format="NHWC")
    raises(ValueError, [r"ceil_mode", r"padding='same'"], reference.max_pool2d, x, 2, padding="same", ceil_mode=True)
    raises(ValueError, [r"output_padding=2", r"stride=2", r"Keras"], reference.conv_transpose2d, x, w, stride=2,
           padding="same", output_padding=2, data_format="NHWC")
    raises(ValueError, [r"output_padding=0", r"even kernel", r"n=5"], reference.conv_transpose2d, x,
           np.ones((2, 2, 4, 2)), padding="same", output_padding=0, data_format="NHWC")
    raises(ValueError, [r"padding='same'", r"channels-last"], reference.conv_transpose2d, np.ones((1, 2, 5, 5)),
           np.ones((2, 4, 3, 3)), padding="same")
    raises(ValueError, [r"padding", r"'full'", r"'valid', 'same'"], reference.conv_transpose1d, x[:, 0], w[0],
           padding="full", data_format="NWC")
    raises(ValueError, [r"channels", r"\b2\b", r"\b3\b", r"\(k, k, c_O/groups, c_I\)"], reference.conv_transpose2d,
           x, np.ones((3, 3, 4, 3)), data_format="NHWC")
    raises(ValueError, [r"window", r"padding='valid'"], reference.max_pool1d, np.ones((1, 2, 1)), 3, padding="valid",
           data_format="NWC")
    raises(ValueError, [r"ceil_mode"], reference.pool_output_size, 5, 2, padding="same", ceil_mode=True)
    raises(ValueError, [r"padding", r"'bogus'"], reference.pool_output_size, 5, 2, padding="bogus")
    raises(ValueError, [r"output_padding", r"even kernel"], reference.conv_transpose_output_size, 4, 2, 2, "same", 0)
    raises(ValueError, [r"padding", r"'full'"], reference.conv_transpose_output_size, 4, 2, 2, "full")


def test_single_image_helper_errors():
    raises(ValueError, r"mode", reference.correlate2d, np.ones((4, 4)), np.ones((2, 2)), mode="bogus")
    raises(ValueError, [r"dim|2-D", r"\(1, 4, 4\)"], reference.correlate2d, np.ones((1, 4, 4)), np.ones((2, 2)))
    raises(ValueError, r"dim|2-D", reference.convolve2d, np.ones((4, 4)), np.ones(2))


def test_arithmetic_errors():
    raises(ValueError, r"kernel|larger", reference.conv_output_size, 5, 7)
    raises(ValueError, r"stride", reference.conv_output_size, 5, 3, stride=0)
    raises(ValueError, r"dilation", reference.conv_output_size, 5, 3, dilation=0)
    raises(ValueError, r"padding", reference.conv_output_size, 5, 3, padding=-1)
    raises(ValueError, r"stride", reference.same_padding, 5, 3, stride=0)
    raises(ValueError, r"padding", reference.pool_output_size, 5, 2, padding=2)
    raises(ValueError, r"output_padding", reference.conv_transpose_output_size, 4, 3, stride=2, output_padding=2)
    raises(TypeError, r"\bn\b|int", reference.conv_output_size, 5.5, 3)


def test_backward_errors():
    x, w = np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3))
    kw = dict(stride=1, padding=0, dilation=1, groups=1)
    raises(ValueError, r"dout", reference.conv2d_backward, np.ones((1, 2, 4, 4)), x, w, **kw)
    raises(ValueError, r"dout", reference.max_pool2d_backward, np.ones((1, 3, 3, 3)), x, 2)
    raises(ValueError, r"dout|shape", reference.relu_backward, np.ones((1, 3)), x)


# ------------------------------------------------------------------------------ fuzzing

NON_ARRAYS = [None, "abc", object(), {"k": 1}, 3.5]
DTYPES = ["float32", "float64", "int32", "int64", "bool", "uint8", "complex128", "<U1", "object"]
REAL = {"float32", "float64", "int32", "int64", "bool", "uint8"}


def make_array(seed, shape, dtype):
    (a,) = rng_arrays(seed, shape)
    if dtype == "<U1":
        return np.full(shape, "a")
    if dtype == "object":
        return a.astype(object)
    if dtype == "bool":
        return a > 0
    return (a * 3).astype(dtype)


MUTATIONS = ["none", "none", "none", "dtype", "non_array", "stride", "dilation", "padding", "groups",
             "data_format", "channels", "ndim", "kernel", "bias", "zero_size"]


@st.composite
def fuzz_conv2d(draw):
    """A valid conv2d call, then (most of the time) one random change that may or may not break it."""
    case = draw(conv_cases(2, max_extra=4))
    x, w, b, kw = case["x"], case["w"], case["b"], dict(case["kwargs"])
    last = kw.get("data_format") == "NHWC"
    mutation = draw(st.sampled_from(MUTATIONS))
    event(f"mutation {mutation}")
    ints = st.integers(-1, 3)
    if mutation == "dtype":
        which = draw(st.sampled_from(["x", "w"]))
        arr = make_array(case["seed"], (x if which == "x" else w).shape, draw(st.sampled_from(DTYPES)))
        x, w = (arr, w) if which == "x" else (x, arr)
    elif mutation == "non_array":
        obj = draw(st.sampled_from(NON_ARRAYS))
        x, w = (obj, w) if draw(st.booleans()) else (x, obj)
    elif mutation == "stride":
        kw["stride"] = draw(st.one_of(ints, st.tuples(ints, ints), st.sampled_from([1.5, None, (1, 1, 1), True])))
    elif mutation == "dilation":
        kw["dilation"] = draw(st.one_of(ints, st.tuples(ints, ints), st.sampled_from([0.5, (2,), "1"])))
    elif mutation == "padding":
        kw["padding"] = draw(st.one_of(
            ints, st.tuples(ints, ints), st.tuples(st.tuples(ints, ints), st.tuples(ints, ints)),
            st.sampled_from(["valid", "same", "full", "bogus", None, 1.0, ((1, 1),), (1, 1, 1)])))
    elif mutation == "groups":
        kw["groups"] = draw(st.sampled_from([0, -1, 2, 3, 4, 1.0]))
    elif mutation == "data_format":
        kw["data_format"] = draw(st.sampled_from(["NHWC", "NCHW", "NCW", "NDHWC", "bogus", None]))
    elif mutation == "channels":
        axis = 2 if last else 1
        shape = list(w.shape)
        shape[axis] += draw(st.sampled_from([-1, 1, 2]))
        w = make_array(case["seed"], tuple(shape), "float64")
    elif mutation == "ndim":
        x = x[None] if draw(st.booleans()) else x[0]
    elif mutation == "kernel":
        shape = list(w.shape)
        for ax in ((0, 1) if last else (2, 3)):
            shape[ax] += draw(st.integers(0, 8))
        w = make_array(case["seed"], tuple(shape), "float64")
    elif mutation == "bias":
        b = make_array(case["seed"], (draw(st.integers(0, 7)),), draw(st.sampled_from(["float64", "<U1"])))
    elif mutation == "zero_size":
        shape = list(x.shape)
        shape[draw(st.integers(0, len(shape) - 1))] = 0
        x = np.zeros(tuple(shape))
    return x, w, b, kw


def _pos_ints(v):
    t = per_axis(v, 2) if isinstance(v, int) and not isinstance(v, bool) else v
    return isinstance(t, tuple) and len(t) == 2 and all(isinstance(i, int) and i >= 1 for i in t)


def _padding_ok(p):
    if p in ("valid", "same", "full"):
        return True
    if isinstance(p, int) and not isinstance(p, bool):
        return p >= 0
    if isinstance(p, tuple) and len(p) == 2:
        flat = [i for q in p for i in (q if isinstance(q, tuple) else (q,))]
        return all(isinstance(i, int) and i >= 0 for i in flat) and all(
            isinstance(q, int) or len(q) == 2 for q in p)
    return False


def classify_conv2d(x, w, b, kw):
    """'valid' (must return torch's answer), 'invalid' (must raise ValueError/TypeError) or
    'either' (zero-size axes, complex dtype: the spec leaves them open)."""
    arrays = isinstance(x, np.ndarray) and isinstance(w, np.ndarray)
    if not arrays:
        return "invalid"
    if x.dtype.kind in "OUSMm" or w.dtype.kind in "OUSMm":
        return "invalid"
    if x.dtype.kind == "c" or w.dtype.kind == "c":
        return "either"
    fmt = kw.get("data_format", "NCHW")
    if fmt is None:
        return "either"
    if b is not None and (not isinstance(b, np.ndarray) or b.dtype.kind not in "biuf"):
        return "invalid"
    g = kw["groups"]
    if not isinstance(g, int) or isinstance(g, bool):
        return "invalid"
    if fmt not in ("NCHW", "NHWC") or not _pos_ints(kw["stride"]) or not _pos_ints(kw["dilation"]):
        return "invalid"
    if not _padding_ok(kw["padding"]):
        return "invalid"
    last = fmt == "NHWC"
    if last and x.ndim == 3:
        return "either"  # unbatched channels-last: the spec only promises torch's unbatched (C, H, W)
    if w.ndim != 4 or x.ndim not in (3, 4) or g < 1:
        return "invalid"
    if 0 in x.shape or 0 in w.shape:
        return "either"
    cin = x.shape[-1] if last else x.shape[-3]
    cout, cin_w = (w.shape[3], w.shape[2]) if last else (w.shape[0], w.shape[1])
    if cin % g or cout % g or cin_w * g != cin:
        return "invalid"
    if b is not None and b.shape != (cout,):
        return "invalid"
    spatial = x.shape[1:3] if last else x.shape[-2:]
    kernel = w.shape[:2] if last else w.shape[2:]
    pairs = resolve_padding(kw["padding"], spatial, kernel, kw["stride"], kw["dilation"])
    for ax, (n, k) in enumerate(zip(spatial, kernel)):
        s, d = per_axis(kw["stride"], 2)[ax], per_axis(kw["dilation"], 2)[ax]
        if conv_output_size_formula(n, k, sum(pairs[ax]), s, d) < 1:
            return "invalid"
    return "valid"


@pytest.mark.timeout(120)
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=fuzz_conv2d())
def test_fuzz_conv2d(call):
    x, w, b, kw = call
    verdict = classify_conv2d(x, w, b, kw)
    event(verdict)
    try:
        y = reference.conv2d(x, w, b, **kw)
    except (ValueError, TypeError) as err:
        assert verdict != "valid", f"valid call refused: {err!r} for x {getattr(x, 'shape', x)}, " \
                                   f"w {getattr(w, 'shape', w)}, {kw}"
        assert str(err), "empty error message"
        return
    assert verdict != "invalid", f"invalid call accepted: x {getattr(x, 'shape', x)}, w {getattr(w, 'shape', w)}, {kw}"
    if verdict == "valid":
        exact = torch_conv(x, w, b, **kw)
        assert y.shape == exact.shape
        if all(a.dtype == np.float32 for a in (x, w, b) if a is not None):
            assert y.dtype == np.float32
        mag = torch_conv(x, w, b, absolute=True, **kw)
        assert np.all(np.abs(y - exact) <= 1e-4 * mag + 1e-5)


@st.composite
def fuzz_pool2d(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    shape = tuple(draw(st.integers(0, 6)) for _ in range(draw(st.sampled_from([4, 4, 3, 2, 5]))))
    x = draw(st.sampled_from(NON_ARRAYS)) if draw(st.integers(0, 9)) == 0 else make_array(
        seed, shape, draw(st.sampled_from(DTYPES)))
    ints = st.integers(-1, 4)
    kernel = draw(st.one_of(ints, st.tuples(ints, ints), st.sampled_from([None, 2.0, (2, 2, 2)])))
    stride = draw(st.one_of(st.none(), ints, st.tuples(ints, ints), st.sampled_from([1.5])))
    padding = draw(st.one_of(ints, st.tuples(ints, ints), st.sampled_from(["same", "valid", "SAME", "full", None])))
    return x, dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=draw(st.booleans()))


def torch_pool(kind, x, kw):
    """torch's answer in float64, or None when torch refuses the call (or it is not numeric).

    TensorFlow's padding modes, beyond torch, are judged by the spec's rule (ref_oracles.tf_pool):
    "valid" and "same" without ceil_mode, which is torch's option for an int padding only."""
    import torch
    import torch.nn.functional as F

    if not (isinstance(x, np.ndarray) and x.dtype.kind in "biuf" and x.ndim in (3, 4) and 0 not in x.shape):
        return None
    try:
        if isinstance(kw["padding"], str):
            if kw["padding"].lower() not in ("valid", "same") or kw["ceil_mode"]:
                return None
            return tf_pool(kind, x.astype(np.float64), kw["kernel_size"], kw["stride"], kw["padding"], 2)
        return (F.max_pool2d if kind == "max" else F.avg_pool2d)(torch.from_numpy(x.astype(np.float64)), **kw).numpy()
    except (RuntimeError, TypeError, ValueError):
        return None


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=300, deadline=None)
@given(call=fuzz_pool2d())
def test_fuzz_pool2d(kind, call):
    """torch decides what is valid: we accept what it accepts (batched) and refuse what it refuses."""
    x, kw = call
    exact = torch_pool(kind, x, kw)
    try:
        y = getattr(reference, f"{kind}_pool2d")(x, **kw)
    except (ValueError, TypeError) as err:
        assert exact is None or x.ndim == 3, f"refused {x.shape} {kw}, which torch accepts: {err!r}"
        return
    assert isinstance(x, np.ndarray) and x.dtype.kind in "biuf", \
        f"accepted {type(x).__name__} {getattr(x, 'dtype', '')}"
    if 0 in x.shape:
        return
    assert exact is not None, f"accepted {x.shape} {kw}, which torch refuses"
    np.testing.assert_allclose(y, exact, rtol=1e-6, atol=1e-6)


@pytest.mark.timeout(60)
@settings(max_examples=200, deadline=None)
@given(n=st.one_of(st.integers(-2, 9), st.sampled_from([None, 2.5, "5"])),
       k=st.one_of(st.integers(-1, 5), st.sampled_from([None, 1.5])),
       s=st.one_of(st.integers(-1, 3), st.sampled_from([1.0])),
       p=st.one_of(st.integers(-1, 3), st.sampled_from(["valid", "same", "full", "bogus"])),
       d=st.integers(-1, 3))
def test_fuzz_conv_output_size(n, k, s, p, d):
    try:
        o = reference.conv_output_size(n, k, padding=p, stride=s, dilation=d)
    except (ValueError, TypeError):
        ok = all(isinstance(v, int) and v >= 1 for v in (n, k, s, d)) and (
            (isinstance(p, int) and p >= 0) or p in ("valid", "same", "full"))
        if ok:  # all arguments in range: only a kernel larger than the padded input may be refused
            total = sum(resolve_padding(p, [n], [k], s, d)[0])
            assert conv_output_size_formula(n, k, total, s, d) < 1, (n, k, s, p, d)
        return
    assert all(isinstance(v, int) and v >= 1 for v in (n, k, s, d)), (n, k, s, d)
    assert isinstance(p, str) or p >= 0
    assert o == conv_output_size_formula(n, k, sum(resolve_padding(p, [n], [k], s, d)[0]), s, d)
