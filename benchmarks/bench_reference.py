"""Speed and memory of reference.conv2d against torch (CPU, same threads) and reference.naive.

One process, one run: the machine's own float32 matmul rate is measured first, then for
each shape the forward time of reference / torch / naive (naive on the teaching shapes
only), GFLOP/s and the share of the matmul rate, the backward (dx, dw, db) against torch's
convolution_backward, and the peak numpy memory of one reference call beyond its output
(tracemalloc). Times are medians of interleaved rounds after a warm-up, so a burst of load
from a neighbour hits both sides alike; the ratios are what to read, not the absolute times.

Targets (issue 14, tightening issue 2's): geometric mean reference/torch <= 1.0 on the three
teaching shapes (with `--threads 1` too) and <= 1.5 on the four large ones, each large shape
<= 2.0; the memory-check shape (64x64x56x56) <= 1.5 (no cliff for big batches); backward <= 1.5x
torch (geometric mean, large shapes); no call allocates more than 256 MiB beyond its output.
Missed targets print MISSED; exit status 0.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

MIB = 2**20
TARGETS = {"teaching": 1.0, "large": 1.5, "large_each": 2.0, "memory_shape": 1.5, "backward": 1.5, "extra_mib": 256}

# (label, N, C, H, W, out channels, k, stride, padding, group)
SHAPES = [
    ("1x1x8x8 k3", 1, 1, 8, 8, 1, 3, 1, 0, "teaching"),
    ("1x1x28x28->4 k3 p1", 1, 1, 28, 28, 4, 3, 1, 1, "teaching"),
    ("1x3x32x32->16 k3 p1", 1, 3, 32, 32, 16, 3, 1, 1, "teaching"),
    ("32x3x32x32->32 k5 p2", 32, 3, 32, 32, 32, 5, 1, 2, "large"),
    ("8x64x56x56->64 k3 p1", 8, 64, 56, 56, 64, 3, 1, 1, "large"),
    ("16x32x28x28->64 k3 s2 p1", 16, 32, 28, 28, 64, 3, 2, 1, "large"),
    ("8x256x14x14->256 k3 p1", 8, 256, 14, 14, 256, 3, 1, 1, "large"),
]
# Unchunked, its float32 im2col matrix would be 64*3136*576*4 B = 441 MiB: checks the memory bound.
STRESS = ("64x64x56x56->64 k3 p1", 64, 64, 56, 56, 64, 3, 1, 1, "memory")


def blas_threads():
    """Threads numpy's BLAS uses (threadpoolctl when installed, else the usual env variables)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
        if counts:
            return counts[0], "threadpoolctl"
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), var
    return os.cpu_count() or 1, "cpu_count"


def calls_per_sample(fn, target_s):
    """Calls batched into one timing sample so it lasts about target_s (after one warm-up call)."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    return max(1, int(target_s / max(once, 1e-7))), once


# OpenBLAS's idle workers spin for about 0.1-0.2 s after a call (measured here: a tiny torch conv
# takes 10-40 ms instead of 15 us in that window, as its OpenMP threads wait for a core).
SETTLE_S = 0.3


def interleaved_samples(fns, rounds, target_s, settle_s=SETTLE_S):
    """Seconds per call of each fn, one sample per round, sampled round-robin so that a burst of
    load from a neighbour hits every fn alike (and sample i of each fn ran side by side).

    numpy's OpenBLAS and torch's OpenMP keep separate thread pools whose idle workers spin for a
    while after a call; each sample therefore starts after a pause (SETTLE_S) and one untimed
    call, so neither library is timed while the other's threads still hold the cores.
    """
    inner = {k: calls_per_sample(fn, target_s)[0] for k, fn in fns.items()}
    samples = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            if len(fns) > 1:
                time.sleep(settle_s)
            fn()
            t0 = time.perf_counter()
            for _ in range(inner[k]):
                fn()
            samples[k].append((time.perf_counter() - t0) / inner[k])
    return samples


def summarise(ref, torch_):
    """Median times, the median of the per-round ratios (pairs that ran side by side, so a slow
    phase of the machine cancels) and the ratio of the fastest samples."""
    paired = statistics.median(r / t for r, t in zip(ref, torch_))
    return statistics.median(ref), statistics.median(torch_), paired, min(ref) / min(torch_)


def matmul_gflops(rounds):
    """The machine's own float32 matmul rate (best over two sizes, median of rounds each)."""
    rng = np.random.default_rng(0)
    best = 0.0
    for n in (1024, 2048):
        a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
        t = statistics.median(interleaved_samples({"mm": lambda: np.matmul(a, b)}, rounds, 0.05)["mm"])
        best = max(best, 2 * n**3 / t / 1e9)
    return best


