"""Grading throughput: stock `nbgrader autograde` against `convgrade autograde`, one ps2 batch.

One run builds a batch of ps2 submissions from the course's real ``release/ps2/ps2.ipynb``
(the simulated class of :mod:`autograder.demo.simulate`, its honest, partly done and misconceived
students only: a correct loop solution, a vectorised one, one that prints warnings to stderr,
two partly done, one per misconception; every notebook ends in seconds), repeated until the
batch has ``--submissions`` notebooks, then grades it twice, each in its own throw-away course
made from ``source/ps2``:

(a) stock ``nbgrader autograde ps2`` (the real nbgrader CLI, serial, hidden checks run inside
    the student's kernel through ``autograder.pipeline.in_process.run_in_process``) on the first
    ``--stock`` submissions: a sample, enough for its rate;
(b) ``convgrade autograde ps2 --workers N`` (default: the cores) on the whole batch, with every
    protection on (bubblewrap is required: no ``--unsandboxed``); the isolation it reports is
    printed.

Each command's wall time (process start to exit, nbgrader's and Python's start-up included)
gives submissions per minute; the two run one after the other. Targets (issue 4):
convgrade >= 2x stock nbgrader's submissions per minute, and 300 submissions in under 5
minutes (projected from the rate when the batch is not 300).

Scores: for every submission graded by both, each autograded cell's score in the two
gradebooks is compared. A difference is listed with its cause when the evidence shows one:
stock nbgrader scores a test cell with stderr output as failed (the cell's output in its
autograded notebook shows the stderr), and gives a failing cell 0 where convgrade gives
partial credit. Any other difference is UNEXPLAINED.

Exit status: 0 when both runs graded every submission and every difference is explained
(a missed speed target is reported, not an error); 1 otherwise.

Usage:
    .venv/bin/python benchmarks/run.py grading
    .venv/bin/python benchmarks/run.py grading -- --quick
    .venv/bin/python benchmarks/bench_grading.py --submissions 100 --stock 20 --workers 2
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
VENV_BIN = Path(sys.executable).parent
ASSIGNMENT = "ps2"
#: The simulated students whose work goes into the batch: no cheating, nothing broken.
KINDS = ("correct", "partial", "misconception")
TARGET_RATIO = 2.0
TARGET_SUBMISSIONS, TARGET_SECONDS = 300, 300.0
DEFAULTS = {"submissions": 300, "stock": 20}
QUICK = {"submissions": 30, "stock": 10}
TOLERANCE = 1e-6


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench_grading", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true",
                        help="%(submissions)d submissions for convgrade, %(stock)d for stock nbgrader" % QUICK)
    parser.add_argument("--submissions", type=int, metavar="N",
                        help="batch size, graded by convgrade (default %d)" % DEFAULTS["submissions"])
    parser.add_argument("--stock", type=int, metavar="N",
                        help="how many of the batch stock nbgrader grades (default %d)" % DEFAULTS["stock"])
    parser.add_argument("--workers", type=int, metavar="N", help="convgrade's workers (default: the cores)")
    parser.add_argument("--keep", metavar="DIR", help="build the courses in DIR and keep them (default: a "
                                                      "temporary folder, deleted)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else DEFAULTS
    args.submissions = sizes["submissions"] if args.submissions is None else args.submissions
    args.stock = min(sizes["stock"], args.submissions) if args.stock is None else args.stock
    for name in ("submissions", "stock", "workers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error("--%s must be a whole number >= 1, got %d" % (name, value))
    if args.keep and Path(args.keep).exists() and any(Path(args.keep).iterdir()):
        parser.error("--keep must name a missing or empty folder, got %s (it has files)" % args.keep)
    if args.stock > args.submissions:
        parser.error("--stock must be at most --submissions (%d), got %d" % (args.submissions, args.stock))
    return args


# -- the batch ---------------------------------------------------------------------------------
def batch_personas():
    """The simulated students of the batch, in roster order (the first ten already cover the
    model solution, vectorised, partly done, stderr warnings and five misconceptions)."""
    from autograder.demo import simulate

    chosen = []
    for persona in simulate.roster():
        work = persona.work.get(ASSIGNMENT)
        if persona.kind in KINDS and work is not None and work.handin == "notebook" \
                and work.expect.status == "graded":
            chosen.append(persona)
    return chosen


def write_batch(folder, count):
    """``count`` submissions under ``folder/STUDENT/ps2/ps2.ipynb``, cycling through
    :func:`batch_personas`; returns ``{student: persona}`` in batch order."""
    import nbformat

    from autograder.demo import simulate

    release = nbformat.read(ROOT / "release" / ASSIGNMENT / "ps2.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / "ps2.ipynb", as_version=4)
    personas = batch_personas()
    notebooks = {p.id: simulate.student_notebook(release, source, p, ASSIGNMENT) for p in personas}
    batch = {}
    for index in range(count):
        persona = personas[index % len(personas)]
        student = "b%04d_%s" % (index + 1, persona.id)
        target = folder / student / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(notebooks[persona.id], target / "ps2.ipynb")
        batch[student] = persona
    return batch


def new_course(root, batch_dir, students):
    """A course at ``root``: ``source/ps2``, nbgrader's configuration, and ``students``'
    submissions copied from ``batch_dir``."""
    shutil.copytree(ROOT / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", root / "nbgrader_config.py")
    for student in students:
        shutil.copytree(batch_dir / student, root / "submitted" / student)
    return root


# -- running the graders -----------------------------------------------------------------------
def environment():
    # nbgrader runs `alembic` (and kernels) from PATH: this venv's bin must come first
    return dict(os.environ, PYTHONUNBUFFERED="1", PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))


def nbgrader(root, *args):
    return [str(VENV_BIN / "nbgrader"), *args, "--config=%s" % (root / "nbgrader_config.py"),
            "--CourseDirectory.root=%s" % root]


def convgrade(root, *args):
    return [str(VENV_BIN / "convgrade"), "--course", str(root), *args]


def run(command, cwd, what, timeout=6 * 3600):
    """Run ``command``; return ``(stdout + stderr, wall seconds)``. A failure raises with
    the end of its output."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s\n%s" % (what, proc.returncode, " ".join(command), output[-4000:]))
    return output, wall


