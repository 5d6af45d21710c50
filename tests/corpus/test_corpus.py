"""The reliability corpus, graded in one batch (issue 5).

Every case of :mod:`corpus_cases` (honest, tampering, resource abuse, broken files) is
written into one throw-away course and graded by ONE real ``convgrade autograde ps2
--workers 2`` with short time limits, bubblewrap sandbox on. The tests below then hold
what the batch left behind against what a correct grader leaves:

- every submission has exactly one row, with its expected status and score (one test
  per case, so a failure names the case), the honest ones exactly their marks;
- the evidence the attacks print shows they ran and found nothing;
- the course's ``source/``, ``release/``, every student's submitted files and the
  gradebook's structure are byte for byte what they were; nbgrader's grade rows agree
  with convgrade's for every student (nobody's grades were rewritten);
- no process started by grading survives it.

Set ``CONVGRADE_CORPUS_REPORT=FILE`` to also write the batch's figures as JSON (the
numbers of ``docs/reliability.md``).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus_cases import ASSIGNMENT, CELL_TIMEOUT, NOTEBOOK_TIMEOUT, build_corpus, corpus_cases, workdir_name
from corpus_checks import (copy_course, gradebook_structure, group_alive, item_scores, kill_pids, nbgrader_scores,
                           notebook_text, processes_matching, query, require_sandbox, start_convgrade,
                           submission_rows, tree_digest)

pytestmark = pytest.mark.slow

#: The case names, for one test per case (the paths they aim at do not matter here).
CASES = {c.student: c for c in corpus_cases(Path("/nonexistent/course"))}


@dataclass
class Batch:
    root: Path
    cases: dict
    proc: object
    seconds: float
    before: dict
    after: dict
    survivors: list
    leftover_workdirs: list

    @property
    def db(self):
        return self.root / "gradebook.db"


def _snapshot(root):
    return {"source": tree_digest(root / "source"), "release": tree_digest(root / "release"),
            "submitted": tree_digest(root / "submitted"),
            "config": tree_digest(root).get("nbgrader_config.py"),
            "gradebook": gradebook_structure(root / "gradebook.db")}


def _enrol(root, students):
    """Put every student in the gradebook first, so its student table must not change."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///%s" % (root / "gradebook.db")) as gradebook:
        for student in students:
            gradebook.update_or_create_student(student)


@pytest.fixture(scope="module")
def batch(released_ps2, tmp_path_factory):
    require_sandbox()
    root = copy_course(released_ps2, tmp_path_factory.mktemp("corpus") / "course")
    token = "%06d" % secrets.randbelow(10 ** 6)
    cases = {c.student: c for c in build_corpus(root, token=token)}
    assert sorted(cases) == sorted(CASES)
    _enrol(root, cases)
    before = _snapshot(root)
    markers = [m for c in cases.values() for m in c.markers]
    # a temporary directory of the batch's own (short: the kernels' sockets go under
    # it), so what grading leaves behind is told from other runs' litter on this machine
    scratch = Path(tempfile.mkdtemp(prefix="cgt-", dir="/tmp"))
    started = time.perf_counter()
    proc = start_convgrade(root, "autograde", ASSIGNMENT, "--workers", "2", "--timeout", CELL_TIMEOUT,
                           "--notebook-timeout", NOTEBOOK_TIMEOUT, "--no-progress", env={"TMPDIR": str(scratch)})
    try:
        proc.stdout_text, proc.stderr_text = proc.communicate(timeout=1200)
    finally:
        if proc.poll() is None:
            kill_pids(group_alive(proc.pid))
            proc.wait()
    seconds = time.perf_counter() - started
    # whatever grading started must be gone when the command returns
    safe = [workdir_name(s) for s in cases]
    survivors = processes_matching(markers=markers, students=cases, workdir_prefixes=safe)
    survivors += [(pid, "in the process group of convgrade") for pid in group_alive(proc.pid)]
    leftovers = sorted(str(p) for p in scratch.rglob("*"))
    after = _snapshot(root)
    result = Batch(root, cases, proc, seconds, before, after, survivors, leftovers)
    _report(result)
    yield result
    kill_pids(pid for pid, _ in processes_matching(markers=markers, students=cases))  # a failed run's litter
    shutil.rmtree(scratch, ignore_errors=True)


