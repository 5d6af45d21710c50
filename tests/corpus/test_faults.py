"""Faults injected into real ``convgrade autograde`` runs (issue 5): the whole run killed
mid-batch, two runs at once, a read-only or locked gradebook, a grading worker or a
kernel dying mid-notebook. After each: no submission lost, none counted twice, nothing
half-written, and every error a single line.

Submissions are ps2's model solutions from the real notebooks; some sleep a few seconds
in the relu cell, to give the fault a moment to land in the middle of a notebook.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from corpus_cases import ASSIGNMENT, TIMESTAMP, Ps2, workdir_name
from corpus_checks import (convgrade, group_alive, kill_pids, processes_matching, query, require_sandbox,
                           start_convgrade, submission_rows)

pytestmark = pytest.mark.slow

PS2 = Ps2()
FULL = PS2.full


def submit(course, students, sleep=0.0):
    """Hand in the model solution for each of ``students`` (sleeping ``sleep`` seconds in
    the relu cell: long enough for a fault to hit mid-notebook)."""
    relu = ("import time\ntime.sleep(%g)\n" % sleep if sleep else "") + PS2.model("relu")
    data = PS2.notebook(relu=relu)
    import nbformat

    for student in students:
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(data, folder / "ps2.ipynb")
        (folder / "timestamp.txt").write_text(TIMESTAMP, encoding="utf-8")


def recorded(course):
    """``{student: graded_at}`` of convgrade's rows ({} while the table does not exist)."""
    try:
        return dict(query(course / "gradebook.db", "SELECT student, graded_at FROM convgrade_submission"))
    except sqlite3.OperationalError:
        return {}


