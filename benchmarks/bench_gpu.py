"""CuPy against NumPy: reference.conv2d, conv2d_backward and max/avg pooling on an NVIDIA GPU.

The same calls of ``reference`` with NumPy arrays (CPU) and with CuPy arrays (GPU: the namespace comes
from the inputs, see ``reference/backend.py``), float32, on the large shapes of ``bench_reference.py``
and two pooling layers. Each GPU sample is synchronised (``cupy.cuda.Device().synchronize()``) and the
arrays are on the device before timing (no transfers timed); medians of rounds after a warm-up. Each
GPU result is checked against the CPU one.

Without CuPy or a CUDA device it prints ``no GPU: skipped (reason)`` and exits 0 (the benchmarks are a
report; ``benchmarks/gpu_check.sh`` installs CuPy on a GPU machine and runs this).

Usage:
    .venv/bin/python benchmarks/run.py gpu
    .venv/bin/python benchmarks/bench_gpu.py --rounds 9
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# (label, call name, N, C, H, W, out channels or None, k, stride, padding)
CASES = [
    ("conv2d 32x3x32x32->32 k5 p2", "conv2d", 32, 3, 32, 32, 32, 5, 1, 2),
    ("conv2d 8x64x56x56->64 k3 p1", "conv2d", 8, 64, 56, 56, 64, 3, 1, 1),
    ("conv2d 16x32x28x28->64 k3 s2 p1", "conv2d", 16, 32, 28, 28, 64, 3, 2, 1),
    ("conv2d 8x256x14x14->256 k3 p1", "conv2d", 8, 256, 14, 14, 256, 3, 1, 1),
    ("conv2d_backward 8x64x56x56->64 k3 p1", "conv2d_backward", 8, 64, 56, 56, 64, 3, 1, 1),
    ("max_pool2d 32x64x56x56 k2 s2", "max_pool2d", 32, 64, 56, 56, None, 2, 2, 0),
    ("avg_pool2d 32x64x56x56 k3 s2 p1", "avg_pool2d", 32, 64, 56, 56, None, 3, 2, 1),
]


def gpu_reason():
    """None when CuPy imports and sees a CUDA device, else why not (one line)."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a CuPy built for another CUDA
        return f"cupy not importable ({type(exc).__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return f"no CUDA device ({type(exc).__name__}: {exc})"
    return None if count >= 1 else "cupy sees 0 CUDA devices"


def make_call(reference, name, n, c, h, w_, o, k, s, p, xp, rng):
    """A no-argument function running the case with arrays of namespace ``xp`` (already on its device)."""
    x = rng.standard_normal((n, c, h, w_), dtype=np.float32)
    if name == "conv2d" or name == "conv2d_backward":
        w = rng.standard_normal((o, c, k, k), dtype=np.float32) / np.float32(math.sqrt(c * k * k))
        ho = (h + 2 * p - k) // s + 1
        dout = rng.standard_normal((n, o, ho, (w_ + 2 * p - k) // s + 1), dtype=np.float32)
        x, w, dout = xp.asarray(x), xp.asarray(w), xp.asarray(dout)
        if name == "conv2d":
            return lambda: reference.conv2d(x, w, stride=s, padding=p)
        return lambda: reference.conv2d_backward(dout, x, w, stride=s, padding=p)
    x = xp.asarray(x)
    pool = getattr(reference, name)
    return lambda: pool(x, k, stride=s, padding=p)


def median_seconds(fn, rounds, sync):
    fn()
    sync()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main(argv=()):
    ap = argparse.ArgumentParser(prog="bench_gpu", description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="timing rounds per case (default 5)")
    args, _ = ap.parse_known_args(list(argv))  # make bench passes every module the same arguments
    reason = gpu_reason()
    if reason is not None:
        print(f"no GPU: skipped ({reason})")
        return 0
    import cupy

    import reference

    sync = cupy.cuda.Device().synchronize
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    print(f"GPU: {props['name'].decode()} | cupy {cupy.__version__} | CUDA runtime "
          f"{cupy.cuda.runtime.runtimeGetVersion()} | numpy {np.__version__}; float32, medians of {args.rounds} rounds")
    head = f"{'case':<40}{'numpy ms':>10}{'cupy ms':>10}{'numpy/cupy':>12}{'max |diff|':>12}"
    print(head)
    print("-" * len(head))
    for label, name, *shape in CASES:
        cpu = make_call(reference, name, *shape, np, np.random.default_rng(0))
        gpu = make_call(reference, name, *shape, cupy, np.random.default_rng(0))
        expected, got = cpu(), gpu()
        pairs = zip(expected, got) if isinstance(expected, tuple) else [(expected, got)]
        diff = max(float(np.max(np.abs(e - cupy.asnumpy(g)))) for e, g in pairs)
        t_cpu = median_seconds(cpu, args.rounds, lambda: None)
        t_gpu = median_seconds(gpu, args.rounds, sync)
        print(f"{label:<40}{t_cpu * 1e3:>10.2f}{t_gpu * 1e3:>10.3f}{t_cpu / t_gpu:>12.1f}{diff:>12.1e}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main(sys.argv[1:]))
