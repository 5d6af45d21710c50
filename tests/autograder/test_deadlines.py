"""Deadlines and late work (autograder.classroom.deadlines, .late_policy, ``convgrade deadline``).

The course is tests/autograder/statebook.py: real nbgrader gradebook, results written by
``Store.write`` as grading writes them, due dates set after grading. Every expected
penalty is worked out by hand in the test (hours late, started units, % of the marks),
and the penalty nbgrader itself stores (``SubmittedAssignment.late_submission_penalty``,
what formgrader and ``nbgrader export`` show) must agree with ours.
"""
from __future__ import annotations

import shutil
import sqlite3
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.classroom import deadlines
from autograder.pipeline.late_policy import LatePolicy, parse_policy, read_lms_mark
from autograder.cli import main
from autograder.course import read_timestamp
from autograder.errors import ConvgradeError
from autograder.pipeline.record import Store
from autograder.publish import export
from autograder.records import STATES, ItemResult, SubmissionResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
import statebook  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return statebook.make_course(tmp_path_factory.mktemp("deadlines") / "course")


@pytest.fixture
def course(built, tmp_path):
    """A fresh copy of the statebook course (tests here change it)."""
    shutil.copytree(built.root, tmp_path / "course")
    from autograder.course import Course

    return Course(tmp_path / "course")


def nbgrader_penalties(course, assignment):
    """{student: (raw score, late penalty)} as nbgrader's own tables hold them."""
    with Gradebook(course.db_url) as gb:
        return {s.student_id: (s.score, s.late_submission_penalty)
                for s in gb.find_assignment(assignment).submissions}


# -- policies ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, canonical", [
    ("none", "none"), ("per-hour:10", "per-hour:10"), ("per-day:12.5", "per-day:12.5"),
    ("zero-after:72", "zero-after:72"), ("per-day:10, zero-after:72", "per-day:10,zero-after:72"),
    ("zero-after:48,per-hour:5", "per-hour:5,zero-after:48")])
def test_policy_text_round_trips(text, canonical):
    assert str(parse_policy(text)) == canonical
    assert parse_policy(str(parse_policy(text))) == parse_policy(text)


@pytest.mark.parametrize("text", ["", "zero", "per-hour", "per-hour:-1", "per-day:101", "per-week:5",
                                  "zero-after:0", "per-hour:5,per-day:5", "per-day:nan", "none,per-day:5"])
def test_a_malformed_policy_is_one_line_naming_it_and_the_rule(text):
    with pytest.raises(ConvgradeError) as caught:
        parse_policy(text)
    message = str(caught.value)
    assert "--late-policy %r" % text in message and "per-day:P" in message and "\n" not in message


def test_penalties_by_hand():
    hour = 3600.0
    per_hour = LatePolicy("per-hour", 10.0)
    assert per_hour.penalty(10.0, 10.0, 2.5 * hour) == pytest.approx(3.0)  # 3 started hours x 1 mark
    assert per_hour.penalty(10.0, 10.0, 1.0) == pytest.approx(1.0)  # one second late: one started hour
    assert per_hour.penalty(2.0, 10.0, 5 * hour) == 2.0  # never more than the raw score
    assert per_hour.penalty(10.0, 10.0, 0.0) == 0.0 and per_hour.penalty(10.0, 10.0, None) == 0.0
    assert per_hour.penalty(10.0, 10.0, None, lms_late=True) == pytest.approx(1.0)  # LMS: late, unmeasured
    per_day = parse_policy("per-day:20,zero-after:72")
    assert per_day.penalty(8.0, 10.0, 25 * hour) == pytest.approx(4.0)  # 2 started days x 2 marks
    assert per_day.penalty(8.0, 10.0, 73 * hour) == 8.0  # past the cut-off: 0 left
    assert parse_policy("zero-after:24").penalty(8.0, 10.0, 23 * hour) == 0.0
    assert parse_policy("none").penalty(8.0, 10.0, 99 * hour) == 0.0


