"""Checks of integer arguments: sizes, strides, dilations, groups and paddings.

Python and NumPy integers are accepted; floats, bools and strings are not.
A value of the wrong kind raises ``TypeError``, an int out of range
``ValueError``; the message starts with the public function's name and
states the rule, e.g. ``conv2d: stride must be positive, got 0``.

This module imports nothing from the package, so both the size formulas of
:mod:`reference.arithmetic` and the array checks of
:mod:`reference.validation` can build on it.
"""

import operator

__all__ = ["as_int", "positive_int", "nonnegative_int", "int_pair", "int_tuple"]


def as_int(value, name, fn, what):
    """``value`` as a Python int; ``what`` (e.g. ``"a positive int"``) is the rule the ``TypeError`` states."""
    # operator.index accepts Python and NumPy integers but not floats; bools are rejected on purpose.
    if isinstance(value, bool):
        raise TypeError(f"{fn}: {name} must be {what}, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be {what}, got {value!r}") from None


def positive_int(value, name, fn):
    """``value`` as an int >= 1: a size, a stride, a dilation, a number of groups or channels."""
    v = as_int(value, name, fn, "a positive int")
    if v < 1:
        raise ValueError(f"{fn}: {name} must be positive, got {value!r}")
    return v


def nonnegative_int(value, name, fn):
    """``value`` as an int >= 0: a padding or an output padding."""
    v = as_int(value, name, fn, "an int >= 0")
    if v < 0:
        raise ValueError(f"{fn}: {name} must be non-negative, got {value!r}")
    return v


def int_pair(value, name, fn):
    """Padding of one axis as ``(before, after)``: an int ``p`` means ``(p, p)``; both must be >= 0."""
    what = "an int >= 0 or a (before, after) pair of such ints"
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{fn}: {name} entries must be {what}, got {value!r}")
        pair = (as_int(value[0], name, fn, what), as_int(value[1], name, fn, what))
    else:
        p = as_int(value, name, fn, what)
        pair = (p, p)
    if pair[0] < 0 or pair[1] < 0:
        raise ValueError(f"{fn}: {name} must be non-negative, got {value!r}")
    return pair


def int_tuple(value, n, name, fn, minimum=1):
    """Normalise an int or a length-``n`` sequence of ints to a tuple of ``n`` ints >= ``minimum``.

    ``minimum=1`` is the rule for sizes, strides and dilations;
    ``minimum=0`` the rule for paddings.
    """
    what = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    what = f"{what} or a tuple of {n} such ints"
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{fn}: {name} must be {what}, got {value!r} (length {len(value)})")
        out = tuple(as_int(v, name, fn, what) for v in value)
    else:
        out = (as_int(value, name, fn, what),) * n
    if min(out) < minimum:
        rule = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{fn}: {name} must be {rule}, got {value!r}")
    return out
