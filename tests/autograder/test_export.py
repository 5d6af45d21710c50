"""`convgrade export` (autograder.publish.export): nbgrader's CSV plus status, per-item rows, and
the files Canvas's and Moodle's gradebook imports accept.

Most tests read a gradebook with hand-chosen contents (tests/autograder/classbook.py,
written through nbgrader's API and `Store.write` as grading writes it). The slow test
at the end grades real ps2 submissions in sandboxed kernels and holds our export
against `nbgrader export` itself.

Where the layouts come from:
- nbgrader: `nbgrader.plugins.export.CsvExportPlugin` (nbgrader 0.9.6) writes exactly
  `assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
  late_submission_penalty, score, max_score`, and a row with score 0 for a student
  without a submission.
- Canvas: the Canvas guide "How do I import grades in the Gradebook?" and Canvas's
  importer (instructure/canvas-lms, app/models/gradebook_importer.rb): the header's
  first column must match /Student/, the second /ID/, then "SIS User ID", "SIS Login ID"
  and a last student column matching /Section/; every further column is an assignment
  ("Title (id)" or a bare title); a row whose first cell matches /Points Possible/
  gives the assignments' points; a student is found by Canvas ID, else SIS User ID,
  else SIS Login ID, else name.
- Moodle: "Import grades from CSV" (grade/import/csv): one header row, one column
  identifying the user that the teacher maps to user id, username, ID number
  (`useridnumber`) or email address (`useremail`), and grade columns mapped to grade
  items; Moodle's own fixture grade/tests/fixtures/grade_import.csv is
  `First name,Last name,Email address,Manual item 1`.
"""
from __future__ import annotations

import csv
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from autograder.errors import ConvgradeError
from autograder.publish import export

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classbook  # noqa: E402


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return classbook.make_course(tmp_path_factory.mktemp("export") / "course")


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# -- nbgrader format ------------------------------------------------------------------------
def test_nbgrader_format_keeps_nbgraders_columns_and_adds_status(course, tmp_path):
    path = export.export_grades(course, "nbgrader", tmp_path / "grades.csv")
    header = _csv_rows(path)[0]
    assert header == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                      "raw_score", "late_submission_penalty", "score", "max_score", "status"]


def test_nbgrader_format_has_one_row_per_student_and_assignment_with_scores_and_status(course, tmp_path):
    grades = pd.read_csv(export.export_grades(course, "nbgrader", tmp_path / "g.csv"),
                         dtype={"student_id": str}, keep_default_na=False)
    got = {(r.student_id, r.assignment): (r.score, r.status) for r in grades.itertuples()}
    want = {key: (classbook.EXPECTED_SCORES[key], classbook.EXPECTED_STATUS[key])
            for key in classbook.EXPECTED_SCORES}
    assert got == want
    assert set(grades["max_score"]) == {5.0}
    # the student who handed in nothing still has a row per assignment, with score 0
    cy = grades[grades["student_id"] == "cy"]
    assert sorted(cy["assignment"]) == ["ps1", "ps2"] and (cy["score"] == 0).all()
    assert (cy["status"] == "missing").all() and (cy["timestamp"] == "").all()


def test_manual_grades_from_formgrader_count(course):
    grades = export.read_grades(course)
    row = grades[(grades["student_id"] == "ben") & (grades["assignment"] == "ps2")].iloc[0]
    # the autograder gave 2 + 0; the teacher overrode conv2d with 3 in formgrader
    assert row["raw_score"] == 3.0 and row["score"] == 3.0


def test_names_and_emails_come_from_the_gradebook(course):
    grades = export.read_grades(course)
    ana = grades[grades["student_id"] == "ana"].iloc[0]
    assert (ana["first_name"], ana["last_name"], ana["email"]) == ("Ana", "Alves", "ana@school.example")