def test_due_dates_are_read_in_the_teachers_time_zone():
    # Amsterdam is UTC+1 in winter (CET) and UTC+2 in summer (CEST)
    assert str(deadlines.parse_due("2026-01-15 23:59", "Europe/Amsterdam")) == "2026-01-15 22:59:00"
    assert str(deadlines.parse_due("2026-07-15 23:59", "Europe/Amsterdam")) == "2026-07-15 21:59:00"
    assert str(deadlines.parse_due("2026-01-15 23:59")) == "2026-01-15 23:59:00"
    with pytest.raises(ConvgradeError, match="--due '15/01/2026'.*YYYY-MM-DD HH:MM"):
        deadlines.parse_due("15/01/2026")


# -- states ------------------------------------------------------------------------------------
def test_every_state_follows_from_the_facts():
    state = deadlines.state_of
    got = [state(released=False, due=False, collected=False, graded=False),
           state(released=True, due=False, collected=False, graded=False),
           state(released=True, due=True, collected=False, graded=False),
           state(released=True, due=True, collected=True, graded=False),
           state(released=True, due=True, collected=True, graded=True, pending_manual=True, late=True),
           state(released=True, due=True, collected=True, graded=True),
           state(released=True, due=True, collected=True, graded=True, late=True)]
    assert tuple(got) == STATES
    assert deadlines.is_due(None, None, anything_in=True) and not deadlines.is_due(None, None, anything_in=False)


def test_states_of_the_whole_class(built):
    grades = export.read_grades(built)
    got = {(r.student_id, r.assignment): r.state for r in grades.itertuples()}
    assert got == {key: state for key, (state, _) in statebook.EXPECTED.items()}
    assert set(got.values()) == set(STATES), "the statebook shows every state"


# -- a due date set after grading counts at once ------------------------------------------------
def test_a_due_date_set_after_grading_applies_at_once_in_nbgraders_tables_too(built):
    # statebook graded ps5 with no due date, then ran `convgrade deadline` (no --force, no regrade)
    assert nbgrader_penalties(built, "ps5") == {"ana": (pytest.approx(7.198908), 0.0), "ben": (10.0, 3.0),
                                               "dan": (3.0, 0.0), "eve": (4.0, 1.0)}
    table = pd_table(built, "convgrade_submission", "student, late_penalty, lms_late", "assignment = 'ps5'")
    assert table == {"ana": (None, 0), "ben": (3.0, 0), "dan": (None, 0), "eve": (1.0, 1)}
    deadline = deadlines.read_deadline(built, "ps5")
    assert deadline.describe() == ("ps5: due 2024-03-01 12:00 Europe/Amsterdam (2024-03-01 11:00 UTC), "
                                   "late policy per-hour:10")


def pd_table(course, table, columns, where):
    with sqlite3.connect(course.sqlite_path) as db:
        rows = db.execute("SELECT %s FROM %s WHERE %s" % (columns, table, where)).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_a_policy_change_reapplies_to_every_submission_and_names_each_changed_grade(course, capsys):
    graded_at = pd_table(course, "convgrade_submission", "student, graded_at, submission_hash", "assignment = 'ps5'")
    assert main(["--course", str(course.root), "deadline", "ps5", "--late-policy", "per-day:20"]) == 0
    out, err = capsys.readouterr()
    # ben 2.5 h late: 1 started day x 2 marks (was 3 h x 1); eve LMS-late, unmeasured: one day, 2 marks (was 1)
    assert err.splitlines() == [
        "convgrade: warning: ps5: ben's grade changed 7 -> 8 (raw score 10, late penalty 2)",
        "convgrade: warning: ps5: eve's grade changed 3 -> 2 (raw score 4, late penalty 2)"]
    assert "4 graded submissions re-checked, 2 grades changed" in out
    assert nbgrader_penalties(course, "ps5")["ben"] == (10.0, 2.0)
    assert nbgrader_penalties(course, "ps5")["eve"] == (4.0, 2.0)
    scores = {r.student_id: r.score for r in export.read_grades(course).itertuples() if r.assignment == "ps5"}
    assert (scores["ben"], scores["eve"]) == (8.0, 2.0)
    # nothing was graded again: the same rows, the same grading time (the notebooks are not even runnable)
    assert pd_table(course, "convgrade_submission", "student, graded_at, submission_hash",
                    "assignment = 'ps5'") == graded_at


