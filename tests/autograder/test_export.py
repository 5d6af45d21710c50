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
  `First name,Last name,Email address,Manual item 1`. Its loader
  (grade/import/csv/classes/load_data.php) reads "" or "-" as "no grade", refuses any
  other non-number in a grade cell, and stops the whole import at a row whose user
  field is blank.

No export may invent a grade: the states of tests/autograder/statebook.py (released
only, not due, not handed in, collected but not graded, waiting for manual marking)
must come out empty, never 0.
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
import statebook  # noqa: E402


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return classbook.make_course(tmp_path_factory.mktemp("export") / "course")


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """The class with every state, deadlines and late work (statebook.py)."""
    return statebook.make_course(tmp_path_factory.mktemp("export-states") / "course")


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# -- nbgrader format ------------------------------------------------------------------------
def test_nbgrader_format_keeps_nbgraders_columns_and_adds_status(course, tmp_path):
    path = export.export_grades(course, "nbgrader", tmp_path / "grades.csv")
    header = _csv_rows(path)[0]
    assert header == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                      "raw_score", "late_submission_penalty", "score", "max_score", "status", "state",
                      "late_policy"]


def test_nbgrader_format_has_one_row_per_student_and_assignment_with_scores_and_status(course, tmp_path):
    grades = pd.read_csv(export.export_grades(course, "nbgrader", tmp_path / "g.csv"),
                         dtype={"student_id": str}, keep_default_na=False)
    got = {(r.student_id, r.assignment): (r.score and float(r.score), r.status, r.state)
           for r in grades.itertuples()}
    want = {key: (classbook.EXPECTED_SCORES[key], classbook.EXPECTED_STATUS[key], "graded")
            for key in classbook.EXPECTED_SCORES if key[0] != "cy"}
    want.update({("cy", a): ("", "", "not handed in") for a in ("ps1", "ps2")})
    assert got == want
    assert set(grades["max_score"]) == {5.0}
    # the student who handed in nothing still has a row per assignment, with no score: not 0
    cy = grades[grades["student_id"] == "cy"]
    assert sorted(cy["assignment"]) == ["ps1", "ps2"] and (cy["raw_score"] == "").all()
    assert (cy["timestamp"] == "").all()


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
    for row in grades[grades["state"].isin(["graded", "late"])].itertuples():
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
    # cy has no grade at all: no row (an empty one would clear Canvas's grades)
    assert set(students) == set(classbook.STUDENTS) - {"cy"}, "convgrade ids go to SIS Login ID"
    assert students["ana"]["name"] == "Alves, Ana"
    for (student, assignment), score in classbook.EXPECTED_SCORES.items():
        if student != "cy":
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
    assert frame["ID number"].is_unique and set(frame["ID number"]) == set(classbook.STUDENTS) - {"cy"}
    by_id = frame.set_index("ID number")
    assert by_id.loc["ana", "Email address"] == "ana@school.example"
    assert by_id.loc["ben", "Email address"] == ""  # no email in the gradebook: left empty, not "None"
    for (student, assignment), score in classbook.EXPECTED_SCORES.items():
        if student != "cy":
            assert by_id.loc[student, assignment] == score
    assert pd.api.types.is_numeric_dtype(frame["ps1"]) and pd.api.types.is_numeric_dtype(frame["ps2"])


# -- states: no grade invented -----------------------------------------------------------------
FINAL = ("graded", "late")


