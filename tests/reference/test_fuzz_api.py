"""Bad input to the whole reference API, fuzzed with Hypothesis (issue 5).

The promise: any call either returns the right answer or raises ``ValueError`` or
``TypeError`` whose message names the function or the argument at fault; nothing else
escapes (no AttributeError, IndexError, ZeroDivisionError, MemoryError...), nothing
hangs, and nothing returns garbage (NaN from finite input, a non-float array).

``test_errors.py`` already fuzzes ``conv2d``, ``max/avg_pool2d`` and ``conv_output_size``
against torch; this file covers the rest of the API:

- every array function, ``reference.naive`` included, fed junk: arrays of any rank,
  size (zero too) and dtype, and objects that are not arrays, with option values of
  every kind. Where a function has a loop twin in ``reference.naive`` the twins must
  agree: both refuse, or both return the same values (each checks its own arguments;
  only the public size formulas are shared);
- the 1-D pools and the transposed convolutions with junk options, where torch decides
  what is valid and gives the answer (TensorFlow's "valid"/"same" pooling, beyond torch, by
  the spec's rule);
- every string a ``data_format`` or ``padding`` may be given: accepted where the spec says,
  else ``ValueError`` naming the argument, the value and what is accepted (loop twins alike);
- the backward functions with an upstream gradient of the wrong shape, rank or type;
- the size arithmetic (``pool_output_size``, ``conv_transpose_output_size``,
  ``same_padding``) against its formula.
"""
from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import reference
import reference.naive as naive
from ref_oracles import conv_transpose_cases, pool_cases, resolve_padding, tf_pool

#: The array functions of the API (issue 2) and their loop twins, if any.
FUNCTIONS = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
             "correlate2d", "convolve2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "relu",
             "relu_backward", "conv2d_backward", "max_pool1d_backward", "max_pool2d_backward", "avg_pool1d_backward",
             "avg_pool2d_backward"]
TWINS = {name: getattr(naive, name) for name in naive.__all__}
#: Functions built on a transposed convolution, where a NaN of the weight once reached the
#: whole output (torch keeps it to the entries that weight touches).
TRANSPOSED = ("conv2d_backward", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")

DTYPES = ["float64", "float32", "float16", "int64", "int8", "uint8", "bool", "complex128", "object", "<U1",
          "datetime64[s]"]
NON_ARRAYS = [None, "abc", b"x", 3.5, 0, -1, True, [1, 2], [[1.0], [1.0, 2.0]], {"a": 1}, {1, 2}, object(), 1j,
              float("nan"), np.float64(2.0), range(3)]
OPTION_VALUES = [None, True, 1.5, float("nan"), float("inf"), "same", "valid", "full", "bogus", "", "NCHW", "NHWC",
                 "NCW", "NWC", "NCDHW", "NDHWC", "channels_last", "SAME", (), (1, 2, 3), ((1, 1), (1, 1)), ((1, 2),),
                 [1, 1], (0, 1),
                 (2, -1), np.int64(2), np.float64(1.0)]  # (huge values: test_an_enormous_output_fails_fast)


@st.composite
def arrays(draw, finite=True):
    """A random array: rank 0-5, sides 0-4, any dtype; NaN/inf only when ``finite`` is False."""
    shape = tuple(draw(st.integers(0, 4)) if draw(st.integers(0, 7)) == 0 else draw(st.integers(1, 4))
                  for _ in range(draw(st.integers(0, 5))))
    dtype = draw(st.sampled_from(DTYPES))
    values = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1))).standard_normal(shape) * 3
    if not finite and values.size:
        values.flat[0] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    if dtype == "<U1":
        return np.full(shape, "a")
    if dtype == "datetime64[s]":
        return np.zeros(shape, dtype=dtype)
    if dtype == "bool":
        return values > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NaN cast to int: junk is the point
        return values.astype(dtype)


def junk():
    return st.one_of(arrays(), arrays(), arrays(finite=False), st.sampled_from(NON_ARRAYS),
                     st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2), min_size=1, max_size=3))


def options():
    ints = st.integers(-2, 5)
    return st.one_of(ints, st.tuples(ints, ints), st.tuples(ints, ints, ints), st.sampled_from(OPTION_VALUES))


