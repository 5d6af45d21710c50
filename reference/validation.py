"""Shared argument checks of the vectorised functions: arrays, padding, data layout; the plan cache.

Every check raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right
kind, impossible value) with a message that starts with the public function's
name and states the argument, the value received and the rule it breaks, e.g.
``conv2d: input has 3 channels but weight expects 4 (weight shape (8, 4, 3, 3), groups=1)``.
Integer arguments are checked by :mod:`reference.int_checks`; the padding
modes are resolved with the formulas of :mod:`reference.arithmetic`.
"""

from .arithmetic import _same_padding
from .int_checks import int_pair

__all__ = [
    "as_numeric_array",
    "float_dtype",
    "padding_spec",
    "resolve_padding",
    "channels_last",
    "cached_plan",
]

_PADDING_MODES = ("valid", "same", "full")

# Accepted data_format strings per number of spatial dimensions: (channels-first, channels-last).
_DATA_FORMATS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}
_KERAS_FORMATS = {"channels_first": False, "channels_last": True}


def as_numeric_array(xp, value, name, fn):
    """Return ``value`` as an array of namespace ``xp`` with a real numeric dtype.

    Lists and scalars are converted with ``xp.asarray``; strings, bytes,
    mappings, sets, ``None`` and arrays of non-numeric or complex dtype raise
    ``TypeError`` naming the argument.
    """
    if isinstance(value, (str, bytes, dict, set, frozenset)) or value is None:
        raise TypeError(f"{fn}: {name} must be an array of real numbers, got {type(value).__name__}")
    # Lists, scalars and foreign arrays (anything not already of namespace xp) go through xp.asarray.
    if type(value).__module__.split(".")[0] != xp.__name__ or not hasattr(value, "dtype"):
        try:
            value = xp.asarray(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{fn}: {name} must be an array of real numbers, got {type(value).__name__} ({exc})") from None
    kind = value.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"{fn}: {name} must have a real numeric dtype (bool, int or float), got dtype {value.dtype}"
        )
    return value


def float_dtype(xp, *arrays):
    """The floating dtype the computation runs in.

    float32 stays float32 and float64 stays float64; float16 is computed in
    float32; bool and integer arrays are promoted to float64. Mixed inputs take
    the wider of their float dtypes.
    """
    result = None
    for a in arrays:
        if a is None:
            continue
        dt = a.dtype
        if dt.kind != "f":
            dt = xp.dtype("float64")
        elif dt.itemsize < 4:
            dt = xp.dtype("float32")
        result = dt if result is None else xp.result_type(result, dt)
    return result


def padding_spec(padding, n, fn, name="padding", modes=_PADDING_MODES, forms="an int, a tuple, (before, after) pairs"):
    """Normalise ``padding`` to a mode string or a tuple of ``n`` (before, after) pairs.

    Accepted: an int (all sides), a tuple of ``n`` ints (symmetric per axis),
    a tuple of ``n`` (before, after) pairs, for ``n == 1`` a single
    (before, after) pair, or one of ``modes`` (case-insensitive). ``forms``
    names the non-string forms in the message for an unknown mode.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in modes:
            allowed = ", ".join(repr(m) for m in modes) if modes else "no string modes"
            raise ValueError(f"{fn}: {name} must be {forms} or one of {allowed}; got {padding!r}")
        return mode
    if isinstance(padding, (tuple, list)):
        if n == 1 and len(padding) == 2 and not any(isinstance(p, (tuple, list)) for p in padding):
            return (int_pair(tuple(padding), name, fn),)
        if len(padding) != n:
            raise ValueError(
                f"{fn}: {name} must have one entry per spatial axis ({n}), got {padding!r} (length {len(padding)})"
            )
        return tuple(int_pair(p, name, fn) for p in padding)
    return (int_pair(padding, name, fn),) * n


def resolve_padding(spec, sizes, kernel, stride, dilation, fn):
    """Turn a ``padding_spec`` result into explicit (before, after) pairs.

    ``"valid"`` is no padding; ``"full"`` pads ``d*(k-1)`` on both sides;
    ``"same"`` follows TensorFlow (output ``ceil(n/s)``, the odd pixel after).
    """
    if not isinstance(spec, str):
        return spec
    if spec == "valid":
        return ((0, 0),) * len(sizes)
    if spec == "full":
        return tuple((d * (k - 1), d * (k - 1)) for k, d in zip(kernel, dilation))
    return tuple(_same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, stride, dilation))


def channels_last(data_format, n, fn):
    """Return True for a channels-last ``data_format`` and False for channels-first.

    Accepts the explicit layouts ("NCHW"/"NHWC" for 2-D, "NCW"/"NWC" for 1-D,
    "NCDHW"/"NDHWC" for 3-D) and Keras' "channels_first"/"channels_last".
    """
    if isinstance(data_format, str):
        first, last = _DATA_FORMATS[n]
        fmt = data_format.upper()
        if fmt == first:
            return False
        if fmt == last:
            return True
        if data_format.lower() in _KERAS_FORMATS:
            return _KERAS_FORMATS[data_format.lower()]
    first, last = _DATA_FORMATS[n]
    raise ValueError(
        f"{fn}: unknown data_format {data_format!r}; expected {first!r} (channels-first), "
        f"{last!r} (channels-last), 'channels_first' or 'channels_last'"
    )


_PLANS = {}
_MAX_PLANS = 512


def _frozen(params):
    """``params`` as a dictionary key that tells ``2`` from ``2.0`` and ``True`` (which compare equal).

    Plain ints, strings and ``None`` are their own key; anything else goes
    through ``repr``, which also makes lists hashable.
    """
    for p in params:
        t = type(p)
        if t is not int and t is not str and p is not None:
            return repr(params)
    return params


def cached_plan(cls, fn, nd, x, w, b, params):
    """Return ``cls(fn, nd, x, w, b, *params)``, cached per signature.

    A plan validates the arguments against the arrays' shapes and dtypes and
    precomputes the index arithmetic; repeated calls with the same signature
    (the common case in training loops and grading) skip both. ``w`` and ``b``
    may be ``None``.
    """
    if w is None:
        key = (cls, fn, x.shape, x.dtype, _frozen(params))
    elif b is None:
        key = (cls, fn, x.shape, x.dtype, w.shape, w.dtype, _frozen(params))
    else:
        key = (cls, fn, x.shape, x.dtype, w.shape, w.dtype, b.shape, b.dtype, _frozen(params))
    plan = _PLANS.get(key)
    if plan is None:
        plan = cls(fn, nd, x, w, b, *params)
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan
