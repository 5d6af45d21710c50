"""The class of classbook.py, a few weeks on: every state a student can be in, with deadlines.

On top of tests/autograder/classbook.py (ps1, ps2: no due date, all handed in but cy),
written the way a course gets there - nbgrader's API for released assignments,
``Store.write`` for each graded result, formgrader's manual scores through nbgrader's
API, ``convgrade deadline`` (``autograder.classroom.deadlines.set_deadline``) for due dates
and policies, set *after* grading - and a folder in ``submitted/`` for work collected but
not graded:

- ps5 (10 marks: ``test_a`` 4 autograded, ``essay`` 6 marked by hand), due 2024-03-01 12:00
  Europe/Amsterdam (11:00 UTC), late policy ``per-hour:10``:
  ana on time, 2.1989080000000003 + 5 -> graded 7.198908 (rounding);
  ben 2.5 h late (3 started hours), 4 + 6 = 10 raw, 3 off -> late 7;
  cy collected, not graded; dan on time, essay unmarked -> manual marking pending;
  eve marked LATE by the LMS with no timestamp (one started hour), 2 + 2 = 4 raw, 1 off -> late 3;
  fay nothing -> not handed in.
- ps3 released, due 2099 -> everyone "not due"; ps4 has a due date but was never
  released -> everyone "not released".

Every number is worked out by hand in :data:`EXPECTED`, not by the code under test.
"""
from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

from autograder.classroom.deadlines import set_deadline
from autograder.pipeline.late_policy import write_lms_mark
from autograder.course import Course
from autograder.pipeline.record import Store
from autograder.records import ItemResult, SubmissionResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classbook  # noqa: E402

#: {student: (first, last, email, Canvas user id)} added to classbook's four.
NEW_STUDENTS = {"eve": ("Eve", "Eng", "eve@school.example", "5005"),
                "fay": ("Fay", "Fox", "fay@school.example", "6006")}
#: Canvas user ids collect stored for classbook's students (nbgrader's lms_user_id).
LMS_IDS = {"ana": "1001", "ben": "2002", "cy": "3003", "dan": "4004"}
PS5_CELLS = [("test_a", 4.0, "code"), ("essay", 6.0, "markdown")]
#: {student: (timestamp or None, test_a score, essay manual score or None, LMS said late)}
PS5 = {"ana": ("2024-03-01 10:00:00 UTC", 2.1989080000000003, 5.0, False),
       "ben": ("2024-03-01 13:30:00 UTC", 4.0, 6.0, False),
       "dan": ("2024-03-01 09:00:00 UTC", 3.0, None, False),
       "eve": (None, 2.0, 2.0, True)}
PS5_DUE = ("2024-03-01 12:00", "Europe/Amsterdam", "per-hour:10")

#: (student, assignment): (state, exported score or None) - by hand from the lists above.
EXPECTED = {
    **{key: ("graded" if key[0] != "cy" else "not handed in", None if key[0] == "cy" else score)
       for key, score in classbook.EXPECTED_SCORES.items()},
    **{(s, "ps1"): ("not handed in", None) for s in NEW_STUDENTS},
    **{(s, "ps2"): ("not handed in", None) for s in NEW_STUDENTS},
    ("ana", "ps5"): ("graded", 7.198908), ("ben", "ps5"): ("late", 7.0),
    ("cy", "ps5"): ("collected, not graded", None), ("dan", "ps5"): ("manual marking pending", None),
    ("eve", "ps5"): ("late", 3.0), ("fay", "ps5"): ("not handed in", None),
    **{(s, "ps3"): ("not due", None) for s in list(classbook.STUDENTS) + list(NEW_STUDENTS)},
    **{(s, "ps4"): ("not released", None) for s in list(classbook.STUDENTS) + list(NEW_STUDENTS)},
}

_BUILT = []


def make_course(root: Path) -> Course:
    """Build the course described above in ``root`` (built once per process, then copied)."""
    if _BUILT:
        shutil.copytree(_BUILT[0].root, root)
        return Course(root)
    course = classbook.make_course(root)
    _fill(course)
    _BUILT.append(course)
    return course


def gradebook_copy(course, folder, *statements):
    """A copy of ``course``'s gradebook in ``folder`` with the SQL ``statements`` run on it;
    returns its URL (a test changes the copy, never the shared course)."""
    copy = Path(folder) / "gradebook.db"
    shutil.copy(course.sqlite_path, copy)
    with sqlite3.connect(copy) as db:
        for statement in statements:
            db.execute(statement)
    return "sqlite:///%s" % copy


def _fill(course):
    from nbgrader.api import Gradebook

    for name in ("ps3", "ps4", "ps5"):
        (course.source_dir / name).mkdir(parents=True, exist_ok=True)
    with Gradebook(course.db_url) as gb:
        for student, (first, last, email, lms) in NEW_STUDENTS.items():
            gb.add_student(student, first_name=first, last_name=last, email=email, lms_user_id=lms)
        for student, lms in LMS_IDS.items():
            gb.update_or_create_student(student, lms_user_id=lms)
        for name, cells in (("ps3", [("test_x", 1.0, "code")]), ("ps5", PS5_CELLS)):
            gb.add_assignment(name)
            gb.add_notebook(name, name)
            for grade_id, points, cell_type in cells:
                gb.add_grade_cell(grade_id, name, name, max_score=points, cell_type=cell_type)
                if cell_type == "markdown":
                    gb.add_solution_cell(grade_id, name, name)
    with Store(course) as store:
        for student, (stamp, auto, _manual, lms_late) in PS5.items():
            folder = course.submission_dir(student, "ps5")
            folder.mkdir(parents=True)
            (folder / "ps5.ipynb").write_text("{}", encoding="utf-8")
            if lms_late:
                write_lms_mark(folder, True)
            items = [ItemResult("ps5", "test_a", ["ps5.a"], auto, 4.0, auto / 4.0),
                     ItemResult("ps5", "essay", [], None, 6.0, None, None, "Graded by your teacher.", "manual")]
            store.write(SubmissionResult(student=student, assignment="ps5", status="graded", score=auto,
                                         max_score=10.0, items=items, timestamp=stamp))
    with Gradebook(course.db_url) as gb:
        for student, (_stamp, _auto, manual, _late) in PS5.items():
            if manual is not None:
                grade = gb.find_grade("essay", "ps5", "ps5", student)
                grade.manual_score, grade.needs_manual_grade = manual, False
        gb.db.commit()
    folder = course.submission_dir("cy", "ps5")  # collected after the grading run
    folder.mkdir(parents=True)
    (folder / "ps5.ipynb").write_text("{}", encoding="utf-8")
    due, zone, policy = PS5_DUE
    set_deadline(course, "ps5", due, zone, policy)
    set_deadline(course, "ps3", "2099-01-01 09:00", "UTC", "per-day:10")
    set_deadline(course, "ps4", "2099-02-01 09:00", "UTC")