def _finite_numeric(value):
    """Whether ``value`` is finite numbers (or no numbers at all, like a padding string).

    Lists and plain numbers count as the functions take them; a value that is not plain
    numbers (an object array, a ragged list) makes no claim either way (False)."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf" and bool(np.all(np.isfinite(value)))
    if isinstance(value, (list, tuple, float, np.floating)):
        try:
            return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
        except (TypeError, ValueError, OverflowError):
            return False
    return True


def call(fn, args, kwargs):
    """``("ok", result)`` or ``("refused", message)``; any other exception fails the test,
    and so does a RuntimeWarning (overflow, 0/0) on the way from finite input."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            result = fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        return "refused", str(exc)
    except Exception as exc:  # noqa: BLE001 - the point of the test
        raise AssertionError("%s(%s) raised %s: %s" % (fn.__name__, _show(args, kwargs), type(exc).__name__,
                                                        exc)) from exc
    inputs = list(args) + list(kwargs.values())
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if noisy and all(_finite_numeric(v) for v in inputs):
        raise AssertionError("%s(%s) warned %s on finite input" % (fn.__name__, _show(args, kwargs), noisy[0]))
    return "ok", result


def _show(args, kwargs):
    def one(v):
        if isinstance(v, np.ndarray):
            return "array(shape=%s, dtype=%s)" % (v.shape, v.dtype)
        return repr(v)[:60]
    return ", ".join([one(a) for a in args] + ["%s=%s" % (k, one(v)) for k, v in kwargs.items()])


def assert_answer(name, result, inputs):
    """A returned value is float arrays (a tuple of them for the backward functions),
    finite whenever every input array was finite."""
    parts = result if isinstance(result, tuple) else (result,)
    for part in parts:
        if part is None:
            raise AssertionError("%s returned None in %r" % (name, type(result)))
        assert isinstance(part, (np.ndarray, np.floating)) and part.dtype.kind == "f", \
            "%s returned %s %s" % (name, type(part).__name__, getattr(part, "dtype", ""))  # (a 0-d input: a scalar)
        if all(_finite_numeric(v) for v in inputs):
            assert np.all(np.isfinite(part)), "%s returned NaN/inf from finite input" % name


@st.composite
def junk_calls(draw):
    """(function name, args, kwargs): required arguments junk, options drawn at random."""
    name = draw(st.sampled_from(FUNCTIONS))
    fn = getattr(reference, name)
    args, kwargs = [], {}
    for param in inspect.signature(fn).parameters.values():
        if param.default is inspect.Parameter.empty:
            args.append(draw(junk()))
        elif draw(st.integers(0, 2)) == 0:
            kwargs[param.name] = draw(junk()) if param.name == "b" else draw(options())
    return name, args, kwargs


#: Spatial rank of the functions that take (batch, channels, spatial...) arrays.
SPATIAL = {"conv1d": 1, "conv2d": 2, "conv3d": 3, "conv_transpose1d": 1, "conv_transpose2d": 2,
           "conv_transpose3d": 3, "max_pool1d": 1, "avg_pool1d": 1, "max_pool2d": 2, "avg_pool2d": 2}


@st.composite
def plausible_calls(draw):
    """Calls shaped like real ones (one channel, small sides, real dtypes) with options
    drawn from the same junk: often valid, so the loop twins get compared on answers."""
    name = draw(st.sampled_from(sorted(SPATIAL) + ["correlate2d", "convolve2d", "relu", "relu_backward"]))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "bool"]))
    rng = np.random.default_rng(seed)

    def array(shape):
        values = rng.standard_normal(shape) * 2
        return values > 0 if dtype == "bool" else values.astype(dtype)

    sides = st.integers(1, 5)
    if name in SPATIAL:
        nd = SPATIAL[name]
        x = array((draw(st.integers(1, 2)), 1) + tuple(draw(sides) for _ in range(nd)))
        if "pool" in name:
            args = [x, draw(st.one_of(st.integers(1, 3), options()))]
        else:
            args = [x, array((1, 1) + tuple(draw(st.integers(1, 3)) for _ in range(nd)))]
    elif name == "relu_backward":
        x = array(tuple(draw(sides) for _ in range(draw(st.integers(0, 3)))))
        args = [array(x.shape), x]
    elif name == "relu":
        args = [array(tuple(draw(sides) for _ in range(draw(st.integers(0, 4)))))]
    else:
        args = [array((draw(sides), draw(sides))), array((draw(st.integers(1, 3)), draw(st.integers(1, 3))))]
    kwargs = {}
    for param in list(inspect.signature(getattr(reference, name)).parameters.values())[len(args):]:
        if param.name != "data_format" and draw(st.integers(0, 2)) == 0:
            kwargs[param.name] = array((1,)) if param.name == "b" else draw(options())
    return name, args, kwargs