def test_every_state_is_exported_and_only_final_grades_have_a_score(states, tmp_path):
    rows = list(csv.DictReader(open(export.export_grades(states, "nbgrader", tmp_path / "g.csv"),
                                    newline="", encoding="utf-8")))
    got = {(r["student_id"], r["assignment"]): (r["state"], r["score"]) for r in rows}
    assert set(got) == set(statebook.EXPECTED)
    for key, (state, score) in statebook.EXPECTED.items():
        shown = got[key]
        assert shown[0] == state, key
        if state in FINAL:
            assert float(shown[1]) == pytest.approx(score, abs=0.005), key
        else:
            assert shown[1] == "", "%s is %r: its score must be empty, not %r" % (key, state, shown[1])
    for r in rows:
        if r["state"] not in FINAL:
            assert r["raw_score"] == r["late_submission_penalty"] == r["score"] == "", r
    late = {r["student_id"]: r for r in rows if r["state"] == "late"}
    assert (late["ben"]["raw_score"], late["ben"]["late_submission_penalty"], late["ben"]["late_policy"]) == \
        ("10.0", "3.0", "per-hour:10")


@pytest.mark.parametrize("fmt", ["canvas", "moodle"])
def test_a_released_only_assignment_and_an_ungraded_submission_never_export_as_0(states, tmp_path, fmt):
    rows = _csv_rows(export.export_grades(states, fmt, tmp_path / "x.csv"))
    header = rows[0]
    id_column = header.index("SIS Login ID" if fmt == "canvas" else "ID number")
    cells = {(row[id_column], name): value for row in rows[1:] if "Points Possible" not in row[0]
             for name, value in zip(header, row) if name in ("ps1", "ps2", "ps3", "ps4", "ps5")}
    for (student, assignment), (state, _score) in statebook.EXPECTED.items():
        if (student, assignment) in cells and state not in FINAL:
            assert cells[(student, assignment)] == "", (student, assignment, state)
    # released only (ps3), never released (ps4): no column at all, so the LMS creates or clears nothing
    assert "ps3" not in header and "ps4" not in header
    # cy (nothing final: collected ps5, handed in nothing else) has no row; dan waits for marking
    assert ("cy", "ps5") not in cells and cells[("dan", "ps5")] == "" and cells[("dan", "ps2")] == "2"


def test_canvas_file_column_by_column(states, tmp_path):
    rows = _csv_rows(export.export_grades(states, "canvas", tmp_path / "canvas.csv"))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps5", "ps1", "ps2"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][1:5] == ["", "", "", ""]
    assert rows[1][5:] == ["10", "5", "5"]
    assignments, points, students = canvas_import(rows)
    # fay has no final grade anywhere: no row; every other student's Canvas user id is filled
    assert set(students) == {"ana", "ben", "dan", "eve"}
    by_login = {row[3]: row for row in rows[2:]}
    assert {login: row[1] for login, row in by_login.items()} == {
        "ana": "1001", "ben": "2002", "dan": "4004", "eve": "5005"}
    assert students["eve"]["name"] == "Eng, Eve"
    assert students["ana"]["grades"]["ps5"] == "7.2" and students["ben"]["grades"]["ps5"] == "7"
    assert students["eve"]["grades"]["ps5"] == "3" and students["dan"]["grades"]["ps5"] == ""


def test_canvas_sis_user_id_comes_from_the_class_list_when_there_is_one(states, tmp_path):
    url = statebook.gradebook_copy(
        states, tmp_path, "CREATE TABLE IF NOT EXISTS convgrade_roster (id INTEGER PRIMARY KEY, filed_id TEXT, "
        "lms_id TEXT, institutional_id TEXT, email TEXT, name TEXT, source TEXT)",
        "INSERT INTO convgrade_roster (filed_id, institutional_id) VALUES ('ana', 's1234567')")
    rows = _csv_rows(export.export_grades(url, "canvas", tmp_path / "c.csv"))
    assert {row[3]: row[2] for row in rows[2:]}["ana"] == "s1234567"


def test_moodle_file_column_by_column(states, tmp_path):
    rows = _csv_rows(export.export_grades(states, "moodle", tmp_path / "moodle.csv"))
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "ps5", "ps1", "ps2"]
    assert all(row[2] for row in rows[1:]), "a blank user field stops Moodle's whole import"
    by_id = {row[2]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert set(by_id) == {"ana", "ben", "dan", "eve"}
    assert by_id["eve"]["Email address"] == "eve@school.example"
    for row in rows[1:]:
        for value in row[4:]:
            assert value == "" or re.fullmatch(r"\d+(\.\d+)?", value), "Moodle refuses text in a grade: %r" % value
    assert (by_id["ana"]["ps5"], by_id["ben"]["ps5"], by_id["dan"]["ps5"]) == ("7.2", "7", "")


def test_export_names_each_grade_waiting_for_work_and_counts_the_empty_ones(states, tmp_path, capsys):
    from autograder.cli import main

    assert main(["--course", str(states.root), "export", "--format", "canvas", "-o", str(tmp_path / "c.csv"),
                 "--assignment", "ps5"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "convgrade: warning: ps5: cy: collected, not graded (run `convgrade autograde ps5`); its grade is left empty",
        "convgrade: warning: ps5: dan: manual marking pending (1 answer to mark in formgrader); its grade is left "
        "empty",
        "convgrade: warning: 3 grades left empty: 1 not handed in, 1 collected, not graded, 1 manual marking pending"]


def test_assignment_and_student_filters(states, tmp_path):
    path = export.export_grades(states, "nbgrader", tmp_path / "g.csv", assignments=["ps5", "ps1"],
                                students=["ben", "eve"])
    rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
    assert sorted((r["student_id"], r["assignment"]) for r in rows) == [
        ("ben", "ps1"), ("ben", "ps5"), ("eve", "ps1"), ("eve", "ps5")]
    canvas = _csv_rows(export.export_grades(states, "canvas", tmp_path / "c.csv", assignments=["ps1"]))
    assert canvas[0][5:] == ["ps1"]
    items = pd.read_csv(export.export_grades(states, "items", tmp_path / "i.csv", students=["dan"]),
                        keep_default_na=False)
    assert set(items["student_id"]) == {"dan"}
    essay = items[(items["assignment"] == "ps5") & (items["grade_id"] == "essay")].iloc[0]
    assert essay["score"] == "" and essay["needs_manual_grade"], "an unmarked answer has no score, not 0"
    for option, kwargs in (("--assignment 'ps9'", {"assignments": ["ps9"]}),
                           ("--student 'zed'", {"students": ["zed"]})):
        with pytest.raises(ConvgradeError, match=re.escape(option) + ".*it has"):
            export.export_grades(states, "nbgrader", tmp_path / "x.csv", **kwargs)


def test_scores_are_rounded(states, tmp_path):
    def ana_ps5(decimals, fmt="nbgrader"):
        path = export.export_grades(states, fmt, tmp_path / ("%s%d.csv" % (fmt, decimals)), decimals=decimals)
        rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
        if fmt == "nbgrader":
            row = next(r for r in rows if (r["student_id"], r["assignment"]) == ("ana", "ps5"))
            return row["raw_score"], row["score"]
        return next(r for r in rows if "ana" in (r.get("ID number"), r.get("SIS Login ID")))["ps5"]

    # the gradebook holds 2.1989080000000003 + 5 = 7.198908000000001
    assert ana_ps5(2) == ("7.2", "7.2")
    assert ana_ps5(3) == ("7.199", "7.199")
    assert ana_ps5(0, "canvas") == "7" and ana_ps5(4, "moodle") == "7.1989"
    with pytest.raises(ConvgradeError, match="--decimals 9"):
        export.export_grades(states, "nbgrader", tmp_path / "x.csv", decimals=9)


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
    got = {(r.student_id, r.assignment): (None if pd.isna(r.score) else r.score, r.status, r.state)
           for r in grades.itertuples()}
    assert got == {key: (None, "", "not handed in") if key[0] == "cy" else (score, "graded", "graded")
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
    assert list(ours.columns) == list(theirs.columns) + ["status", "state", "late_policy"]
    key = ["assignment", "student_id"]
    ours, theirs = ours.sort_values(key).reset_index(drop=True), theirs.sort_values(key).reset_index(drop=True)
    def number(column):  # ours are rounded to 2 decimals (the default), nbgrader's are not
        return column.endswith("score") or column.endswith("penalty")

    for column in ("assignment", "student_id", "raw_score", "late_submission_penalty", "score", "max_score"):
        assert [float(v) if number(column) else v for v in ours[column]] == \
            [round(float(v), 2) if number(column) else v for v in theirs[column]], column
    scores = dict(zip(ours["student_id"], ours["score"].astype(float)))
    assert scores["s01"] == 17.0 and 0.0 < scores["s02"] < 17.0
    assert set(ours["status"]) == {"graded"} and set(ours["state"]) == {"graded"}
    items = export.read_items(course)
    flipped = items[(items["student_id"] == "s02") & (items["grade_id"] == "test_conv2d")].iloc[0]
    assert flipped["misconception"] == "flipped_kernel" and flipped["check_ids"] == "ps2.conv2d"


@pytest.mark.slow
def test_a_hand_in_collected_again_after_grading_is_not_exported_with_the_old_grade(nbgrader_course, tmp_path, capsys):
    """s02 is graded on a flipped kernel, then hands in the right answers and the teacher collects
    them. Until autograde runs again, every export and the report say "collected, not graded" with an
    empty grade and the reason; the old partial score is never exported as the new hand-in's. After
    autograde (which regrades only the changed hand-in) s02 has full marks."""
    from autograder.classroom.release import release_assignment
    from autograder.course import Course
    from autograder.demo import simulate
    from autograder.intake.collect import collect
    from autograder.isolation.sandbox import active_protections
    from autograder.pipeline.execute import Limits
    from autograder.pipeline.parallel import autograde
    from autograder.publish import report

    root = nbgrader_course.root
    shutil.copytree(classbook.ROOT / "source" / "ps2", root / "source" / "ps2")
    course = Course(root)
    release_assignment(course, "ps2")
    personas = {p.id: p for p in simulate.roster() if p.id in ("s01", "s02")}
    simulate.write_handins(course, [personas["s02"]], tmp_path / "first", ["ps2"])
    collect(course, "ps2", tmp_path / "first")

    def grade():
        autograde(course, "ps2", workers=1, limits=Limits(cell_timeout=30.0, notebook_timeout=180.0),
                  progress=False, require_sandbox="bubblewrap" in active_protections())

    grade()
    before = export.read_grades(course).set_index("student_id").loc["s02"]
    assert before["state"] == "graded" and 0.0 < before["score"] < 17.0

    simulate.write_handins(course, [personas["s01"]], tmp_path / "second", ["ps2"])
    (tmp_path / "second" / "s01").rename(tmp_path / "second" / "s02")  # s02 now hands in the right answers
    collect(course, "ps2", tmp_path / "second")
    row = export.read_grades(course).set_index("student_id").loc["s02"]
    assert row["state"] == "collected, not graded" and bool(row["handed_in_again"])
    assert pd.isna(row["score"]) and pd.isna(row["raw_score"])
    warned = []
    for fmt in ("nbgrader", "canvas", "moodle"):
        path = export.export_grades(course, fmt, tmp_path / ("%s.csv" % fmt), on_warning=warned.append)
        text = path.read_text(encoding="utf-8")
        assert "%.2f" % before["score"] not in text, f"{fmt} export still carries the old grade"
    assert any(line.startswith("ps2: s02: collected, not graded (handed in again since it was graded")
               for line in warned), warned
    waiting = report.report_data(course).waiting
    assert "s02" in waiting[waiting["what"] == "collected, not graded"]["students"].iloc[0]

    grade()
    after = export.read_grades(course).set_index("student_id").loc["s02"]
    assert after["state"] == "graded" and not after["handed_in_again"] and after["score"] == 17.0