def _report(batch):
    target = os.environ.get("CONVGRADE_CORPUS_REPORT")
    if not target:
        return
    rows, _ = submission_rows(batch.db, ASSIGNMENT)
    took = dict(query(batch.db, "SELECT student, seconds FROM convgrade_submission WHERE assignment = ?", ASSIGNMENT))
    out = {"seconds": round(batch.seconds, 1), "workers": 2, "cell_timeout": CELL_TIMEOUT,
           "notebook_timeout": NOTEBOOK_TIMEOUT, "exit_code": batch.proc.returncode,
           "survivors": len(batch.survivors), "cases": []}
    for name, case in batch.cases.items():
        status, score, max_score, detail = rows.get(name, (None, None, None, None))
        out["cases"].append({"student": name, "group": case.group, "attack": case.attack,
                             "expected": [case.status, case.score], "got": [status, score],
                             "max_score": max_score, "detail": detail, "seconds": took.get(name)})
    Path(target).write_text(json.dumps(out, indent=1), encoding="utf-8")


# -- the run ------------------------------------------------------------------------------------
def test_the_batch_finished_and_said_what_it_did(batch):
    out, err = batch.proc.stdout_text, batch.proc.stderr_text
    assert batch.proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert re.search(r"graded %d submission\(s\) of ps2 .* with 2 workers" % len(batch.cases), out), out
    assert "isolation: bubblewrap" in out and "unprivileged uid per notebook" in out, out
    assert "cell-timeout %gs" % CELL_TIMEOUT in out and "notebook-timeout %gs" % NOTEBOOK_TIMEOUT in out


def test_every_submission_has_exactly_one_row(batch):
    rows, counts = submission_rows(batch.db, ASSIGNMENT)
    assert sorted(rows) == sorted(batch.cases), "lost: %s; unknown: %s" % (
        sorted(set(batch.cases) - set(rows)), sorted(set(rows) - set(batch.cases)))
    assert set(counts.values()) == {1}, {s: n for s, n in counts.items() if n != 1}
    nbgrader_rows = query(batch.db, "SELECT sa.student_id, COUNT(*) FROM submitted_assignment sa JOIN assignment a "
                                    "ON sa.assignment_id = a.id WHERE a.name = ? GROUP BY sa.student_id", ASSIGNMENT)
    assert dict(nbgrader_rows) == {s: 1 for s in batch.cases}


@pytest.mark.parametrize("student", [
    pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="known gap: %s" % c.known_gap)) if c.known_gap else s
    for s, c in sorted(CASES.items())])
def test_case(batch, student):
    """The case's status, score (exactly) and reason; the evidence that the attack ran."""
    case = batch.cases[student]
    rows, _ = submission_rows(batch.db, ASSIGNMENT)
    status, score, max_score, detail = rows[student]
    got = (status, round(score, 6))
    assert got == (case.status, case.score), "%s (%s): got %s, expected %s; detail: %s; items: %s" % (
        student, case.attack, got, (case.status, case.score), detail,
        query(batch.db, "SELECT grade_id, score, message FROM convgrade_item WHERE student = ? AND "
                        "assignment = ?", student, ASSIGNMENT))
    assert max_score == CASES["h-model"].score, "every row, failed or not, is out of the full marks"
    if case.detail:
        assert re.search(case.detail, detail or ""), "%s: detail %r does not match %r" % (student, detail, case.detail)
    if case.evidence:
        text = notebook_text(batch.root / "autograded" / student / ASSIGNMENT / "ps2.ipynb")
        assert case.evidence in text, "%s: the autograded notebook lacks %r; its output:\n%s" % (
            student, case.evidence, text[-2000:])


def test_honest_students_get_every_mark_of_every_item(batch):
    honest = [s for s, c in batch.cases.items() if c.honest]
    assert len(honest) >= 5
    for student in honest:
        items = query(batch.db, "SELECT grade_id, score, max_score FROM convgrade_item WHERE student = ?", student)
        assert items and all(score == max_score for _, score, max_score in items), (student, items)


# -- nobody else was harmed ---------------------------------------------------------------------
@pytest.mark.parametrize("part", ["source", "release", "submitted", "config"])
def test_course_files_are_byte_identical(batch, part):
    before, after = batch.before[part], batch.after[part]
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)) \
        if isinstance(before, dict) else ([part] if before != after else [])
    assert not changed, "changed by grading: %s" % changed[:10]


def test_gradebook_structure_is_untouched_and_grades_agree(batch):
    assert batch.after["gradebook"] == batch.before["gradebook"], [
        t for t in batch.before["gradebook"] if batch.before["gradebook"][t] != batch.after["gradebook"].get(t)]
    ours, theirs = item_scores(batch.db, ASSIGNMENT), nbgrader_scores(batch.db, ASSIGNMENT)
    assert len(ours) == 7 * len(batch.cases)
    assert ours == theirs, {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs)
                            if ours.get(k) != theirs.get(k)}


def test_no_process_started_by_grading_survives(batch):
    assert not batch.survivors, "still running after the batch: %s" % batch.survivors[:10]
    assert not batch.leftover_workdirs, "grading left files in its temporary directory: %s" \
        % batch.leftover_workdirs[:10]