@pytest.mark.timeout(300)
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(junk_calls(), plausible_calls()))
def test_junk_gets_an_answer_or_an_error_that_names_it(case):
    name, args, kwargs = case
    fn = getattr(reference, name)
    outcome, value = call(fn, args, kwargs)
    event("%s %s" % (name, outcome))
    if outcome == "refused":
        params = list(inspect.signature(fn).parameters)
        assert value.strip(), "%s(%s): empty error message" % (name, _show(args, kwargs))
        assert name in value or any(p in value for p in params), \
            "%s(%s): the message %r names neither the function nor an argument" % (name, _show(args, kwargs), value)
    else:
        assert_answer(name, value, list(args) + list(kwargs.values()))
    twin = TWINS.get(name)
    if twin is not None and "data_format" not in kwargs:
        twin_outcome, twin_value = call(twin, args, kwargs)
        assert twin_outcome == outcome, "%s(%s): reference %s (%s) but reference.naive %s (%s)" % (
            name, _show(args, kwargs), outcome, str(value)[:200], twin_outcome, str(twin_value)[:200])
        if outcome == "ok":
            assert twin_value.shape == value.shape and twin_value.dtype == value.dtype, (twin_value.shape, value.shape)
            np.testing.assert_allclose(twin_value, value, rtol=1e-4 if value.dtype == np.float32 else 1e-9,
                                       atol=1e-4 if value.dtype == np.float32 else 1e-9, equal_nan=True)


# -- torch decides: the 1-D pools and the transposed convolutions ---------------------------------
def _torch_answer(fn, *args, **kwargs):
    """torch's answer as float64 NumPy, or None when torch refuses the call."""
    import torch

    try:
        tensors = [torch.from_numpy(np.asarray(a, dtype=np.float64)) if isinstance(a, np.ndarray) else a
                   for a in args]
        return fn(*tensors, **kwargs).numpy()
    except (RuntimeError, ValueError, TypeError, IndexError, OverflowError):
        return None


def _either(value):
    """Option values the spec leaves to the implementation: bools and NumPy integers."""
    values = value if isinstance(value, (tuple, list)) else (value,)
    return any(isinstance(v, (bool, np.integer)) for v in values)


@st.composite
def pool1d_calls(draw):
    case = draw(pool_cases(1))
    kwargs = dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
                  ceil_mode=case["ceil_mode"])
    if draw(st.booleans()):
        kwargs[draw(st.sampled_from(["kernel_size", "stride", "padding"]))] = draw(options())
    elif draw(st.booleans()):  # TensorFlow's modes, often with torch's ceil_mode (refused)
        kwargs["padding"] = draw(st.sampled_from(["valid", "same", "Same", "full"]))
    x = case["x"]
    if draw(st.integers(0, 4)) == 0:
        x = draw(junk())
    return x, kwargs


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=150, deadline=None)
@given(call_=pool1d_calls())
def test_pool1d_options_follow_torch(kind, call_):
    import torch.nn.functional as F

    x, kwargs = call_
    fn = getattr(reference, "%s_pool1d" % kind)
    outcome, value = call(fn, (x,), kwargs)
    event(outcome)
    valid_input = isinstance(x, np.ndarray) and x.dtype.kind in "biuf" and x.ndim == 3 and 0 not in x.shape
    if not valid_input or any(_either(v) for v in kwargs.values()):
        if outcome == "ok":
            assert_answer(fn.__name__, value, [x])
        return
    padding = kwargs["padding"]
    if isinstance(padding, str):  # beyond torch: TensorFlow's rule, without torch's ceil_mode
        exact = None
        if padding.lower() in ("valid", "same") and not kwargs["ceil_mode"]:
            try:
                exact = tf_pool(kind, x.astype(np.float64), kwargs["kernel_size"], kwargs["stride"], padding, 1)
            except RuntimeError:  # torch: the window is larger than the input
                exact = None
    else:
        exact = _torch_answer(F.max_pool1d if kind == "max" else F.avg_pool1d, x, **kwargs)
    if exact is None:
        assert outcome == "refused", "accepted %s, which torch refuses" % _show((x,), kwargs)
    else:
        assert outcome == "ok", "refused %s, which torch accepts: %s" % (_show((x,), kwargs), value)
        np.testing.assert_allclose(value, exact, rtol=1e-5, atol=1e-5)