def peak_extra_bytes(fn):
    """Peak traced (numpy) allocation during fn() minus the size of what it returns."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    kept = sum(o.nbytes for o in (out if isinstance(out, tuple) else (out,)))
    return peak - kept, kept


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def run_shape(spec, reference, naive, torch, rounds, with_naive, with_backward):
    label, n, c, h, w_, o, k, s, p, group = spec
    F = torch.nn.functional
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c, h, w_), dtype=np.float32)
    w = rng.standard_normal((o, c, k, k), dtype=np.float32) / np.float32(math.sqrt(c * k * k))
    b = rng.standard_normal(o, dtype=np.float32)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    row = {"shape": label, "group": group}

    ours = reference.conv2d(x, w, b, stride=s, padding=p)
    with torch.no_grad():
        theirs = F.conv2d(xt, wt, bt, stride=s, padding=p).numpy()
    row["max_abs_err_vs_torch"] = float(np.max(np.abs(ours - theirs)))
    row["dtype_ok"] = ours.dtype == np.float32
    flops = 2.0 * ours.size * c * k * k  # multiply-adds of every output value (groups=1)
    row["gflop"] = flops / 1e9

    def fwd_torch():
        with torch.no_grad():
            return F.conv2d(xt, wt, bt, stride=s, padding=p)

    t = interleaved_samples({"ref": lambda: reference.conv2d(x, w, b, stride=s, padding=p), "torch": fwd_torch},
                            rounds, 0.02 if group == "teaching" else 0.0)
    ref_t, torch_t, ratio, ratio_min = summarise(t["ref"], t["torch"])
    row.update(ref_ms=ref_t * 1e3, torch_ms=torch_t * 1e3, ratio=ratio, ratio_of_mins=ratio_min,
               ref_gflops=flops / ref_t / 1e9, torch_gflops=flops / torch_t / 1e9)

    if with_naive:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            naive.conv2d(x, w, b, stride=s, padding=p)
            times.append(time.perf_counter() - t0)
            if sum(times) > 5:
                break
        row["naive_ms"] = statistics.median(times) * 1e3
        row["ref_over_naive"] = ref_t / statistics.median(times)

    row["extra_mib"], out_bytes = (v / MIB for v in peak_extra_bytes(
        lambda: reference.conv2d(x, w, b, stride=s, padding=p)))
    row["out_mib"] = out_bytes

    if with_backward:
        dout = rng.standard_normal(ours.shape, dtype=np.float32)
        dt = torch.from_numpy(dout)
        conv_bwd = torch.ops.aten.convolution_backward

        def bwd_torch():
            return conv_bwd(dt, xt, wt, [o], [s, s], [p, p], [1, 1], False, [0, 0], 1, [True, True, True])

        def bwd_ref():
            return reference.conv2d_backward(dout, x, w, stride=s, padding=p, dilation=1, groups=1)

        mine, ref_grads = bwd_ref(), [g.numpy() for g in bwd_torch()]
        row["bwd_max_rel_err"] = float(max(np.max(np.abs(a - e)) / (np.max(np.abs(e)) + 1e-30)
                                           for a, e in zip(mine, ref_grads)))
        tb = interleaved_samples({"ref": bwd_ref, "torch": bwd_torch}, rounds, 0.02 if group == "teaching" else 0.0)
        bref, btorch, bratio, bratio_min = summarise(tb["ref"], tb["torch"])
        row.update(bwd_ref_ms=bref * 1e3, bwd_torch_ms=btorch * 1e3, bwd_ratio=bratio, bwd_ratio_of_mins=bratio_min)
        row["bwd_extra_mib"] = peak_extra_bytes(bwd_ref)[0] / MIB
    return row


def fmt(v, spec=".2f"):
    return "-" if v is None else format(v, spec)


def print_report(env, rows, stress):
    busy = "BUSY machine: read the ratios, and the (min) columns, with care"
    print(f"machine: {env['cpu']} | {env['cores']} cores | numpy {env['numpy']} ({env['blas']}, "
          f"{env['blas_threads']} threads via {env['threads_from']}; OPENBLAS_CORETYPE {env['openblas_coretype']}) | torch {env['torch']} "
          f"({env['torch_threads']} threads)")
    print(f"float32 matmul rate (np.matmul, this run): {env['matmul_gflops']:.1f} GFLOP/s (start "
          f"{env['matmul_gflops_start']:.1f}, end {env['matmul_gflops_end']:.1f}); load average "
          f"{env['load_start']:.1f} at the start, {env['load_end']:.1f} at the end "
          f"({'quiet enough' if max(env['load_start'], env['load_end']) <= env['cores'] else busy})")
    print("times: medians over rounds; ref/torch: median of the per-round ratios (ref and torch timed side by side);\n"
          "(min): ratio of the fastest samples, the least sensitive to neighbours\n")
    head = (f"{'shape':<26}{'ref ms':>9}{'torch ms':>10}{'ref/torch':>10}{'(min)':>7}{'naive ms':>10}{'ref/naive':>11}"
            f"{'GFLOP/s':>9}{'%matmul':>8}{'bwd ref':>9}{'bwd torch':>10}{'bwd r/t':>8}{'(min)':>7}{'extra MiB':>10}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['shape']:<26}{fmt(r['ref_ms'], '.3f'):>9}{fmt(r['torch_ms'], '.3f'):>10}{fmt(r['ratio']):>10}"
              f"{fmt(r['ratio_of_mins']):>7}{fmt(r.get('naive_ms'), '.1f'):>10}{fmt(r.get('ref_over_naive'), '.4f'):>11}"
              f"{fmt(r['ref_gflops'], '.1f'):>9}{fmt(100 * r['ref_gflops'] / env['matmul_gflops'], '.0f'):>8}"
              f"{fmt(r.get('bwd_ref_ms'), '.2f'):>9}{fmt(r.get('bwd_torch_ms'), '.2f'):>10}"
              f"{fmt(r.get('bwd_ratio')):>8}{fmt(r.get('bwd_ratio_of_mins')):>7}{fmt(r['extra_mib'], '.1f'):>10}")
    if stress:
        print(f"{stress['shape']:<26}{fmt(stress['ref_ms'], '.1f'):>9}{fmt(stress['torch_ms'], '.1f'):>10}"
              f"{fmt(stress['ratio']):>10}{fmt(stress['ratio_of_mins']):>7}{'':>21}{fmt(stress['ref_gflops'], '.1f'):>9}"
              f"{fmt(100 * stress['ref_gflops'] / env['matmul_gflops'], '.0f'):>8}{'':>34}"
              f"{fmt(stress['extra_mib'], '.1f'):>10}   (memory check; output {stress['out_mib']:.0f} MiB)")
    errs = [r["max_abs_err_vs_torch"] for r in rows]
    print(f"\nagreement with torch (float32): max |ref - torch| = {max(errs):.2e}; "
          f"dtype float32 kept: {all(r['dtype_ok'] for r in rows)}"
          + (f"; backward max rel err {max(r['bwd_max_rel_err'] for r in rows if 'bwd_max_rel_err' in r):.1e}"
             if any("bwd_max_rel_err" in r for r in rows) else ""))


def evaluate(rows, stress):
    """[(name, value, limit, met)] for the issue's targets."""
    teach = geomean([r["ratio"] for r in rows if r["group"] == "teaching"])
    large = geomean([r["ratio"] for r in rows if r["group"] == "large"])
    bwd = geomean([r.get("bwd_ratio") for r in rows if r["group"] == "large"])
    extra = max([r["extra_mib"] for r in rows] + ([stress["extra_mib"]] if stress else []))
    worst = max((r for r in rows if r["group"] == "large"), key=lambda r: r["ratio"])
    results = [
        ("forward, teaching shapes: geomean ref/torch", teach, TARGETS["teaching"], teach <= TARGETS["teaching"]),
        ("forward, large shapes: geomean ref/torch", large, TARGETS["large"], large <= TARGETS["large"]),
        (f"forward, each large shape: worst ref/torch ({worst['shape']})", worst["ratio"], TARGETS["large_each"],
         worst["ratio"] <= TARGETS["large_each"]),
    ]
    if stress:
        results.append((f"forward, memory-check shape {stress['shape']}: ref/torch", stress["ratio"],
                        TARGETS["memory_shape"], stress["ratio"] <= TARGETS["memory_shape"]))
    return results + [
        ("backward, large shapes: geomean ref/torch", bwd, TARGETS["backward"], bwd <= TARGETS["backward"]),
        ("memory: max MiB allocated beyond the output", extra, TARGETS["extra_mib"], extra <= TARGETS["extra_mib"]),
    ]


