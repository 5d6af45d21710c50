"""Parallel grading: worker processes that die mid-submission, and a Dask cluster.

The worker-death test swaps the grading function for one that SIGKILLs its own
worker process for chosen students (no kernels, so it is quick); the Dask test grades
two real ps2 submissions on a `LocalCluster` of two worker processes on loopback."""
from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course
from autograder.pipeline.grade import failed_result
from autograder.pipeline.parallel import run_local

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course(tmp_path):
    """ps2's source and committed release in a course (enough for results; no gradebook)."""
    root = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / "ps2", root / part / "ps2")
    for student in ("ann", "victim", "doomed", "zed"):
        (root / "submitted" / student / "ps2").mkdir(parents=True)
    return Course(root)


def die_for_some(course, assignment, student, **kwargs):
    """A grading function whose worker dies (SIGKILL) on `doomed` always and on
    `victim` the first time; everyone else gets a quick result."""
    attempts = course.root / ("attempts-%s" % student)
    with open(attempts, "a") as fh:
        fh.write("x")
    if student == "doomed" or (student == "victim" and attempts.read_text() == "x"):
        os.kill(os.getpid(), signal.SIGKILL)
    return failed_result(course, assignment, student, "graded", "fine")


def test_a_dead_worker_is_replaced_and_its_submission_retried_once(course, capfd):
    recorded = []
    run_local(course, "ps2", ["ann", "victim", "doomed", "zed"], recorded.append, workers=2,
              grade_fn=die_for_some, progress=True)
    by_student = {r.student: r for r in recorded}
    assert sorted(r.student for r in recorded) == ["ann", "doomed", "victim", "zed"]  # each exactly once
    assert by_student["victim"].status == "graded" and by_student["ann"].status == "graded"
    assert by_student["doomed"].status == "crashed"
    assert "died 2 times" in by_student["doomed"].detail and "SIGKILL" in by_student["doomed"].detail
    assert by_student["doomed"].score == 0 and by_student["doomed"].max_score == 17
    attempts = {s: (course.root / ("attempts-%s" % s)).read_text() for s in by_student}
    assert attempts == {"ann": "x", "zed": "x", "victim": "xx", "doomed": "xx"}
    assert "failures=1" in capfd.readouterr().err  # the progress bar counts the crash


@pytest.mark.slow
def test_dask_cluster_grades_the_same_way(tmp_path):
    import dask
    from distributed import LocalCluster

    from autograder.classroom.release import release_assignment
    from autograder.pipeline.parallel import autograde

    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    course = Course(root)
    release_assignment(course, "ps2")
    source = nbformat.read(ROOT / "source" / "ps2" / "ps2.ipynb", as_version=4)
    for student, nb in (("good", source), ("blank", nbformat.read(root / "release" / "ps2" / "ps2.ipynb", 4))):
        (root / "submitted" / student / "ps2").mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / student / "ps2" / "ps2.ipynb")
    # Dask's scratch (lock files, spill) in ours, not in the machine's temporary directory
    with dask.config.set({"temporary-directory": str(tmp_path / "dask")}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None) as cluster:
        summary = autograde(course, "ps2", dask_address=cluster.scheduler_address, progress=False)
    scores = {student: (status, score) for student, status, score, _, _ in summary.graded}
    assert scores == {"good": ("graded", 17.0), "blank": ("graded", 0.0)}
    assert "bubblewrap" in summary.protections
    from autograder.pipeline.record import read_table

    table = read_table(course.db_url, "submission")
    assert sorted(table["student"]) == ["blank", "good"]