@st.composite
def transpose_calls(draw, nd):
    case = draw(conv_transpose_cases(nd))
    kwargs = dict(case["kwargs"])
    if draw(st.booleans()):
        kwargs[draw(st.sampled_from(["stride", "padding", "output_padding", "dilation", "groups"]))] = \
            draw(options())
    return case["x"], case["w"], case["b"], kwargs


@pytest.mark.timeout(120)
@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_transposed_convolution_options_follow_torch(nd, data):
    import torch.nn.functional as F

    x, w, b, kwargs = data.draw(transpose_calls(nd))
    fn = getattr(reference, "conv_transpose%dd" % nd)
    outcome, value = call(fn, (x, w, b), dict(kwargs))
    event(outcome)
    padding = kwargs.get("padding", 0)
    if padding == "valid":
        kwargs, padding = dict(kwargs, padding=0), 0  # the spec's name for no padding
    if "output_padding" in kwargs and kwargs["output_padding"] is None:
        kwargs["output_padding"] = 0  # the spec's default, channels-first: torch's 0
    sequence = lambda v: isinstance(v, (tuple, list))  # noqa: E731 - a list reads as a tuple
    flat = sequence(padding) and not any(sequence(q) for q in padding)
    if any(_either(v) for v in kwargs.values()) or isinstance(padding, str) or \
            (flat and len(padding) != nd):  # beyond torch's forms: the spec leaves them open
        if outcome == "ok":
            assert_answer(fn.__name__, value, [x, w, b])
        return
    torch_fn = F.conv_transpose1d if nd == 1 else F.conv_transpose2d
    pairs = sequence(padding) and padding and all(sequence(q) for q in padding)
    if pairs:  # explicit (before, after) crops: torch without padding, then cropped
        exact = _torch_answer(torch_fn, x, w, b, **dict(kwargs, padding=0))
        if exact is not None and len(padding) == nd and all(len(q) == 2 and _ints(*q) and min(q) >= 0
                                                            for q in padding):
            crop = tuple(slice(before, size - after) for (before, after), size in zip(padding, exact.shape[2:]))
            exact = exact[(slice(None), slice(None)) + crop]
        else:
            exact = None
    else:
        exact = _torch_answer(torch_fn, x, w, b, **kwargs)
    if exact is not None and (exact.size == 0 or any(v < 0 for k in ("padding", "output_padding")
                                                       for v in np.ravel(kwargs.get(k, 0)))):
        exact = None  # torch lets these through (an empty output, negative padding); the spec refuses them
    if exact is None:
        assert outcome == "refused", "accepted %s, which torch refuses" % _show((x, w, b), kwargs)
    else:
        assert outcome == "ok", "refused %s, which torch accepts: %s" % (_show((x, w, b), kwargs), value)
        scale = 1e-4 if x.dtype == np.float32 else 1e-9
        np.testing.assert_allclose(value, exact, rtol=scale, atol=scale)


# -- the strings of data_format and padding ---------------------------------------------------------
STRINGS = ["valid", "same", "full", "VALID", "Same", "bogus", "", "same ", "NCW", "NWC", "NCHW", "NHWC", "nhwc", "ncw",
           "NDHWC", "channels_last", "Channels_First", "channels-last"]