def test_moving_the_due_date_moves_the_penalty(course, capsys):
    # due 13:00 UTC: ben (13:30 UTC) is half an hour late, one started hour
    assert main(["--course", str(course.root), "deadline", "ps5", "--due", "2024-03-01 13:00", "--timezone",
                 "UTC"]) == 0
    assert "ben's grade changed 7 -> 9" in capsys.readouterr().err
    assert nbgrader_penalties(course, "ps5")["ben"] == (10.0, 1.0)
    assert deadlines.read_deadline(course, "ps5").policy == parse_policy("per-hour:10"), "the policy is kept"


@pytest.mark.parametrize("argv, words", [
    (["deadline", "ps5", "--late-policy", "per-week:5"], "--late-policy 'per-week:5'"),
    (["deadline", "ps5", "--due", "tomorrow"], "--due 'tomorrow'"),
    (["deadline", "ps5", "--due", "2026-01-15 23:59", "--timezone", "Mars/Base"], "--timezone 'Mars/Base'"),
    (["deadline", "ps9", "--due", "2026-01-15 23:59"], "unknown assignment 'ps9'")])
def test_a_teachers_mistake_is_one_line_and_changes_nothing(course, capsys, argv, words):
    before = nbgrader_penalties(course, "ps5"), deadlines.read_deadline(course, "ps5").describe()
    assert main(["--course", str(course.root)] + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("convgrade: error: ") and words in err and err.count("\n") == 1
    assert (nbgrader_penalties(course, "ps5"), deadlines.read_deadline(course, "ps5").describe()) == before


# -- the LMS's LATE mark ----------------------------------------------------------------------
def test_the_late_mark_of_a_canvas_zip_is_stored_and_grading_uses_it(course, tmp_path):
    from autograder.intake.collect import collect

    nbformat.write(nbformat.v4.new_notebook(), course.source_dir / "ps5" / "ps5.ipynb")
    canvas = tmp_path / "submissions.zip"
    with zipfile.ZipFile(canvas, "w") as z:
        # Canvas writes "late" into the file name of a submission after the due date
        z.writestr(zipfile.ZipInfo("greengus_late_7007_900_ps5.ipynb", (2024, 3, 1, 8, 0, 0)),
                   nbformat.writes(nbformat.v4.new_notebook()))
        z.writestr(zipfile.ZipInfo("hillhal_8008_901_ps5.ipynb", (2024, 3, 1, 8, 0, 0)),
                   nbformat.writes(nbformat.v4.new_notebook()))
    report = collect(course, "ps5", canvas)
    assert sorted(c.student for c in report.students) == ["greengus", "hillhal"]
    assert any(line.startswith("greengus") and "LATE" in line for line in report.placed)
    assert read_lms_mark(course.submission_dir("greengus", "ps5")) == {"late": True}
    assert read_lms_mark(course.submission_dir("hillhal", "ps5")) == {"late": False}
    with Store(course) as store:  # grading writes results as autograde does, after collect
        for student in ("greengus", "hillhal"):
            folder = course.submission_dir(student, "ps5")
            store.write(SubmissionResult(
                student=student, assignment="ps5", status="graded", score=4.0, max_score=10.0,
                timestamp=read_timestamp(folder),
                items=[ItemResult("ps5", "test_a", ["ps5.a"], 4.0, 4.0, 1.0),
                       ItemResult("ps5", "essay", [], 0.0, 6.0, 0.0, None, "", "manual")]))
    # handed in before the due date by the zip's clock, but Canvas said late: one started hour, 1 mark
    assert nbgrader_penalties(course, "ps5")["greengus"] == (4.0, 1.0)
    assert nbgrader_penalties(course, "ps5")["hillhal"] == (4.0, 0.0)
    rows = {r.student_id: r for r in export.read_grades(course).itertuples() if r.assignment == "ps5"}
    assert (rows["greengus"].state, rows["greengus"].score, rows["greengus"].late_policy) == ("late", 3.0,
                                                                                               "per-hour:10")
    assert (rows["hillhal"].state, rows["hillhal"].score) == ("graded", 4.0)
