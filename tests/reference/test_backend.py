"""The backend seam, on a CPU machine: importing `reference` needs neither CuPy nor the test
oracles; every public array function, given arrays that are not plain NumPy ndarrays (as
CuPy arrays are not), takes its namespace from `backend.array_namespace` and runs correctly
when that namespace is not NumPy itself: a recording stand-in that forwards to NumPy, so the
generic path that CuPy takes is exercised here. (Plain ndarrays may take a NumPy-only fast
path that skips the dispatch; the style guide allows it, so it is not required here.)"""
from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import reference
import reference.backend as backend

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module,forbidden", [
    ("reference", ("cupy", "torch", "scipy")),
    ("reference.naive", ("cupy", "torch", "scipy")),
    ("reference.backend", ("cupy", "torch", "scipy")),
    ("reference.nn", ("cupy", "torch")),
])
def test_import_needs_no_cupy_and_no_oracles(module, forbidden):
    code = (f"import sys, {module}; bad = [m for m in {forbidden!r} if m in sys.modules]; "
            "assert not bad, f'importing pulled in {bad}'")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_array_namespace_of_numpy_is_numpy():
    x = np.ones(3)
    assert backend.array_namespace(x) is np
    assert backend.array_namespace(x, None, np.zeros((2, 2), np.float32)) is np


class RecordingNamespace(types.ModuleType):
    """Forwards every attribute to NumPy and records which were used. It is not `numpy`, so
    code that keeps a NumPy-only fast path behind `xp is numpy` takes the generic path."""

    def __init__(self):
        super().__init__("recording_numpy")
        self.used = []

    def __getattr__(self, name):
        self.used.append(name)
        return getattr(np, name)


def patch_array_namespace(m):
    """Replace array_namespace wherever a reference module holds it, with a recorder that returns
    a RecordingNamespace; returns (calls, namespace)."""
    original = backend.array_namespace
    ns, calls = RecordingNamespace(), []

    def recorder(*arrays):
        calls.append(arrays)
        return ns

    for name, module in list(sys.modules.items()):
        if name == "reference" or name.startswith("reference."):
            for attr, value in list(vars(module).items()):
                if value is original:
                    m.setattr(module, attr, recorder)
    return calls, ns


class ForeignArray(np.ndarray):
    """An array type that is not exactly numpy.ndarray: the dispatch must ask array_namespace."""


def foreign(args):
    return tuple(a.view(ForeignArray) if isinstance(a, np.ndarray) else a for a in args)


def _cases(rng):
    x, w, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    x1, w1 = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3))
    x3, w3 = rng.standard_normal((1, 2, 4, 5, 4)), rng.standard_normal((3, 2, 2, 3, 2))
    img, ker = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    kw = dict(stride=(2, 1), padding=((1, 0), (0, 1)), dilation=1, groups=2)
    dout = rng.standard_normal(reference.conv2d(x, w, b, **kw).shape)
    pool_x = rng.standard_normal((2, 3, 6, 6))
    return {
        "conv1d": ((x1, w1), dict(padding="same")),
        "conv2d": ((x, w, b), kw),
        "conv2d NHWC": ((np.moveaxis(x, 1, -1), np.transpose(w, (2, 3, 1, 0)), b),
                        dict(kw, data_format="NHWC")),
        "conv3d": ((x3, w3), dict(padding=1, stride=2)),
        # 64x64 channels, 3x3, an 8x8 output: the Winograd path (strided tile views, matmuls with out=)
        "conv2d Winograd": ((rng.standard_normal((1, 64, 8, 8)), rng.standard_normal((64, 64, 3, 3))), dict(padding=1)),
        "conv_transpose1d": ((x1, rng.standard_normal((3, 2, 3))), dict(stride=2, output_padding=1)),
        "conv_transpose2d": ((x, rng.standard_normal((4, 3, 3, 2))), dict(stride=2, padding=1, groups=2)),
        "max_pool1d": ((x1, 2), {}),
        "max_pool2d": ((pool_x, 3), dict(stride=2, padding=1, ceil_mode=True)),
        "avg_pool1d": ((x1, 3), dict(stride=1)),
        "avg_pool2d": ((pool_x, 2), dict(padding=1)),
        "conv_transpose2d NHWC": ((np.moveaxis(x, 1, -1), rng.standard_normal((3, 2, 3, 4))),
                                  dict(stride=2, padding="same", data_format="NHWC")),
        "max_pool2d NHWC": ((np.moveaxis(pool_x, 1, -1), 3), dict(stride=2, padding="same", data_format="NHWC")),
        "avg_pool1d NWC": ((np.moveaxis(x1, 1, -1), 2), dict(padding="same", data_format="NWC")),
        "relu": ((x,), {}),
        "correlate2d": ((img, ker), dict(mode="same")),
        "convolve2d": ((img, ker), dict(mode="full")),
        "conv2d_backward": ((dout, x, w), kw),
        "max_pool2d_backward": ((rng.standard_normal((2, 3, 3, 3)), pool_x, 2), {}),
        "avg_pool2d_backward": ((rng.standard_normal((2, 3, 3, 3)), pool_x, 2), {}),
        "max_pool1d_backward": ((rng.standard_normal((2, 5, 3)), np.moveaxis(x1, 1, -1), 2),
                                dict(padding="same", data_format="NWC")),
        "avg_pool1d_backward": ((rng.standard_normal((2, 3, 5)), x1, 2), dict(padding="same")),
        "avg_pool2d_backward NHWC": ((rng.standard_normal((2, 3, 3, 3)), np.moveaxis(pool_x, 1, -1), 3),
                                     dict(stride=2, padding="same", data_format="NHWC")),
        "relu_backward": ((rng.standard_normal(x.shape), x), {}),
    }


def test_every_array_function_routes_through_array_namespace(rng, monkeypatch):
    cases = _cases(rng)
    expected = {name: getattr(reference, name.split()[0])(*args, **kw) for name, (args, kw) in cases.items()}
    failures = []
    for name, (args, kw) in cases.items():
        args = foreign(args)
        with monkeypatch.context() as m:
            calls, ns = patch_array_namespace(m)
            got = getattr(reference, name.split()[0])(*args, **kw)
        if not calls:
            failures.append(f"{name}: never called array_namespace")
            continue
        passed_in = {id(a) for c in calls for a in c}
        if not any(id(a) in passed_in for a in args if isinstance(a, np.ndarray)):
            failures.append(f"{name}: array_namespace was not given the input arrays")
        if not ns.used and not name.startswith("relu"):  # elementwise relu may need only array methods
            failures.append(f"{name}: got a namespace but used nothing from it (hard-wired numpy?)")
        outs = got if isinstance(got, tuple) else (got,)
        exp = expected[name] if isinstance(expected[name], tuple) else (expected[name],)
        for o, e in zip(outs, exp):
            if not (o.shape == e.shape and o.dtype == e.dtype and np.allclose(o, e, rtol=1e-12, atol=1e-12)):
                failures.append(f"{name}: generic (non-NumPy namespace) path disagrees with the NumPy path")
    assert not failures, "\n".join(failures)


def test_foreign_cpu_arrays_are_converted_or_refused_clearly(rng):
    """array_api_strict arrays are neither NumPy nor CuPy: the call must give NumPy's answer
    (in either array type) or refuse with a TypeError naming the argument; nothing else."""
    xps = pytest.importorskip("array_api_strict")
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    expected = reference.conv2d(x, w, padding=1)
    try:
        got = reference.conv2d(xps.asarray(x), xps.asarray(w), padding=1)
    except TypeError as err:
        assert "x" in str(err) or "input" in str(err)
        return
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-12)