def gradebook_scores(root):
    """``{student: {grade_id: score}}`` of the autograded cells in ``root``'s gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///%s" % (root / "gradebook.db")) as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        out = {}
        for submission in assignment.submissions:
            out[submission.student.id] = {g.name: float(g.score) for nb in submission.notebooks
                                          for g in nb.grades if g.cell.max_score and g.auto_score is not None}
        maxima = {cell.name: float(cell.max_score) for nb in assignment.notebooks for cell in nb.grade_cells}
    return out, maxima


def convgrade_rows(root):
    """``({student: status}, {(student, grade_id): misconception})`` from convgrade's tables."""
    from autograder.pipeline.record import read_table

    url = "sqlite:///%s" % (root / "gradebook.db")
    submissions, items = read_table(url, "submission"), read_table(url, "item")
    misconceptions = {(r.student, r.grade_id): r.misconception for r in items.itertuples()
                      if isinstance(r.misconception, str) and r.misconception}
    return dict(zip(submissions["student"], submissions["status"])), misconceptions


def stderr_only_cells(root, student):
    """grade_ids of the test cells of ``student``'s stock-autograded notebook whose outputs
    hold stderr and no error: cells stock nbgrader fails for the stderr alone."""
    import nbformat

    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / "ps2.ipynb", as_version=4)
    cells = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        outputs = cell.get("outputs", [])
        if grade_id and any(o.output_type == "stream" and o.name == "stderr" for o in outputs) \
                and not any(o.output_type == "error" for o in outputs):
            cells.add(grade_id)
    return cells