def main(argv=()):
    ap = argparse.ArgumentParser(prog="bench_reference", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, no memory-stress shape")
    ap.add_argument("--rounds", type=int, default=None, help="timing rounds per shape (default 9, quick 3)")
    ap.add_argument("--threads", type=int, default=None,
                    help="limit numpy's BLAS (threadpoolctl) and torch to this many threads (default: BLAS's own)")
    ap.add_argument("--json", default=str(Path(__file__).resolve().parent / "out" / "reference.json"),
                    help="where to write the figures (default benchmarks/out/reference.json)")
    args = ap.parse_args(list(argv))
    rounds = args.rounds or (3 if args.quick else 9)

    import torch

    import reference
    from reference import naive

    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads, user_api="blas")  # kept for the life of the process
    threads, source = blas_threads()
    torch.set_num_threads(threads)  # same threads as numpy's BLAS: compare implementations, not core counts
    blas = "?"
    try:
        from threadpoolctl import threadpool_info

        info = next((p for p in threadpool_info() if p.get("user_api") == "blas"), {})
        # OpenBLAS names the kernel family it picked: "Haswell" means AVX2 kernels, even on an AVX-512 CPU.
        blas = f"{info.get('internal_api', '?')} {info.get('architecture') or ''} kernels".strip()
    except ImportError:
        pass
    env = dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count(), numpy=np.__version__,
               openblas_coretype=os.environ.get("OPENBLAS_CORETYPE", "unset"),
               torch=torch.__version__, blas=blas, blas_threads=threads, threads_from=source,
               torch_threads=torch.get_num_threads(), python=sys.version.split()[0])
    try:
        with open("/proc/cpuinfo") as fh:
            lines = fh.read().splitlines()
        env["cpu"] = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
        flags = next(line.split(":", 1)[1].split() for line in lines if line.startswith("flags"))
        env["cpu"] += " (" + ("AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2") + ")"
    except (OSError, StopIteration):
        pass
    env["load_start"] = os.getloadavg()[0]
    env["matmul_gflops_start"] = matmul_gflops(rounds)

    rows = []
    for spec in SHAPES:
        print(f"  timing {spec[0]} ...", file=sys.stderr, flush=True)
        rows.append(run_shape(spec, reference, naive, torch, rounds, with_naive=spec[-1] == "teaching",
                              with_backward=True))
    stress = None
    if not args.quick:
        print(f"  timing {STRESS[0]} (memory) ...", file=sys.stderr, flush=True)
        stress = run_shape(STRESS, reference, naive, torch, max(2, rounds // 3), with_naive=False,
                           with_backward=False)

    env["matmul_gflops_end"] = matmul_gflops(rounds)
    # the machine's capability: the better of the two measurements (a neighbour only slows it down)
    env["matmul_gflops"] = max(env["matmul_gflops_start"], env["matmul_gflops_end"])
    env["load_end"] = os.getloadavg()[0]
    print_report(env, rows, stress)
    results = evaluate(rows, stress)
    print("\ntargets:")
    for name, value, limit, met in results:
        # two decimals, or three where two would print the target itself for a figure just past it
        shown = f"{value:.2f}" if met or f"{value:.2f}" != f"{limit:.2f}" else f"{value:.3f}"
        print(f"  {'met   ' if met else 'MISSED'}  {name}: {shown} (target <= {limit})")
    missed = [name for name, _, _, met in results if not met]
    print(f"\n{'all targets met' if not missed else 'MISSED: ' + '; '.join(missed)}")

    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(env=env, rows=rows, stress=stress,
                                   targets=[dict(name=n, value=v, limit=lim, met=m) for n, v, lim, m in results]),
                              indent=1, default=float))
    print(f"figures written to {os.path.relpath(out)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main(sys.argv[1:]))
