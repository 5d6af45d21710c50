"""Plain-data encoding of the values that cross between a student's kernel and the grader.

Only numbers, strings, booleans, None, lists, tuples, string-keyed dicts and numeric
NumPy arrays cross. Anything else (an object whose ``__eq__`` is always true, a lazy
proxy, a generator) is encoded as ``{"__unencodable__": type name}`` and so can never
compare equal to an answer: the grader compares decoded data, not the student's objects.

Formats
-------
- ndarray: ``{"__ndarray__": nested lists, "dtype": "float64", "shape": [2, 3]}``
- tuple: ``{"__tuple__": [...]}``
- dict: ``{"__dict__": [[key, value], ...]}``
- float NaN / inf: kept as JSON's NaN / Infinity (both ends are Python's json).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

MAX_ELEMENTS = 4_000_000  # ~32 MB of float64: bigger answers are refused, not shipped
MAX_DEPTH = 32


class Unencodable(Exception):
    """A value that has no plain-data form."""


def encode(value, *, _depth=0):
    """Return a JSON-safe form of ``value`` (see the module docstring for the format)."""
    if _depth > MAX_DEPTH:
        return {"__unencodable__": "nesting deeper than %d" % MAX_DEPTH}
    # exact-type checks first: subclasses of int/float/str go through their numeric value
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, np.generic):  # NumPy scalars travel as Python numbers
        if value.dtype.kind not in "biuf":
            return {"__unencodable__": "scalar of dtype %s" % value.dtype}
        return value.item()
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, numbers.Integral):
        try:
            return int.__index__(int(value))
        except Exception as exc:  # a hostile __int__
            return {"__unencodable__": "int-like %s (%s)" % (type(value).__name__, exc)}
    if isinstance(value, numbers.Real):
        try:
            return float.__float__(float(value))
        except Exception as exc:
            return {"__unencodable__": "float-like %s (%s)" % (type(value).__name__, exc)}
    if isinstance(value, str):
        return str.__str__(value)
    if type(value) in (list, tuple):
        items = [encode(v, _depth=_depth + 1) for v in value]
        return items if type(value) is list else {"__tuple__": items}
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            return {"__unencodable__": "dict with non-string keys"}
        return {"__dict__": [[k, encode(v, _depth=_depth + 1)] for k, v in value.items()]}
    # array-likes that are not ndarrays (lists subclasses, memoryviews, torch tensors...)
    if hasattr(value, "__array__") or hasattr(value, "__array_interface__"):
        try:
            arr = np.asarray(value)
        except Exception as exc:
            return {"__unencodable__": "%s (%s)" % (type(value).__name__, exc)}
        if arr.dtype != object:
            return _encode_array(arr)
    return {"__unencodable__": type(value).__name__}


def _encode_array(arr):
    if arr.dtype.kind not in "biuf":
        return {"__unencodable__": "array of dtype %s" % arr.dtype}
    if arr.size > MAX_ELEMENTS:
        return {"__unencodable__": "array of %d elements (limit %d)" % (arr.size, MAX_ELEMENTS)}
    plain = np.array(arr, dtype=arr.dtype, copy=True)  # drops subclasses and their overrides
    return {"__ndarray__": plain.tolist(), "dtype": str(plain.dtype), "shape": list(plain.shape)}


#: The dtypes an encoded array may name: plain numbers and booleans. A decoder that took
#: any dtype string would allocate what the writer asks for (``"(100000000,)f8"`` makes
#: every element an 800 MB sub-array).
PLAIN_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                          "float16", "float32", "float64"})


def decode(data):
    """Invert :func:`encode`. Unencodable markers decode to an :class:`UnencodableValue`.

    An array record is checked before anything is allocated: its ``dtype`` must be one of
    :data:`PLAIN_DTYPES`, its ``shape`` a list of at most :data:`MAX_DEPTH` non-negative
    ints whose product is at most :data:`MAX_ELEMENTS`, and its data must hold exactly that
    many numbers; otherwise ``ValueError`` names the rule broken."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        if "__ndarray__" in data:
            return _decode_array(data)
        if "__tuple__" in data:
            return tuple(decode(v) for v in data["__tuple__"])
        if "__dict__" in data:
            return {k: decode(v) for k, v in data["__dict__"]}
        if "__unencodable__" in data:
            return UnencodableValue(str(data["__unencodable__"]))
        raise ValueError("decode: unknown record with keys %s" % sorted(data))
    if isinstance(data, float) and math.isnan(data):
        return float("nan")
    return data


def _decode_array(data):
    dtype, shape = data.get("dtype"), data.get("shape")
    if not isinstance(dtype, str) or dtype not in PLAIN_DTYPES:
        raise ValueError("decode: dtype must be one of %s, got %.80r" % (", ".join(sorted(PLAIN_DTYPES)), dtype))
    if not isinstance(shape, list) or len(shape) > MAX_DEPTH \
            or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError("decode: shape must be a list of at most %d non-negative ints, got %.80r"
                         % (MAX_DEPTH, shape))
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise ValueError("decode: an array of shape %s has %d elements, more than the %d allowed"
                         % (shape, size, MAX_ELEMENTS))
    counted = _count_numbers(data["__ndarray__"], size)
    if counted is None:
        raise ValueError("decode: the data of an array must be numbers in nested lists")
    if counted != size:
        raise ValueError("decode: the data of an array of shape %s must hold %d numbers, not %s"
                         % (shape, size, "more" if counted > size else counted))
    return np.array(data["__ndarray__"], dtype=np.dtype(dtype)).reshape(tuple(shape))


def _count_numbers(nested, limit):
    """How many numbers ``nested`` lists hold, counting no further than ``limit + 1``;
    None where it holds anything but numbers and lists."""
    count, stack = 0, [nested]
    while stack:
        item = stack.pop()
        if type(item) is list:
            stack.extend(item)
        elif type(item) in (int, float, bool):
            count += 1
        else:
            return None
        if count > limit:
            return count
    return count


class UnencodableValue:
    """Stands for a student value that had no plain-data form; equal to nothing."""

    __slots__ = ("description",)

    def __init__(self, description):
        self.description = description

    def __eq__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        return "<value that is not plain data: %s>" % self.description