def wait_for(condition, timeout, what, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError("the run ended before %s:\n%s" % (what, proc.stderr.read()[-2000:]))
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s" % what)


def wait_gone(survivors, timeout, what):
    """Wait until ``survivors()`` (a list of processes) is empty; fail naming them."""
    deadline = time.monotonic() + timeout
    left = survivors()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = survivors()
    assert not left, "%s are still running after %gs: %s" % (what, timeout, left)


def assert_consistent(course, students, *, complete=True):
    """Each student has at most one row in convgrade's table and one in nbgrader's, a
    convgrade row exactly when nbgrader has one, and 7 items per row; with ``complete``,
    every student has its row with full marks. The SQLite file passes its integrity check."""
    db = course / "gradebook.db"
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    rows, counts = submission_rows(db, ASSIGNMENT)
    assert set(counts.values()) <= {1}, counts
    theirs = dict(query(db, "SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id"))
    assert set(theirs.values()) <= {1}, theirs
    assert set(theirs) == set(rows), "half-written: nbgrader rows %s, convgrade rows %s" % (sorted(theirs),
                                                                                          sorted(rows))
    items = dict(query(db, "SELECT student, COUNT(*) FROM convgrade_item GROUP BY student"))
    assert items == {s: 7 for s in rows}, items
    if complete:
        assert sorted(rows) == sorted(students), "lost: %s" % sorted(set(students) - set(rows))
        assert {s: r[:2] for s, r in rows.items()} == {s: ("graded", FULL) for s in students}, rows
    return rows


def one_error_line(stderr, pattern):
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, "expected one line, got:\n%s" % stderr[-3000:]
    assert lines[0].startswith("convgrade: error: ") and re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in stderr


@pytest.fixture(autouse=True)
def _sandbox_and_cleanup():
    require_sandbox()
    yield
    kill_pids(pid for pid, _ in processes_matching(students=STUDENTS))


STUDENTS = ("fa", "fb", "fc", "fd", "victim-worker", "victim-kernel", "bystander")


@pytest.fixture
def tmpdir_of_run():
    """A short, empty temporary directory for the runs of one test (``TMPDIR``): what the
    runs leave there is theirs alone."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="cgt-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def left_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_sigkill_of_the_whole_run_then_a_rerun_grades_everyone_exactly_once(ps2_course, tmpdir_of_run):
    students = ["fa", "fb", "fc", "fd"]
    env = {"TMPDIR": str(tmpdir_of_run)}
    submit(ps2_course, students, sleep=2)
    proc = start_convgrade(ps2_course, "autograde", ASSIGNMENT, "--workers", "2", "--no-progress", env=env)
    try:
        wait_for(lambda: recorded(ps2_course), 300, "a first result", proc)
        os.killpg(proc.pid, signal.SIGKILL)  # coordinator, fork server and workers at once
    finally:
        proc.wait(30)
    # the kernels die with their workers (bubblewrap's --die-with-parent)
    wait_gone(lambda: processes_matching(students=students) + group_alive(proc.pid), 60,
              "processes of the killed run")
    first = recorded(ps2_course)
    assert 1 <= len(first) < len(students), first
    assert_consistent(ps2_course, students, complete=False)
    killed = [p for p in tmpdir_of_run.iterdir() if p.name.startswith("convgrade-run-")]
    assert len(killed) == 1, left_in(tmpdir_of_run)  # the killed run could not clean up

    again = convgrade(ps2_course, "autograde", ASSIGNMENT, "--workers", "2", "--no-progress", env=env, check=True)
    assert_consistent(ps2_course, students)
    # only Python's own folder of the killed fork server (pymp-*: its listener socket, which
    # multiprocessing removes at a normal exit) may stay; convgrade's are all gone
    kept = [p for p in left_in(tmpdir_of_run) if not p.startswith("pymp-")]
    assert not kept, "the rerun left or kept: %s" % kept
    assert {s: t for s, t in recorded(ps2_course).items() if s in first} == first  # not graded twice
    assert "skipped %d submission(s)" % len(first) in again.stdout, again.stdout
    assert "graded %d submission(s)" % (len(students) - len(first)) in again.stdout, again.stdout


def test_two_runs_at_once_serialise_and_the_gradebook_stays_consistent(ps2_course):
    students = ["fa", "fb", "fc"]
    submit(ps2_course, students)
    runs = [start_convgrade(ps2_course, "autograde", ASSIGNMENT, "--workers", "1", "--no-progress")
            for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs  # the later one waited for the earlier
    graded = 0
    for out, _ in outputs:
        found = re.search(r"graded (\d+) submission", out)
        graded += int(found.group(1)) if found else 0
    assert graded == len(students), outputs  # each submission graded by exactly one of them
    assert_consistent(ps2_course, students)


def _immutable(path, on):
    """Make ``path`` read-only even for root (``chattr +i``); False where that is not possible."""
    if os.geteuid() != 0:
        os.chmod(path, 0o444 if on else 0o644)
        return True
    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return done.returncode == 0


def test_a_read_only_gradebook_is_one_line_and_nothing_is_written(ps2_course):
    submit(ps2_course, ["fa", "fb"])
    db = ps2_course / "gradebook.db"
    before = db.read_bytes()
    if not _immutable(db, True):
        pytest.skip("chattr +i is not available here (e2fsprogs, a file system with attributes), "
                    "and root ignores file modes")
    try:
        proc = convgrade(ps2_course, "autograde", ASSIGNMENT, "--no-progress")
    finally:
        _immutable(db, False)
    assert proc.returncode != 0
    one_error_line(proc.stderr, r"gradebook .* is read-only")
    assert db.read_bytes() == before
    assert not (ps2_course / "autograded").exists() or not any((ps2_course / "autograded").rglob("*.ipynb"))


def test_a_gradebook_locked_mid_batch_stops_cleanly_and_a_rerun_finishes(ps2_course):
    students = ["fa", "fb", "fc"]
    submit(ps2_course, students, sleep=3)
    proc = start_convgrade(ps2_course, "autograde", ASSIGNMENT, "--workers", "1", "--no-progress",
                           env={"CONVGRADE_DB_TIMEOUT": "3"})
    holder = None
    try:
        wait_for(lambda: recorded(ps2_course), 300, "a first result", proc)
        holder = sqlite3.connect(ps2_course / "gradebook.db", isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")  # another program's open write transaction
        holder.execute("UPDATE student SET email = email")
        out, err = proc.communicate(timeout=300)
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
        if proc.poll() is None:
            kill_pids(group_alive(proc.pid))
    assert proc.returncode != 0, out
    one_error_line(err, r"gradebook .* is locked by another program .* for 3 s")
    first = recorded(ps2_course)
    assert 1 <= len(first) < len(students)
    assert_consistent(ps2_course, students, complete=False)
    wait_gone(lambda: processes_matching(students=students), 60, "kernels of the stopped run")

    convgrade(ps2_course, "autograde", ASSIGNMENT, "--workers", "1", "--no-progress", check=True)
    assert_consistent(ps2_course, students)
    assert {s: t for s, t in recorded(ps2_course).items() if s in first} == first


def _sandbox_of(student, pgid):
    """``(bwrap pid, worker pid)``: the sandbox grading ``student`` started by a worker of
    the run in process group ``pgid``, or None."""
    workers = set(group_alive(pgid))
    for pid, cmdline in processes_matching(workdir_prefixes=[workdir_name(student)]):
        if not cmdline.split(" ", 1)[0].endswith("bwrap"):
            continue
        try:
            with open("/proc/%d/stat" % pid, "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        parent = int(stat[stat.rfind(b")") + 2:].split()[1])
        if parent in workers:
            return pid, parent
    return None


def test_a_worker_or_kernel_dying_mid_notebook_is_retried_or_marked(ps2_course, tmpdir_of_run):
    students = ["victim-worker", "victim-kernel", "bystander"]
    submit(ps2_course, students[:2], sleep=6)
    submit(ps2_course, students[2:])
    proc = start_convgrade(ps2_course, "autograde", ASSIGNMENT, "--workers", "2", "--no-progress",
                           env={"TMPDIR": str(tmpdir_of_run)})
    try:
        worker_box = wait_for(lambda: _sandbox_of("victim-worker", proc.pid), 300, "victim-worker's kernel", proc)
        kernel_box = wait_for(lambda: _sandbox_of("victim-kernel", proc.pid), 300, "victim-kernel's kernel", proc)
        time.sleep(2)  # both are now in their relu cell's sleep
        os.kill(worker_box[1], signal.SIGKILL)         # the OOM killer takes a grading worker
        os.kill(kernel_box[0], signal.SIGKILL)  # and, elsewhere, a student's kernel
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            kill_pids(group_alive(proc.pid))
    assert proc.returncode == 0, err[-3000:]
    rows = assert_consistent(ps2_course, students, complete=False)
    assert sorted(rows) == sorted(students)
    assert rows["victim-worker"][:2] == ("graded", FULL), rows  # tried again on a fresh worker
    assert rows["bystander"][:2] == ("graded", FULL), rows
    status, score, _, detail = rows["victim-kernel"]
    assert (status, score) == ("crashed", PS2.before("relu")), rows["victim-kernel"]
    assert "kernel stopped" in detail and "SIGKILL" in detail, detail
    assert "the worker grading victim-worker died" in err, err[-2000:]
    # the dead worker could not remove its notebook's folder; its coordinator did
    assert not left_in(tmpdir_of_run), left_in(tmpdir_of_run)