#: The functions that take both (spatial rank) and their layouts (channels-first, channels-last).
STRING_TAKERS = {"max_pool1d": 1, "avg_pool1d": 1, "max_pool2d": 2, "avg_pool2d": 2, "max_pool1d_backward": 1,
                 "avg_pool1d_backward": 1, "max_pool2d_backward": 2, "avg_pool2d_backward": 2,
                 "conv_transpose1d": 1, "conv_transpose2d": 2}
LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC")}


def _layout_of(value, nd):
    """The spec: the explicit layouts in any case, Keras's names in any case; None where unknown."""
    first, last = LAYOUTS[nd]
    if value.upper() == first or value.lower() == "channels_first":
        return "first"
    if value.upper() == last or value.lower() == "channels_last":
        return "last"
    return None


def _padding_modes(name, last):
    """The spec: pools take TensorFlow's modes; a transposed convolution "valid", and Keras's "same"
    channels-last only."""
    return ("valid", "same") if "pool" in name or last else ("valid",)


def _string_call(name, nd, last, rng):
    shape = (2,) + (5,) * nd + (3,) if last else (2, 3) + (5,) * nd
    x = rng.standard_normal(shape)
    if name.startswith("conv_transpose"):
        w = rng.standard_normal((2,) * nd + (4, 3) if last else (3, 4) + (2,) * nd)
        return [x, w], {"stride": 2}
    return [x, 2], {}


@pytest.mark.parametrize("argument", ["data_format", "padding"])
@pytest.mark.parametrize("name", sorted(STRING_TAKERS))
def test_layout_and_padding_strings_are_taken_or_refused_by_name(name, argument, rng):
    """Each string either works as the spec says or raises ValueError naming the argument, the value and
    what is accepted; the loop twin agrees (same values, or the same message)."""
    nd = STRING_TAKERS[name]
    fn, twin = getattr(reference, name), TWINS.get(name)
    for value, last in [(v, last) for v in STRINGS for last in (False, True)]:
        if argument == "data_format":
            layout = _layout_of(value, nd)
            if layout is not None and (layout == "last") != last:
                continue  # the array is laid out the other way
            kwargs, accepted = {"data_format": value}, layout is not None
            rule = [repr(m) for m in LAYOUTS[nd]]
        else:
            kwargs = {"data_format": LAYOUTS[nd][last], "padding": value}
            accepted = value.lower() in _padding_modes(name, last)
            rule = [repr(m) for m in _padding_modes(name, last)]
        args, options_ = _string_call(name, nd, last, rng)
        kwargs.update(options_)
        if name.endswith("_backward"):
            forward = getattr(reference, name[: -len("_backward")])
            dout = forward(*args, **kwargs) if accepted else np.ones(3)
            args = [np.ones_like(dout)] + args
        outcome, message = call(fn, args, kwargs)
        what = "%s(%s)" % (name, _show(args, kwargs))
        if accepted:
            assert outcome == "ok", "%s refused: %s" % (what, message)
        else:
            assert outcome == "refused", "%s accepted %s=%r" % (what, argument, value)
            for part in [argument, repr(value)] + rule:
                assert part in message, "%s: %r does not name %s" % (what, message, part)
        if twin is not None:
            twin_outcome, twin_value = call(twin, args, kwargs)
            assert twin_outcome == outcome, (what, message, twin_value)
            if outcome == "refused":
                assert twin_value == message
            else:
                np.testing.assert_allclose(twin_value, message, rtol=1e-12, atol=1e-12)


