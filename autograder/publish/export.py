"""Grades out of the gradebook: nbgrader's CSV, per-item diagnoses, Canvas and Moodle files.

Everything here reads the course's database (nbgrader's tables through
:class:`nbgrader.api.Gradebook`, so grades a teacher gave by hand in formgrader count,
plus convgrade's ``convgrade_submission``, ``convgrade_item`` and ``convgrade_deadline``)
and, for a course directory, ``submitted/`` (what was collected but not graded yet). It
returns plain :class:`pandas.DataFrame` objects; :func:`export_grades` writes one of them
as CSV through :func:`autograder.inert.csv_cells.write_csv`: a text cell a spreadsheet
would read as a formula (a name like ``=HYPERLINK(...)``) starts with ``'`` there.

No grade is invented: every row carries its ``state`` (:data:`autograder.records.STATES`),
and only a state in :data:`autograder.records.FINAL_STATES` (``graded``, ``late``) has a
score; an assignment only released, a submission collected but not graded, one whose
written answers wait for the teacher, are left empty, never 0. A late penalty is
computed here from the assignment's stored policy (``convgrade deadline``), apart from the
raw score, so a policy changed after grading counts at once.

Formats
-------
``nbgrader``
    One row per student and assignment, nbgrader's own CSV columns
    (:data:`NBGRADER_COLUMNS`, as ``nbgrader export`` writes them) plus ``status`` (one of
    :data:`autograder.records.STATUSES` for a graded submission, else empty), ``state``
    and ``late_policy`` (the assignment's ``convgrade deadline`` policy, or ``nbgrader``
    for late work under nbgrader's own plugin). Scores are empty unless the state is final.
``items``
    One row per graded item (an nbgrader grade cell) of every submission:
    score and max score (a teacher's manual score wins, as in nbgrader; empty while the
    answer waits for the teacher), the convgrade check ids, the share of the marks, the
    misconception found and the message the student saw.
``canvas``
    Canvas's gradebook import (the Canvas guide "How do I import grades in the
    Gradebook?"; instructure/canvas-lms ``GradebookImporter``): ``Student, ID, SIS User ID,
    SIS Login ID, Section`` then one column per assignment (``Name (assignment id)`` when
    the Canvas id is known, else the bare name), a ``Points Possible`` row first. ``ID`` is
    the Canvas user id collect read from the submissions zip (nbgrader's ``lms_user_id``),
    ``SIS User ID`` the student number of the class list when there is one, ``SIS Login ID``
    the convgrade student id. A grade that is not final is left empty.
``moodle``
    Moodle's "Import grades from CSV" (``grade/import/csv``): ``First name, Last name, ID
    number, Email address`` then one column per assignment; at import the teacher maps
    ``ID number`` (or ``Email address``) to the user and each assignment column to its grade
    item. Moodle reads an empty cell as "no grade" and refuses any text in a grade cell, so
    a grade that is not final is empty.

In both LMS files a student, or an assignment, with no final grade at all is left out
(an all-empty row or column would clear grades, or create an assignment, at import).
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import pandas as pd
from nbgrader.api import (Assignment, BaseCell, Grade, Gradebook, Notebook, SubmittedAssignment,
                         SubmittedNotebook)
from sqlalchemy import create_engine, func, inspect
from sqlalchemy.exc import SQLAlchemyError

from autograder.classroom.deadlines import is_due, state_of
from autograder.pipeline.late_policy import is_late, parse_policy
from autograder.course import Course, submission_hash
from autograder.errors import ConvgradeError
from autograder.inert.csv_cells import write_csv
from autograder.pipeline import record
from autograder.records import FINAL_STATES, STATES

#: nbgrader's CSV export columns, in its order (nbgrader.plugins.export.CsvExportPlugin).
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score"]
GRADE_COLUMNS = NBGRADER_COLUMNS + ["status", "state", "late_policy"]
#: Read by the report, not exported: the LMS ids, answers waiting for the teacher, identity flag, and
#: whether ``submitted/`` now holds other files than the graded ones (collected again since grading).
EXTRA_COLUMNS = ["lms_user_id", "assignment_due", "seconds_late", "lms_late", "pending_items", "id_flag",
                 "handed_in_again"]
ITEM_COLUMNS = ["assignment", "student_id", "notebook", "grade_id", "kind", "check_ids", "score",
                "max_score", "fraction", "needs_manual_grade", "misconception", "message", "status"]
#: Canvas's student columns, in the order its GradebookImporter requires them.
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_STUDENT_COLUMNS = ["First name", "Last name", "ID number", "Email address"]
FORMATS = ("nbgrader", "items", "canvas", "moodle")
#: States an export warns about, one line per student: work the teacher still has to do.
UNFINISHED_STATES = ("collected, not graded", "manual marking pending")


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


def read_grades(course, now=None) -> pd.DataFrame:
    """One row per (assignment, student), in :data:`GRADE_COLUMNS` + :data:`EXTRA_COLUMNS`.

    ``raw_score`` is nbgrader's (auto scores, overridden by manual ones);
    ``late_submission_penalty`` the assignment's convgrade policy applied to it (else
    nbgrader's stored penalty); ``score`` raw minus penalty, floored at 0. ``state`` is
    :func:`autograder.classroom.deadlines.state_of` at ``now`` (naive UTC, default: the
    clock); the three scores are NaN unless it is final. ``status`` comes from
    ``convgrade_submission`` (``graded`` for a submission stock nbgrader graded; empty
    without a submission). Students are the gradebook's plus, for a course directory,
    anyone with a folder in ``submitted/``.
    """
    url = database_url(course)
    folders = _course_folders(course)
    now = now or _dt.datetime.utcnow()
    ours = _convgrade_frame(url, "submission")
    ours = {(r.assignment, r.student): r for r in ours.itertuples(index=False)}
    policies = {r.assignment: parse_policy(r.late_policy, "the stored late policy of %s" % r.assignment)
                for r in _convgrade_frame(url, "deadline").itertuples(index=False)}
    rows = []
    with Gradebook(url) as gb:
        pending_of = _pending_counts(gb)
        students = {s.id: s for s in gb.students}
        assignments = sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate, a.name))
        collected = {a.name: set(folders.submitted_students(a.name)) if folders else set() for a in assignments}
        everyone = sorted(set(students).union(*collected.values()))
        for assignment in assignments:
            name, max_score = assignment.name, float(assignment.max_score or 0.0)
            released = bool(assignment.notebooks) or bool(folders and folders.release_notebooks(name))
            submissions = {s.student_id: s for s in assignment.submissions}
            due = is_due(assignment.duedate, now, bool(submissions or collected[name]))
            policy = policies.get(name)
            for student_id in everyone:
                student = students.get(student_id)
                row = {"assignment": name, "duedate": assignment.duedate, "student_id": student_id,
                       "last_name": getattr(student, "last_name", None),
                       "first_name": getattr(student, "first_name", None),
                       "email": getattr(student, "email", None),
                       "lms_user_id": getattr(student, "lms_user_id", None), "max_score": max_score,
                       "timestamp": None, "raw_score": None, "late_submission_penalty": None, "score": None,
                       "status": "", "late_policy": "", "assignment_due": due, "seconds_late": 0.0, "lms_late": False,
                       "pending_items": 0, "id_flag": "", "handed_in_again": False}
                sub, mine = submissions.get(student_id), ours.get((name, student_id))
                if sub is None:
                    row["state"] = state_of(released=released, due=due, collected=student_id in collected[name],
                                            graded=False)
                    rows.append(row)
                    continue
                raw, seconds_late = float(sub.score or 0.0), float(sub.total_seconds_late or 0.0)
                lms_late = getattr(mine, "lms_late", None) in (True, 1)  # NULL in rows from before the column
                late = is_late(seconds_late, lms_late)
                if policy is not None:
                    penalty = policy.penalty(raw, max_score, seconds_late, lms_late)
                else:
                    penalty = float(sub.late_submission_penalty or 0.0)
                pending = pending_of.get((name, student_id), 0)
                again = _handed_in_again(folders, name, student_id, mine, collected[name])
                row.update(timestamp=sub.timestamp, seconds_late=seconds_late, lms_late=lms_late,
                           status=getattr(mine, "status", None) or "graded", pending_items=pending,
                           id_flag=_text(getattr(mine, "id_flag", "")), handed_in_again=again,
                           late_policy=str(policy) if policy is not None else ("nbgrader" if late else ""),
                           state=state_of(released=released, due=due, collected=True, graded=not again,
                                          pending_manual=pending > 0, late=late))
                if row["state"] in FINAL_STATES:
                    row.update(raw_score=raw, late_submission_penalty=penalty, score=max(0.0, raw - penalty))
                rows.append(row)
    frame = pd.DataFrame(rows, columns=GRADE_COLUMNS + EXTRA_COLUMNS)
    for column in ("raw_score", "late_submission_penalty", "score", "max_score", "seconds_late"):
        frame[column] = frame[column].astype(float)
    return frame


def select_rows(frame: pd.DataFrame, assignments=None, students=None) -> pd.DataFrame:
    """The rows of ``frame`` (grades or items) of ``assignments`` and ``students`` (None:
    all); a name the frame does not hold is a :class:`ConvgradeError` listing those it does."""
    for option, wanted, column in (("--assignment", assignments, "assignment"), ("--student", students, "student_id")):
        if not wanted:
            continue
        known = list(dict.fromkeys(frame[column]))
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise ConvgradeError("%s %r: not in the gradebook; it has %s" % (
                option, unknown[0], ", ".join(sorted(map(str, known))) if known else "none"))
        frame = frame[frame[column].isin(list(wanted))]
    return frame.reset_index(drop=True)


def unfinished_lines(grades: pd.DataFrame):
    """The warnings an export of ``grades`` gives: one line per (assignment, student) in
    :data:`UNFINISHED_STATES`, then one line counting every grade left empty by state."""
    lines = []
    for row in grades[grades["state"].isin(UNFINISHED_STATES)].itertuples(index=False):
        if row.state == "manual marking pending":
            why = "%d answer%s to mark in formgrader" % (row.pending_items, "s" * (row.pending_items != 1))
        elif getattr(row, "handed_in_again", False):
            why = "handed in again since it was graded: run `convgrade autograde %s`" % row.assignment
        else:
            why = "run `convgrade autograde %s`" % row.assignment
        lines.append("%s: %s: %s (%s); its grade is left empty" % (row.assignment, row.student_id, row.state, why))
    empty = grades[~grades["state"].isin(FINAL_STATES)]
    if len(empty):
        counts = empty["state"].value_counts()
        lines.append("%d grade%s left empty: %s" % (len(empty), "s" * (len(empty) != 1), ", ".join(
            "%d %s" % (counts[state], state) for state in STATES if state in counts)))
    return lines


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
                            Grade.score, Grade.max_score, Grade.needs_manual_grade, Grade.auto_score,
                            Grade.manual_score)
                .select_from(Grade)
                .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
                .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                .join(BaseCell, Grade.cell_id == BaseCell.id)
                .all())
    keys = ["assignment", "student_id", "notebook", "grade_id"]
    items = pd.DataFrame([tuple(r) for r in rows], columns=keys + ["score", "max_score", "needs_manual_grade",
                                                                   "auto_score", "manual_score"])
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
    items["needs_manual_grade"] = items["needs_manual_grade"].fillna(False).astype(bool)
    # neither the autograder nor the teacher scored it yet: empty, where nbgrader's score says 0
    waiting = items["needs_manual_grade"] & items["auto_score"].isna() & items["manual_score"].isna()
    items["score"] = items["score"].fillna(0.0).mask(waiting)
    items["max_score"] = items["max_score"].fillna(0.0)
    items["fraction"] = (items["score"] / items["max_score"].where(items["max_score"] > 0)).fillna(0.0).mask(waiting)
    for column in ("kind", "check_ids", "message"):
        items[column] = items[column].fillna("").astype(str)
    items["misconception"] = items["misconception"].astype(object).where(
        items["misconception"].notna() & (items["misconception"] != ""), None)
    items = items.sort_values(keys, kind="stable").reset_index(drop=True)
    return items.reindex(columns=ITEM_COLUMNS)


def canvas_frame(grades: pd.DataFrame, section: str = "", assignment_ids=None, decimals=2,
                 sis_ids=None) -> pd.DataFrame:
    """Canvas's gradebook import layout from :func:`read_grades`'s frame.

    Parameters
    ----------
    grades : DataFrame
        One row per (assignment, student), with ``score``, ``max_score``, ``state`` and
        ``lms_user_id``.
    section : str
        Written in every student's ``Section`` (Canvas ignores it on import but
        requires the column).
    assignment_ids : dict, optional
        ``{assignment name: Canvas assignment id}``; a known id gives the column
        ``"ps2 (12345)"``, which Canvas matches to that assignment. Without one the
        column is the bare name, which Canvas matches by title or offers to create.
    decimals : int
        Scores and points are rounded to this many decimals.
    sis_ids : dict, optional
        ``{student id: SIS user id}`` (the class list's student numbers).

    Returns
    -------
    DataFrame
        Columns :data:`CANVAS_STUDENT_COLUMNS` then one per assignment; the first row
        is ``Points Possible``, then one row per student with a final grade (``Student``
        is "Last, First", ``ID`` the Canvas user id, ``SIS Login ID`` the convgrade
        student id); a grade that is not final is empty. Students and assignments
        without any final grade are left out.
    """
    assignment_ids, sis_ids = dict(assignment_ids or {}), dict(sis_ids or {})
    assignments = _assignments_with_grades(grades)
    column = {a: ("%s (%s)" % (a, assignment_ids[a]) if a in assignment_ids else a)
              for a in assignments}
    points = {"Student": "    Points Possible", "ID": "", "SIS User ID": "", "SIS Login ID": "",
              "Section": ""}
    for a in assignments:
        points[column[a]] = format_score(grades.loc[grades["assignment"] == a, "max_score"].max(), decimals)
    rows = [points]
    for student_id, own in _students_with_grades(grades):
        first = own.iloc[0]
        row = {"Student": _sortable_name(first["last_name"], first["first_name"], student_id),
               "ID": _text(first["lms_user_id"]), "SIS User ID": _text(sis_ids.get(student_id)),
               "SIS Login ID": student_id, "Section": section}
        row.update({column[a]: cell for a, cell in _grade_cells(own, assignments, decimals).items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=CANVAS_STUDENT_COLUMNS + [column[a] for a in assignments])


def moodle_frame(grades: pd.DataFrame, decimals=2, sis_ids=None) -> pd.DataFrame:
    """Moodle's "Import grades from CSV" layout from :func:`read_grades`'s frame.

    Columns :data:`MOODLE_STUDENT_COLUMNS` (``ID number`` holds the student number of the
    class list, ``sis_ids``: ``{student id: institutional id}``, which is Moodle's own
    "ID number" user field the import maps on; the convgrade student id where the class
    list has none; ``Email address`` the gradebook's email when there is one) then one
    column per assignment with a final grade holding the score in points, rounded to
    ``decimals``; one row per student with a final grade, a grade that is not final empty.
    """
    assignments, sis_ids = _assignments_with_grades(grades), dict(sis_ids or {})
    rows = []
    for student_id, own in _students_with_grades(grades):
        first = own.iloc[0]
        row = {"First name": _text(first["first_name"]), "Last name": _text(first["last_name"]),
               "ID number": sis_ids.get(student_id) or student_id, "Email address": _text(first["email"])}
        row.update(_grade_cells(own, assignments, decimals))
        rows.append(row)
    return pd.DataFrame(rows, columns=MOODLE_STUDENT_COLUMNS + assignments)


def nbgrader_frame(grades: pd.DataFrame, decimals=2) -> pd.DataFrame:
    """The ``nbgrader`` format: :data:`GRADE_COLUMNS` of ``grades``, scores rounded."""
    frame = grades.reindex(columns=GRADE_COLUMNS).copy()
    for column in ("raw_score", "late_submission_penalty", "score", "max_score"):
        frame[column] = frame[column].round(decimals)
    return frame


def export_grades(course, fmt: str = "nbgrader", output=None, *, assignments=None, students=None,
                  decimals=2, on_warning=None) -> Path:
    """Write ``course``'s grades as CSV in format ``fmt`` and return the file's path.

    Parameters
    ----------
    course
        A course directory, a database URL or the CLI's course (see :func:`database_url`).
    fmt : {"nbgrader", "items", "canvas", "moodle"}
    output : path, optional
        Defaults to ``grades.csv`` (``grades-<fmt>.csv`` for other formats) in the
        current directory.
    assignments, students : list of str, optional
        Export only these (default: all); an unknown one is an error.
    decimals : int
        Scores are rounded to this many decimals (default 2).
    on_warning : callable, optional
        Called with each line of :func:`unfinished_lines` (the CLI prints them on stderr).
    """
    if fmt not in FORMATS:
        raise ConvgradeError("unknown export format %r: use one of %s" % (fmt, ", ".join(FORMATS)))
    if not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise ConvgradeError("--decimals %r: must be a whole number from 0 to 6" % (decimals,))
    if output is None:
        output = "grades.csv" if fmt == "nbgrader" else "grades-%s.csv" % fmt
    output = Path(output)
    if output.parent and not output.parent.is_dir():
        raise ConvgradeError("cannot write %s: folder %s does not exist" % (output, output.parent))
    if output.is_dir():
        raise ConvgradeError("-o %s is a folder; name a file, e.g. -o %s" % (output, output / "grades.csv"))
    grades = select_rows(read_grades(course), assignments, students)
    if fmt == "items":
        frame = select_rows(read_items(course), assignments, students)
        for column in ("score", "max_score", "fraction"):
            frame[column] = frame[column].round(decimals if column != "fraction" else max(decimals, 4))
    elif fmt == "canvas":
        frame = canvas_frame(grades, decimals=decimals, sis_ids=_sis_ids(database_url(course)))
    elif fmt == "moodle":
        frame = moodle_frame(grades, decimals=decimals, sis_ids=_sis_ids(database_url(course)))
    else:
        frame = nbgrader_frame(grades, decimals)
    for line in unfinished_lines(grades) if on_warning else ():
        on_warning(line)
    write_csv(frame, output)  # every text cell neutralised against formula injection
    return output


def format_score(value, decimals=2):
    """A score as text Canvas and Moodle read: "17", "8.5" (``decimals`` at most); "" for NaN."""
    if value is None or pd.isna(value):
        return ""
    return ("%.*f" % (decimals, float(value))).rstrip("0").rstrip(".") if decimals else "%.0f" % float(value)


def _grade_cells(own, assignments, decimals):
    """``{assignment: score text}`` of one student's rows; "" where the grade is not final."""
    cells = {}
    for a in assignments:
        row = own[own["assignment"] == a]
        final = len(row) and row["state"].iloc[0] in FINAL_STATES
        cells[a] = format_score(row["score"].iloc[0], decimals) if final else ""
    return cells


def _assignments_with_grades(grades):
    """The assignments with at least one final grade, in ``grades``' order: a column of
    nothing would make Canvas offer to create the assignment, or clear Moodle's grades."""
    final = grades[grades["state"].isin(FINAL_STATES)]
    return [a for a in dict.fromkeys(grades["assignment"]) if a in set(final["assignment"])]


def _students_with_grades(grades):
    """``(student id, rows)`` of each student with at least one final grade, sorted by id:
    an LMS import reads an empty cell as "no grade", so a row of nothing is left out."""
    for student_id, own in grades.groupby("student_id", sort=True):
        if own["state"].isin(FINAL_STATES).any():
            yield student_id, own


def _pending_counts(gb):
    """``{(assignment, student): answers waiting for the teacher}``, in one query."""
    rows = (gb.db.query(Assignment.name, SubmittedAssignment.student_id, func.count(Grade.id))
            .select_from(Grade)
            .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
            .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .filter(Grade.needs_manual_grade.is_(True))
            .group_by(Assignment.name, SubmittedAssignment.student_id).all())
    return {(a, s): int(n) for a, s, n in rows}


def _sis_ids(url):
    """``{student id: institutional id}`` of the class list (``convgrade_roster``), if any."""
    engine = create_engine(url, future=True)
    try:
        if not inspect(engine).has_table("convgrade_roster"):
            return {}
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT filed_id, institutional_id FROM convgrade_roster").all()
    except SQLAlchemyError:
        return {}  # a class list of another shape: the column stays empty
    finally:
        engine.dispose()
    return {f: i for f, i in rows if f and i}


def _handed_in_again(folders, assignment, student, mine, collected):
    """Whether ``submitted/STUDENT/ASSIGNMENT`` holds other files than the ones convgrade graded
    (``mine.submission_hash``): a hand-in collected again since grading, whose old grade must not
    be exported as if it were this one's. False without the course's folders or convgrade's row."""
    graded_hash = _text(getattr(mine, "submission_hash", None))
    if folders is None or not graded_hash or student not in collected:
        return False
    return submission_hash(folders.submission_dir(student, assignment)) != graded_hash


def _course_folders(course):
    """The :class:`Course` whose folders to read, or None for a bare database URL."""
    if isinstance(course, Course):
        return course
    if isinstance(course, (str, os.PathLike)) and "://" not in str(course):
        return Course(course)
    return None


def _convgrade_frame(url, which):
    """convgrade's own table ``which`` ("submission", "item", "deadline") as a DataFrame; empty
    when the database has none (a course graded by stock nbgrader alone)."""
    return record.read_table(url, which)


def _sortable_name(last, first, fallback):
    last, first = _text(last), _text(first)
    if last and first:
        return "%s, %s" % (last, first)
    return last or first or fallback


def _text(value):
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