def compare(stock_root, stock, ours, maxima):
    """Per submission graded by both: ``[(student, [(grade_id, stock, convgrade, cause)])]``
    for the cells whose scores differ; ``cause`` None when nothing explains it."""
    differences = []
    for student in sorted(stock):
        cells = []
        noisy = None
        for grade_id in sorted(set(stock[student]) | set(ours.get(student, {}))):
            theirs, mine = stock[student].get(grade_id), ours.get(student, {}).get(grade_id)
            if theirs is not None and mine is not None and abs(theirs - mine) <= TOLERANCE:
                continue
            cause = None
            if theirs == 0 and mine is not None:
                noisy = stderr_only_cells(stock_root, student) if noisy is None else noisy
                if grade_id in noisy and abs(mine - maxima[grade_id]) <= TOLERANCE:
                    cause = "stock nbgrader fails a cell for output on stderr"
                elif 0 < mine < maxima[grade_id]:
                    cause = "partial credit (stock nbgrader: a failing cell earns 0)"
            cells.append((grade_id, theirs, mine, cause))
        if cells:
            differences.append((student, cells))
    return differences


# -- the report ----------------------------------------------------------------------------------
def per_minute(count, seconds):
    return 60.0 * count / seconds if seconds > 0 else float("nan")


def verdict(ok):
    return "met" if ok else "MISSED"


def fmt(value):
    return "-" if value is None else "%g" % round(value, 2)


