"""Grades out of the gradebook: nbgrader's CSV, per-item diagnoses, Canvas and Moodle files.

Everything here reads the course's database only (nbgrader's tables through
:class:`nbgrader.api.Gradebook`, so grades a teacher gave by hand in formgrader count,
plus convgrade's ``convgrade_submission`` and ``convgrade_item``) and returns plain
:class:`pandas.DataFrame` objects; :func:`export_grades` writes one of them as CSV,
through :func:`autograder.inert.csv_cells.write_csv`: a text cell a spreadsheet would read
as a formula (a name like ``=HYPERLINK(...)``) starts with ``'`` there.

Formats
-------
``nbgrader``
    One row per student and assignment, nbgrader's own CSV columns
    (:data:`NBGRADER_COLUMNS`, as ``nbgrader export`` writes them) plus ``status``
    (one of :data:`autograder.records.STATUSES`). A student with no
    submission gets a row with status ``missing`` and score 0.
``items``
    One row per graded item (an nbgrader grade cell) of every submission:
    score and max score (a teacher's manual score wins, as in nbgrader), the
    convgrade check ids, the share of the marks, the misconception found and the
    message the student saw.
``canvas``
    Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``
    then one column per assignment, with a ``Points Possible`` row first. The
    convgrade student id goes into ``SIS Login ID``, which Canvas matches when the
    Canvas user ``ID`` is left empty.
``moodle``
    Moodle's "Import grades from CSV": ``First name, Last name, ID number,
    Email address`` then one column per assignment; at import the teacher maps
    ``ID number`` (or ``Email address``) to the user and each assignment column to
    its grade item.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from nbgrader.api import (Assignment, BaseCell, Grade, Gradebook, Notebook, SubmittedAssignment,
                         SubmittedNotebook)

from autograder.course import Course
from autograder.errors import ConvgradeError
from autograder.inert.csv_cells import write_csv
from autograder.pipeline import record

#: nbgrader's CSV export columns, in its order (nbgrader.plugins.export.CsvExportPlugin).
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score"]
GRADE_COLUMNS = NBGRADER_COLUMNS + ["status"]
ITEM_COLUMNS = ["assignment", "student_id", "notebook", "grade_id", "kind", "check_ids", "score",
                "max_score", "fraction", "needs_manual_grade", "misconception", "message", "status"]
#: Canvas's student columns, in the order its GradebookImporter requires them.
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_STUDENT_COLUMNS = ["First name", "Last name", "ID number", "Email address"]
FORMATS = ("nbgrader", "items", "canvas", "moodle")


def database_url(course) -> str:
    """The SQLAlchemy URL of ``course``'s gradebook.

    ``course`` is an :class:`autograder.course.Course` (its ``db_url``), a database
    URL (``sqlite:///...``, ``postgresql://...``) or a course directory (its
    ``gradebook.db``).
    """
    if isinstance(course, Course):
        return course.db_url
    if isinstance(course, str) and "://" in course:
        return course
    if not isinstance(course, (str, os.PathLike)):
        raise TypeError("database_url: course must be a Course, a database URL or a course "
                        "directory; got %r" % (course,))
    return Course(course).db_url


def read_grades(course) -> pd.DataFrame:
    """One row per (assignment, student) of the gradebook, in :data:`GRADE_COLUMNS`.

    Scores are nbgrader's (auto scores, overridden by manual ones, minus the late
    penalty, floored at 0); ``status`` comes from ``convgrade_submission``. A
    submission graded by stock nbgrader alone counts as ``graded``; a student with
    no submission gets ``missing`` with score 0, as nbgrader's own export does.
    """
    url = database_url(course)
    statuses = _convgrade_frame(url, "submission")
    status_of = {}
    if not statuses.empty:
        status_of = {(r.assignment, r.student): r.status
                     for r in statuses.itertuples(index=False)}
    rows = []
    with Gradebook(url) as gb:
        students = {s.id: s for s in gb.students}
        for assignment in sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate, a.name)):
            max_score = float(assignment.max_score or 0.0)
            submissions = {s.student_id: s for s in assignment.submissions}
            for student_id in sorted(students):
                student = students[student_id]
                row = {"assignment": assignment.name, "duedate": assignment.duedate,
                       "student_id": student.id, "last_name": student.last_name,
                       "first_name": student.first_name, "email": student.email,
                       "max_score": max_score}
                sub = submissions.get(student_id)
                if sub is None:
                    row.update(timestamp=None, raw_score=0.0, late_submission_penalty=0.0,
                               score=0.0, status=status_of.get((assignment.name, student.id),
                                                               "missing"))
                else:
                    raw = float(sub.score or 0.0)
                    penalty = float(sub.late_submission_penalty or 0.0)
                    row.update(timestamp=sub.timestamp, raw_score=raw,
                               late_submission_penalty=penalty, score=max(0.0, raw - penalty),
                               status=status_of.get((assignment.name, student.id), "graded"))
                rows.append(row)
    return pd.DataFrame(rows, columns=GRADE_COLUMNS)


def read_items(course) -> pd.DataFrame:
    """One row per graded item of every submission, in :data:`ITEM_COLUMNS`.

    The rows are nbgrader's grades (so a manual score given in formgrader wins, and
    ``needs_manual_grade`` says which answers still wait for the teacher), joined with
    convgrade's diagnosis of the same (assignment, student, notebook, grade id):
    ``kind`` (autograded / manual / task), ``check_ids`` (comma-separated),
    ``misconception`` and ``message``. ``fraction`` is score / max score. Items
    convgrade recorded that nbgrader holds no grade for keep convgrade's own score.
    """
    url = database_url(course)
    with Gradebook(url) as gb:  # one query, not one per grade: a class of thousands stays quick
        rows = (gb.db.query(Assignment.name, SubmittedAssignment.student_id, Notebook.name, BaseCell.name,
                            Grade.score, Grade.max_score, Grade.needs_manual_grade)
                .select_from(Grade)
                .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
                .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                .join(BaseCell, Grade.cell_id == BaseCell.id)
                .all())
    keys = ["assignment", "student_id", "notebook", "grade_id"]
    items = pd.DataFrame([tuple(r) for r in rows], columns=keys + ["score", "max_score", "needs_manual_grade"])
    ours = _convgrade_frame(url, "item").rename(columns={"student": "student_id"})
    ours = ours.reindex(columns=keys + ["kind", "check_ids", "score", "max_score", "misconception",
                                       "message"])
    items = items.merge(ours, on=keys, how="outer", suffixes=("", "_convgrade"))
    for column in ("score", "max_score"):
        items[column] = items[column].astype(float).fillna(items[column + "_convgrade"].astype(float))
    items = items.drop(columns=["score_convgrade", "max_score_convgrade"])
    statuses = _convgrade_frame(url, "submission").rename(columns={"student": "student_id"})
    items = items.merge(statuses.reindex(columns=["assignment", "student_id", "status"]),
                        on=["assignment", "student_id"], how="left")
    items["status"] = items["status"].fillna("graded")
    items["score"] = items["score"].fillna(0.0)
    items["max_score"] = items["max_score"].fillna(0.0)
    items["fraction"] = (items["score"] / items["max_score"].where(items["max_score"] > 0)).fillna(0.0)
    items["needs_manual_grade"] = items["needs_manual_grade"].fillna(False).astype(bool)
    for column in ("kind", "check_ids", "message"):
        items[column] = items[column].fillna("").astype(str)
    items["misconception"] = items["misconception"].astype(object).where(
        items["misconception"].notna() & (items["misconception"] != ""), None)
    items = items.sort_values(keys, kind="stable").reset_index(drop=True)
    return items.reindex(columns=ITEM_COLUMNS)


def canvas_frame(grades: pd.DataFrame, section: str = "", assignment_ids=None) -> pd.DataFrame:
    """Canvas's gradebook import layout from :func:`read_grades`'s frame.

    Parameters
    ----------
    grades : DataFrame
        One row per (assignment, student), with ``score`` and ``max_score``.
    section : str
        Written in every student's ``Section`` (Canvas ignores it on import but
        requires the column).
    assignment_ids : dict, optional
        ``{assignment name: Canvas assignment id}``; a known id gives the column
        ``"ps2 (12345)"``, which Canvas matches to that assignment. Without one the
        column is the bare name, which Canvas matches by title or offers to create.

    Returns
    -------
    DataFrame
        Columns :data:`CANVAS_STUDENT_COLUMNS` then one per assignment; the first row
        is ``Points Possible``, then one row per student (``Student`` is
        "Last, First", ``SIS Login ID`` the convgrade student id).
    """
    assignment_ids = dict(assignment_ids or {})
    assignments = list(dict.fromkeys(grades["assignment"]))
    column = {a: ("%s (%s)" % (a, assignment_ids[a]) if a in assignment_ids else a)
              for a in assignments}
    points = {"Student": "    Points Possible", "ID": "", "SIS User ID": "", "SIS Login ID": "",
              "Section": ""}
    for a in assignments:
        points[column[a]] = _number(grades.loc[grades["assignment"] == a, "max_score"].max())
    rows = [points]
    for student_id, own in grades.groupby("student_id", sort=True):
        first = own.iloc[0]
        row = {"Student": _sortable_name(first["last_name"], first["first_name"], student_id),
               "ID": "", "SIS User ID": "", "SIS Login ID": student_id, "Section": section}
        for a in assignments:
            score = own.loc[own["assignment"] == a, "score"]
            row[column[a]] = _number(score.iloc[0]) if len(score) else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=CANVAS_STUDENT_COLUMNS + [column[a] for a in assignments])


def moodle_frame(grades: pd.DataFrame) -> pd.DataFrame:
    """Moodle's "Import grades from CSV" layout from :func:`read_grades`'s frame.

    Columns :data:`MOODLE_STUDENT_COLUMNS` (``ID number`` holds the convgrade student
    id, ``Email address`` the gradebook's email when there is one) then one column
    per assignment holding the score in points.
    """
    assignments = list(dict.fromkeys(grades["assignment"]))
    rows = []
    for student_id, own in grades.groupby("student_id", sort=True):
        first = own.iloc[0]
        row = {"First name": _text(first["first_name"]), "Last name": _text(first["last_name"]),
               "ID number": student_id, "Email address": _text(first["email"])}
        for a in assignments:
            score = own.loc[own["assignment"] == a, "score"]
            row[a] = _number(score.iloc[0]) if len(score) else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=MOODLE_STUDENT_COLUMNS + assignments)


def export_grades(course, fmt: str = "nbgrader", output=None) -> Path:
    """Write ``course``'s grades as CSV in format ``fmt`` and return the file's path.

    Parameters
    ----------
    course
        A course directory, a database URL or the CLI's course (see :func:`database_url`).
    fmt : {"nbgrader", "items", "canvas", "moodle"}
    output : path, optional
        Defaults to ``grades.csv`` (``grades-<fmt>.csv`` for other formats) in the
        current directory.
    """
    if fmt not in FORMATS:
        raise ConvgradeError("unknown export format %r: use one of %s" % (fmt, ", ".join(FORMATS)))
    if output is None:
        output = "grades.csv" if fmt == "nbgrader" else "grades-%s.csv" % fmt
    output = Path(output)
    if fmt == "items":
        frame = read_items(course)
    else:
        grades = read_grades(course)
        frame = {"nbgrader": lambda g: g, "canvas": canvas_frame, "moodle": moodle_frame}[fmt](grades)
    if output.parent and not output.parent.is_dir():
        raise ConvgradeError("cannot write %s: folder %s does not exist" % (output, output.parent))
    write_csv(frame, output)  # every text cell neutralised against formula injection
    return output


def _convgrade_frame(url, which):
    """convgrade's own table ``which`` ("submission" or "item") as a DataFrame; empty
    when the database has none (a course graded by stock nbgrader alone)."""
    return record.read_table(url, which)


def _sortable_name(last, first, fallback):
    last, first = _text(last), _text(first)
    if last and first:
        return "%s, %s" % (last, first)
    return last or first or fallback


def _text(value):
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _number(value):
    """A score as text Canvas and Moodle read: "17", "8.5" (2 decimals at most)."""
    return ("%.2f" % float(value)).rstrip("0").rstrip(".")
