"""Where one ps2 notebook's grading time goes: a stage-by-stage profile of ``convgrade autograde``.

Builds a throw-away course from ``source/ps2`` with a few submissions of the grading benchmark's batch
(:func:`bench_grading.write_batch`: correct, partly done and misconceived students), runs
``convgrade release ps2``, then grades each submission in this process, one after the other, with every
protection on (bubblewrap required), exactly as a grading worker does:
``autograder.pipeline.grade.grade_submission`` then the coordinator's ``Store.write``. The stage functions
are wrapped with timers for the run (the pipeline itself is not changed):

- rebuild (``rebuild.rebuild_notebook``), plan (``plan_notebook``), score (``score_notebook``),
  feedback (``feedback_notebook``), gradebook write (``Store.write``);
- inside the execution (``execute_planned``): the sandbox's setup (``Sandbox.__enter__``), the kernel's
  start (launch, then the client waiting for it to be ready), each cell (classed as the imports cell,
  the hidden-check cells, the student's other cells), the kernel's shutdown and the sandbox's teardown;
  what is left of ``execute_planned`` (the working folder, the banned-library look-up) is "execute, rest".

Medians over the submissions (after one untimed warm-up submission, which pays the one-off costs: the
banned-library look-up is cached per process). The machine is shared: read the shares, not the
absolute times.

Usage:
    .venv/bin/python benchmarks/profile_grading.py                   # 12 submissions
    .venv/bin/python benchmarks/profile_grading.py --submissions 20 --keep /tmp/profile
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import inspect
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _bench_grading():
    """The grading benchmark's batch and course helpers (the same submissions as its throughput run)."""
    spec = importlib.util.spec_from_file_location("convgrade_benchmarks.bench_grading", HERE / "bench_grading.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Timers:
    """Seconds per stage, per submission: ``add(stage, seconds)`` sums within the current submission."""

    def __init__(self):
        self.current = defaultdict(float)
        self.done = []

    def add(self, stage, seconds):
        self.current[stage] += seconds

    def next_submission(self, wall):
        self.current["total (wall)"] = wall
        self.done.append(dict(self.current))
        self.current = defaultdict(float)


def _timed(timers, stage, fn):
    """``fn`` (sync or async) that adds its run time to ``stage``; ``stage`` may be a function of the call's arguments."""
    name = (lambda *a, **k: stage) if isinstance(stage, str) else stage

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                timers.add(name(*args, **kwargs), time.perf_counter() - t0)
        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timers.add(name(*args, **kwargs), time.perf_counter() - t0)
    return wrapper


def _cell_stage(client, cell, cell_index, *args, **kwargs):
    """The class of a cell: the imports cell, a hidden-check cell (nbgrader test cell) or the student's code."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return "cells: hidden checks"
    if cell.get("cell_type") == "code" and any(line.startswith(("import ", "from ")) for line in cell.source.splitlines()) \
            and not meta.get("solution"):
        return "cells: imports"
    return "cells: student code and the rest"


def instrument(timers):
    """Wrap the pipeline's stage functions with timers (for this process only)."""
    from autograder.isolation.sandbox import Sandbox
    from autograder.pipeline import execute, grade, rebuild, record

    grade.rebuild.rebuild_notebook = _timed(timers, "rebuild", rebuild.rebuild_notebook)
    for attr, stage in [("plan_notebook", "plan"), ("execute_planned", "execute (all)"),
                        ("score_notebook", "score"), ("feedback_notebook", "feedback")]:
        setattr(grade, attr, _timed(timers, stage, getattr(grade, attr)))
    Sandbox.__enter__ = _timed(timers, "sandbox setup", Sandbox.__enter__)
    Sandbox.__exit__ = _timed(timers, "sandbox teardown", Sandbox.__exit__)
    execute._SandboxKernelManager.start_kernel = _timed(timers, "kernel start: launch",
                                                        execute._SandboxKernelManager.start_kernel)
    execute._CappedClient.async_start_new_kernel_client = _timed(
        timers, "kernel start: until ready", execute._CappedClient.async_start_new_kernel_client)
    execute._CappedClient.async_execute_cell = _timed(timers, _cell_stage, execute._CappedClient.async_execute_cell)
    execute._Run._finish = _timed(timers, "kernel shutdown", execute._Run._finish)
    record.Store.write = _timed(timers, "gradebook write", record.Store.write)


ROWS = ["rebuild", "plan", "sandbox setup", "kernel start: launch", "kernel start: until ready", "cells: imports",
        "cells: student code and the rest", "cells: hidden checks", "kernel shutdown", "sandbox teardown",
        "execute, rest", "score", "feedback", "grade_submission, rest", "gradebook write", "total (wall)"]


def table(samples):
    """Markdown rows: stage, median ms, share of the total."""
    for s in samples:
        s["execute, rest"] = s.get("execute (all)", 0.0) - sum(s.get(k, 0.0) for k in ROWS[2:10])
        stages = ["rebuild", "plan", "execute (all)", "score", "feedback", "gradebook write"]
        s["grade_submission, rest"] = s["total (wall)"] - sum(s.get(k, 0.0) for k in stages)
    total = statistics.median(s["total (wall)"] for s in samples)
    # medians per stage: they need not add up to the median total exactly
    lines = ["| stage | median ms | share |", "|---|---:|---:|"]
    for row in ROWS:
        ms = statistics.median(s.get(row, 0.0) for s in samples) * 1e3
        lines.append("| %s | %.1f | %.0f%% |" % (row, ms, 100 * ms / 1e3 / total))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="profile_grading", description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=12, help="submissions to grade (default 12; 1 more as warm-up)")
    ap.add_argument("--keep", default=None, help="build the course in this folder and keep it")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.submissions < 1:
        ap.error("--submissions must be >= 1, got %d" % args.submissions)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    bench = _bench_grading()
    from autograder.course import Course
    from autograder.pipeline.grade import grade_submission
    from autograder.pipeline.record import Store

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="convgrade-profile-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        batch = bench.write_batch(base / "batch", args.submissions + 1)
        root = bench.new_course(base / "course", base / "batch", list(batch))
        bench.run(bench.convgrade(root, "release", bench.ASSIGNMENT), root, "convgrade release")
        timers = Timers()
        instrument(timers)
        course = Course(root)
        with Store(course) as store:
            for index, student in enumerate(batch):
                t0 = time.perf_counter()
                result = grade_submission(course, bench.ASSIGNMENT, student, require_sandbox=True)
                store.write(result)
                if result.status != "graded":
                    print("profile_grading: %s was not graded (%s): %s" % (student, result.status, result.detail))
                    return 1
                if index == 0:
                    timers.current.clear()  # the warm-up submission
                    continue
                timers.next_submission(time.perf_counter() - t0)
        print("one ps2 notebook's grading, %d submissions (medians), load average %.1f, %d cores:\n"
              % (len(timers.done), os.getloadavg()[0], os.cpu_count()))
        print(table(timers.done))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