# -- backward with a wrong upstream gradient ----------------------------------------------------
@st.composite
def backward_calls(draw):
    """A valid forward call, then its backward with a gradient that is right or spoiled."""
    name = draw(st.sampled_from(["conv2d_backward", "max_pool1d_backward", "max_pool2d_backward",
                                 "avg_pool1d_backward", "avg_pool2d_backward", "relu_backward"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(3, 6)),
                             draw(st.integers(3, 6))))
    if "1d" in name:
        x = x[:, :, 0]
    if name == "conv2d_backward":
        w = rng.standard_normal((draw(st.integers(1, 3)), x.shape[1], 2, 2))
        kwargs = dict(stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1)), dilation=1, groups=1)
        out_shape = reference.conv2d(x, w, **kwargs).shape
        args = [x, w]
    elif name == "relu_backward":
        kwargs, out_shape, args = {}, x.shape, [x]
    else:
        kwargs = dict(stride=draw(st.sampled_from([None, 1, 2])), padding=draw(st.sampled_from([0, 1, "same", "valid"])))
        if draw(st.booleans()):  # Keras's layout
            x = np.ascontiguousarray(np.moveaxis(x, 1, -1))
            kwargs["data_format"] = "NWC" if "1d" in name else "NHWC"
        out_shape = getattr(reference, name.replace("_backward", ""))(x, 2, **kwargs).shape
        args = [x, 2]
    spoil = draw(st.sampled_from(["none", "none", "shape", "rank", "dtype", "non_array"]))
    dout = rng.standard_normal(out_shape)
    if spoil == "shape":
        shape = list(out_shape)
        axis = draw(st.integers(0, len(shape) - 1))
        shape[axis] += draw(st.sampled_from([-1, 1, 2])) if shape[axis] > 1 else 1
        dout = rng.standard_normal(shape)
    elif spoil == "rank":
        dout = dout[None] if draw(st.booleans()) else dout[0]
    elif spoil == "dtype":
        dout = np.full(out_shape, draw(st.sampled_from(["a", None])), dtype=object if draw(st.booleans()) else "<U1")
    elif spoil == "non_array":
        dout = draw(st.sampled_from(NON_ARRAYS))
    return name, [dout] + args, kwargs, spoil


@pytest.mark.timeout(120)
@settings(max_examples=200, deadline=None)
@given(backward_calls())
def test_backward_refuses_a_gradient_that_does_not_fit(case):
    name, args, kwargs, spoil = case
    fn = getattr(reference, name)
    outcome, value = call(fn, args, kwargs)
    event("%s %s" % (spoil, outcome))
    if spoil == "none":
        assert outcome == "ok", "%s refused a fitting gradient: %s" % (name, value)
        assert_answer(name, value, args)
        grads = value if isinstance(value, tuple) else (value,)
        assert grads[0].shape == args[1].shape, "dx must have x's shape"
    else:
        assert outcome == "refused", "%s accepted a %s gradient: %s" % (name, spoil, _show(args, kwargs))
        assert "dout" in value or name in value, value


# -- the size arithmetic, against its formula -----------------------------------------------------
def _ints(*values):
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


SIZES = st.one_of(st.integers(-2, 12), st.sampled_from([None, 2.0, 2.5, "3", True, float("nan"), (2,), 10 ** 12]))


