"""What stock ``nbgrader autograde`` makes of the reliability corpus (issue 5).

Builds a throw-away nbgrader course (``source/ps2``, ``nbgrader generate_assignment``),
writes the corpus of ``tests/corpus/corpus_cases.py`` into ``submitted/``, grades the
honest sentinel ``h-model`` first, then every other case with its own
``nbgrader autograde ps2 --student CASE`` (so what a case does is told apart from what
the others did), and prints per case:

- nbgrader's score for it (stock nbgrader runs the hidden checks in the student's own
  kernel: ``convgrade_kernel.check`` in its in-process mode) and whether the command
  finished;
- whether it earned points the corpus says it must not (an attack) or lost points it
  must keep (an honest or harmless submission);
- the harm done to others: the course's ``source/``, ``release/`` or another student's
  files changed, other students' grades changed in ``gradebook.db``, processes left
  running after nbgrader returned.

After each case the course is put back as it was, so harm does not pile up.

WARNING: this runs hostile code WITHOUT a sandbox, as the user running it. Every attack
of the corpus is bounded and aimed only at the throw-away course (see
``corpus_cases``), and what it leaves running is killed by its markers; still, run it
in a container or a VM.

Usage::

    .venv/bin/python benchmarks/stock_nbgrader_corpus.py                    # the whole corpus
    .venv/bin/python benchmarks/stock_nbgrader_corpus.py --cases t-eq-true,r-os-exit
    .venv/bin/python benchmarks/stock_nbgrader_corpus.py --json out.json --convgrade-report corpus.json

``--convgrade-report`` takes the JSON the corpus test writes
(``CONVGRADE_CORPUS_REPORT=FILE pytest tests/corpus/test_corpus.py``) and prints
convgrade's result beside nbgrader's.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

from corpus_cases import ASSIGNMENT, CELL_TIMEOUT, build_corpus  # noqa: E402
from corpus_checks import gradebook_structure, kill_pids, processes_matching, query, tree_digest  # noqa: E402

NBGRADER = Path(sys.executable).parent / "nbgrader"
SENTINEL = "h-model"
#: Wall seconds one ``nbgrader autograde --student`` may take before it is killed.
CASE_LIMIT = 300


def nbgrader(course, *args, timeout=CASE_LIMIT):
    """Run ``nbgrader ARGS`` on ``course`` in a session of its own; returns
    ``(exit code or "killed", seconds, output tail, pid)``."""
    env = dict(os.environ, PATH=os.pathsep.join([str(NBGRADER.parent), os.environ.get("PATH", "")]),
               PYTHONUNBUFFERED="1")
    cmd = [str(NBGRADER), *args, "--config=%s" % (course / "nbgrader_config.py"),
           "--CourseDirectory.root=%s" % course]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        code = "killed after %ds" % timeout
    return code, time.perf_counter() - started, out.decode("utf-8", "replace")[-1500:], proc.pid


def make_course(base):
    """A stock nbgrader course with ps2 released and nothing else."""
    course = base / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    config = (ROOT / "autograder" / "nbgrader_config.py").read_text(encoding="utf-8")
    config += "\n# the corpus's time limit per cell, as convgrade's batch uses\n"
    config += "c.ExecutePreprocessor.timeout = %d\nc.Execute.timeout = %d\n" % (CELL_TIMEOUT, CELL_TIMEOUT)
    (course / "nbgrader_config.py").write_text(config, encoding="utf-8")
    code, _, out, _ = nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    if code != 0:
        raise SystemExit("nbgrader generate_assignment failed:\n%s" % out)
    return course


def scores(course):
    """``{student: score}`` of the graded ps2 submissions in the gradebook."""
    try:
        rows = query(course / "gradebook.db", """
            SELECT sa.student_id, SUM(COALESCE(g.manual_score, g.auto_score, 0))
            FROM submitted_assignment sa JOIN submitted_notebook sn ON sn.assignment_id = sa.id
            JOIN grade g ON g.notebook_id = sn.id GROUP BY sa.student_id""")
    except Exception:  # the gradebook itself was destroyed
        return None
    return {student: float(score) for student, score in rows}


def snapshot(course, student):
    """What a case must not change: the course's files (its own submission aside) and
    everyone else's grades and the gradebook's structure."""
    files = {}
    for part in ("source", "release", "submitted"):
        for rel, digest in tree_digest(course / part).items():
            if not (part == "submitted" and rel.split("/", 1)[0] == student):
                files["%s/%s" % (part, rel)] = digest
    files["nbgrader_config.py"] = tree_digest(course).get("nbgrader_config.py")
    try:
        structure = gradebook_structure(course / "gradebook.db")
    except Exception as exc:
        structure = {"error": str(exc)}
    graded = scores(course)
    others = {s: v for s, v in graded.items() if s != student} if graded is not None else None
    return files, structure, others


def harm(before, after):
    """What changed between two snapshots, as short phrases."""
    found = []
    files_before, files_after = before[0], after[0]
    changed = sorted(k for k in set(files_before) | set(files_after) if files_before.get(k) != files_after.get(k))
    for area in ("source", "release", "submitted", "nbgrader_config.py"):
        hits = [k for k in changed if k.startswith(area)]
        if hits:
            found.append("%s: %d file(s) changed or deleted" % (area.rstrip("/"), len(hits)))
    if before[1] != after[1]:
        found.append("gradebook structure changed")
    if after[2] is None:
        found.append("gradebook unreadable")
    elif before[2] != after[2]:
        moved = sorted(s for s in set(before[2]) | set(after[2]) if before[2].get(s) != after[2].get(s))
        found.append("grades of %s changed" % ", ".join(moved))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--convgrade-report", help="the corpus test's JSON report, shown beside nbgrader's")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away course")
    args = parser.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="stock-corpus-"))
    token = "%06d" % secrets.randbelow(10 ** 6)
    started = time.perf_counter()
    try:
        course = make_course(base)
        cases = build_corpus(course, token=token, sandboxed=False)
        wanted = set(args.cases.split(",")) if args.cases else None
        from nbgrader.api import Gradebook

        with Gradebook("sqlite:///%s" % (course / "gradebook.db")) as gradebook:
            for case in cases:
                gradebook.update_or_create_student(case.student)
        results = []
        code, seconds, out, _ = nbgrader(course, "autograde", ASSIGNMENT, "--student", SENTINEL)
        sentinel_score = (scores(course) or {}).get(SENTINEL)
        print("sentinel %s: nbgrader exit %s, %.1f s, score %s" % (SENTINEL, code, seconds, sentinel_score),
              flush=True)
        pristine = base / "pristine"
        shutil.copytree(course, pristine, symlinks=True)
        for case in cases:
            if case.student == SENTINEL or (wanted and case.student not in wanted):
                continue
            before = snapshot(course, case.student)
            code, seconds, out, pid = nbgrader(course, "autograde", ASSIGNMENT, "--student", case.student)
            time.sleep(0.5)  # let a killed kernel's children be reparented and show
            _let_finish([m for m in case.markers if "writer" in m], 25)  # what waits for nbgrader to let go
            survivors = processes_matching(markers=list(case.markers) + [token])
            survivors += [(p, c) for p, c in _kernels_of(pid)]
            kill_pids(p for p, _ in survivors)
            after = snapshot(course, case.student)
            graded = scores(course)
            score = graded.get(case.student) if graded else None
            damage = harm(before, after) + (["%d process(es) left running" % len(survivors)] if survivors else [])
            row = {"student": case.student, "group": case.group, "attack": case.attack,
                   "expected": [case.status, case.score], "nbgrader_exit": code, "seconds": round(seconds, 1),
                   "nbgrader_score": score, "harm": damage, "output": out[-400:]}
            row["verdict"] = _verdict(case, score, code, damage)
            results.append(row)
            print("%-20s exit %-6s %5.1f s  score %-6s %s%s" % (case.student, code, seconds, _fmt(score),
                                                                row["verdict"], ("; harm: " + "; ".join(damage))
                                                                if damage else ""), flush=True)
            shutil.rmtree(course)  # back to the state before this case, in place (attacks know the path)
            shutil.copytree(pristine, course, symlinks=True)
    finally:
        kill_pids(p for p, _ in processes_matching(markers=[token]))
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    convgrade = _load_convgrade(args.convgrade_report)
    print_table(results, sentinel_score, convgrade)
    print("\n%d cases in %.0f s; course in %s%s" % (len(results), time.perf_counter() - started, base,
                                                     "" if args.keep else " (removed)"))
    if args.json:
        Path(args.json).write_text(json.dumps({"sentinel_score": sentinel_score, "cases": results}, indent=1),
                                   encoding="utf-8")
    return 0


def _let_finish(markers, seconds):
    """Wait up to ``seconds`` for the processes carrying ``markers`` to end by themselves
    (a detached process the attack left to act once nbgrader is done)."""
    deadline = time.monotonic() + seconds
    while markers and processes_matching(markers=markers) and time.monotonic() < deadline:
        time.sleep(0.5)


def _kernels_of(pid):
    """Kernels nbgrader (pid) started that are still alive (their JPY_PARENT_PID)."""
    mark = ("JPY_PARENT_PID=%d" % pid).encode()
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open("/proc/%s/environ" % entry.name, "rb") as fh:
                    if mark in fh.read().split(b"\0"):
                        with open("/proc/%s/cmdline" % entry.name, "rb") as cmd:
                            found.append((int(entry.name), cmd.read().replace(b"\0", b" ").decode()[:120]))
            except OSError:
                continue
    return found


def _verdict(case, score, code, damage):
    if score is None:
        return "no grade recorded"
    if case.honest and score < case.score - 1e-6:
        return "honest marks lost (%s of %s)" % (_fmt(score), _fmt(case.score))
    if score > case.score + 1e-6:  # a cheat that paid off; elsewhere only a different outcome
        what = "unearned points" if case.group == "tampering" else "more than convgrade's"
        return "%s (%s, expected %s)" % (what, _fmt(score), _fmt(case.score))
    if score < case.score - 1e-6:
        return "marks lost (%s of %s)" % (_fmt(score), _fmt(case.score))
    return "as expected"


def _fmt(value):
    return "-" if value is None else ("%g" % value)


def _load_convgrade(path):
    if not path:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {c["student"]: c for c in data["cases"]}


def print_table(results, sentinel_score, convgrade):
    """The per-case table (Markdown) and the totals."""
    print("\n| case | group | expected | convgrade | stock nbgrader | harm to others (stock) |")
    print("|---|---|---|---|---|---|")
    for row in results:
        ours = convgrade.get(row["student"])
        ours_text = "%s %s" % (ours["got"][0], _fmt(ours["got"][1])) if ours else "-"
        print("| %s | %s | %s %s | %s | %s (%s) | %s |" % (
            row["student"], row["group"], row["expected"][0], _fmt(row["expected"][1]), ours_text,
            _fmt(row["nbgrader_score"]), row["verdict"], "; ".join(row["harm"]) or "none"))
    unearned = [r for r in results if r["verdict"].startswith("unearned")]
    lost = [r for r in results if "lost" in r["verdict"] or r["verdict"] == "no grade recorded"]
    harmful = [r for r in results if r["harm"]]
    print("\nstock nbgrader: %d case(s) earned points they must not (%s); %d lost or got no grade (%s); "
          "%d harmed others or left processes (%s); sentinel %s scored %s"
          % (len(unearned), ", ".join(r["student"] for r in unearned) or "-", len(lost),
             ", ".join(r["student"] for r in lost) or "-", len(harmful),
             ", ".join(r["student"] for r in harmful) or "-", SENTINEL, _fmt(sentinel_score)))


if __name__ == "__main__":
    sys.exit(main())