# -- items -----------------------------------------------------------------------------------
def test_items_has_one_row_per_graded_cell_with_the_diagnosis(course, tmp_path):
    items = pd.read_csv(export.export_grades(course, "items", tmp_path / "i.csv"), keep_default_na=False)
    assert list(items.columns) == export.ITEM_COLUMNS
    submitted = [k for k in classbook.RESULTS]
    n_cells = sum(len(next(iter(classbook.CELLS[a].values()))) for _, a in submitted)
    assert len(items) == n_cells
    ben = items[(items["student_id"] == "ben") & (items["assignment"] == "ps2")].set_index("grade_id")
    assert ben.loc["test_relu", "misconception"] == "relu_forgotten"
    assert ben.loc["test_relu", "check_ids"] == "ps2.relu"
    assert ben.loc["test_relu", "message"] == "relu: forgotten"
    assert ben.loc["test_conv2d", "score"] == 3.0  # the teacher's override wins here too
    assert ben.loc["test_conv2d", "fraction"] == pytest.approx(0.75)


def test_items_say_which_answers_wait_for_the_teacher(course):
    items = export.read_items(course)
    waiting = items[items["needs_manual_grade"]]
    marked = items[(items["student_id"] == "ana") & (items["grade_id"] == "effect_of_filters")].iloc[0]
    assert not marked["needs_manual_grade"] and marked["score"] == 1.5 and marked["kind"] == "manual"
    assert "ana" not in set(waiting["student_id"])


def test_item_scores_add_up_to_the_submission_scores(course):
    items, grades = export.read_items(course), export.read_grades(course)
    per_submission = items.groupby(["student_id", "assignment"])["score"].sum()
    for row in grades[grades["status"] != "missing"].itertuples():
        assert per_submission[(row.student_id, row.assignment)] == pytest.approx(row.raw_score)


# -- Canvas ----------------------------------------------------------------------------------
def canvas_import(rows):
    """What Canvas's GradebookImporter reads from a CSV (see the module docstring): the
    student column count, the assignments, their points, and the students by SIS login."""
    header = rows[0]
    assert len(header) > 3 and re.search("Student", header[0]) and re.search("ID", header[1]), header
    assert re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]), header
    student_columns = 5
    assert re.search("Section", header[student_columns - 1]), "the last student column must be Section"
    assignments = header[student_columns:]
    points, students = {}, {}
    for row in rows[1:]:
        if re.search("Points Possible", row[0]):
            points = dict(zip(assignments, row[student_columns:]))
            continue
        students[row[3]] = {"name": row[0], "grades": dict(zip(assignments, row[student_columns:]))}
    return assignments, points, students


def test_canvas_file_follows_canvas_import_layout(course, tmp_path):
    path = export.export_grades(course, "canvas", tmp_path / "canvas.csv")
    rows = _csv_rows(path)
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert "Points Possible" in rows[1][0], "the Points Possible row comes first"
    assignments, points, students = canvas_import(rows)
    assert assignments == ["ps1", "ps2"]
    assert points == {"ps1": "5", "ps2": "5"}
    assert set(students) == set(classbook.STUDENTS), "convgrade ids go to SIS Login ID"
    assert students["ana"]["name"] == "Alves, Ana"
    for (student, assignment), score in classbook.EXPECTED_SCORES.items():
        assert float(students[student]["grades"][assignment]) == score


def test_canvas_columns_carry_canvas_assignment_ids_when_known(course):
    frame = export.canvas_frame(export.read_grades(course), assignment_ids={"ps2": 4711})
    assert list(frame.columns)[5:] == ["ps1", "ps2 (4711)"]