@pytest.mark.timeout(60)
@settings(max_examples=300, deadline=None)
@given(n=SIZES, k=SIZES, s=st.one_of(st.none(), SIZES), p=SIZES, ceil=st.booleans())
def test_pool_output_size_is_the_formula_or_an_error(n, k, s, p, ceil):
    outcome, value = call(reference.pool_output_size, (n, k), dict(stride=s, padding=p, ceil_mode=ceil))
    stride = k if s is None else s
    valid = _ints(n, k, stride, p) and n >= 1 and k >= 1 and stride >= 1 and 0 <= p <= k // 2
    if valid:
        # torch's rule: floor (or ceil) of (n + 2p - k) / s, plus 1; with ceil_mode a last window
        # that would start in the padding is dropped; an output under 1 is an error
        out = (-(-(n + 2 * p - k) // stride) if ceil else (n + 2 * p - k) // stride) + 1
        if ceil and (out - 1) * stride >= n + p:
            out -= 1
        valid = out >= 1
    if not valid:
        assert outcome == "refused", "pool_output_size(%r, %r, stride=%r, padding=%r) = %r" % (n, k, s, p, value)
        return
    assert outcome == "ok", value
    assert value == out and isinstance(value, int), (n, k, s, p, ceil, value, out)


@pytest.mark.timeout(60)
@settings(max_examples=300, deadline=None)
@given(n=SIZES, k=SIZES, s=SIZES, p=SIZES, op=st.integers(-1, 3), d=st.integers(-1, 3))
def test_conv_transpose_output_size_is_the_formula_or_an_error(n, k, s, p, op, d):
    outcome, value = call(reference.conv_transpose_output_size, (n, k),
                          dict(stride=s, padding=p, output_padding=op, dilation=d))
    valid = _ints(n, k, s, p) and n >= 1 and k >= 1 and s >= 1 and d >= 1 and p >= 0 and 0 <= op < max(s, d)
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1 if valid else None
    if not valid or out < 1:
        assert outcome == "refused", "conv_transpose_output_size(%r, %r, %r, %r, %r, %r) = %r" % (
            n, k, s, p, op, d, value)
        return
    assert outcome == "ok" and value == out, (n, k, s, p, op, d, value, out)


@pytest.mark.timeout(60)
@settings(max_examples=300, deadline=None)
@given(n=SIZES, k=SIZES, s=SIZES, d=st.one_of(st.integers(-1, 3), st.sampled_from([1.0, None])))
def test_same_padding_is_the_tensorflow_rule_or_an_error(n, k, s, d):
    outcome, value = call(reference.same_padding, (n, k), dict(stride=s, dilation=d))
    valid = _ints(n, k, s, d) and n >= 1 and k >= 1 and s >= 1 and d >= 1
    if not valid:
        assert outcome == "refused", "same_padding(%r, %r, stride=%r, dilation=%r) = %r" % (n, k, s, d, value)
        return
    assert outcome == "ok", value
    assert tuple(value) == resolve_padding("same", [n], [k], s, d)[0], (n, k, s, d, value)
    assert math.ceil(n / s) == (n + sum(value) - d * (k - 1) - 1) // s + 1  # TensorFlow's output size


# -- an enormous request fails at once --------------------------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name, args, kwargs", [
    ("conv1d", (np.ones((1, 1, 3)), np.ones((1, 1, 1))), {"padding": 10 ** 12}),
    ("conv2d", (np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1))), {"padding": 10 ** 6}),
    ("conv3d", (np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 1, 1, 1))), {"padding": (10 ** 4, 10 ** 4, 10 ** 4)}),
    ("conv_transpose2d", (np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 1))), {"stride": 10 ** 6}),
    ("conv_transpose1d", (np.ones((1, 1, 2)), np.ones((1, 1, 1))), {"dilation": 10 ** 15, "stride": 10 ** 15}),
    ("max_pool2d", (np.ones((1, 1, 4, 4)), 10 ** 9), {}),
])
def test_an_enormous_request_fails_fast_without_taking_the_memory(name, args, kwargs):
    """Sizes no machine can hold: refused (ValueError) or NumPy's MemoryError before
    anything is allocated, within a second or two, never an attempt that swaps or hangs."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        getattr(reference, name)(*args, **kwargs)
    except (ValueError, MemoryError) as exc:
        assert str(exc), "an empty message"
    else:
        pytest.fail("%s(%s) returned an answer" % (name, _show(args, kwargs)))
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 512 * 1024  # KiB: under 512 MiB more


# -- non-finite weights -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", TRANSPOSED)
def test_a_nan_weight_stays_where_torch_puts_it(name):
    import torch
    import torch.nn.functional as F

    nd = int(name[-2]) if name.startswith("conv_transpose") else 2
    x, w = np.ones((1, 1) + (3,) * nd), np.ones((1, 1) + (2,) * nd)
    w[(0, 0) + (0,) * nd] = np.nan
    if name == "conv2d_backward":
        xt, wt = torch.from_numpy(np.ones((1, 1, 4, 4))).requires_grad_(), torch.from_numpy(w).requires_grad_()
        F.conv2d(xt, wt).backward(torch.from_numpy(x))
        ours, theirs = reference.conv2d_backward(x, xt.detach().numpy(), w)[0], xt.grad.numpy()
    else:
        ours = getattr(reference, name)(x, w)
        theirs = getattr(F, name)(torch.from_numpy(x), torch.from_numpy(w)).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