def main(argv=None):
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    from autograder.pipeline.parallel import default_workers

    workers = args.workers or default_workers()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="convgrade-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        return _benchmark(args, workers, base)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def _benchmark(args, workers, base):
    from autograder.pipeline.parallel import default_workers

    cores = default_workers()  # the cores this process may use
    print("grading throughput, %s: %s, %d cores, Python %s, %s"
          % (ASSIGNMENT, datetime.date.today().isoformat(), cores, platform.python_version(), platform.node()))
    batch = write_batch(base / "batch", args.submissions)
    personas = batch_personas()
    students = list(batch)
    sample = students[:args.stock]
    print("batch: %d submissions made from release/ps2/ps2.ipynb, cycling through %d kinds of work (%s)"
          % (len(batch), len(personas), ", ".join(p.id for p in personas)))

    stock_root = new_course(base / "stock", base / "batch", sample)
    run(nbgrader(stock_root, "generate_assignment", ASSIGNMENT), stock_root, "nbgrader generate_assignment")
    ours_root = new_course(base / "convgrade", base / "batch", students)
    run(convgrade(ours_root, "release", ASSIGNMENT), ours_root, "convgrade release")

    print("\n(a) stock `nbgrader autograde ps2` on the first %d submissions (a sample for its rate; it "
          "grades one notebook at a time) ..." % len(sample), flush=True)
    _, stock_wall = run(nbgrader(stock_root, "autograde", ASSIGNMENT), stock_root,
                                   "nbgrader autograde")
    stock_rate = per_minute(len(sample), stock_wall)
    print("    %d submissions in %.1f s: %.1f per minute (%.2f s each)"
          % (len(sample), stock_wall, stock_rate, stock_wall / len(sample)))

    print("\n(b) `convgrade autograde ps2 --workers %d` on all %d submissions, every protection on ..."
          % (workers, len(students)), flush=True)
    output, ours_wall = run(convgrade(ours_root, "autograde", ASSIGNMENT, "--workers", str(workers),
                                                "--no-progress"), ours_root, "convgrade autograde")
    ours_rate = per_minute(len(students), ours_wall)
    isolation = next((line.split(":", 1)[1].strip() for line in output.splitlines()
                      if line.startswith("isolation:")), "none reported")
    print("    %d submissions in %.1f s: %.1f per minute (%.2f s each)"
          % (len(students), ours_wall, ours_rate, ours_wall / len(students)))
    reported = re.search(r"graded (\d+) submission.* in ([\d.]+) s \(([\d.]+) per minute\)", output)
    if reported:
        print("    (convgrade's own count: %s graded in %s s, %s per minute, start-up excluded)" % reported.groups())
    print("    isolation: %s" % isolation)

    ratio = ours_rate / stock_rate
    projected = TARGET_SUBMISSIONS * ours_wall / len(students)
    print("\ntargets (this machine is shared and noisy: the ratio within one run is what counts)")
    print("  convgrade / stock nbgrader throughput: %.2fx (target >= %gx with %d cores): %s"
          % (ratio, TARGET_RATIO, cores, verdict(ratio >= TARGET_RATIO)))
    how = "measured" if len(students) == TARGET_SUBMISSIONS else "projected from %d" % len(students)
    print("  %d submissions: %.0f s, %s (target < %.0f s): %s"
          % (TARGET_SUBMISSIONS, projected, how, TARGET_SECONDS, verdict(projected < TARGET_SECONDS)))

    stock, maxima = gradebook_scores(stock_root)
    ours, _ = gradebook_scores(ours_root)
    statuses, misconceptions = convgrade_rows(ours_root)
    problems = []
    missing = sorted(set(sample) - set(stock)) + sorted(set(students) - set(ours))
    if missing:
        problems.append("no gradebook row for %s" % ", ".join(missing))
    failed = {s: st for s, st in statuses.items() if st != "graded"}
    if failed:
        problems.append("convgrade statuses other than graded: %s"
                        % ", ".join("%s %s" % kv for kv in sorted(failed.items())))
    differences = compare(stock_root, stock, ours, maxima)
    same = len(sample) - len(differences)
    print("\nscores of the %d submissions graded by both: %d identical in every cell, %d differ"
          % (len(sample), same, len(differences)))
    unexplained = 0
    for student, cells in differences:
        persona = batch[student]
        print("  %s (%s): stock %s, convgrade %s of %g"
              % (student, persona.summary, fmt(sum(stock[student].values())), fmt(sum(ours[student].values())),
                 sum(maxima.values())))
        for grade_id, theirs, mine, cause in cells:
            unexplained += cause is None
            named = misconceptions.get((student, grade_id))
            print("    %-16s stock %-5s convgrade %-5s %s%s" % (grade_id, fmt(theirs), fmt(mine),
                                                          cause or "UNEXPLAINED", " [%s]" % named if named else ""))
    if unexplained:
        problems.append("%d unexplained score differences" % unexplained)

    print("\nconvgrade's scores per kind of work over the whole batch (hidden inputs are drawn afresh per "
          "submission, so partial credit varies):")
    for persona in personas:
        scores = [sum(ours[s].values()) for s, p in batch.items() if p.id == persona.id and s in ours]
        if scores:
            print("  %-4s %-58s n=%-3d %s" % (persona.id, persona.summary[:58], len(scores),
                                              fmt(min(scores)) if min(scores) == max(scores)
                                              else "%s..%s" % (fmt(min(scores)), fmt(max(scores)))))
    record = {"date": datetime.date.today().isoformat(), "cores": cores, "workers": workers,
              "stock": {"submissions": len(sample), "seconds": stock_wall,
                        "per_minute": stock_rate},
              "convgrade": {"submissions": len(students), "seconds": ours_wall,
                            "per_minute": ours_rate, "isolation": isolation},
              "ratio": ratio, "projected_300_seconds": projected,
              "differences": [[s, [list(c) for c in cells]] for s, cells in differences], "problems": problems}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "grading.json").write_text(json.dumps(record, indent=1) + "\n")
    print("\nwrote %s" % (OUT / "grading.json").relative_to(ROOT))
    for problem in problems:
        print("PROBLEM: %s" % problem)
    return 1 if problems else 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