def test_canvas_file_round_trips_through_pandas(course, tmp_path):
    path = export.export_grades(course, "canvas", tmp_path / "canvas.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    again = tmp_path / "again.csv"
    frame.to_csv(again, index=False)
    assert _csv_rows(again) == _csv_rows(path)


# -- Moodle ----------------------------------------------------------------------------------
def test_moodle_file_follows_moodle_import_layout(course, tmp_path):
    path = export.export_grades(course, "moodle", tmp_path / "moodle.csv")
    frame = pd.read_csv(path, dtype={"ID number": str}, keep_default_na=False)
    assert list(frame.columns) == ["First name", "Last name", "ID number", "Email address", "ps1", "ps2"]
    assert frame["ID number"].is_unique and set(frame["ID number"]) == set(classbook.STUDENTS)
    by_id = frame.set_index("ID number")
    assert by_id.loc["ana", "Email address"] == "ana@school.example"
    assert by_id.loc["ben", "Email address"] == ""  # no email in the gradebook: left empty, not "None"
    for (student, assignment), score in classbook.EXPECTED_SCORES.items():
        assert by_id.loc[student, assignment] == score
    assert pd.api.types.is_numeric_dtype(frame["ps1"]) and pd.api.types.is_numeric_dtype(frame["ps2"])


# -- errors ----------------------------------------------------------------------------------
def test_unknown_format_is_a_one_line_error_naming_it(course, tmp_path):
    with pytest.raises(ConvgradeError, match="'excel'.*nbgrader, items, canvas, moodle"):
        export.export_grades(course, "excel", tmp_path / "x.csv")


def test_missing_output_folder_is_a_clear_error(course, tmp_path):
    with pytest.raises(ConvgradeError, match="does not exist"):
        export.export_grades(course, "nbgrader", tmp_path / "no" / "such" / "grades.csv")


def test_a_course_graded_by_stock_nbgrader_alone_exports_as_graded(course, tmp_path):
    """Without convgrade's tables (a gradebook `nbgrader autograde` filled) the grades are
    nbgrader's and a submission's status is `graded`."""
    import sqlite3

    copy = tmp_path / "gradebook.db"
    shutil.copy(course.sqlite_path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("DROP TABLE convgrade_item")
        db.execute("DROP TABLE convgrade_submission")
    url = "sqlite:///%s" % copy
    grades = export.read_grades(url)
    got = {(r.student_id, r.assignment): (r.score, r.status) for r in grades.itertuples()}
    assert got == {key: (score, "missing" if key[0] == "cy" else "graded")
                   for key, score in classbook.EXPECTED_SCORES.items()}
    items = export.read_items(url)
    assert set(items["check_ids"]) == {""} and items["misconception"].isna().all()
    assert len(items) == len(export.read_items(course))


# -- through real grading ----------------------------------------------------------------------
@pytest.mark.slow
def test_export_of_real_grading_agrees_with_nbgrader_export(nbgrader_course, tmp_path):
    """Grade two real ps2 submissions (the model solution and a flipped kernel) in
    sandboxed kernels; our default export must agree with `nbgrader export` on every
    column both have, and the items must name the flipped kernel."""
    from autograder.classroom.release import release_assignment
    from autograder.course import Course
    from autograder.demo import simulate
    from autograder.intake.collect import collect
    from autograder.isolation.sandbox import active_protections
    from autograder.pipeline.execute import Limits
    from autograder.pipeline.parallel import autograde

    root = nbgrader_course.root
    shutil.copytree(classbook.ROOT / "source" / "ps2", root / "source" / "ps2")
    course = Course(root)
    release_assignment(course, "ps2")
    personas = [p for p in simulate.roster() if p.id in ("s01", "s02")]
    simulate.write_handins(course, personas, tmp_path / "hand-in", ["ps2"])
    collect(course, "ps2", tmp_path / "hand-in")
    autograde(course, "ps2", workers=2, limits=Limits(cell_timeout=30.0, notebook_timeout=180.0),
              progress=False, require_sandbox="bubblewrap" in active_protections())

    ours = pd.read_csv(export.export_grades(course, "nbgrader", tmp_path / "ours.csv"), dtype=str,
                       keep_default_na=False)
    nbgrader_course.nbgrader("export", "--to=%s" % (tmp_path / "theirs.csv"))
    theirs = pd.read_csv(tmp_path / "theirs.csv", dtype=str, keep_default_na=False)
    assert list(ours.columns) == list(theirs.columns) + ["status"]
    key = ["assignment", "student_id"]
    ours, theirs = ours.sort_values(key).reset_index(drop=True), theirs.sort_values(key).reset_index(drop=True)
    for column in ("assignment", "student_id", "raw_score", "late_submission_penalty", "score", "max_score"):
        assert [float(v) if column.endswith("score") or column.endswith("penalty") else v for v in ours[column]] == \
            [float(v) if column.endswith("score") or column.endswith("penalty") else v for v in theirs[column]], column
    scores = dict(zip(ours["student_id"], ours["score"].astype(float)))
    assert scores["s01"] == 17.0 and 0.0 < scores["s02"] < 17.0
    assert set(ours["status"]) == {"graded"}
    items = export.read_items(course)
    flipped = items[(items["student_id"] == "s02") & (items["grade_id"] == "test_conv2d")].iloc[0]
    assert flipped["misconception"] == "flipped_kernel" and flipped["check_ids"] == "ps2.conv2d"
